// Native failures → the SDK's EdgeError (P5): the class is passed in at load, so C++ rejects promises
// with real EdgeError instances carrying a stable `code`. Before setErrorClass() is called (or if it
// never is) a plain Error with a `code` property is used instead.
#pragma once

#include <napi.h>

#include <string>

#include "trt/errors.h"

namespace ringmoe::napi {

/** An EdgeError(code, message, {hint}) value. */
Napi::Error makeEdgeError(Napi::Env env, const std::string& code, const std::string& message, const std::string& hint = {});

/** The EdgeError for a TensorRT-layer error (message includes its log lines). */
Napi::Error fromTrtError(Napi::Env env, const trt::Error& error);

/** Throws E_INTERNAL: the TypeScript layer passed something it should have validated (a bug). */
[[noreturn]] void throwInternal(Napi::Env env, const std::string& what);

}  // namespace ringmoe::napi
