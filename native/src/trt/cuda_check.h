// CUDA runtime status → trt::Error. Every CUDA call of the TensorRT layer goes through cudaCheck so
// a failure carries the call, the CUDA error name and its text.
#pragma once

#include <cuda_runtime_api.h>

#include <string>

#include "errors.h"

namespace ringmoe::trt {

/** Throws Error(code) naming `what` when `status` is not cudaSuccess. */
inline void cudaCheck(cudaError_t status, const char* what, ErrorCode code = ErrorCode::kInference) {
  if (status == cudaSuccess) return;
  throw Error(code, std::string(what) + " failed: " + cudaGetErrorName(status) + " (" + cudaGetErrorString(status) + ")");
}

}  // namespace ringmoe::trt
