// Host/device buffers of one engine I/O tensor. Two layouts:
//  - pinned (discrete GPU): page-locked host staging buffer (cudaHostAlloc) + device buffer (cudaMalloc),
//    copied with cudaMemcpyAsync on the engine's stream;
//  - mapped (integrated GPU, i.e. Jetson's unified memory): one cudaHostAllocMapped buffer whose device
//    alias TensorRT reads and writes directly, no copies.
// Buffers only grow: a larger batch re-allocates, a smaller one reuses.
#pragma once

#include <cstddef>

namespace ringmoe::trt {

enum class MemoryMode { kPinned, kMapped };

/** "pinned" or "mapped". */
const char* memoryModeName(MemoryMode mode) noexcept;

class TensorBuffer {
 public:
  explicit TensorBuffer(MemoryMode mode) : mode_(mode) {}
  ~TensorBuffer();
  TensorBuffer(const TensorBuffer&) = delete;
  TensorBuffer& operator=(const TensorBuffer&) = delete;
  TensorBuffer(TensorBuffer&& other) noexcept;
  TensorBuffer& operator=(TensorBuffer&&) = delete;

  /** Makes room for `bytes`; re-allocates only when larger than the current capacity. @throws Error */
  void reserve(size_t bytes);
  /** Host side (pinned staging or the mapped buffer). */
  void* host() const noexcept { return host_; }
  /** Address TensorRT uses (device buffer, or the mapped buffer's device alias). */
  void* device() const noexcept { return device_; }
  size_t capacity() const noexcept { return capacity_; }
  MemoryMode mode() const noexcept { return mode_; }

 private:
  void release() noexcept;
  MemoryMode mode_;
  void* host_ = nullptr;
  void* device_ = nullptr;
  size_t capacity_ = 0;
};

}  // namespace ringmoe::trt
