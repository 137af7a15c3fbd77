#include "info_wrap.h"

#include <memory>

#include "trt/compat.h"
#include "trt/device.h"
#include "trt/logger.h"

namespace ringmoe::napi {

namespace {
// "12.6" from CUDA's 12060 encoding.
std::string cudaVersionText(int v) { return v == 0 ? "" : std::to_string(v / 1000) + "." + std::to_string((v % 1000) / 10); }
}  // namespace

Napi::Value Versions(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const trt::DeviceReport report = trt::listDevices();
  Napi::Object o = Napi::Object::New(env);
  o.Set("tensorrt", trt::libraryVersion());
  o.Set("tensorrtHeaders", trt::headerVersion());
  o.Set("tensorrtMajor", trt::libraryMajor());
  o.Set("cudaRuntime", cudaVersionText(report.runtimeVersion));
  o.Set("cudaDriver", cudaVersionText(report.driverVersion));
  o.Set("napi", NAPI_VERSION);
  return o;
}

Napi::Value Devices(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const trt::DeviceReport report = trt::listDevices();
  // DLA cores are a TensorRT fact, not a CUDA one: ask a runtime (cheap; no engine is loaded).
  int dlaCores = 0;
  if (report.error.empty() && !report.devices.empty()) {
    std::unique_ptr<nvinfer1::IRuntime> runtime(nvinfer1::createInferRuntime(trt::Logger::instance()));
    if (runtime) dlaCores = runtime->getNbDLACores();
  }
  Napi::Array arr = Napi::Array::New(env, report.devices.size());
  for (size_t i = 0; i < report.devices.size(); ++i) {
    const auto& d = report.devices[i];
    Napi::Object o = Napi::Object::New(env);
    o.Set("index", d.index);
    o.Set("name", d.name);
    o.Set("computeCapability", std::to_string(d.ccMajor) + "." + std::to_string(d.ccMinor));
    o.Set("integrated", d.integrated);
    o.Set("canMapHostMemory", d.canMapHostMemory);
    o.Set("totalMemory", static_cast<double>(d.totalMemory));
    o.Set("multiProcessors", d.multiProcessors);
    o.Set("dlaCores", dlaCores);
    arr.Set(static_cast<uint32_t>(i), o);
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("devices", arr);
  if (!report.error.empty()) out.Set("error", report.error);
  return out;
}

}  // namespace ringmoe::napi
