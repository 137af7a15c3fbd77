// Element types and shapes as the SDK names them (sdk/core/package-manifest.ts `DType`), and their
// mapping from TensorRT's DataType, which differs between 8.x, 10.x and 11.x.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "compat.h"

namespace ringmoe::trt {

enum class DType { kFloat32, kFloat16, kInt64, kInt32, kInt8, kUint8, kBool };

/** The SDK's name, e.g. "float32". */
const char* dtypeName(DType dtype) noexcept;
/** Parses an SDK name. */
std::optional<DType> dtypeFromName(const std::string& name) noexcept;
/** Bytes per element. */
size_t dtypeSize(DType dtype) noexcept;
/** Our type for a TensorRT I/O type; empty for types the SDK cannot exchange (bf16, fp8, int4, ...). */
std::optional<DType> dtypeFromTrt(nvinfer1::DataType type) noexcept;
/** TensorRT's name for a DataType, for messages. */
std::string trtTypeName(nvinfer1::DataType type);

using Shape = std::vector<int64_t>;

/** "[1,3,224,224]" (−1 for a dynamic dimension). */
std::string shapeText(const Shape& shape);
/** Product of the dims (0 for an empty tensor); −1 if any dim is dynamic. */
int64_t volume(const Shape& shape) noexcept;
/** nvinfer1::Dims → Shape (Dims holds int32 on 8.x and int64 on 10+). */
Shape fromDims(const nvinfer1::Dims& dims);
/** Shape → nvinfer1::Dims. @throws Error(kInvalidArgument) when the rank exceeds Dims::MAX_DIMS */
nvinfer1::Dims toDims(const Shape& shape);

}  // namespace ringmoe::trt
