/**
 * What the package checks need from an ONNX model, read from its protobuf bytes at the wire level
 * instead of decoding it: the initializers of its main graph (name, dims, data type and where
 * their data lives) and every external-data location a tensor anywhere in it names. A full decode builds an object for each of
 * thousands of nodes (30–50 ms for a 2,600-node graph on a 2-core VM); this walk steps over them.
 *
 * The walk follows protobuf's rules as ONNX Runtime's C++ parser applies them: a message field that
 * occurs more than once is merged (every occurrence is walked), a known field carrying another wire
 * type is an unknown field (skipped), repeated int64 dims may be packed or not, unknown fields and
 * groups are skipped. Bytes it cannot walk (truncated, a bad wire type, nesting deeper than
 * {@link MAX_GRAPH_DEPTH}) throw {@link OnnxWireError}: callers then decode the model in full, so
 * malformed input is judged exactly as before.
 */

/**
 * Graphs inside node attributes inside graphs … deeper than this are not walked: each level is at
 * least three nested messages, and protobuf's C++ parser (ONNX Runtime's) stops at 100 by default.
 */
export const MAX_GRAPH_DEPTH = 32;

/** Groups (an obsolete protobuf encoding ONNX never uses) nested deeper than this are not skipped. */
const MAX_GROUP_DEPTH = 100;

/** Bytes the wire walk cannot read. */
export class OnnxWireError extends Error {}

/** One initializer of the main graph. */
export interface WireInitializer {
  name: string;
  dims: number[];
  /** TensorProto.DataType number (1 = float, ...). */
  dataType: number;
  /** TensorProto.DataLocation number (1 = external). */
  dataLocation: number;
  /** The external_data key/value entries, in order. */
  externalData: { key: string; value: string }[];
}

/** The main graph's initializers and the external-data locations of every tensor of the model. */
export interface WireScan {
  initializers: WireInitializer[];
  /** Distinct `location` values of external_data entries, in order of appearance. */
  externalData: string[];
}

const VARINT = 0;
const I64 = 1;
const LEN = 2;
const SGROUP = 3;
const EGROUP = 4;
const I32 = 5;

// Field numbers of onnx.proto.
const MODEL_GRAPH = 7;
const GRAPH_NODE = 1;
const GRAPH_INITIALIZER = 5;
const GRAPH_SPARSE_INITIALIZER = 15;
const NODE_ATTRIBUTE = 5;
const ATTR_T = 5;
const ATTR_G = 6;
const ATTR_TENSORS = 10;
const ATTR_GRAPHS = 11;
const ATTR_SPARSE_TENSOR = 22;
const ATTR_SPARSE_TENSORS = 23;
const SPARSE_VALUES = 1;
const SPARSE_INDICES = 2;
const TENSOR_DIMS = 1;
const TENSOR_DATA_TYPE = 2;
const TENSOR_NAME = 8;
const TENSOR_EXTERNAL_DATA = 13;
const TENSOR_DATA_LOCATION = 14;
const ENTRY_KEY = 1;
const ENTRY_VALUE = 2;

const utf8 = new TextDecoder();

/** A cursor over one message's bytes, [pos, end). */
class Cursor {
  constructor(
    readonly buf: Uint8Array,
    public pos: number,
    readonly end: number,
  ) {}

  more(): boolean {
    return this.pos < this.end;
  }

  /** An unsigned varint as a number (exact below 2^53). */
  varint(): number {
    if (this.pos < this.end && this.buf[this.pos]! < 0x80) return this.buf[this.pos++]!;
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new OnnxWireError('truncated varint');
      const b = this.buf[this.pos++]!;
      value += (b & 0x7f) * scale;
      if (b < 0x80) return value;
      scale *= 128;
    }
    throw new OnnxWireError('varint longer than 10 bytes');
  }

  /** A two's-complement int64 varint as a number. */
  int64(): number {
    const v = this.varint();
    return v >= 2 ** 63 ? v - 2 ** 64 : v;
  }

  /** A field's key: field number × 8 + wire type (read both with {@link fieldOf}, {@link wireOf}). */
  key(): number {
    const k = this.varint();
    if (k < 8 || k > 0xffffffff) throw new OnnxWireError(`field key ${k}`);
    return k;
  }

  /** A length-delimited payload: its length, checked against the message's end. */
  length(): number {
    const n = this.varint();
    if (n > this.end - this.pos) throw new OnnxWireError('length past the end of its message');
    return n;
  }

  /** A length-delimited field's payload as a cursor of its own; this cursor moves past it. */
  sub(): Cursor {
    const n = this.length();
    const c = new Cursor(this.buf, this.pos, this.pos + n);
    this.pos += n;
    return c;
  }

  string(): string {
    const n = this.length();
    this.pos += n;
    return utf8.decode(this.buf.subarray(this.pos - n, this.pos));
  }

  /** Steps over a field of wire type `wire` (a group up to its matching end). */
  skip(wire: number, field: number, groups = 0): void {
    switch (wire) {
      case VARINT:
        this.varint();
        return;
      case I64:
        this.advance(8);
        return;
      case I32:
        this.advance(4);
        return;
      case LEN: {
        // Not `pos += length()`: that would add to the position before the length was read.
        const n = this.length();
        this.pos += n;
        return;
      }
      case SGROUP:
        if (groups >= MAX_GROUP_DEPTH) throw new OnnxWireError(`groups nested deeper than ${MAX_GROUP_DEPTH}`);
        for (;;) {
          if (!this.more()) throw new OnnxWireError('unterminated group');
          const k = this.key();
          if (wireOf(k) === EGROUP) {
            if (fieldOf(k) !== field) throw new OnnxWireError('mismatched end of group');
            return;
          }
          this.skip(wireOf(k), fieldOf(k), groups + 1);
        }
      default:
        throw new OnnxWireError(`wire type ${wire}`);
    }
  }

  private advance(n: number): void {
    if (n > this.end - this.pos) throw new OnnxWireError('fixed-width field past the end of its message');
    this.pos += n;
  }
}

