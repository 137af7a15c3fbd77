/**
 * Storage size of a parameter count at each precision, for size figures of configs and packages.
 */

/** Bytes of `params` parameters at each precision (int8: weights one byte, no scales counted). */
export function bytesAt(params: number): { fp32: number; fp16: number; int8: number } {
  return { fp32: params * 4, fp16: params * 2, int8: params };
}
