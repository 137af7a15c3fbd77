/**
 * Element types a checkpoint may hold and their decoding to float32. MindSpore names them
 * `Float32`, `Float16`, `BFloat16`, `Int32`, `Int64`; safetensors `F32`, `F16`, `BF16`, `I32`, `I64`.
 */
import { halfToFloat } from '../../sdk/internal.js';

export type CheckpointDType = 'float32' | 'float16' | 'bfloat16' | 'int32' | 'int64';

export const DTYPE_BYTES: Record<CheckpointDType, number> = { float32: 4, float16: 2, bfloat16: 2, int32: 4, int64: 8 };

export const MINDSPORE_DTYPES: Record<string, CheckpointDType> = {
  Float32: 'float32',
  Float16: 'float16',
  BFloat16: 'bfloat16',
  Int32: 'int32',
  Int64: 'int64',
};

export const SAFETENSORS_DTYPES: Record<string, CheckpointDType> = {
  F32: 'float32',
  F16: 'float16',
  BF16: 'bfloat16',
  I32: 'int32',
  I64: 'int64',
};

/** True for the dtypes that hold learnable weights (integers are step counters, never weights). */
export function isFloat(d: CheckpointDType): boolean {
  return d === 'float32' || d === 'float16' || d === 'bfloat16';
}

const HALF = new Float32Array(65536);
for (let i = 0; i < 65536; i++) HALF[i] = halfToFloat(i);

/** Little-endian bytes of `dtype` → float32 values (bfloat16 exactly, float16 exactly, int64 rounded). */
export function decode(bytes: Uint8Array, dtype: CheckpointDType): Float32Array {
  const n = bytes.length / DTYPE_BYTES[dtype];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(n);
  switch (dtype) {
    case 'float32':
      new Uint8Array(out.buffer).set(bytes);
      break;
    case 'float16':
      for (let i = 0; i < n; i++) out[i] = HALF[dv.getUint16(2 * i, true)]!;
      break;
    case 'bfloat16': {
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) bits[i] = dv.getUint16(2 * i, true) << 16;
      break;
    }
    case 'int32':
      for (let i = 0; i < n; i++) out[i] = dv.getInt32(4 * i, true);
      break;
    case 'int64':
      for (let i = 0; i < n; i++) out[i] = Number(dv.getBigInt64(8 * i, true));
      break;
  }
  return out;
}
