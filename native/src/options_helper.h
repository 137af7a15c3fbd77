// JS option objects → plain C++ option structs. The objects were built and validated by the
// TypeScript layer (tools/engine/build-spec.ts, sdk/runtime/backends/trt.ts); here we only read them.
#pragma once

#include <napi.h>

#include "trt/builder.h"
#include "trt/engine.h"

namespace ringmoe::napi {

/** {onnxPath, precision, typing, dlaCore, gpuFallback, workspaceBytes, calibrationCache, timingCache, profile, optimizationLevel, device} */
trt::BuildOptions buildOptionsFromJs(Napi::Env env, Napi::Object o);

/** {device, dlaCore, sha256, forcePinned} */
trt::LoadOptions loadOptionsFromJs(Napi::Env env, Napi::Object o);

}  // namespace ringmoe::napi
