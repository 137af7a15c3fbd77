// Our INT8 calibration cache file, as TensorRT's entropy calibrator writes and reads it:
//   TRT-<version>-EntropyCalibration2
//   <tensor name>: <8 hex digits: the IEEE-754 bits of the fp32 scale>
// Parsed and checked here (no TensorRT dependency) before it is handed to the builder, so a corrupt
// file fails with the line at fault instead of a silent FP32 fallback.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace ringmoe::trt {

/** A parsed calibration cache. */
struct CalibrationCache {
  /** Version number in the header (e.g. 8502 for TensorRT 8.5.2, 100300 for 10.3.0). */
  int64_t headerVersion = 0;
  /** Algorithm named in the header (only "EntropyCalibration2" is accepted). */
  std::string algorithm;
  /** Scale per tensor name. */
  std::map<std::string, float> scales;
  /** The file's bytes exactly as read (what TensorRT is given). */
  std::vector<uint8_t> bytes;
};

/** Parses `bytes` (from `source`, used in messages). @throws Error(kCalibration) naming the line. */
CalibrationCache parseCalibrationCache(const std::vector<uint8_t>& bytes, const std::string& source);

/** Reads and parses a cache file. @throws Error(kIo) or Error(kCalibration) */
CalibrationCache readCalibrationCache(const std::string& path);

}  // namespace ringmoe::trt
