// Entry of the ringmoe_trt addon: per-environment instance data, the cleanup hook, and the exports.
// Everything else lives in *_wrap.cc (N-API glue) and trt/ (plain TensorRT C++).
#include <napi.h>

#include "addon_data.h"
#include "builder_wrap.h"
#include "engine_wrap.h"
#include "info_wrap.h"
#include "js_errors.h"
#include "trt/logger.h"

namespace ringmoe::napi {

namespace {

// setErrorClass(EdgeError): native errors become instances of the SDK's class (P5).
Napi::Value SetErrorClass(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 1 || !info[0].IsFunction()) throwInternal(env, "setErrorClass(EdgeError: function)");
  addonData(env).edgeError = Napi::Persistent(info[0].As<Napi::Function>());
  return env.Undefined();
}

// Frees every live engine's GPU memory when the environment (main thread or a Worker) shuts down,
// before the wraps' finalizers would run (they may never run at exit).
void Cleanup(AddonData* data) {
  for (EngineWrap* engine : data->engines) engine->DetachFromEnv();
  data->engines.clear();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* data = new AddonData();
  env.SetInstanceData<AddonData>(data);  // deleted by node-addon-api when the env goes away
  env.AddCleanupHook(Cleanup, data);
  trt::Logger::instance();  // one logger for the process, created before any TensorRT object

  exports.Set("setErrorClass", Napi::Function::New(env, SetErrorClass, "setErrorClass"));
  exports.Set("versions", Napi::Function::New(env, Versions, "versions"));
  exports.Set("devices", Napi::Function::New(env, Devices, "devices"));
  exports.Set("buildEngine", Napi::Function::New(env, BuildEngine, "buildEngine"));
  exports.Set("loadEngine", Napi::Function::New(env, EngineWrap::Load, "loadEngine"));
  exports.Set("Engine", EngineWrap::Define(env));
  exports.Set("abi", Napi::Number::New(env, 1));
  return exports;
}

}  // namespace

}  // namespace ringmoe::napi

// NODE_API_MODULE pastes the name, so it needs an unqualified function.
static Napi::Object InitRingmoeTrt(Napi::Env env, Napi::Object exports) { return ringmoe::napi::Init(env, exports); }

NODE_API_MODULE(ringmoe_trt, InitRingmoeTrt)
