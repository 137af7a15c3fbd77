/**
 * NumPy `.npy` files (format versions 1–3), the simplest way to hand preprocessed tensors between
 * Python and this toolchain: little-endian float32 or float64, C order.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { EdgeError, messageOf } from '../../sdk/internal.js';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** A float32 array read from a .npy file. */
export interface NpyArray {
  shape: number[];
  data: Float32Array;
}

/**
 * Reads a `.npy` file as float32 (float64 is converted).
 * @throws EdgeError E_FILE_NOT_FOUND, E_FRAME_DECODE (not .npy, other dtype, Fortran order, truncated)
 */
export async function readNpy(file: string): Promise<NpyArray> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    throw new EdgeError('E_FILE_NOT_FOUND', `cannot read ${messageOf(err)}`, { file, cause: err });
  }
  const bad = (why: string) => new EdgeError('E_FRAME_DECODE', `not a usable .npy tensor: ${why}`, { file });
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b))
    throw bad('the file does not start with the .npy magic');
  const major = bytes[6]!;
  const headerLen = major === 1 ? bytes.readUInt16LE(8) : bytes.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = bytes.subarray(start, start + headerLen).toString('latin1');
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined) throw bad('malformed header');
  if (fortran === 'True') throw bad('Fortran-ordered arrays are not supported (save with np.ascontiguousarray)');
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const body = bytes.subarray(start + headerLen);
  let data: Float32Array;
  if (descr === '<f4') {
    if (body.length < count * 4) throw bad(`truncated: ${body.length} data bytes for shape (${shape.join(', ')})`);
    data = new Float32Array(count);
    new Uint8Array(data.buffer).set(body.subarray(0, count * 4));
  } else if (descr === '<f8') {
    if (body.length < count * 8) throw bad(`truncated: ${body.length} data bytes for shape (${shape.join(', ')})`);
    const copy = new Float64Array(count);
    new Uint8Array(copy.buffer).set(body.subarray(0, count * 8));
    data = Float32Array.from(copy);
  } else throw bad(`dtype ${descr} (expected little-endian float32 '<f4' or float64 '<f8')`);
  return { shape, data };
}

/** Writes a float32 `.npy` file (version 1). */
export async function writeNpy(file: string, shape: number[], data: Float32Array): Promise<void> {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  header += ' '.repeat(pad % 64) + '\n';
  const head = Buffer.alloc(10);
  MAGIC.forEach((b, i) => (head[i] = b));
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  await writeFile(
    file,
    Buffer.concat([head, Buffer.from(header, 'latin1'), Buffer.from(data.buffer, data.byteOffset, data.byteLength)]),
  );
}
