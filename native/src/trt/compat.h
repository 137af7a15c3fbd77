// One source for TensorRT 8.5/8.6 (JetPack 5.1 / 6.0), 10.x (JetPack 6.1+ / 7) and 11.x (JetPack 7.2.2+).
// Every version switch of the addon lives here or is written with these macros, so a reader can find
// all of them with one grep.
#pragma once

#include <NvInfer.h>
#include <NvInferVersion.h>

#include <cstdint>
#include <string>

#if !defined(NV_TENSORRT_MAJOR)
#error "NvInferVersion.h did not define NV_TENSORRT_MAJOR"
#endif

#if NV_TENSORRT_MAJOR < 8 || (NV_TENSORRT_MAJOR == 8 && NV_TENSORRT_MINOR < 5)
#error "ringmoe-edge needs TensorRT 8.5 or newer (JetPack 5.1+): enqueueV3 and the name-based tensor API"
#endif

// Implicit INT8 calibration exists up to 10.x (deprecated from 10.1) and was removed in 11.0.
#define RINGMOE_TRT_HAS_CALIBRATOR (NV_TENSORRT_MAJOR < 11)
// BuilderFlag::kFP16 / kINT8 (weakly typed precision flags) were removed in 11.0.
#define RINGMOE_TRT_HAS_PRECISION_FLAGS (NV_TENSORRT_MAJOR < 11)
// NetworkDefinitionCreationFlag::kSTRONGLY_TYPED appears in 9.x/10.0; 11 networks are always strongly typed.
#define RINGMOE_TRT_HAS_STRONGLY_TYPED_FLAG (NV_TENSORRT_MAJOR >= 10 && NV_TENSORRT_MAJOR < 11)
#define RINGMOE_TRT_ALWAYS_STRONGLY_TYPED (NV_TENSORRT_MAJOR >= 11)
// 8.x networks must be created with kEXPLICIT_BATCH (ONNX is always explicit batch); 10 ignores it.
#define RINGMOE_TRT_NEEDS_EXPLICIT_BATCH (NV_TENSORRT_MAJOR < 10)
// IBuilderConfig::setBuilderOptimizationLevel from 8.6.
#define RINGMOE_TRT_HAS_OPT_LEVEL (NV_TENSORRT_MAJOR > 8 || (NV_TENSORRT_MAJOR == 8 && NV_TENSORRT_MINOR >= 6))
// IBuilder::platformHasFastFp16/Int8 were removed in 11.
#define RINGMOE_TRT_HAS_PLATFORM_FAST (NV_TENSORRT_MAJOR < 11)
// IParserError::nodeName/nodeOperator from 10.0.
#define RINGMOE_TRT_PARSER_HAS_NODE_NAME (NV_TENSORRT_MAJOR >= 10)
// ICudaEngine::getDeviceMemorySizeV2 (int64) from 10.1; getDeviceMemorySize is deprecated then and gone in 11.
#define RINGMOE_TRT_HAS_DEVICE_MEMORY_V2 (NV_TENSORRT_MAJOR > 10 || (NV_TENSORRT_MAJOR == 10 && NV_TENSORRT_MINOR >= 1))
// DataType::kINT64 for I/O tensors from 10.0.
#define RINGMOE_TRT_HAS_INT64 (NV_TENSORRT_MAJOR >= 10)

// Deprecated-but-needed calls (the calibrator on 10.x, kFP16/kINT8 on 10.12+) are wrapped in these so
// the build stays warning-free without hiding other deprecations.
#if defined(__GNUC__)
#define RINGMOE_ALLOW_DEPRECATED_BEGIN \
  _Pragma("GCC diagnostic push") _Pragma("GCC diagnostic ignored \"-Wdeprecated-declarations\"")
#define RINGMOE_ALLOW_DEPRECATED_END _Pragma("GCC diagnostic pop")
#else
#define RINGMOE_ALLOW_DEPRECATED_BEGIN
#define RINGMOE_ALLOW_DEPRECATED_END
#endif

namespace ringmoe::trt {

/** TensorRT version the addon was compiled against, e.g. "10.3.0". */
inline std::string headerVersion() {
  return std::to_string(NV_TENSORRT_MAJOR) + "." + std::to_string(NV_TENSORRT_MINOR) + "." +
         std::to_string(NV_TENSORRT_PATCH);
}

/** Version of the libnvinfer actually loaded, e.g. "10.3.0" (decodes both numbering schemes). */
std::string libraryVersion();

/** Major version of the loaded libnvinfer. */
int libraryMajor();

}  // namespace ringmoe::trt