const fieldOf = (key: number) => key >>> 3;
const wireOf = (key: number) => key & 7;

/** The bit of each field number in `fields`' mask of wanted fields (all below 32). */
const bit = (...fieldNumbers: number[]) => fieldNumbers.reduce((m, f) => m | (1 << f), 0);

/**
 * Calls `on(field, payload)` for each length-delimited field of the message whose number is in
 * `wanted` (a {@link bit} mask); steps over every other field without a cursor for it.
 */
function fields(c: Cursor, wanted: number, on: (field: number, payload: Cursor) => void): void {
  while (c.more()) {
    const k = c.key();
    const field = fieldOf(k);
    const wire = wireOf(k);
    if (wire === LEN && field < 32 && (wanted >>> field) & 1) on(field, c.sub());
    else if (wire === EGROUP) throw new OnnxWireError('end of group outside a group');
    else c.skip(wire, field);
  }
}

const MODEL_FIELDS = bit(MODEL_GRAPH);
const GRAPH_FIELDS = bit(GRAPH_NODE, GRAPH_INITIALIZER, GRAPH_SPARSE_INITIALIZER);
const NODE_FIELDS = bit(NODE_ATTRIBUTE);
const ATTR_FIELDS = bit(ATTR_T, ATTR_G, ATTR_TENSORS, ATTR_GRAPHS, ATTR_SPARSE_TENSOR, ATTR_SPARSE_TENSORS);
const SPARSE_FIELDS = bit(SPARSE_VALUES, SPARSE_INDICES);
const ENTRY_FIELDS = bit(ENTRY_KEY, ENTRY_VALUE);

class Scan {
  readonly initializers: WireInitializer[] = [];
  readonly locations = new Set<string>();

  tensor(c: Cursor, top: boolean): void {
    const t: WireInitializer = { name: '', dims: [], dataType: 0, dataLocation: 0, externalData: [] };
    while (c.more()) {
      const k = c.key();
      const field = fieldOf(k);
      const wire = wireOf(k);
      if (field === TENSOR_DIMS && wire === VARINT) t.dims.push(c.int64());
      else if (field === TENSOR_DIMS && wire === LEN) {
        const packed = c.sub();
        while (packed.more()) t.dims.push(packed.int64());
      } else if (field === TENSOR_DATA_TYPE && wire === VARINT) t.dataType = c.int64();
      else if (field === TENSOR_DATA_LOCATION && wire === VARINT) t.dataLocation = c.int64();
      else if (field === TENSOR_NAME && wire === LEN) t.name = c.string();
      else if (field === TENSOR_EXTERNAL_DATA && wire === LEN) t.externalData.push(this.entry(c.sub()));
      else if (wire === EGROUP) throw new OnnxWireError('end of group outside a group');
      else c.skip(wire, field);
    }
    if (top) this.initializers.push(t);
  }

  entry(c: Cursor): { key: string; value: string } {
    const e = { key: '', value: '' };
    fields(c, ENTRY_FIELDS, (field, p) => {
      const text = utf8.decode(p.buf.subarray(p.pos, p.end));
      if (field === ENTRY_KEY) e.key = text;
      else e.value = text;
    });
    if (e.key === 'location') this.locations.add(e.value);
    return e;
  }

  sparse(c: Cursor): void {
    fields(c, SPARSE_FIELDS, (_field, p) => this.tensor(p, false));
  }

  graph(c: Cursor, depth: number): void {
    if (depth > MAX_GRAPH_DEPTH) throw new OnnxWireError(`graphs nested deeper than ${MAX_GRAPH_DEPTH}`);
    fields(c, GRAPH_FIELDS, (field, p) => {
      if (field === GRAPH_INITIALIZER) this.tensor(p, depth === 0);
      else if (field === GRAPH_SPARSE_INITIALIZER) this.sparse(p);
      else fields(p, NODE_FIELDS, (_f, a) => this.attribute(a, depth));
    });
  }

  attribute(c: Cursor, depth: number): void {
    fields(c, ATTR_FIELDS, (field, p) => {
      if (field === ATTR_T || field === ATTR_TENSORS) this.tensor(p, false);
      else if (field === ATTR_G || field === ATTR_GRAPHS) this.graph(p, depth + 1);
      else this.sparse(p);
    });
  }
}

/**
 * Walks a serialized ModelProto: the main graph's initializers, and the external-data locations
 * of every tensor (initializers, sparse initializers and tensor attributes, in the main graph and
 * in every subgraph).
 * @throws OnnxWireError where the bytes cannot be walked (decode in full to judge them)
 * @example
 * const { externalData } = scanOnnxWire(await readFile('model.onnx'));
 */
export function scanOnnxWire(bytes: Uint8Array): WireScan {
  const scan = new Scan();
  fields(new Cursor(bytes, 0, bytes.length), MODEL_FIELDS, (_field, p) => scan.graph(p, 0));
  return { initializers: scan.initializers, externalData: [...scan.locations] };
}
