// JS class Engine: a loaded TensorRT plan. Instances come only from loadEngine().
//
//   loadEngine(plan: Uint8Array, options: {device?, dlaCore?, sha256?, forcePinned?}) → Promise<Engine>   [async]
//       deserialises off the JS thread. Rejects E_ENGINE_STALE (sha256 mismatch), E_ENGINE_FOREIGN
//       (not a plan for this TensorRT/GPU), E_BACKEND_INIT.
//   engine.describe() → {name, mode, dtype, shape, profile?}[]                                          [sync]
//   engine.run(inputs: {name, dtype, shape, data}[], outputs: string[]) → Promise<{name, dtype, shape, data}[]>  [async]
//       copies, enqueueV3 and synchronises on a pool thread; runs on one engine are serialised.
//       Rejects E_INVALID_ARGUMENT (inputs that do not fit), E_INFERENCE.
//   engine.dispose() → undefined                                                                         [sync]
//       idempotent; GPU memory is freed once in-flight runs finish. Later run() rejects E_CLOSED.
//   engine.memoryMode: "mapped" | "pinned";  engine.activationBytes: number                            [getters]
#pragma once

#include <napi.h>

#include <memory>

#include "trt/engine.h"

namespace ringmoe::napi {

class EngineWrap : public Napi::ObjectWrap<EngineWrap> {
 public:
  /** Defines the class and stores its constructor in the AddonData. */
  static Napi::Function Define(Napi::Env env);
  /** loadEngine(plan, options) */
  static Napi::Value Load(const Napi::CallbackInfo& info);
  /** Wraps an engine in a new JS object. */
  static Napi::Object NewInstance(Napi::Env env, std::shared_ptr<trt::Engine> engine);

  explicit EngineWrap(const Napi::CallbackInfo& info);
  ~EngineWrap() override;

  /** Drops this wrap's hold on the engine (dispose()). */
  void Release() noexcept;
  /** Env teardown: releases the engine and forgets the AddonData, which is about to be deleted. */
  void DetachFromEnv() noexcept;

 private:
  Napi::Value Describe(const Napi::CallbackInfo& info);
  Napi::Value Run(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);
  Napi::Value MemoryMode(const Napi::CallbackInfo& info);
  Napi::Value ActivationBytes(const Napi::CallbackInfo& info);

  std::shared_ptr<trt::Engine> engine_;
  bool registered_ = false;
};

}  // namespace ringmoe::napi
