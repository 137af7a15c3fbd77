// CUDA preprocessing kernels for sensor frames, run on the device before an engine sees them.
// Host-callable launchers; no TensorRT dependency. The reference formulas (what the kernels must
// equal) are written next to each function and checked by test/native/preprocess_test.cu.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

namespace ringmoe::cuda {

/** Most channels a normalisation carries (RingMoE inputs have 3, 4 or 8). */
constexpr int kMaxChannels = 8;

/** Per-channel mean and standard deviation, in the units of the input (0-255 for uint8 frames). */
struct ChannelNorm {
  int channels = 3;
  float mean[kMaxChannels] = {};
  float std[kMaxChannels] = {};
};

/**
 * uint8 NHWC → float32 NCHW with per-channel normalisation:
 *   dst[n][c][y][x] = (float(src[n][y][x][c]) - mean[c]) / std[c]
 * `src` and `dst` are device (or mapped) pointers. Asynchronous on `stream`.
 * @returns cudaErrorInvalidValue for bad sizes or channels outside 1..8, else the launch status.
 */
cudaError_t normalizeHwcU8ToChwF32(const uint8_t* src, float* dst, int batch, int height, int width, const ChannelNorm& norm,
                                   cudaStream_t stream);

/**
 * SAR-L1 total backscattered power ("span") from quad-pol SLC given as 8 float32 planes per sample
 * (re/im of HH, HV, VH, VV; NCHW, C = 8), min-max normalised per sample:
 *   P[y][x] = min(1, Σ_c src[n][c][y][x]²)              (= |HH|²+|HV|²+|VH|²+|VV|², clipped ≤ 1)
 *   dst[n][0][y][x] = (P − min_n P) / (max_n P − min_n P), or 0 when max_n P = min_n P
 * `scratch` must hold 2·batch uint32 values (device memory); it is overwritten. Asynchronous.
 */
cudaError_t sarL1Power(const float* src, float* dst, unsigned int* scratch, int batch, int height, int width, cudaStream_t stream);

}  // namespace ringmoe::cuda
