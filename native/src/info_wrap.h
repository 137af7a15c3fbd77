// Synchronous facts about this machine, for availability reports and engine-cache keys.
//   versions() → {tensorrt, tensorrtHeaders, tensorrtMajor, cudaRuntime, cudaDriver, napi}   [sync]
//   devices()  → {devices: {index, name, computeCapability, integrated, canMapHostMemory,
//                 totalMemory, multiProcessors, dlaCores}[], error?: string}               [sync]
#pragma once

#include <napi.h>

namespace ringmoe::napi {

Napi::Value Versions(const Napi::CallbackInfo& info);
Napi::Value Devices(const Napi::CallbackInfo& info);

}  // namespace ringmoe::napi
