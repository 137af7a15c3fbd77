/**
 * A small graph builder for emitting ONNX from TypeScript: scoped node names, typed attributes,
 * deduplicated small constants, and initializers that point at external data already written
 * elsewhere (so graphs never hold weights).
 */
import { EdgeError } from '../../sdk/internal.js';
import type { DType } from '../../sdk/internal.js';
import {
  AttrType,
  AttributeProtoSchema,
  DataLocation,
  GraphProtoSchema,
  ModelProtoSchema,
  NodeProtoSchema,
  OperatorSetIdProtoSchema,
  StringStringEntryProtoSchema,
  TensorProtoSchema,
  TensorShapeProtoSchema,
  TensorShapeProto_DimensionSchema,
  TypeProtoSchema,
  TypeProto_TensorSchema,
  ValueInfoProtoSchema,
  create,
  onnxType,
  type AttributeProto,
  type GraphProto,
  type ModelProto,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
} from './proto.js';

type Attr = Omit<AttributeProto, 'name'> | AttributeProto;

/** Typed attribute constructors (an ONNX attribute's type cannot be guessed from a JS number). */
export const attr = {
  i: (v: number): Attr => create(AttributeProtoSchema, { type: AttrType.INT, i: BigInt(v) }),
  f: (v: number): Attr => create(AttributeProtoSchema, { type: AttrType.FLOAT, f: v }),
  s: (v: string): Attr =>
    create(AttributeProtoSchema, { type: AttrType.STRING, s: new Uint8Array(Buffer.from(v, 'utf8')) }),
  ints: (v: number[]): Attr => create(AttributeProtoSchema, { type: AttrType.INTS, ints: v.map((x) => BigInt(x)) }),
  floats: (v: number[]): Attr => create(AttributeProtoSchema, { type: AttrType.FLOATS, floats: v }),
  t: (v: TensorProto): Attr => create(AttributeProtoSchema, { type: AttrType.TENSOR, t: v }),
  g: (v: GraphProto): Attr => create(AttributeProtoSchema, { type: AttrType.GRAPH, g: v }),
};

/** Where an external tensor's bytes are. */
export interface ExternalRef {
  location: string;
  offset: number;
  length: number;
}

/** A value_info for a tensor; string dims are symbolic. */
export function valueInfo(name: string, dtype: DType, shape: (number | string)[]): ValueInfoProto {
  return create(ValueInfoProtoSchema, {
    name,
    type: create(TypeProtoSchema, {
      value: {
        case: 'tensorType',
        value: create(TypeProto_TensorSchema, {
          elemType: onnxType(dtype),
          shape: create(TensorShapeProtoSchema, {
            dim: shape.map((d) =>
              create(TensorShapeProto_DimensionSchema, {
                value: typeof d === 'number' ? { case: 'dimValue', value: BigInt(d) } : { case: 'dimParam', value: d },
              }),
            ),
          }),
        }),
      },
    }),
  });
}

/** An inline tensor from a typed array (little-endian raw_data). */
export function inlineTensor(
  name: string,
  dtype: DType,
  dims: number[],
  data: Float32Array | BigInt64Array | Int32Array | Uint8Array | Uint16Array | Int8Array,
): TensorProto {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
  return create(TensorProtoSchema, { name, dataType: onnxType(dtype), dims: dims.map(BigInt), rawData: bytes });
}

/** An initializer whose data lives in an external file. */
export function externalTensor(name: string, dtype: DType, dims: number[], ref: ExternalRef): TensorProto {
  return create(TensorProtoSchema, {
    name,
    dataType: onnxType(dtype),
    dims: dims.map(BigInt),
    dataLocation: DataLocation.EXTERNAL,
    externalData: [
      create(StringStringEntryProtoSchema, { key: 'location', value: ref.location }),
      create(StringStringEntryProtoSchema, { key: 'offset', value: String(ref.offset) }),
      create(StringStringEntryProtoSchema, { key: 'length', value: String(ref.length) }),
    ],
  });
}

export class GraphBuilder {
  private readonly nodes: NodeProto[] = [];
  private readonly inits = new Map<string, TensorProto>();
  private readonly inputs: ValueInfoProto[] = [];
  private readonly outputs: ValueInfoProto[] = [];
  private readonly infos: ValueInfoProto[] = [];
  private readonly usedNames = new Set<string>();
  private readonly scopes: string[] = [];
  private captures: string[][] = [];

  constructor(readonly name: string) {}

  /** Runs `fn` with node names prefixed by `prefix/`. */
  scope<T>(prefix: string, fn: () => T): T {
    this.scopes.push(prefix);
    try {
      return fn();
    } finally {
      this.scopes.pop();
    }
  }

  /** Runs `fn` and returns its result with the names of the nodes it created. */
  capture<T>(fn: () => T): { value: T; nodes: string[] } {
    const list: string[] = [];
    this.captures.push(list);
    try {
      return { value: fn(), nodes: list };
    } finally {
      this.captures.splice(this.captures.indexOf(list), 1);
    }
  }

