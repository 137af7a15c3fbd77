#include "engine_wrap.h"

#include "addon_data.h"
#include "js_errors.h"
#include "options_helper.h"
#include "promise_worker.h"
#include "tensor_helper.h"

namespace ringmoe::napi {

namespace {

class LoadWorker final : public PromiseWorker {
 public:
  LoadWorker(Napi::Env env, Napi::Uint8Array plan, trt::LoadOptions options)
      : PromiseWorker(env, "ringmoe:loadEngine"), options_(std::move(options)), data_(plan.Data()), size_(plan.ByteLength()) {
    // Keeps the plan's memory alive (and unmoved) while the pool thread reads it.
    planRef_ = Napi::Persistent(plan.As<Napi::Object>());
  }

 protected:
  void work() override { engine_ = trt::Engine::deserialize(data_, size_, options_); }
  Napi::Value result(Napi::Env env) override { return EngineWrap::NewInstance(env, engine_); }

 private:
  trt::LoadOptions options_;
  const uint8_t* data_;
  size_t size_;
  Napi::ObjectReference planRef_;
  std::shared_ptr<trt::Engine> engine_;
};

class RunWorker final : public PromiseWorker {
 public:
  RunWorker(Napi::Env env, std::shared_ptr<trt::Engine> engine) : PromiseWorker(env, "ringmoe:run"), engine_(std::move(engine)) {}

  void addInput(trt::RunInput input, Napi::Object holder) {
    inputs_.push_back(std::move(input));
    holders_.push_back(Napi::Persistent(holder));  // input memory must outlive the pool-thread copy
  }
  void addOutput(std::string name) { outputNames_.push_back(std::move(name)); }

 protected:
  void work() override { outputs_ = engine_->run(inputs_, outputNames_); }
  Napi::Value result(Napi::Env env) override {
    Napi::Array arr = Napi::Array::New(env, outputs_.size());
    for (size_t i = 0; i < outputs_.size(); ++i) {
      const auto& out = outputs_[i];
      Napi::Object o = Napi::Object::New(env);
      o.Set("name", out.name);
      o.Set("dtype", trt::dtypeName(out.dtype));
      o.Set("shape", shapeToJs(env, out.shape));
      o.Set("data", typedArrayFromBytes(env, out.dtype, out.data));
      arr.Set(static_cast<uint32_t>(i), o);
    }
    return arr;
  }

 private:
  std::shared_ptr<trt::Engine> engine_;
  std::vector<trt::RunInput> inputs_;
  std::vector<Napi::ObjectReference> holders_;
  std::vector<std::string> outputNames_;
  std::vector<trt::RunOutput> outputs_;
};

}  // namespace

Napi::Function EngineWrap::Define(Napi::Env env) {
  Napi::Function ctor = DefineClass(env, "Engine",
                                    {InstanceMethod<&EngineWrap::Describe>("describe"), InstanceMethod<&EngineWrap::Run>("run"),
                                     InstanceMethod<&EngineWrap::Dispose>("dispose"),
                                     InstanceAccessor<&EngineWrap::MemoryMode>("memoryMode"),
                                     InstanceAccessor<&EngineWrap::ActivationBytes>("activationBytes")});
  addonData(env).engineConstructor = Napi::Persistent(ctor);
  return ctor;
}

Napi::Value EngineWrap::Load(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array || !info[1].IsObject()) {
    throwInternal(env, "loadEngine(plan: Uint8Array, options: object)");
  }
  auto* worker = new LoadWorker(env, info[0].As<Napi::Uint8Array>(), loadOptionsFromJs(env, info[1].As<Napi::Object>()));
  Napi::Promise promise = worker->promise();
  worker->Queue();
  return promise;
}

Napi::Object EngineWrap::NewInstance(Napi::Env env, std::shared_ptr<trt::Engine> engine) {
  Napi::Object obj = addonData(env).engineConstructor.New({Napi::External<std::shared_ptr<trt::Engine>>::New(env, &engine)});
  return obj;
}

