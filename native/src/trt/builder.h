// ONNX → serialized TensorRT plan. Plain C++ (no Node): the N-API glue runs buildPlan on a worker
// thread, and a C++ tool could call it directly.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tensor_types.h"

namespace ringmoe::trt {

enum class Precision { kFP32, kFP16, kINT8 };
/** kAuto: weakly typed on 8.x/10.x (precision from builder flags), strongly typed on 11.x. */
enum class Typing { kAuto, kWeak, kStrong };

/** min/opt/max shapes of one dynamic input (one optimisation profile covers all inputs). */
struct InputProfile {
  std::string input;
  Shape min, opt, max;
};

/** Everything a build needs; the TypeScript side validates and normalises it first. */
struct BuildOptions {
  /** ONNX file; parsed from its path so external data files next to it are found. */
  std::string onnxPath;
  Precision precision = Precision::kFP16;
  Typing typing = Typing::kAuto;
  /** DLA core, or −1 for the GPU. */
  int dlaCore = -1;
  /** Let layers the DLA cannot run fall back to the GPU. */
  bool gpuFallback = true;
  /** Workspace memory-pool limit in bytes; 0 keeps TensorRT's default (device memory). */
  uint64_t workspaceBytes = 0;
  /** INT8 calibration cache (TensorRT < 11, graphs without Q/DQ). */
  std::string calibrationCachePath;
  /** Timing cache: loaded when the file exists, written back after the build. */
  std::string timingCachePath;
  std::vector<InputProfile> profile;
  /** Builder optimisation level 0-5 (TensorRT ≥ 8.6), −1 for the default. */
  int optimizationLevel = -1;
  /** CUDA device to build for. */
  int device = 0;
};

/** A serialized plan and what happened while making it. */
struct BuildResult {
  std::vector<uint8_t> plan;
  /** sha256 of `plan`, lowercase hex. */
  std::string sha256;
  /** Warnings (and info with RINGMOE_TRT_VERBOSE=1) TensorRT logged during the build. */
  std::vector<std::string> log;
  /** Decisions the builder made that the caller should record (typing, ignored timing cache, ...). */
  std::vector<std::string> notes;
  /** "weak" or "strong". */
  std::string typing;
  /** Graph contains QuantizeLinear/DequantizeLinear (explicit quantization). */
  bool explicitQuantization = false;
  bool timingCacheSaved = false;
};

/** Builds a plan. @throws Error(kEngineBuild) with the parser/builder log lines, Error(kCalibration), Error(kIo) */
BuildResult buildPlan(const BuildOptions& options);

}  // namespace ringmoe::trt
