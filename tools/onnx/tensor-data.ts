/**
 * Reading a tensor's bytes wherever they live: raw_data, the typed repeated fields, or ONNX
 * external data (read lazily, one tensor at a time, from the file named by `location`).
 */
import type { FileHandle } from 'node:fs/promises';
import { isAbsolute, join, normalize, sep } from 'node:path';
import { EdgeError } from '../../sdk/internal.js';
import { openRegular } from '../../sdk/internal.js';
import { DataLocation, DataType, bytesPerElement, elementCount, typeName, type TensorProto } from './proto.js';

export interface ExternalDataInfo {
  location: string;
  offset: number;
  /** Byte length; when absent the tensor's size from dims and type is used. */
  length?: number;
  checksum?: string;
}

/** A decimal integer in 0..2^53-1 (what onnxruntime accepts: digits only, no sign, no exponent). */
function byteCount(tensor: string, key: string, value: string, file?: string): number {
  const n = /^[0-9]{1,16}$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n)) {
    throw new EdgeError(
      'E_EXTERNAL_DATA',
      `tensor ${tensor}: external data ${key} ${JSON.stringify(value.slice(0, 40))} is not a non-negative integer`,
      {
        ...(file !== undefined ? { file } : {}),
        field: `external_data.${key}`,
      },
    );
  }
  return n;
}

/**
 * The external-data entries of a tensor, or undefined if its data is inline.
 * @throws EdgeError E_EXTERNAL_DATA when `offset` or `length` is not a non-negative integer
 */
export function externalInfo(t: TensorProto, file?: string): ExternalDataInfo | undefined {
  if (t.dataLocation !== DataLocation.EXTERNAL) return undefined;
  const kv = new Map(t.externalData.map((e) => [e.key, e.value]));
  const location = kv.get('location') ?? '';
  const offset = kv.get('offset');
  const info: ExternalDataInfo = {
    location,
    offset: offset === undefined ? 0 : byteCount(t.name, 'offset', offset, file),
  };
  const length = kv.get('length');
  if (length !== undefined) info.length = byteCount(t.name, 'length', length, file);
  const checksum = kv.get('checksum');
  if (checksum !== undefined) info.checksum = checksum;
  return info;
}

/** Size in bytes the tensor's data has, from its dims and element type (0 for strings). */
export function tensorByteLength(t: TensorProto): number {
  return elementCount(t.dims) * bytesPerElement(t.dataType);
}

/**
 * Checks that an external-data location is a relative path that stays inside the model's
 * directory (the ONNX checker's rule too).
 */
export function safeExternalPath(baseDir: string, location: string, where: { file?: string; tensor: string }): string {
  const norm = normalize(location);
  if (
    !location ||
    isAbsolute(location) ||
    norm === '..' ||
    norm.startsWith(`..${sep}`) ||
    norm.includes(`${sep}..${sep}`)
  ) {
    throw new EdgeError(
      'E_EXTERNAL_DATA',
      `tensor ${where.tensor}: external data location ${JSON.stringify(location)} is not a relative path inside the model directory`,
      {
        ...(where.file !== undefined ? { file: where.file } : {}),
      },
    );
  }
  return join(baseDir, norm);
}

/** Little-endian bytes of the typed repeated fields (float_data, int32_data, ...). */
function typedFieldBytes(t: TensorProto): Uint8Array {
  const n = elementCount(t.dims);
  const bpe = bytesPerElement(t.dataType);
  const out = new Uint8Array(n * bpe);
  const view = new DataView(out.buffer);
  switch (t.dataType) {
    case DataType.FLOAT:
      t.floatData.forEach((v, i) => view.setFloat32(i * 4, v, true));
      break;
    case DataType.DOUBLE:
      t.doubleData.forEach((v, i) => view.setFloat64(i * 8, v, true));
      break;
    case DataType.INT64:
      t.int64Data.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
      break;
    case DataType.UINT64:
      t.uint64Data.forEach((v, i) => view.setBigUint64(i * 8, BigInt(v), true));
      break;
    case DataType.INT32:
    case DataType.UINT32:
      t.int32Data.forEach((v, i) => view.setInt32(i * 4, v, true));
      break;
    case DataType.FLOAT16:
    case DataType.BFLOAT16:
    case DataType.INT16:
    case DataType.UINT16:
      t.int32Data.forEach((v, i) => view.setUint16(i * 2, v & 0xffff, true));
      break;
    case DataType.INT8:
    case DataType.UINT8:
    case DataType.BOOL:
      t.int32Data.forEach((v, i) => view.setUint8(i, v & 0xff));
      break;
    default:
      if (n > 0)
        throw new EdgeError(
          'E_ONNX_INVALID',
          `tensor ${t.name}: element type ${typeName(t.dataType)} in typed fields is not supported`,
        );
  }
  return out;
}

