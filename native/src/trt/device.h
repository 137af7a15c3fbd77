// CUDA device discovery: what the availability report and the engine-cache key need (name, compute
// capability, integrated/unified memory). No TensorRT dependency.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ringmoe::trt {

/** One CUDA device. */
struct DeviceInfo {
  int index = 0;
  std::string name;
  int ccMajor = 0;
  int ccMinor = 0;
  /** Integrated GPU sharing DRAM with the CPU (every Jetson). */
  bool integrated = false;
  /** cudaHostAlloc(cudaHostAllocMapped) works: zero-copy buffers are possible. */
  bool canMapHostMemory = false;
  uint64_t totalMemory = 0;
  int multiProcessors = 0;
};

/** Result of device discovery: devices, or why there are none. */
struct DeviceReport {
  std::vector<DeviceInfo> devices;
  /** Empty when discovery worked; else the CUDA error text (e.g. no driver). */
  std::string error;
  int runtimeVersion = 0;
  int driverVersion = 0;
};

/** Lists CUDA devices; never throws. */
DeviceReport listDevices() noexcept;

}  // namespace ringmoe::trt
