/**
 * The names and dims of a model file's main-graph initializers, read without decoding the graph's
 * nodes (sdk/package/onnx-wire.ts): what counting parameters needs, at a fraction of a full
 * decode's cost. Bytes the wire walk cannot read are decoded in full, so a malformed file fails
 * with the same E_ONNX_PARSE as readModel.
 */
import { readRegular, scanOnnxWire, type WireInitializer } from '../../sdk/internal.js';
import { decodeModel, MAX_MODEL_FILE_BYTES } from './model-io.js';

/**
 * Reads the main-graph initializers (name, dims) of the ONNX file at `file`.
 * @param root directory the model lies in when it is part of a package (no linked directory between)
 * @throws EdgeError E_FILE_NOT_FOUND, E_PATH_UNSAFE, E_FILE_TOO_LARGE, E_ONNX_PARSE
 * @example
 * const params = (await readInitializerShapes(pkg.path('optical.onnx'), pkg.dir)).reduce((s, t) => s + elementCount(t.dims), 0);
 */
export async function readInitializerShapes(file: string, root?: string): Promise<WireInitializer[]> {
  const bytes = await readRegular(file, {
    maxBytes: MAX_MODEL_FILE_BYTES,
    label: 'ONNX model',
    ...(root !== undefined ? { root } : {}),
  });
  try {
    return scanOnnxWire(bytes).initializers;
  } catch {
    return decodeModel(bytes, file).graph!.initializer.map((t) => ({ name: t.name, dims: t.dims.map(Number) }));
  }
}
