/**
 * The main-graph initializers of a model file (name, dims, data type, where their data lives),
 * read without decoding the graph's nodes (sdk/package/onnx-wire.ts): what counting parameters and
 * indexing external tensors need, at a fraction of a full decode's cost. Bytes the wire walk
 * cannot read are decoded in full, so a malformed file fails with the same E_ONNX_PARSE as readModel.
 */
import { readRegular, scanOnnxWire, type WireInitializer } from '../../sdk/internal.js';
import { decodeModel, MAX_MODEL_FILE_BYTES } from './model-io.js';
import { create, StringStringEntryProtoSchema, TensorProtoSchema, type TensorProto } from './proto.js';

/**
 * Reads the main-graph initializers of the ONNX file at `file`.
 * @param root directory the model lies in when it is part of a package (no linked directory between)
 * @throws EdgeError E_FILE_NOT_FOUND, E_PATH_UNSAFE, E_FILE_TOO_LARGE, E_ONNX_PARSE
 * @example
 * const params = (await readInitializerRecords(pkg.path('optical.onnx'), pkg.dir)).reduce((s, t) => s + elementCount(t.dims), 0);
 */
export async function readInitializerRecords(file: string, root?: string): Promise<WireInitializer[]> {
  const bytes = await readRegular(file, {
    maxBytes: MAX_MODEL_FILE_BYTES,
    label: 'ONNX model',
    ...(root !== undefined ? { root } : {}),
  });
  try {
    return scanOnnxWire(bytes).initializers;
  } catch {
    return decodeModel(bytes, file).graph!.initializer.map((t) => ({
      name: t.name,
      dims: t.dims.map(Number),
      dataType: t.dataType,
      dataLocation: t.dataLocation,
      externalData: t.externalData.map((e) => ({ key: e.key, value: e.value })),
    }));
  }
}

/** A TensorProto holding a record's metadata and no data (enough to read external data by). */
export function tensorOfRecord(r: WireInitializer): TensorProto {
  return create(TensorProtoSchema, {
    name: r.name,
    dims: r.dims.map(BigInt),
    dataType: r.dataType,
    dataLocation: r.dataLocation,
    externalData: r.externalData.map((e) => create(StringStringEntryProtoSchema, e)),
  });
}
