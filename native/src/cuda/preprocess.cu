#include "preprocess.h"

namespace ringmoe::cuda {

namespace {

constexpr int kThreads = 256;
constexpr int kSarChannels = 8;

__global__ void normalizeKernel(const uint8_t* __restrict__ src, float* __restrict__ dst, int batch, int height, int width,
                                ChannelNorm norm) {
  const long long plane = static_cast<long long>(height) * width;
  const long long total = plane * batch;
  for (long long i = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<long long>(gridDim.x) * blockDim.x) {
    const long long n = i / plane;
    const long long p = i % plane;  // y * width + x
    const uint8_t* pixel = src + i * norm.channels;
    float* out = dst + n * plane * norm.channels + p;
    for (int c = 0; c < norm.channels; ++c) {
      // Division (not multiplication by a reciprocal) so the result equals the documented formula.
      out[c * plane] = (static_cast<float>(pixel[c]) - norm.mean[c]) / norm.std[c];
    }
  }
}

// P >= 0, so the IEEE-754 bit patterns of P order like unsigned integers: atomicMin/Max on the bits
// are min/max on the floats.
__global__ void powerKernel(const float* __restrict__ src, float* __restrict__ dst, unsigned int* __restrict__ minMax,
                            int height, int width) {
  const int n = blockIdx.y;
  const long long plane = static_cast<long long>(height) * width;
  const float* in = src + n * plane * kSarChannels;
  float* out = dst + n * plane;
  unsigned int localMin = 0x7f800000u;  // +inf
  unsigned int localMax = 0u;
  for (long long p = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; p < plane;
       p += static_cast<long long>(gridDim.x) * blockDim.x) {
    float s = 0.f;
    for (int c = 0; c < kSarChannels; ++c) {
      const float v = in[c * plane + p];
      s += v * v;
    }
    s = fminf(s, 1.f);
    out[p] = s;
    const unsigned int bits = __float_as_uint(s);
    localMin = min(localMin, bits);
    localMax = max(localMax, bits);
  }
  __shared__ unsigned int blockMin[kThreads];
  __shared__ unsigned int blockMax[kThreads];
  blockMin[threadIdx.x] = localMin;
  blockMax[threadIdx.x] = localMax;
  __syncthreads();
  for (int stride = blockDim.x / 2; stride > 0; stride /= 2) {
    if (threadIdx.x < stride) {
      blockMin[threadIdx.x] = min(blockMin[threadIdx.x], blockMin[threadIdx.x + stride]);
      blockMax[threadIdx.x] = max(blockMax[threadIdx.x], blockMax[threadIdx.x + stride]);
    }
    __syncthreads();
  }
  if (threadIdx.x == 0) {
    atomicMin(&minMax[2 * n], blockMin[0]);
    atomicMax(&minMax[2 * n + 1], blockMax[0]);
  }
}

__global__ void minMaxInitKernel(unsigned int* minMax, int batch) {
  const int n = blockIdx.x * blockDim.x + threadIdx.x;
  if (n < batch) {
    minMax[2 * n] = 0x7f800000u;
    minMax[2 * n + 1] = 0u;
  }
}

__global__ void minMaxNormalizeKernel(float* __restrict__ dst, const unsigned int* __restrict__ minMax, int height, int width) {
  const int n = blockIdx.y;
  const long long plane = static_cast<long long>(height) * width;
  const float lo = __uint_as_float(minMax[2 * n]);
  const float hi = __uint_as_float(minMax[2 * n + 1]);
  const float range = hi - lo;
  float* out = dst + n * plane;
  for (long long p = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; p < plane;
       p += static_cast<long long>(gridDim.x) * blockDim.x) {
    out[p] = range > 0.f ? (out[p] - lo) / range : 0.f;
  }
}

unsigned int blocksFor(long long items) {
  const long long blocks = (items + kThreads - 1) / kThreads;
  return static_cast<unsigned int>(blocks < 4096 ? (blocks < 1 ? 1 : blocks) : 4096);
}

}  // namespace

cudaError_t normalizeHwcU8ToChwF32(const uint8_t* src, float* dst, int batch, int height, int width, const ChannelNorm& norm,
                                   cudaStream_t stream) {
  if (src == nullptr || dst == nullptr || batch < 1 || height < 1 || width < 1 || norm.channels < 1 || norm.channels > kMaxChannels) {
    return cudaErrorInvalidValue;
  }
  for (int c = 0; c < norm.channels; ++c) {
    if (!(norm.std[c] != 0.f)) return cudaErrorInvalidValue;
  }
  const long long total = static_cast<long long>(batch) * height * width;
  normalizeKernel<<<blocksFor(total), kThreads, 0, stream>>>(src, dst, batch, height, width, norm);
  return cudaGetLastError();
}

cudaError_t sarL1Power(const float* src, float* dst, unsigned int* scratch, int batch, int height, int width, cudaStream_t stream) {
  if (src == nullptr || dst == nullptr || scratch == nullptr || batch < 1 || height < 1 || width < 1 || batch > 65535) {
    return cudaErrorInvalidValue;
  }
  const long long plane = static_cast<long long>(height) * width;
  minMaxInitKernel<<<(batch + kThreads - 1) / kThreads, kThreads, 0, stream>>>(scratch, batch);
  const dim3 grid(blocksFor(plane), static_cast<unsigned int>(batch));
  powerKernel<<<grid, kThreads, 0, stream>>>(src, dst, scratch, height, width);
  minMaxNormalizeKernel<<<grid, kThreads, 0, stream>>>(dst, scratch, height, width);
  return cudaGetLastError();
}

}  // namespace ringmoe::cuda
