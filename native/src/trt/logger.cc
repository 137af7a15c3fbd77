#include "logger.h"

#include <cstdlib>

namespace ringmoe::trt {

namespace {
thread_local LogCapture* tCurrent = nullptr;
constexpr size_t kMaxOrphans = 200;
}  // namespace

const char* severityName(nvinfer1::ILogger::Severity severity) noexcept {
  using S = nvinfer1::ILogger::Severity;
  switch (severity) {
    case S::kINTERNAL_ERROR: return "INTERNAL_ERROR";
    case S::kERROR: return "ERROR";
    case S::kWARNING: return "WARNING";
    case S::kINFO: return "INFO";
    case S::kVERBOSE: return "VERBOSE";
  }
  return "LOG";
}

Logger& Logger::instance() {
  static Logger logger;
  return logger;
}

Logger::Logger() : minSeverity_(Severity::kWARNING) {
  const char* verbose = std::getenv("RINGMOE_TRT_VERBOSE");
  if (verbose != nullptr && verbose[0] == '1') minSeverity_ = Severity::kINFO;
}

void Logger::log(Severity severity, char const* message) noexcept {
  // Lower numeric value = more severe.
  if (static_cast<int>(severity) > static_cast<int>(minSeverity_)) return;
  try {
    std::string line = std::string("[TRT ") + severityName(severity) + "] " + (message ? message : "");
    const bool isError = severity == Severity::kERROR || severity == Severity::kINTERNAL_ERROR;
    if (tCurrent != nullptr) {
      tCurrent->add(std::move(line), isError);
      return;
    }
    std::lock_guard<std::mutex> lock(mutex_);
    orphans_.push_back(std::move(line));
    if (orphans_.size() > kMaxOrphans) orphans_.pop_front();
  } catch (...) {
    // Logging must never throw into TensorRT; a line lost to bad_alloc is acceptable.
  }
}

std::vector<std::string> Logger::orphanLines() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return {orphans_.begin(), orphans_.end()};
}

LogCapture::LogCapture() : previous_(tCurrent) { tCurrent = this; }

LogCapture::~LogCapture() {
  tCurrent = previous_;
  // Hand our lines up so an enclosing capture still sees them.
  if (previous_ != nullptr) {
    for (size_t i = 0; i < lines_.size(); ++i) previous_->add(lines_[i], isError_[i]);
  }
}

void LogCapture::add(std::string line, bool isError) {
  lines_.push_back(std::move(line));
  isError_.push_back(isError);
}

std::vector<std::string> LogCapture::errors() const {
  std::vector<std::string> out;
  for (size_t i = 0; i < lines_.size(); ++i) {
    if (isError_[i]) out.push_back(lines_[i]);
  }
  return out;
}

}  // namespace ringmoe::trt
