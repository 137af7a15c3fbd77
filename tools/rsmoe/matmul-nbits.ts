/**
 * Block-wise weight-only quantization in onnxruntime's `MatMulNBits` layout (com.microsoft): a
 * weight W [K, N] (stored [in, out]) becomes, per output column n and block of `blockSize` rows,
 * one float scale and `blockSize` unsigned codes of `bits` bits. Symmetric, with the op's default
 * zero point 2^(bits-1) (no zero-point input): w ≈ (code − 2^(bits−1)) · scale.
 *
 * Layout: B [N, nBlocks, blockSize·bits/8] uint8 — for 4 bits, element k of a block is in byte k/2,
 * the low nibble for even k; scales [N, nBlocks] float32. The last block of a column is zero-padded.
 */
import { EdgeError } from '../../sdk/internal.js';

export interface NBitsWeight {
  K: number;
  N: number;
  bits: 4 | 8;
  blockSize: number;
  nBlocks: number;
  /** [N, nBlocks, blockSize·bits/8] */
  packed: Uint8Array;
  /** [N, nBlocks] */
  scales: Float32Array;
}

/** @throws EdgeError E_QUANTIZE for a block size that is not a power of two ≥ 16, or bits other than 4 and 8 */
export function quantizeNBits(w: Float32Array, K: number, N: number, bits: 4 | 8, blockSize: number): NBitsWeight {
  if (bits !== 4 && bits !== 8)
    throw new EdgeError('E_QUANTIZE', `MatMulNBits takes 4 or 8 bits, not ${bits}`, { field: 'bits' });
  if (blockSize < 16 || (blockSize & (blockSize - 1)) !== 0)
    throw new EdgeError('E_QUANTIZE', `block size must be a power of two ≥ 16, got ${blockSize}`, {
      field: 'blockSize',
    });
  if (w.length !== K * N) throw new EdgeError('E_INTERNAL', `weight has ${w.length} values for [${K}, ${N}]`);
  const nBlocks = Math.ceil(K / blockSize);
  const blob = (blockSize * bits) / 8;
  const packed = new Uint8Array(N * nBlocks * blob);
  const scales = new Float32Array(N * nBlocks);
  const zero = 1 << (bits - 1);
  const qmax = zero - 1;
  for (let n = 0; n < N; n++) {
    for (let b = 0; b < nBlocks; b++) {
      let amax = 0;
      for (let k = b * blockSize; k < Math.min(K, (b + 1) * blockSize); k++)
        amax = Math.max(amax, Math.abs(w[k * N + n]!));
      const scale = amax > 0 ? amax / qmax : 1;
      scales[n * nBlocks + b] = scale;
      const base = (n * nBlocks + b) * blob;
      for (let j = 0; j < blockSize; j++) {
        const k = b * blockSize + j;
        const q = k < K ? Math.max(-zero, Math.min(qmax, Math.round(w[k * N + n]! / scale))) : 0;
        const code = q + zero;
        if (bits === 8) packed[base + j] = code;
        else packed[base + (j >> 1)]! |= (j & 1) === 0 ? code : code << 4;
      }
    }
  }
  return { K, N, bits, blockSize, nBlocks, packed, scales };
}

/** The weight [K, N] the codes stand for (what MatMulNBits multiplies by). */
export function dequantizeNBits(q: NBitsWeight): Float32Array {
  const { K, N, bits, blockSize, nBlocks, packed, scales } = q;
  const out = new Float32Array(K * N);
  const blob = (blockSize * bits) / 8;
  const zero = 1 << (bits - 1);
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < K; k++) {
      const b = Math.floor(k / blockSize);
      const j = k % blockSize;
      const base = (n * nBlocks + b) * blob;
      const code = bits === 8 ? packed[base + j]! : (packed[base + (j >> 1)]! >> ((j & 1) * 4)) & 0xf;
      out[k * N + n] = (code - zero) * scales[n * nBlocks + b]!;
    }
  }
  return out;
}
