/**
 * Tiny checkpoint writers for tests: MindSpore .ckpt (protobuf, with optional splitting of large
 * tensors into several Values with the same tag) and safetensors, from float32 data encoded to
 * the requested dtype (float16 and bfloat16 round to nearest even).
 */
import { writeFileSync } from 'node:fs';
import { floatToHalf } from '../../sdk/core/float16.js';

export type TestDType = 'float32' | 'float16' | 'bfloat16' | 'int32';

export interface TestTensor {
  name: string;
  dims: number[];
  data: Float32Array;
  dtype?: TestDType;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 → bfloat16 bits, round to nearest even (NaN kept). */
export function floatToBf16(v: number): number {
  f32[0] = v;
  const x = u32[0]!;
  if ((x & 0x7fffffff) > 0x7f800000) return (x >>> 16) | 0x40;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

/** Little-endian bytes of `data` as `dtype`. */
export function encode(data: Float32Array, dtype: TestDType): Uint8Array {
  if (dtype === 'float32') return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
  if (dtype === 'int32') return new Uint8Array(Int32Array.from(data, Math.round).buffer);
  const out = new Uint16Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = dtype === 'float16' ? floatToHalf(data[i]!) : floatToBf16(data[i]!);
  return new Uint8Array(out.buffer);
}

function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 128) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

function field(num: number, payload: Uint8Array): Uint8Array[] {
  return [Uint8Array.from([...varint((num << 3) | 2), ...varint(payload.length)]), payload];
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const MS_TYPE: Record<TestDType, string> = {
  float32: 'Float32',
  float16: 'Float16',
  bfloat16: 'BFloat16',
  int32: 'Int32',
};

/** One `Value` message (tag + TensorProto), dims written unpacked or packed. */
export function ckptValue(
  tag: string,
  dims: number[],
  typeName: string,
  content: Uint8Array,
  packedDims = false,
): Uint8Array {
  const dimParts = packedDims
    ? field(1, Uint8Array.from(dims.flatMap(varint)))
    : dims.map((d) => Uint8Array.from([0x08, ...varint(d)]));
  const tensor = concat([...dimParts, ...field(2, new TextEncoder().encode(typeName)), ...field(3, content)]);
  return concat(field(1, concat([...field(1, new TextEncoder().encode(tag)), ...field(2, tensor)])));
}

/**
 * Bytes of a MindSpore checkpoint. A tensor whose dim 0 is over `splitRows` is written as several
 * Values of at most `splitRows` rows each (the way MindSpore splits tensors over 512 MiB).
 */
export function ckptBytes(tensors: TestTensor[], o: { splitRows?: number; packedDims?: boolean } = {}): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const t of tensors) {
    const dtype = t.dtype ?? 'float32';
    const bytes = encode(t.data, dtype);
    const rows = t.dims[0] ?? 1;
    const split = o.splitRows !== undefined && t.dims.length > 0 && rows > o.splitRows ? o.splitRows : rows;
    const rowBytes = rows > 0 ? bytes.length / rows : 0;
    for (let r = 0; r < Math.max(rows, 1); r += split) {
      const n = Math.min(split, rows - r);
      const dims = t.dims.length ? [n, ...t.dims.slice(1)] : [];
      parts.push(
        ckptValue(t.name, dims, MS_TYPE[dtype], bytes.subarray(r * rowBytes, (r + n) * rowBytes), o.packedDims),
      );
      if (t.dims.length === 0) break;
    }
  }
  return concat(parts);
}

export function writeCkpt(
  path: string,
  tensors: TestTensor[],
  o: { splitRows?: number; packedDims?: boolean } = {},
): void {
  writeFileSync(path, ckptBytes(tensors, o));
}

const ST_TYPE: Record<TestDType, string> = { float32: 'F32', float16: 'F16', bfloat16: 'BF16', int32: 'I32' };

/** Bytes of a safetensors file (header padded to 8 bytes with spaces, as the reference writer does). */
export function safetensorsBytes(tensors: TestTensor[], metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = metadata ? { __metadata__: metadata } : {};
  const blobs: Uint8Array[] = [];
  let offset = 0;
  for (const t of tensors) {
    const dtype = t.dtype ?? 'float32';
    const b = encode(t.data, dtype);
    header[t.name] = { dtype: ST_TYPE[dtype], shape: t.dims, data_offsets: [offset, offset + b.length] };
    blobs.push(b);
    offset += b.length;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const head = new Uint8Array(8);
  new DataView(head.buffer).setBigUint64(0, BigInt(json.length), true);
  return concat([head, new TextEncoder().encode(json), ...blobs]);
}

export function writeSafetensors(path: string, tensors: TestTensor[], metadata?: Record<string, string>): void {
  writeFileSync(path, safetensorsBytes(tensors, metadata));
}
