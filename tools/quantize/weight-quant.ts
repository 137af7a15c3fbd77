/**
 * Weight conversions that need no calibration data: symmetric per-channel INT8 (what TensorRT
 * expects of Q/DQ weights: zero point 0, values in [-127, 127], one scale per output channel) and
 * IEEE half precision.
 */
import { EdgeError } from '../../sdk/internal.js';
import { floatToHalf } from '../../sdk/internal.js';

export interface PerChannelInt8 {
  /** Quantized values, same layout as the input. */
  values: Int8Array;
  /** One scale per channel along `axis` (amax / 127; 1 for an all-zero channel). */
  scales: Float32Array;
  axis: number;
}

/** Round half to even, as ONNX QuantizeLinear and TensorRT round. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Quantizes `data` (dims `dims`) per channel along `axis`: scale_c = max|w_c| / 127,
 * q = clamp(round(w / scale_c), -127, 127).
 * @throws EdgeError E_QUANTIZE when a value is not finite (the weight file is damaged)
 */
export function quantizePerChannel(data: Float32Array, dims: number[], axis: number, name = 'weight'): PerChannelInt8 {
  const channels = dims[axis]!;
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const outer = dims.slice(0, axis).reduce((a, b) => a * b, 1);
  const amax = new Float64Array(channels);
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++) {
      const base = (o * channels + c) * inner;
      let m = amax[c]!;
      for (let k = 0; k < inner; k++) {
        const v = data[base + k]!;
        if (!Number.isFinite(v))
          throw new EdgeError(
            'E_QUANTIZE',
            `${name} holds a non-finite value (${v}) at element ${base + k}; the weight file is damaged`,
            { field: name },
          );
        const a = Math.abs(v);
        if (a > m) m = a;
      }
      amax[c] = m;
    }
  }
  const scales = Float32Array.from(amax, (m) => (m > 0 ? m / 127 : 1));
  const values = new Int8Array(data.length);
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++) {
      const base = (o * channels + c) * inner;
      const s = scales[c]!;
      for (let k = 0; k < inner; k++) {
        const q = roundHalfEven(data[base + k]! / s);
        values[base + k] = q > 127 ? 127 : q < -127 ? -127 : q;
      }
    }
  }
  return { values, scales, axis };
}

/** Largest finite binary16 value. */
export const HALF_MAX = 65504;

/**
 * Converts float32 values to binary16 bits.
 * @throws EdgeError E_QUANTIZE naming the tensor when a value is beyond the half range (it would
 *   become infinite) or not finite
 */
export function toHalf(data: Float32Array, name = 'tensor'): Uint16Array {
  const out = new Uint16Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (!Number.isFinite(v) || Math.abs(v) > HALF_MAX) {
      throw new EdgeError(
        'E_QUANTIZE',
        `${name} holds ${v} at element ${i}, outside the float16 range (±${HALF_MAX}); keep this package in fp32 or int8`,
        { field: name },
      );
    }
    out[i] = floatToHalf(v);
  }
  return out;
}
