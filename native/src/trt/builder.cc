#include "builder.h"

#include <NvOnnxParser.h>
#include <cuda_runtime_api.h>

#include <memory>

#include "calibrator.h"
#include "checksum.h"
#include "cuda_check.h"
#include "errors.h"
#include "file_io.h"
#include "logger.h"

namespace ringmoe::trt {

namespace {

using nvinfer1::BuilderFlag;

template <typename T>
using Owned = std::unique_ptr<T>;

[[noreturn]] void buildError(const LogCapture& capture, const std::string& message, std::string hint = {}) {
  throw Error(ErrorCode::kEngineBuild, message, capture.lines(), std::move(hint));
}

bool resolveStrongTyping(const BuildOptions& o) {
#if RINGMOE_TRT_ALWAYS_STRONGLY_TYPED
  if (o.typing == Typing::kWeak) {
    throw Error(ErrorCode::kInvalidArgument, "TensorRT " + headerVersion() + " builds only strongly typed networks; typing \"weak\" is not available");
  }
  return true;
#elif RINGMOE_TRT_HAS_STRONGLY_TYPED_FLAG
  return o.typing == Typing::kStrong;
#else
  if (o.typing == Typing::kStrong) {
    throw Error(ErrorCode::kInvalidArgument, "strongly typed networks need TensorRT 10 or newer; this is " + headerVersion());
  }
  return false;
#endif
}

uint32_t networkFlags(bool strong) {
  uint32_t flags = 0;
#if RINGMOE_TRT_NEEDS_EXPLICIT_BATCH
  flags |= 1U << static_cast<uint32_t>(nvinfer1::NetworkDefinitionCreationFlag::kEXPLICIT_BATCH);
#endif
#if RINGMOE_TRT_HAS_STRONGLY_TYPED_FLAG
  if (strong) flags |= 1U << static_cast<uint32_t>(nvinfer1::NetworkDefinitionCreationFlag::kSTRONGLY_TYPED);
#endif
  (void)strong;
  return flags;
}

void parseOnnx(nvonnxparser::IParser& parser, const BuildOptions& o, const LogCapture& capture) {
  if (!fileExists(o.onnxPath)) throw Error(ErrorCode::kIo, o.onnxPath + ": ONNX file not found");
  // parseFromFile (not parse(buffer)) so external-data weight files beside the graph are resolved.
  const int verbosity = static_cast<int>(nvinfer1::ILogger::Severity::kWARNING);
  if (parser.parseFromFile(o.onnxPath.c_str(), verbosity)) return;
  std::vector<std::string> lines;
  for (int i = 0; i < parser.getNbErrors(); ++i) {
    const nvonnxparser::IParserError* e = parser.getError(i);
    std::string line = "[ONNX] node " + std::to_string(e->node());
#if RINGMOE_TRT_PARSER_HAS_NODE_NAME
    if (e->nodeName() != nullptr && e->nodeName()[0] != '\0') line += std::string(" (") + e->nodeName() + ", " + e->nodeOperator() + ")";
#endif
    line += std::string(": ") + e->desc();
    lines.push_back(std::move(line));
  }
  for (const auto& l : capture.lines()) lines.push_back(l);
  throw Error(ErrorCode::kEngineBuild, o.onnxPath + ": the ONNX parser rejected the graph", lines,
              "check the graph with onnxruntime first; unsupported operators are named above");
}

bool hasQdq(nvinfer1::INetworkDefinition& network) {
  for (int32_t i = 0; i < network.getNbLayers(); ++i) {
    const auto type = network.getLayer(i)->getType();
    if (type == nvinfer1::LayerType::kQUANTIZE || type == nvinfer1::LayerType::kDEQUANTIZE) return true;
  }
  return false;
}

// Precision: weak typing uses builder flags (8.x/10.x); strong typing takes types from the graph.
// Returns the calibrator the config points at (it must outlive the build).
std::shared_ptr<void> applyPrecision(nvinfer1::IBuilder& builder, nvinfer1::IBuilderConfig& config,
                                                        const BuildOptions& o, bool strong, bool qdq, BuildResult& result) {
  (void)builder;
  (void)config;  // unused on TensorRT 11, where precision comes only from the graph
  std::shared_ptr<void> calibrator;  // keeps the calibrator alive until the build ends
  if (o.precision == Precision::kINT8 && !qdq) {
#if RINGMOE_TRT_HAS_CALIBRATOR
    if (strong) {
      throw Error(ErrorCode::kEngineBuild, o.onnxPath + ": INT8 in a strongly typed network needs QuantizeLinear/DequantizeLinear nodes in the graph",
                  {}, "quantize the graph to Q/DQ form, or build weakly typed with a calibration cache");
    }
    if (o.calibrationCachePath.empty()) {
      throw Error(ErrorCode::kEngineBuild, o.onnxPath + ": INT8 needs Q/DQ nodes in the graph or a calibration cache; neither was given",
                  {}, "pass the package's calibration cache, or quantize the graph to Q/DQ form");
    }
    CalibrationCache cache = readCalibrationCache(o.calibrationCachePath);
    result.notes.push_back("int8 scales from calibration cache " + o.calibrationCachePath + " (" +
                           std::to_string(cache.scales.size()) + " tensors, written by TensorRT version " +
                           std::to_string(cache.headerVersion) + ")");
    auto owned = std::make_shared<CacheCalibrator>(std::move(cache));
    calibrator = owned;
    RINGMOE_ALLOW_DEPRECATED_BEGIN
    config.setInt8Calibrator(owned.get());
    RINGMOE_ALLOW_DEPRECATED_END
#else
    throw Error(ErrorCode::kEngineBuild, o.onnxPath + ": TensorRT " + headerVersion() +
                " has no implicit INT8 calibration; INT8 needs QuantizeLinear/DequantizeLinear nodes in the graph",
                {}, "quantize the graph to Q/DQ form");
#endif
  } else if (o.precision == Precision::kINT8 && !o.calibrationCachePath.empty()) {
    throw Error(ErrorCode::kEngineBuild, o.onnxPath + ": the graph carries Q/DQ nodes (explicit quantization); a calibration cache must not be given too");
  }
  if (strong) {
    if (o.precision != Precision::kFP32) {
      result.notes.push_back("strongly typed network: layer precisions follow the graph's tensor types and Q/DQ nodes, not builder flags");
    }
    return calibrator;
  }
#if RINGMOE_TRT_HAS_PRECISION_FLAGS
  RINGMOE_ALLOW_DEPRECATED_BEGIN
  if (o.precision == Precision::kFP16 || o.precision == Precision::kINT8) {
#if RINGMOE_TRT_HAS_PLATFORM_FAST
    if (!builder.platformHasFastFp16()) result.notes.push_back("this GPU has no fast FP16; FP16 kernels may be slower than FP32");
#endif
    config.setFlag(BuilderFlag::kFP16);  // INT8 engines fall back to FP16 where a layer has no INT8 kernel
  }
  if (o.precision == Precision::kINT8) config.setFlag(BuilderFlag::kINT8);
  RINGMOE_ALLOW_DEPRECATED_END
#endif
  return calibrator;
}

void applyDla(nvinfer1::IBuilder& builder, nvinfer1::IBuilderConfig& config, const BuildOptions& o, bool strong) {
  if (o.dlaCore < 0) return;
  const int32_t cores = builder.getNbDLACores();
  if (o.dlaCore >= cores) {
    throw Error(ErrorCode::kEngineBuild, "DLA core " + std::to_string(o.dlaCore) + " was asked for, but this device has " +
                                             std::to_string(cores) + " DLA core(s) with TensorRT " + headerVersion(),
                {}, "build for the GPU (no dlaCore), or on a module with DLA (Xavier, Orin NX, AGX Orin)");
  }
  if (!strong && o.precision == Precision::kFP32) {
    throw Error(ErrorCode::kEngineBuild, "the DLA runs only FP16 and INT8; precision fp32 cannot target DLA core " + std::to_string(o.dlaCore));
  }
  config.setDefaultDeviceType(nvinfer1::DeviceType::kDLA);
  config.setDLACore(o.dlaCore);
  if (o.gpuFallback) config.setFlag(BuilderFlag::kGPU_FALLBACK);
}

void applyProfile(nvinfer1::IBuilder& builder, nvinfer1::INetworkDefinition& network, nvinfer1::IBuilderConfig& config,
                  const BuildOptions& o) {
  nvinfer1::IOptimizationProfile* profile = builder.createOptimizationProfile();
  bool needed = false;
  for (const auto& p : o.profile) {
    bool found = false;
    for (int32_t i = 0; i < network.getNbInputs(); ++i) found = found || p.input == network.getInput(i)->getName();
    if (!found) throw Error(ErrorCode::kEngineBuild, o.onnxPath + ": the profile names input " + p.input + ", which the graph does not have");
  }
  for (int32_t i = 0; i < network.getNbInputs(); ++i) {
    nvinfer1::ITensor* input = network.getInput(i);
    const Shape dims = fromDims(input->getDimensions());
    const InputProfile* given = nullptr;
    for (const auto& p : o.profile) {
      if (p.input == input->getName()) given = &p;
    }
    if (volume(dims) >= 0 && given == nullptr) continue;  // static input, nothing to say
    if (given == nullptr) {
      throw Error(ErrorCode::kEngineBuild, o.onnxPath + ": input " + input->getName() + " has dynamic shape " + shapeText(dims) +
                                               " but the build gives no min/opt/max profile for it");
    }
    for (const Shape* s : {&given->min, &given->opt, &given->max}) {
      bool ok = s->size() == dims.size();
      for (size_t d = 0; ok && d < dims.size(); ++d) ok = (*s)[d] > 0 && (dims[d] < 0 || dims[d] == (*s)[d]);
      if (!ok) {
        throw Error(ErrorCode::kEngineBuild, o.onnxPath + ": profile shape " + shapeText(*s) + " for input " + input->getName() +
                                                 " does not fit its graph shape " + shapeText(dims));
      }
    }
    using S = nvinfer1::OptProfileSelector;
    if (!profile->setDimensions(input->getName(), S::kMIN, toDims(given->min)) ||
        !profile->setDimensions(input->getName(), S::kOPT, toDims(given->opt)) ||
        !profile->setDimensions(input->getName(), S::kMAX, toDims(given->max))) {
      throw Error(ErrorCode::kEngineBuild, o.onnxPath + ": TensorRT rejected the profile of input " + input->getName() +
                                               " (min ≤ opt ≤ max must hold per dimension)");
    }
    needed = true;
  }
  if (needed && config.addOptimizationProfile(profile) < 0) {
    throw Error(ErrorCode::kEngineBuild, o.onnxPath + ": TensorRT rejected the optimisation profile");
  }
}

Owned<nvinfer1::ITimingCache> loadTimingCache(nvinfer1::IBuilderConfig& config, const BuildOptions& o, BuildResult& result) {
  std::vector<uint8_t> blob;
  if (!o.timingCachePath.empty() && fileExists(o.timingCachePath)) blob = readFile(o.timingCachePath);
  Owned<nvinfer1::ITimingCache> cache(config.createTimingCache(blob.empty() ? nullptr : blob.data(), blob.size()));
  if (!cache && !blob.empty()) {
    // A cache from another TensorRT version or a corrupt file: start empty rather than fail the build.
    result.notes.push_back("timing cache " + o.timingCachePath + " was not readable by this TensorRT; started an empty one");
    cache.reset(config.createTimingCache(nullptr, 0));
  }
  if (!cache) throw Error(ErrorCode::kEngineBuild, "TensorRT could not create a timing cache");
  if (!config.setTimingCache(*cache, false)) {
    result.notes.push_back("timing cache " + o.timingCachePath + " belongs to another device or TensorRT version; started an empty one");
    cache.reset(config.createTimingCache(nullptr, 0));
    if (!cache || !config.setTimingCache(*cache, false)) throw Error(ErrorCode::kEngineBuild, "TensorRT refused an empty timing cache");
  } else if (!blob.empty()) {
    result.notes.push_back("timing cache loaded from " + o.timingCachePath);
  }
  return cache;
}

void saveTimingCache(nvinfer1::IBuilderConfig& config, const BuildOptions& o, BuildResult& result) {
  if (o.timingCachePath.empty()) return;
  const nvinfer1::ITimingCache* cache = config.getTimingCache();
  if (cache == nullptr) return;
  Owned<nvinfer1::IHostMemory> blob(cache->serialize());
  if (!blob) return;
  writeFileAtomic(o.timingCachePath, blob->data(), blob->size());
  result.timingCacheSaved = true;
}

}  // namespace

BuildResult buildPlan(const BuildOptions& o) {
  BuildResult result;
  LogCapture capture;
  cudaCheck(cudaSetDevice(o.device), "cudaSetDevice", ErrorCode::kEngineBuild);
  const bool strong = resolveStrongTyping(o);
  result.typing = strong ? "strong" : "weak";

  Owned<nvinfer1::IBuilder> builder(nvinfer1::createInferBuilder(Logger::instance()));
  if (!builder) buildError(capture, "TensorRT could not create a builder");
  Owned<nvinfer1::INetworkDefinition> network(builder->createNetworkV2(networkFlags(strong)));
  if (!network) buildError(capture, "TensorRT could not create a network definition");
  Owned<nvonnxparser::IParser> parser(nvonnxparser::createParser(*network, Logger::instance()));
  if (!parser) buildError(capture, "TensorRT could not create the ONNX parser");
  parseOnnx(*parser, o, capture);
  result.explicitQuantization = hasQdq(*network);

  Owned<nvinfer1::IBuilderConfig> config(builder->createBuilderConfig());
  if (!config) buildError(capture, "TensorRT could not create a builder config");
  auto calibrator = applyPrecision(*builder, *config, o, strong, result.explicitQuantization, result);
  applyDla(*builder, *config, o, strong);
  if (o.workspaceBytes > 0) config->setMemoryPoolLimit(nvinfer1::MemoryPoolType::kWORKSPACE, static_cast<size_t>(o.workspaceBytes));
#if RINGMOE_TRT_HAS_OPT_LEVEL
  if (o.optimizationLevel >= 0) config->setBuilderOptimizationLevel(o.optimizationLevel);
#else
  if (o.optimizationLevel >= 0) result.notes.push_back("builder optimisation level needs TensorRT 8.6+; ignored");
#endif
  applyProfile(*builder, *network, *config, o);
  auto timingCache = loadTimingCache(*config, o, result);

  Owned<nvinfer1::IHostMemory> plan(builder->buildSerializedNetwork(*network, *config));
  if (!plan || plan->size() == 0) {
    buildError(capture, o.onnxPath + ": TensorRT failed to build the engine",
               "the lines above name the layer; a larger workspace, another precision or GPU fallback may help");
  }
  saveTimingCache(*config, o, result);
  const auto* bytes = static_cast<const uint8_t*>(plan->data());
  result.plan.assign(bytes, bytes + plan->size());
  result.sha256 = sha256Hex(result.plan.data(), result.plan.size());
  result.log = capture.lines();
  return result;
}

}  // namespace ringmoe::trt
