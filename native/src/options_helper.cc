#include "options_helper.h"

#include "js_errors.h"
#include "tensor_helper.h"

namespace ringmoe::napi {

namespace {

std::string optString(Napi::Object o, const char* key) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return {};
  if (!v.IsString()) throwInternal(o.Env(), std::string("option ") + key + " is not a string");
  return v.As<Napi::String>().Utf8Value();
}

int64_t optInt(Napi::Object o, const char* key, int64_t fallback) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return fallback;
  if (!v.IsNumber()) throwInternal(o.Env(), std::string("option ") + key + " is not a number");
  return v.As<Napi::Number>().Int64Value();
}

bool optBool(Napi::Object o, const char* key, bool fallback) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return fallback;
  if (!v.IsBoolean()) throwInternal(o.Env(), std::string("option ") + key + " is not a boolean");
  return v.As<Napi::Boolean>().Value();
}

}  // namespace

trt::BuildOptions buildOptionsFromJs(Napi::Env env, Napi::Object o) {
  trt::BuildOptions b;
  b.onnxPath = optString(o, "onnxPath");
  if (b.onnxPath.empty()) throwInternal(env, "onnxPath is missing");
  const std::string precision = optString(o, "precision");
  if (precision == "fp32") b.precision = trt::Precision::kFP32;
  else if (precision == "fp16") b.precision = trt::Precision::kFP16;
  else if (precision == "int8") b.precision = trt::Precision::kINT8;
  else throwInternal(env, "precision must be fp32, fp16 or int8");
  const std::string typing = optString(o, "typing");
  if (typing.empty() || typing == "auto") b.typing = trt::Typing::kAuto;
  else if (typing == "weak") b.typing = trt::Typing::kWeak;
  else if (typing == "strong") b.typing = trt::Typing::kStrong;
  else throwInternal(env, "typing must be auto, weak or strong");
  b.dlaCore = static_cast<int>(optInt(o, "dlaCore", -1));
  b.gpuFallback = optBool(o, "gpuFallback", true);
  const int64_t workspace = optInt(o, "workspaceBytes", 0);
  if (workspace < 0) throwInternal(env, "workspaceBytes is negative");
  b.workspaceBytes = static_cast<uint64_t>(workspace);
  b.calibrationCachePath = optString(o, "calibrationCache");
  b.timingCachePath = optString(o, "timingCache");
  b.optimizationLevel = static_cast<int>(optInt(o, "optimizationLevel", -1));
  b.device = static_cast<int>(optInt(o, "device", 0));
  Napi::Value profile = o.Get("profile");
  if (profile.IsArray()) {
    Napi::Array arr = profile.As<Napi::Array>();
    for (uint32_t i = 0; i < arr.Length(); ++i) {
      Napi::Object p = arr.Get(i).As<Napi::Object>();
      trt::InputProfile ip;
      ip.input = optString(p, "input");
      ip.min = shapeFromJs(env, p.Get("min"), "profile.min");
      ip.opt = shapeFromJs(env, p.Get("opt"), "profile.opt");
      ip.max = shapeFromJs(env, p.Get("max"), "profile.max");
      b.profile.push_back(std::move(ip));
    }
  }
  return b;
}

trt::LoadOptions loadOptionsFromJs(Napi::Env /*env*/, Napi::Object o) {
  trt::LoadOptions l;
  l.device = static_cast<int>(optInt(o, "device", 0));
  l.dlaCore = static_cast<int>(optInt(o, "dlaCore", -1));
  l.expectedSha256 = optString(o, "sha256");
  l.forcePinned = optBool(o, "forcePinned", false);
  return l;
}

}  // namespace ringmoe::napi
