#include "device.h"

#include <cuda_runtime_api.h>

namespace ringmoe::trt {

namespace {
int attribute(cudaDeviceAttr attr, int device) {
  int value = 0;
  return cudaDeviceGetAttribute(&value, attr, device) == cudaSuccess ? value : 0;
}
}  // namespace

DeviceReport listDevices() noexcept {
  DeviceReport report;
  cudaRuntimeGetVersion(&report.runtimeVersion);
  cudaDriverGetVersion(&report.driverVersion);
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    report.error = std::string(cudaGetErrorName(status)) + ": " + cudaGetErrorString(status);
    return report;
  }
  for (int i = 0; i < count; ++i) {
    DeviceInfo info;
    info.index = i;
    cudaDeviceProp prop{};
    if (cudaGetDeviceProperties(&prop, i) == cudaSuccess) {
      info.name = prop.name;
      info.totalMemory = prop.totalGlobalMem;
    }
    // Attributes rather than cudaDeviceProp fields: stable across CUDA 11.4 (JetPack 5) to 13.
    info.ccMajor = attribute(cudaDevAttrComputeCapabilityMajor, i);
    info.ccMinor = attribute(cudaDevAttrComputeCapabilityMinor, i);
    info.integrated = attribute(cudaDevAttrIntegrated, i) != 0;
    info.canMapHostMemory = attribute(cudaDevAttrCanMapHostMemory, i) != 0;
    info.multiProcessors = attribute(cudaDevAttrMultiProcessorCount, i);
    report.devices.push_back(std::move(info));
  }
  return report;
}

}  // namespace ringmoe::trt
