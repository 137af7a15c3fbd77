// An AsyncWorker that settles a promise. Execute() runs on a libuv pool thread and never touches JS;
// a trt::Error (or any exception) thrown there is kept and becomes one EdgeError in OnError().
#pragma once

#include <napi.h>

#include <exception>
#include <optional>

#include "js_errors.h"
#include "trt/errors.h"

namespace ringmoe::napi {

class PromiseWorker : public Napi::AsyncWorker {
 public:
  explicit PromiseWorker(Napi::Env env, const char* name)
      : Napi::AsyncWorker(env, name), deferred_(Napi::Promise::Deferred::New(env)) {}

  /** The promise this worker settles; queue the worker, then return this. */
  Napi::Promise promise() const { return deferred_.Promise(); }

 protected:
  /** Work off the JS thread; throw trt::Error to reject. */
  virtual void work() = 0;
  /** Builds the resolution value on the JS thread. */
  virtual Napi::Value result(Napi::Env env) = 0;

 private:
  void Execute() final {
    try {
      work();
    } catch (const trt::Error& e) {
      error_ = e;
      SetError(e.what());
    } catch (const std::exception& e) {
      error_ = trt::Error(trt::ErrorCode::kInternal, std::string("unexpected native exception: ") + e.what());
      SetError(e.what());
    }
  }
  void OnOK() final {
    Napi::Env env = Env();
    try {
      deferred_.Resolve(result(env));
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    }
  }
  void OnError(const Napi::Error& /*unused*/) final {
    Napi::Env env = Env();
    const trt::Error err = error_.value_or(trt::Error(trt::ErrorCode::kInternal, "native worker failed"));
    deferred_.Reject(fromTrtError(env, err).Value());
  }

  Napi::Promise::Deferred deferred_;
  std::optional<trt::Error> error_;
};

}  // namespace ringmoe::napi
