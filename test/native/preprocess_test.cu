// Checks the CUDA preprocessing kernels against CPU references computed with the documented formulas
// (native/src/cuda/preprocess.h), in double precision:
//   optical:  ref[n][c][y][x] = (src[n][y][x][c] − mean[c]) / std[c]   (ImageNet mean/std × 255)
//   sar-l1:   P = min(1, Σ_c src[n][c][y][x]²);  ref = (P − min_n P) / (max_n P − min_n P)  (0 if constant)
// Inputs are deterministic pseudo-random frames (fixed-seed xorshift), plus edge cases: a constant SAR
// frame (normalises to 0) and one with powers above 1 (clipped). Prints the max abs error per case and
// exits 1 when any exceeds its tolerance, 2 when no GPU can run it.
// Build and run: npm run test:cuda
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "../../native/src/cuda/preprocess.h"

namespace {

struct Rng {
  uint64_t s;
  uint32_t next() {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return static_cast<uint32_t>(s >> 32);
  }
  float uniform(float lo, float hi) { return lo + (hi - lo) * (next() / 4294967296.0f); }
};

int failures = 0;

#define CHECK_CUDA(call)                                                                        \
  do {                                                                                          \
    cudaError_t st = (call);                                                                    \
    if (st != cudaSuccess) {                                                                    \
      std::fprintf(stderr, "%s failed: %s\n", #call, cudaGetErrorString(st));                   \
      std::exit(1);                                                                             \
    }                                                                                           \
  } while (0)

void report(const char* name, double maxErr, double tol) {
  const bool ok = maxErr <= tol;
  std::printf("%-44s max abs error %.3e (tolerance %.0e) %s\n", name, maxErr, tol, ok ? "OK" : "MISMATCH");
  if (!ok) ++failures;
}

void testNormalize(int batch, int h, int w, int channels, uint64_t seed) {
  ringmoe::cuda::ChannelNorm norm;
  norm.channels = channels;
  const float mean[8] = {123.675f, 116.28f, 103.53f, 103.53f, 90.f, 80.f, 70.f, 60.f};
  const float stdv[8] = {58.395f, 57.12f, 57.375f, 57.375f, 50.f, 40.f, 30.f, 20.f};
  for (int c = 0; c < channels; ++c) {
    norm.mean[c] = mean[c];
    norm.std[c] = stdv[c];
  }
  const size_t count = static_cast<size_t>(batch) * h * w * channels;
  std::vector<uint8_t> src(count);
  Rng rng{seed};
  for (auto& v : src) v = static_cast<uint8_t>(rng.next() & 0xff);
  uint8_t* dSrc = nullptr;
  float* dDst = nullptr;
  CHECK_CUDA(cudaMalloc(&dSrc, count));
  CHECK_CUDA(cudaMalloc(&dDst, count * sizeof(float)));
  CHECK_CUDA(cudaMemcpy(dSrc, src.data(), count, cudaMemcpyHostToDevice));
  CHECK_CUDA(ringmoe::cuda::normalizeHwcU8ToChwF32(dSrc, dDst, batch, h, w, norm, nullptr));
  std::vector<float> out(count);
  CHECK_CUDA(cudaMemcpy(out.data(), dDst, count * sizeof(float), cudaMemcpyDeviceToHost));
  double maxErr = 0;
  for (int n = 0; n < batch; ++n)
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x)
        for (int c = 0; c < channels; ++c) {
          const double ref = (static_cast<double>(src[((static_cast<size_t>(n) * h + y) * w + x) * channels + c]) - mean[c]) / stdv[c];
          const double got = out[((static_cast<size_t>(n) * channels + c) * h + y) * w + x];
          maxErr = std::fmax(maxErr, std::fabs(got - ref));
        }
  char name[96];
  std::snprintf(name, sizeof name, "normalize u8 HWC->f32 CHW %dx%dx%dx%d", batch, h, w, channels);
  report(name, maxErr, 1e-5);
  cudaFree(dSrc);
  cudaFree(dDst);
}

enum class SarCase { kRandom, kConstant, kClipped };

void testSar(int batch, int h, int w, SarCase kind, uint64_t seed) {
  const size_t plane = static_cast<size_t>(h) * w;
  std::vector<float> src(static_cast<size_t>(batch) * 8 * plane);
  Rng rng{seed};
  for (auto& v : src) {
    switch (kind) {
      case SarCase::kRandom: v = rng.uniform(-0.3f, 0.3f); break;  // P up to 0.72: no clipping
      case SarCase::kConstant: v = 0.125f; break;
      case SarCase::kClipped: v = rng.uniform(-0.8f, 0.8f); break;  // many P > 1
    }
  }
  float* dSrc = nullptr;
  float* dDst = nullptr;
  unsigned int* dScratch = nullptr;
  CHECK_CUDA(cudaMalloc(&dSrc, src.size() * sizeof(float)));
  CHECK_CUDA(cudaMalloc(&dDst, batch * plane * sizeof(float)));
  CHECK_CUDA(cudaMalloc(&dScratch, 2 * batch * sizeof(unsigned int)));
  CHECK_CUDA(cudaMemcpy(dSrc, src.data(), src.size() * sizeof(float), cudaMemcpyHostToDevice));
  CHECK_CUDA(ringmoe::cuda::sarL1Power(dSrc, dDst, dScratch, batch, h, w, nullptr));
  std::vector<float> out(batch * plane);
  CHECK_CUDA(cudaMemcpy(out.data(), dDst, out.size() * sizeof(float), cudaMemcpyDeviceToHost));
  double maxErr = 0;
  size_t clipped = 0;
  for (int n = 0; n < batch; ++n) {
    std::vector<double> p(plane);
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < plane; ++i) {
      double s = 0;
      for (int c = 0; c < 8; ++c) {
        const double v = src[(static_cast<size_t>(n) * 8 + c) * plane + i];
        s += v * v;
      }
      if (s > 1) ++clipped;
      p[i] = std::fmin(s, 1.0);
      lo = std::fmin(lo, p[i]);
      hi = std::fmax(hi, p[i]);
    }
    for (size_t i = 0; i < plane; ++i) {
      const double ref = hi > lo ? (p[i] - lo) / (hi - lo) : 0.0;
      maxErr = std::fmax(maxErr, std::fabs(out[n * plane + i] - ref));
    }
  }
  const char* label = kind == SarCase::kRandom ? "random" : kind == SarCase::kConstant ? "constant" : "clipped";
  char name[96];
  std::snprintf(name, sizeof name, "sar-l1 power %s %dx%dx%d (%zu clipped)", label, batch, h, w, clipped);
  report(name, maxErr, 1e-5);
  if (kind == SarCase::kClipped && clipped == 0) {
    std::printf("  the clipped case clipped nothing: the test input is wrong\n");
    ++failures;
  }
  cudaFree(dSrc);
  cudaFree(dDst);
  cudaFree(dScratch);
}

