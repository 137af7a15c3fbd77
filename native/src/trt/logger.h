// The one nvinfer1::ILogger of the addon. TensorRT keeps the first logger it is given for the whole
// process, so there is exactly one; each build or engine call collects the lines logged on its own
// thread through a LogCapture, and those lines end up in the error the caller sees.
#pragma once

#include <NvInfer.h>

#include <deque>
#include <mutex>
#include <string>
#include <vector>

namespace ringmoe::trt {

class LogCapture;

/** Process-wide logger: forwards each line to the capture active on the calling thread. */
class Logger final : public nvinfer1::ILogger {
 public:
  /** The single instance. */
  static Logger& instance();

  void log(Severity severity, char const* message) noexcept override;

  /** Lines at or above `severity` go to captures (default kWARNING; kINFO with RINGMOE_TRT_VERBOSE=1). */
  void setMinSeverity(Severity severity) noexcept { minSeverity_ = severity; }

  /** The last lines logged on threads with no active capture (TensorRT's internal threads). */
  std::vector<std::string> orphanLines() const;

 private:
  Logger();
  Severity minSeverity_;
  mutable std::mutex mutex_;
  std::deque<std::string> orphans_;
};

/** RAII: while alive, lines logged on this thread are appended to `lines()`. Nests. */
class LogCapture {
 public:
  LogCapture();
  ~LogCapture();
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  const std::vector<std::string>& lines() const noexcept { return lines_; }
  /** Only the error-level lines (the ones worth putting in an exception message). */
  std::vector<std::string> errors() const;

 private:
  friend class Logger;
  void add(std::string line, bool isError);
  LogCapture* previous_;
  std::vector<std::string> lines_;
  std::vector<bool> isError_;
};

/** Printable name of a severity, e.g. "ERROR". */
const char* severityName(nvinfer1::ILogger::Severity severity) noexcept;

}  // namespace ringmoe::trt
