// Plain C++ errors of the TensorRT layer. Each carries one of the SDK's stable codes (sdk/core/errors.ts)
// so the N-API glue can turn it into an EdgeError without guessing.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace ringmoe::trt {

/** Subset of the SDK's error codes the native layer can raise. */
enum class ErrorCode {
  kInvalidArgument,    // E_INVALID_ARGUMENT
  kIo,                 // E_IO
  kBackendUnavailable, // E_BACKEND_UNAVAILABLE
  kBackendInit,        // E_BACKEND_INIT
  kInference,          // E_INFERENCE
  kEngineStale,        // E_ENGINE_STALE
  kEngineForeign,      // E_ENGINE_FOREIGN
  kEngineBuild,        // E_ENGINE_BUILD
  kCalibration,        // E_CALIBRATION
  kInternal,           // E_INTERNAL
};

/** The SDK's string for `code`, e.g. "E_ENGINE_BUILD". */
const char* errorCodeName(ErrorCode code) noexcept;

/** An error with a stable code, a one-line message, and the TensorRT/CUDA log lines that explain it. */
class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message, std::vector<std::string> log = {}, std::string hint = {})
      : std::runtime_error(message), code_(code), log_(std::move(log)), hint_(std::move(hint)) {}

  ErrorCode code() const noexcept { return code_; }
  const std::vector<std::string>& log() const noexcept { return log_; }
  const std::string& hint() const noexcept { return hint_; }

  /** Message plus the log lines, one per line, as shown to users. */
  std::string fullMessage() const;

 private:
  ErrorCode code_;
  std::vector<std::string> log_;
  std::string hint_;
};

}  // namespace ringmoe::trt