void testRejects() {
  ringmoe::cuda::ChannelNorm bad;
  bad.channels = 9;
  const bool rejected = ringmoe::cuda::normalizeHwcU8ToChwF32(reinterpret_cast<const uint8_t*>(16), reinterpret_cast<float*>(16), 1, 1, 1,
                                                              bad, nullptr) == cudaErrorInvalidValue;
  std::printf("%-44s %s\n", "rejects 9 channels", rejected ? "OK" : "MISMATCH");
  if (!rejected) ++failures;
}

}  // namespace

int main() {
  int devices = 0;
  if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
    std::fprintf(stderr, "no CUDA device: this test needs a GPU\n");
    return 2;
  }
  cudaDeviceProp prop{};
  cudaGetDeviceProperties(&prop, 0);
  std::printf("device 0: %s (sm_%d%d)\n", prop.name, prop.major, prop.minor);
  testNormalize(1, 224, 224, 3, 1);
  testNormalize(3, 67, 131, 4, 2);   // odd sizes, multispectral channel count
  testNormalize(2, 31, 17, 8, 3);
  testSar(1, 192, 192, SarCase::kRandom, 4);
  testSar(3, 97, 61, SarCase::kRandom, 5);
  testSar(2, 64, 64, SarCase::kConstant, 6);
  testSar(2, 128, 96, SarCase::kClipped, 7);
  testSar(1, 1024, 1024, SarCase::kRandom, 8);  // many blocks contend on the atomics
  testRejects();
  std::printf("%s: %d failure(s)\n", failures == 0 ? "PASS" : "FAIL", failures);
  return failures == 0 ? 0 : 1;
}
