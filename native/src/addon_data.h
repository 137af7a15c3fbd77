// Per-environment state of the addon (main thread and each worker thread get their own), set with
// napi_set_instance_data so nothing is shared across environments.
#pragma once

#include <napi.h>

#include <set>

namespace ringmoe::napi {

class EngineWrap;

struct AddonData {
  /** The SDK's EdgeError class, handed in by sdk/core/binding.ts through setErrorClass(). */
  Napi::FunctionReference edgeError;
  /** Constructor of the Engine class (instances are made only by loadEngine). */
  Napi::FunctionReference engineConstructor;
  /** Live engines; the cleanup hook releases their GPU memory when the environment exits. */
  std::set<EngineWrap*> engines;
};

/** This environment's data. */
inline AddonData& addonData(Napi::Env env) { return *env.GetInstanceData<AddonData>(); }

}  // namespace ringmoe::napi
