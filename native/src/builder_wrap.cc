#include "builder_wrap.h"

#include "js_errors.h"
#include "options_helper.h"
#include "promise_worker.h"
#include "trt/builder.h"

namespace ringmoe::napi {

namespace {

Napi::Array stringsToJs(Napi::Env env, const std::vector<std::string>& lines) {
  Napi::Array arr = Napi::Array::New(env, lines.size());
  for (size_t i = 0; i < lines.size(); ++i) arr.Set(static_cast<uint32_t>(i), lines[i]);
  return arr;
}

class BuildWorker final : public PromiseWorker {
 public:
  BuildWorker(Napi::Env env, trt::BuildOptions options) : PromiseWorker(env, "ringmoe:buildEngine"), options_(std::move(options)) {}

 protected:
  void work() override { result_ = trt::buildPlan(options_); }
  Napi::Value result(Napi::Env env) override {
    Napi::Object o = Napi::Object::New(env);
    o.Set("plan", Napi::Buffer<uint8_t>::Copy(env, result_.plan.data(), result_.plan.size()));
    o.Set("sha256", result_.sha256);
    o.Set("log", stringsToJs(env, result_.log));
    o.Set("notes", stringsToJs(env, result_.notes));
    o.Set("typing", result_.typing);
    o.Set("explicitQuantization", result_.explicitQuantization);
    o.Set("timingCacheSaved", result_.timingCacheSaved);
    // The plan can be hundreds of MB; drop our copy as soon as JS owns one.
    std::vector<uint8_t>().swap(result_.plan);
    return o;
  }

 private:
  trt::BuildOptions options_;
  trt::BuildResult result_;
};

}  // namespace

Napi::Value BuildEngine(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) throwInternal(env, "buildEngine(options: object)");
  auto* worker = new BuildWorker(env, buildOptionsFromJs(env, info[0].As<Napi::Object>()));
  Napi::Promise promise = worker->promise();
  worker->Queue();
  return promise;
}

}  // namespace ringmoe::napi
