/**
 * Tensors in host memory: what backends take and return, what task post-processing reads, and what
 * the toolchain compares. Float16 travels as its bit patterns.
 */
import type { DType } from './dtype.js';

export type TypedArray =
  | Float32Array
  | Uint16Array // float16 bit patterns
  | BigInt64Array
  | Int32Array
  | Int8Array
  | Uint8Array;

/** The typed array class a HostTensor's data must be, for each dtype (float16 travels as its bits). */
export const TYPED_ARRAY_CLASS: Record<DType, string> = {
  float32: 'Float32Array',
  float16: 'Uint16Array',
  int64: 'BigInt64Array',
  int32: 'Int32Array',
  int8: 'Int8Array',
  uint8: 'Uint8Array',
  bool: 'Uint8Array',
};

/** A host-memory tensor. `data.length` equals the product of `shape`. */
export interface HostTensor {
  dtype: DType;
  shape: number[];
  data: TypedArray;
}
