// GPU check of the engine's I/O buffers (native/src/trt/buffers.cc) and device discovery
// (native/src/trt/device.cc), without TensorRT: pinned staging + device buffers and mapped zero-copy
// buffers must round-trip bytes through the GPU, and re-allocate only when a larger size comes.
// Run by `npm run test:cuda`; exit 1 on mismatch, 2 without a GPU.
#include <cstdio>
#include <cstring>
#include <vector>

#include <cuda_runtime_api.h>

#include "../../native/src/trt/buffers.h"
#include "../../native/src/trt/device.h"
#include "../../native/src/trt/errors.h"

using namespace ringmoe::trt;

namespace {
int failures = 0;
void expect(bool ok, const char* name) {
  std::printf("%-58s %s\n", name, ok ? "OK" : "MISMATCH");
  if (!ok) ++failures;
}

// Host → buffer.host → (device) → scratch device memory → back to a fresh host vector.
bool roundTrip(TensorBuffer& buf, size_t bytes, unsigned seed) {
  buf.reserve(bytes);
  std::vector<unsigned char> in(bytes), out(bytes, 0);
  for (size_t i = 0; i < bytes; ++i) in[i] = static_cast<unsigned char>((i * 131 + seed) & 0xff);
  std::memcpy(buf.host(), in.data(), bytes);
  if (buf.mode() == MemoryMode::kPinned && cudaMemcpy(buf.device(), buf.host(), bytes, cudaMemcpyHostToDevice) != cudaSuccess) return false;
  void* scratch = nullptr;
  if (cudaMalloc(&scratch, bytes) != cudaSuccess) return false;
  // The GPU reads the tensor through the address TensorRT would get.
  const bool ok = cudaMemcpy(scratch, buf.device(), bytes, cudaMemcpyDeviceToDevice) == cudaSuccess &&
                  cudaMemcpy(out.data(), scratch, bytes, cudaMemcpyDeviceToHost) == cudaSuccess;
  cudaFree(scratch);
  return ok && in == out;
}
}  // namespace

int main() {
  const DeviceReport report = listDevices();
  if (!report.error.empty() || report.devices.empty()) {
    std::fprintf(stderr, "no CUDA device: %s\n", report.error.c_str());
    return 2;
  }
  for (const auto& d : report.devices) {
    std::printf("device %d: %s, compute %d.%d, %s, map host memory %s, %d SMs, %.1f GiB\n", d.index, d.name.c_str(), d.ccMajor, d.ccMinor,
                d.integrated ? "integrated" : "discrete", d.canMapHostMemory ? "yes" : "no", d.multiProcessors, d.totalMemory / 1073741824.0);
  }
  expect(report.devices[0].ccMajor >= 5, "device 0 reports a compute capability");
  try {
    for (MemoryMode mode : {MemoryMode::kPinned, MemoryMode::kMapped}) {
      TensorBuffer buf(mode);
      const std::string m = memoryModeName(mode);
      expect(roundTrip(buf, 3 * 224 * 224 * 4, 1), (m + ": 1x3x224x224 float32 round-trips through the GPU").c_str());
      void* firstHost = buf.host();
      expect(roundTrip(buf, 1000, 2) && buf.host() == firstHost, (m + ": a smaller batch reuses the buffer").c_str());
      expect(roundTrip(buf, 8 * 3 * 224 * 224 * 4, 3) && buf.capacity() == size_t(8) * 3 * 224 * 224 * 4,
             (m + ": a larger batch re-allocates to the new size").c_str());
      TensorBuffer moved(std::move(buf));
      expect(buf.host() == nullptr && moved.host() != nullptr, (m + ": moving hands the allocation over").c_str());
    }
  } catch (const Error& e) {
    std::printf("error %s: %s\n", errorCodeName(e.code()), e.what());
    ++failures;
  }
  std::printf("%s: %d failure(s)\n", failures == 0 ? "PASS" : "FAIL", failures);
  return failures == 0 ? 0 : 1;
}
