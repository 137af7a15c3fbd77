/**
 * NumPy arrays of any common numeric dtype from `.npy` bytes and `.npz` archives (zip files of
 * `.npy` members, stored or deflated, as `np.savez` and `np.savez_compressed` write them), for
 * feeding raw tensors to imported models. Values come back as float32, or int64 for integer
 * tensors that an int64 input will read.
 */
import { inflateRawSync } from 'node:zlib';
import { EdgeError } from '../../sdk/internal.js';

/** A numeric array read from NumPy bytes. */
export interface NumpyArray {
  shape: number[];
  /** NumPy dtype string, e.g. `<f4`, `|u1`, `<i8`. */
  descr: string;
  /** The values as float64 numbers (exact for every dtype read here except huge int64s). */
  values: Float64Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

const READERS: Record<string, { size: number; read: (v: DataView, o: number) => number }> = {
  '<f4': { size: 4, read: (v, o) => v.getFloat32(o, true) },
  '<f8': { size: 8, read: (v, o) => v.getFloat64(o, true) },
  '<f2': { size: 2, read: (v, o) => half(v.getUint16(o, true)) },
  '|u1': { size: 1, read: (v, o) => v.getUint8(o) },
  '|i1': { size: 1, read: (v, o) => v.getInt8(o) },
  '|b1': { size: 1, read: (v, o) => v.getUint8(o) },
  '<u2': { size: 2, read: (v, o) => v.getUint16(o, true) },
  '<i2': { size: 2, read: (v, o) => v.getInt16(o, true) },
  '<u4': { size: 4, read: (v, o) => v.getUint32(o, true) },
  '<i4': { size: 4, read: (v, o) => v.getInt32(o, true) },
  '<i8': { size: 8, read: (v, o) => Number(v.getBigInt64(o, true)) },
  '<u8': { size: 8, read: (v, o) => Number(v.getBigUint64(o, true)) },
};

function half(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/**
 * Parses `.npy` bytes.
 * @param name the file (and member) for messages
 * @throws EdgeError E_CALIBRATION when the bytes are not a C-ordered little-endian numeric array
 */
export function parseNpy(bytes: Uint8Array, name: string): NumpyArray {
  const bad = (why: string) => new EdgeError('E_CALIBRATION', `not a usable .npy array: ${why}`, { file: name });
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw bad('it does not start with the .npy magic');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6]!;
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  const header = Buffer.from(bytes.subarray(start, start + headerLen)).toString('latin1');
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined) throw bad('malformed header');
  if (fortran === 'True') throw bad('Fortran-ordered arrays are not supported (save with np.ascontiguousarray)');
  const reader = READERS[descr === '<b1' ? '|b1' : descr];
  if (!reader)
    throw bad(`dtype ${descr} is not a little-endian numeric type (float16/32/64, int8…int64, uint8…uint64, bool)`);
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw bad(`shape (${shapeText}) is malformed`);
  const count = shape.reduce((a, b) => a * b, 1);
  const offset = start + headerLen;
  if (bytes.length - offset < count * reader.size)
    throw bad(`truncated: ${bytes.length - offset} data bytes for shape (${shape.join(', ')}) of ${descr}`);
  const values = new Float64Array(count);
  for (let i = 0; i < count; i++) values[i] = reader.read(view, offset + i * reader.size);
  return { shape, descr, values };
}

/**
 * The `.npy` members of an `.npz` archive, by array name (member name without `.npy`), as bytes to
 * parse with {@link parseNpy} (only the arrays used are parsed: an archive may also hold strings).
 * @throws EdgeError E_CALIBRATION when the archive is malformed or uses another compression
 */
export function npzMembers(bytes: Uint8Array, name: string): Map<string, Uint8Array> {
  const bad = (why: string) => new EdgeError('E_CALIBRATION', `not a usable .npz archive: ${why}`, { file: name });
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // End of central directory: the last 0x06054b50 record (a comment may follow it).
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 65535); i--) {
    if (view.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw bad('no zip end-of-directory record');
  let entries = view.getUint16(eocd + 10, true);
  let dir = view.getUint32(eocd + 16, true);
  let dirSize = view.getUint32(eocd + 12, true);
  // ZIP64 (np.savez writes it for large members): the locator sits right before the end record.
  if ((entries === 0xffff || dir === 0xffffffff) && eocd >= 20 && view.getUint32(eocd - 20, true) === 0x07064b50) {
    const z = Number(view.getBigUint64(eocd - 12, true));
    entries = Number(view.getBigUint64(z + 32, true));
    dirSize = Number(view.getBigUint64(z + 40, true));
    dir = Number(view.getBigUint64(z + 48, true));
  }
  if (dir + dirSize > bytes.length) throw bad('its central directory lies beyond the end of the file');
  const out = new Map<string, Uint8Array>();
  let p = dir;
  for (let k = 0; k < entries; k++) {
    if (view.getUint32(p, true) !== 0x02014b50) throw bad('a central directory record is malformed');
    const method = view.getUint16(p + 10, true);
    let compressed = view.getUint32(p + 20, true);
    const nameLen = view.getUint16(p + 28, true);
    const extraLen = view.getUint16(p + 30, true);
    const commentLen = view.getUint16(p + 32, true);
    let local = view.getUint32(p + 42, true);
    const member = Buffer.from(bytes.subarray(p + 46, p + 46 + nameLen)).toString('utf8');
    // ZIP64 extra field: 64-bit sizes and offset for the fields that overflowed.
    for (let e = p + 46 + nameLen; e < p + 46 + nameLen + extraLen;) {
      const id = view.getUint16(e, true);
      const size = view.getUint16(e + 2, true);
      if (id === 0x0001) {
        let q = e + 4;
        if (view.getUint32(p + 24, true) === 0xffffffff) q += 8;
        if (compressed === 0xffffffff) ((compressed = Number(view.getBigUint64(q, true))), (q += 8));
        if (local === 0xffffffff) local = Number(view.getBigUint64(q, true));
      }
      e += 4 + size;
    }
    p += 46 + nameLen + extraLen + commentLen;
    if (!member.endsWith('.npy')) continue;
    if (view.getUint32(local, true) !== 0x04034b50) throw bad(`member ${member} has no local header`);
    const dataStart = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
    const raw = bytes.subarray(dataStart, dataStart + compressed);
    let body: Uint8Array;
    if (method === 0) body = raw;
    else if (method === 8) {
      try {
        body = inflateRawSync(raw);
      } catch (err) {
        throw bad(`member ${member} does not inflate: ${(err as Error).message}`);
      }
    } else throw bad(`member ${member} uses zip compression method ${method} (only stored and deflated are read)`);
    out.set(member.slice(0, -4), body);
  }
  if (out.size === 0) throw bad('it holds no .npy members');
  return out;
}
