/**
 * What the TensorRT backend needs to know about an ONNX graph before building: its inputs (names,
 * element types, shapes with symbolic dims) and the external-data files its weights live in.
 */
import { fromBinary } from '@bufbuild/protobuf';
// onnx-buf is ESM-only: imported dynamically so the SDK's CommonJS build can load it too.
import type { GraphProto, ValueInfoProto } from 'onnx-buf';
import { EdgeError, messageOf } from '../core/errors.js';
import { readRegular } from '../core/safe-fs.js';
import { scanOnnxWire } from './onnx-wire.js';

/** One graph input. A string dim is symbolic (`N`, `batch`), `null` unknown. */
export interface OnnxInput {
  name: string;
  /** ONNX TensorProto.DataType number (1 = float, 10 = float16, 7 = int64, ...). */
  elemType: number;
  shape: (number | string | null)[];
}

/** Inputs (without initializers) and external-data locations of a graph. */
export interface OnnxInfo {
  inputs: OnnxInput[];
  externalData: string[];
  bytes: Uint8Array;
}

function collectExternal(graph: GraphProto | undefined, out: Set<string>): void {
  if (!graph) return;
  for (const t of graph.initializer) {
    const loc = t.externalData.find((e) => e.key === 'location');
    if (loc) out.add(loc.value);
  }
  for (const node of graph.node) {
    for (const attr of node.attribute) {
      collectExternal(attr.g, out);
      for (const g of attr.graphs) collectExternal(g, out);
    }
  }
}

function inputOf(v: ValueInfoProto): OnnxInput {
  const t = v.type?.value.case === 'tensorType' ? v.type.value.value : undefined;
  const dims = t?.shape?.dim ?? [];
  return {
    name: v.name,
    elemType: t?.elemType ?? 0,
    shape: dims.map((d) =>
      d.value.case === 'dimValue' ? Number(d.value.value) : d.value.case === 'dimParam' ? d.value.value : null,
    ),
  };
}

/** Reads an ONNX file's bytes: a regular file, not a link, at most 2 GiB. */
function readGraphBytes(path: string, root?: string): Promise<Buffer> {
  return readRegular(path, {
    maxBytes: 2 * 1024 * 1024 * 1024 - 1,
    label: 'ONNX graph',
    ...(root !== undefined ? { root } : {}),
  });
}

/**
 * Reads and parses an ONNX file (a regular file, not a link, at most 2 GiB).
 * @param root directory the graph lies in, when no directory between it and the file may be a link
 * @throws EdgeError E_FILE_NOT_FOUND, E_PATH_UNSAFE, E_FILE_TOO_LARGE, E_ONNX_PARSE
 */
export async function readOnnxInfo(path: string, root?: string): Promise<OnnxInfo> {
  return decodeOnnxInfo(await readGraphBytes(path, root), path);
}

/**
 * The external-data locations an ONNX file names, without decoding its nodes (see onnx-wire.ts):
 * those of every tensor, a superset of {@link readOnnxInfo}'s initializer locations. Bytes the wire
 * walk cannot read are decoded in full, so a malformed file fails as readOnnxInfo fails.
 * @throws EdgeError E_FILE_NOT_FOUND, E_PATH_UNSAFE, E_FILE_TOO_LARGE, E_ONNX_PARSE
 */
export async function readExternalDataLocations(path: string, root?: string): Promise<string[]> {
  const bytes = await readGraphBytes(path, root);
  try {
    return scanOnnxWire(bytes).externalData;
  } catch {
    return (await decodeOnnxInfo(bytes, path)).externalData;
  }
}

async function decodeOnnxInfo(bytes: Buffer, path: string): Promise<OnnxInfo> {
  try {
    const { ModelProtoSchema } = await import('onnx-buf');
    const model = fromBinary(ModelProtoSchema, bytes);
    const initializers = new Set(model.graph?.initializer.map((t) => t.name) ?? []);
    const external = new Set<string>();
    collectExternal(model.graph, external);
    return {
      inputs: (model.graph?.input ?? []).filter((v) => !initializers.has(v.name)).map(inputOf),
      externalData: [...external],
      bytes,
    };
  } catch (err) {
    throw new EdgeError('E_ONNX_PARSE', `not a readable ONNX model: ${messageOf(err)}`, { file: path });
  }
}