/**
 * Reads external data through a small cache of open file handles. Call `close()` when done.
 */
export class ExternalDataReader {
  private readonly handles = new Map<string, Promise<FileHandle>>();

  /** @param baseDir directory external locations are relative to (the model file's directory) */
  constructor(
    readonly baseDir: string,
    readonly modelFile?: string,
  ) {}

  /** Bytes of tensor `t` (inline or external). */
  async read(t: TensorProto): Promise<Uint8Array> {
    const ext = externalInfo(t, this.modelFile);
    if (!ext) return inlineBytes(t);
    const where = { ...(this.modelFile !== undefined ? { file: this.modelFile } : {}), tensor: t.name };
    const path = safeExternalPath(this.baseDir, ext.location, where);
    const length = ext.length ?? tensorByteLength(t);
    const expected = tensorByteLength(t);
    if (expected > 0 && length !== expected) {
      throw new EdgeError(
        'E_EXTERNAL_DATA',
        `tensor ${t.name}: external length ${length} bytes but dims ${t.dims.join('x')} of ${typeName(t.dataType)} need ${expected}`,
        {
          ...(this.modelFile !== undefined ? { file: this.modelFile } : {}),
        },
      );
    }
    const fh = await this.handle(path, ext.location);
    const { size } = await fh.stat();
    if (ext.offset + length > size) {
      throw new EdgeError(
        'E_EXTERNAL_DATA',
        `tensor ${t.name}: needs bytes ${ext.offset}..${ext.offset + length} of ${ext.location} but the file has ${size} bytes (truncated?)`,
        {
          file: path,
        },
      );
    }
    const buf = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await fh.read(buf, done, length - done, ext.offset + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    if (done !== length)
      throw new EdgeError('E_EXTERNAL_DATA', `tensor ${t.name}: short read from ${ext.location}`, { file: path });
    return buf;
  }

  private handle(path: string, location: string): Promise<FileHandle> {
    let h = this.handles.get(path);
    if (!h) {
      // No link anywhere below the model's directory, and only a regular file (onnxruntime's rule).
      h = openRegular(path, {
        root: this.baseDir,
        label: `external data file ${location}`,
        missingCode: 'E_EXTERNAL_DATA',
      }).catch((err: unknown) => {
        this.handles.delete(path);
        throw err;
      });
      this.handles.set(path, h);
    }
    return h;
  }

  async close(): Promise<void> {
    const all = [...this.handles.values()];
    this.handles.clear();
    await Promise.all(all.map(async (h) => (await h.catch(() => undefined))?.close()));
  }
}

/** Bytes of an inline tensor (raw_data or typed fields). */
export function inlineBytes(t: TensorProto): Uint8Array {
  if (t.rawData.length > 0 || tensorByteLength(t) === 0) return t.rawData;
  return typedFieldBytes(t);
}

/** A typed-array view of little-endian tensor bytes (copies when unaligned). */
export function asTypedArray(
  bytes: Uint8Array,
  dataType: number,
): Float32Array | Float64Array | Int32Array | BigInt64Array | Uint16Array | Int8Array | Uint8Array {
  const aligned = (n: number) => (bytes.byteOffset % n === 0 ? bytes : bytes.slice());
  switch (dataType) {
    case DataType.FLOAT: {
      const b = aligned(4);
      return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
    }
    case DataType.DOUBLE: {
      const b = aligned(8);
      return new Float64Array(b.buffer, b.byteOffset, b.byteLength / 8);
    }
    case DataType.INT32: {
      const b = aligned(4);
      return new Int32Array(b.buffer, b.byteOffset, b.byteLength / 4);
    }
    case DataType.INT64: {
      const b = aligned(8);
      return new BigInt64Array(b.buffer, b.byteOffset, b.byteLength / 8);
    }
    case DataType.FLOAT16:
    case DataType.BFLOAT16:
    case DataType.UINT16:
    case DataType.INT16: {
      const b = aligned(2);
      return new Uint16Array(b.buffer, b.byteOffset, b.byteLength / 2);
    }
    case DataType.INT8:
      return new Int8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    default:
      return bytes;
  }
}
