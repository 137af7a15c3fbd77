// buildEngine(options) → Promise<{plan, sha256, log, notes, typing, explicitQuantization, timingCacheSaved}>  [async]
//   Parses the ONNX file and builds a serialized plan on a libuv pool thread (minutes for large
//   graphs); the event loop stays free. `plan` is a Buffer; `sha256` its hex digest (computed off
//   the JS thread). Rejects with one EdgeError E_ENGINE_BUILD whose message carries the parser and
//   builder log lines; E_CALIBRATION for a bad calibration cache; E_IO for unreadable files.
#pragma once

#include <napi.h>

namespace ringmoe::napi {

/** buildEngine(options: object) */
Napi::Value BuildEngine(const Napi::CallbackInfo& info);

}  // namespace ringmoe::napi
