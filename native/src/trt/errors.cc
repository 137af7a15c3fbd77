#include "errors.h"

namespace ringmoe::trt {

const char* errorCodeName(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::kInvalidArgument: return "E_INVALID_ARGUMENT";
    case ErrorCode::kIo: return "E_IO";
    case ErrorCode::kBackendUnavailable: return "E_BACKEND_UNAVAILABLE";
    case ErrorCode::kBackendInit: return "E_BACKEND_INIT";
    case ErrorCode::kInference: return "E_INFERENCE";
    case ErrorCode::kEngineStale: return "E_ENGINE_STALE";
    case ErrorCode::kEngineForeign: return "E_ENGINE_FOREIGN";
    case ErrorCode::kEngineBuild: return "E_ENGINE_BUILD";
    case ErrorCode::kCalibration: return "E_CALIBRATION";
    case ErrorCode::kInternal: return "E_INTERNAL";
  }
  return "E_INTERNAL";
}

std::string Error::fullMessage() const {
  std::string out = what();
  for (const auto& line : log_) {
    out += "\n  ";
    out += line;
  }
  return out;
}

}  // namespace ringmoe::trt
