#include "calib_cache.h"

#include <cmath>
#include <cstring>

#include "errors.h"
#include "file_io.h"

namespace ringmoe::trt {

namespace {

bool isHex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

[[noreturn]] void fail(const std::string& source, size_t line, const std::string& what) {
  throw Error(ErrorCode::kCalibration, source + ":" + std::to_string(line) + ": " + what,
              {}, "regenerate it with the quantize step, or use a Q/DQ graph");
}

}  // namespace

CalibrationCache parseCalibrationCache(const std::vector<uint8_t>& bytes, const std::string& source) {
  CalibrationCache out;
  out.bytes = bytes;
  const std::string text(bytes.begin(), bytes.end());
  size_t pos = 0;
  size_t lineNo = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    ++lineNo;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (lineNo == 1) {
      // TRT-<digits>-<algorithm>
      const std::string prefix = "TRT-";
      const size_t dash = line.find('-', prefix.size());
      if (line.compare(0, prefix.size(), prefix) != 0 || dash == std::string::npos || dash == prefix.size()) {
        fail(source, lineNo, "expected header TRT-<version>-EntropyCalibration2");
      }
      const std::string digits = line.substr(prefix.size(), dash - prefix.size());
      for (char c : digits) {
        if (c < '0' || c > '9') fail(source, lineNo, "version in header is not a number: " + digits);
      }
      if (digits.size() > 12) fail(source, lineNo, "version in header is too long: " + digits);
      out.headerVersion = std::stoll(digits);
      out.algorithm = line.substr(dash + 1);
      if (out.algorithm != "EntropyCalibration2") {
        fail(source, lineNo, "calibration algorithm " + out.algorithm + " is not EntropyCalibration2");
      }
      continue;
    }
    if (line.empty()) continue;
    const size_t colon = line.rfind(": ");
    if (colon == std::string::npos || colon == 0) fail(source, lineNo, "expected <tensor>: <hex scale>");
    const std::string name = line.substr(0, colon);
    const std::string hex = line.substr(colon + 2);
    if (hex.empty() || hex.size() > 8) fail(source, lineNo, "scale of " + name + " is not 1-8 hex digits");
    for (char c : hex) {
      if (!isHex(c)) fail(source, lineNo, "scale of " + name + " is not hex: " + hex);
    }
    const uint32_t bits = static_cast<uint32_t>(std::stoul(hex, nullptr, 16));
    float scale = 0;
    std::memcpy(&scale, &bits, sizeof scale);
    if (!std::isfinite(scale) || scale < 0) fail(source, lineNo, "scale of " + name + " is not a finite non-negative number");
    if (!out.scales.emplace(name, scale).second) fail(source, lineNo, "tensor " + name + " appears twice");
  }
  if (lineNo == 0) fail(source, 1, "file is empty");
  if (out.scales.empty()) fail(source, lineNo, "no tensor scales after the header");
  return out;
}

CalibrationCache readCalibrationCache(const std::string& path) {
  return parseCalibrationCache(readFile(path), path);
}

}  // namespace ringmoe::trt