  private uniqueName(base: string): string {
    const prefix = this.scopes.length ? `${this.scopes.join('/')}/` : '';
    let name = `${prefix}${base}`;
    for (let k = 1; this.usedNames.has(name); k++) name = `${prefix}${base}_${k}`;
    this.usedNames.add(name);
    return name;
  }

  /**
   * Adds a node. Outputs are named after the node (`<node>` for the first, `<node>:<k>` after).
   * @returns the output tensor names
   */
  node(
    opType: string,
    inputs: string[],
    attrs: Record<string, Attr> = {},
    opts: { outputs?: number; name?: string; domain?: string } = {},
  ): string[] {
    const name = this.uniqueName(opts.name ?? opType);
    const count = opts.outputs ?? 1;
    const outputs = Array.from({ length: count }, (_, k) => (k === 0 ? name : `${name}:${k}`));
    const attribute = Object.entries(attrs).map(([k, a]) =>
      create(AttributeProtoSchema, { ...(a as AttributeProto), name: k }),
    );
    this.nodes.push(
      create(NodeProtoSchema, { name, opType, domain: opts.domain ?? '', input: inputs, output: outputs, attribute }),
    );
    for (const c of this.captures) c.push(name);
    return outputs;
  }

  /** Adds a single-output node and returns its output. */
  op(opType: string, inputs: string[], attrs: Record<string, Attr> = {}, name?: string): string {
    return this.node(opType, inputs, attrs, name !== undefined ? { name } : {})[0]!;
  }

  /** Adds (or reuses) an initializer. Re-adding a name with a different definition is a bug. */
  initializer(t: TensorProto): string {
    const existing = this.inits.get(t.name);
    if (existing) {
      if (existing.dataType !== t.dataType || existing.dims.join() !== t.dims.join()) {
        throw new EdgeError('E_INTERNAL', `initializer ${t.name} defined twice with different types or shapes`);
      }
      return t.name;
    }
    this.inits.set(t.name, t);
    return t.name;
  }

  /** A small int64 constant (deduplicated by value). */
  int64s(values: number[]): string {
    const name = `const.i64[${values.join(',')}]`;
    if (!this.inits.has(name))
      this.inits.set(name, inlineTensor(name, 'int64', [values.length], BigInt64Array.from(values.map(BigInt))));
    return name;
  }

  /** An int64 scalar constant. */
  int64(value: number): string {
    const name = `const.i64:${value}`;
    if (!this.inits.has(name)) this.inits.set(name, inlineTensor(name, 'int64', [], BigInt64Array.of(BigInt(value))));
    return name;
  }

  /** A float32 scalar constant. */
  float(value: number): string {
    const name = `const.f32:${value}`;
    if (!this.inits.has(name)) this.inits.set(name, inlineTensor(name, 'float32', [], Float32Array.of(value)));
    return name;
  }

  input(name: string, dtype: DType, shape: (number | string)[]): string {
    this.inputs.push(valueInfo(name, dtype, shape));
    return name;
  }

  /** Declares `tensor` as a graph output under `name` (adding an Identity when the names differ). */
  output(tensor: string, name: string, dtype: DType, shape: (number | string)[]): string {
    const src = tensor === name ? tensor : this.node('Identity', [tensor], {}, { name })[0]!;
    if (src !== name) throw new EdgeError('E_INTERNAL', `output name ${name} is taken`);
    this.outputs.push(valueInfo(name, dtype, shape));
    return name;
  }

  /** Names of all nodes added so far. */
  get nodeCount(): number {
    return this.nodes.length;
  }

  build(): GraphProto {
    return create(GraphProtoSchema, {
      name: this.name,
      node: this.nodes,
      initializer: [...this.inits.values()],
      input: this.inputs,
      output: this.outputs,
      valueInfo: this.infos,
    });
  }
}

/** Wraps a graph in a model with the default ONNX domain at `opset` (IR version from the opset). */
export function makeModel(
  graph: GraphProto,
  opset: number,
  meta: { producer?: string; version?: string; doc?: string } = {},
): ModelProto {
  return create(ModelProtoSchema, {
    irVersion: BigInt(irVersionForOpset(opset)),
    producerName: meta.producer ?? 'ringmoe-edge',
    producerVersion: meta.version ?? '',
    docString: meta.doc ?? '',
    graph,
    opsetImport: [create(OperatorSetIdProtoSchema, { domain: '', version: BigInt(opset) })],
  });
}

/** The IR version that goes with an opset (ONNX's release table). */
export function irVersionForOpset(opset: number): number {
  if (opset <= 8) return 3;
  if (opset <= 10) return 5;
  if (opset <= 11) return 6;
  if (opset <= 14) return 7;
  if (opset <= 18) return 8;
  if (opset <= 20) return 9;
  if (opset <= 22) return 10;
  return 11;
}