EngineWrap::EngineWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<EngineWrap>(info) {
  if (info.Length() != 1 || !info[0].IsExternal()) throwInternal(info.Env(), "Engine cannot be constructed from JavaScript; use loadEngine()");
  engine_ = *info[0].As<Napi::External<std::shared_ptr<trt::Engine>>>().Data();
  addonData(info.Env()).engines.insert(this);
  registered_ = true;
}

EngineWrap::~EngineWrap() {
  if (registered_) addonData(Env()).engines.erase(this);
}

void EngineWrap::Release() noexcept {
  // In-flight RunWorkers hold their own shared_ptr: the engine is freed when the last one finishes.
  engine_.reset();
}

void EngineWrap::DetachFromEnv() noexcept {
  engine_.reset();
  registered_ = false;
}

Napi::Value EngineWrap::Describe(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!engine_) throw makeEdgeError(env, "E_CLOSED", "engine was disposed");
  const auto& tensors = engine_->tensors();
  Napi::Array arr = Napi::Array::New(env, tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) arr.Set(static_cast<uint32_t>(i), tensorDescToJs(env, tensors[i]));
  return arr;
}

Napi::Value EngineWrap::Run(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!engine_) {
    auto deferred = Napi::Promise::Deferred::New(env);
    deferred.Reject(makeEdgeError(env, "E_CLOSED", "engine was disposed").Value());
    return deferred.Promise();
  }
  if (info.Length() < 2 || !info[0].IsArray() || !info[1].IsArray()) throwInternal(env, "run(inputs: object[], outputs: string[])");
  // Read everything first so a bad argument cannot leak a half-built worker.
  std::vector<trt::RunInput> runInputs;
  std::vector<Napi::TypedArray> holders;
  Napi::Array inputs = info[0].As<Napi::Array>();
  for (uint32_t i = 0; i < inputs.Length(); ++i) {
    Napi::Object in = inputs.Get(i).As<Napi::Object>();
    trt::RunInput ri;
    ri.name = in.Get("name").As<Napi::String>().Utf8Value();
    ri.dtype = dtypeFromJs(env, in.Get("dtype"), "input dtype");
    ri.shape = shapeFromJs(env, in.Get("shape"), "input shape");
    Napi::Value data = in.Get("data");
    if (!data.IsTypedArray()) throwInternal(env, "input " + ri.name + " has no TypedArray data");
    Napi::TypedArray arr = data.As<Napi::TypedArray>();
    checkTypedArray(env, arr, ri.dtype, ri.name);
    ri.data = static_cast<const uint8_t*>(arr.ArrayBuffer().Data()) + arr.ByteOffset();
    ri.bytes = arr.ByteLength();
    runInputs.push_back(std::move(ri));
    holders.push_back(arr);
  }
  std::vector<std::string> outputNames;
  Napi::Array outputs = info[1].As<Napi::Array>();
  for (uint32_t i = 0; i < outputs.Length(); ++i) outputNames.push_back(outputs.Get(i).As<Napi::String>().Utf8Value());
  auto* worker = new RunWorker(env, engine_);
  for (size_t i = 0; i < runInputs.size(); ++i) worker->addInput(std::move(runInputs[i]), holders[i]);
  for (auto& name : outputNames) worker->addOutput(std::move(name));
  Napi::Promise promise = worker->promise();
  worker->Queue();
  return promise;
}

Napi::Value EngineWrap::Dispose(const Napi::CallbackInfo& info) {
  Release();
  return info.Env().Undefined();
}

Napi::Value EngineWrap::MemoryMode(const Napi::CallbackInfo& info) {
  if (!engine_) return info.Env().Null();
  return Napi::String::New(info.Env(), trt::memoryModeName(engine_->memoryMode()));
}

Napi::Value EngineWrap::ActivationBytes(const Napi::CallbackInfo& info) {
  if (!engine_) return info.Env().Null();
  return Napi::Number::New(info.Env(), static_cast<double>(engine_->activationBytes()));
}

}  // namespace ringmoe::napi
