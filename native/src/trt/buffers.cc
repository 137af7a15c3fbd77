#include "buffers.h"

#include <cuda_runtime_api.h>

#include "cuda_check.h"

namespace ringmoe::trt {

const char* memoryModeName(MemoryMode mode) noexcept { return mode == MemoryMode::kMapped ? "mapped" : "pinned"; }

TensorBuffer::~TensorBuffer() { release(); }

TensorBuffer::TensorBuffer(TensorBuffer&& other) noexcept
    : mode_(other.mode_), host_(other.host_), device_(other.device_), capacity_(other.capacity_) {
  other.host_ = nullptr;
  other.device_ = nullptr;
  other.capacity_ = 0;
}

void TensorBuffer::release() noexcept {
  if (host_ != nullptr) cudaFreeHost(host_);
  if (mode_ == MemoryMode::kPinned && device_ != nullptr) cudaFree(device_);
  host_ = nullptr;
  device_ = nullptr;
  capacity_ = 0;
}

void TensorBuffer::reserve(size_t bytes) {
  if (bytes <= capacity_ && host_ != nullptr) return;
  release();
  // Never allocate 0 bytes: TensorRT wants a valid address even for an empty tensor.
  const size_t size = bytes == 0 ? 1 : bytes;
  if (mode_ == MemoryMode::kMapped) {
    cudaCheck(cudaHostAlloc(&host_, size, cudaHostAllocMapped), "cudaHostAlloc(mapped)");
    cudaCheck(cudaHostGetDevicePointer(&device_, host_, 0), "cudaHostGetDevicePointer");
  } else {
    cudaCheck(cudaHostAlloc(&host_, size, cudaHostAllocDefault), "cudaHostAlloc(pinned)");
    cudaCheck(cudaMalloc(&device_, size), "cudaMalloc");
  }
  capacity_ = size;
}

}  // namespace ringmoe::trt
