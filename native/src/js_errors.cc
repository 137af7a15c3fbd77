#include "js_errors.h"

#include "addon_data.h"

namespace ringmoe::napi {

Napi::Error makeEdgeError(Napi::Env env, const std::string& code, const std::string& message, const std::string& hint) {
  AddonData& data = addonData(env);
  if (!data.edgeError.IsEmpty()) {
    Napi::Object location = Napi::Object::New(env);
    if (!hint.empty()) location.Set("hint", hint);
    Napi::Object err = data.edgeError.New({Napi::String::New(env, code), Napi::String::New(env, message), location});
    return Napi::Error(env, err);
  }
  Napi::Error err = Napi::Error::New(env, message + (hint.empty() ? "" : " (" + hint + ")"));
  err.Set("code", Napi::String::New(env, code));
  return err;
}

Napi::Error fromTrtError(Napi::Env env, const trt::Error& error) {
  return makeEdgeError(env, trt::errorCodeName(error.code()), error.fullMessage(), error.hint());
}

void throwInternal(Napi::Env env, const std::string& what) {
  throw makeEdgeError(env, "E_INTERNAL", "native binding called incorrectly: " + what);
}

}  // namespace ringmoe::napi
