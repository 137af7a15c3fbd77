#include "tensor_types.h"

#include "errors.h"

namespace ringmoe::trt {

const char* dtypeName(DType dtype) noexcept {
  switch (dtype) {
    case DType::kFloat32: return "float32";
    case DType::kFloat16: return "float16";
    case DType::kInt64: return "int64";
    case DType::kInt32: return "int32";
    case DType::kInt8: return "int8";
    case DType::kUint8: return "uint8";
    case DType::kBool: return "bool";
  }
  return "unknown";
}

std::optional<DType> dtypeFromName(const std::string& name) noexcept {
  for (DType d : {DType::kFloat32, DType::kFloat16, DType::kInt64, DType::kInt32, DType::kInt8, DType::kUint8, DType::kBool}) {
    if (name == dtypeName(d)) return d;
  }
  return std::nullopt;
}

size_t dtypeSize(DType dtype) noexcept {
  switch (dtype) {
    case DType::kFloat32: return 4;
    case DType::kFloat16: return 2;
    case DType::kInt64: return 8;
    case DType::kInt32: return 4;
    case DType::kInt8:
    case DType::kUint8:
    case DType::kBool: return 1;
  }
  return 1;
}

std::optional<DType> dtypeFromTrt(nvinfer1::DataType type) noexcept {
  using T = nvinfer1::DataType;
  switch (type) {
    case T::kFLOAT: return DType::kFloat32;
    case T::kHALF: return DType::kFloat16;
    case T::kINT8: return DType::kInt8;
    case T::kINT32: return DType::kInt32;
    case T::kBOOL: return DType::kBool;
    case T::kUINT8: return DType::kUint8;
#if RINGMOE_TRT_HAS_INT64
    case T::kINT64: return DType::kInt64;
#endif
    default: return std::nullopt;
  }
}

std::string trtTypeName(nvinfer1::DataType type) {
  if (auto d = dtypeFromTrt(type)) return dtypeName(*d);
  return "DataType(" + std::to_string(static_cast<int>(type)) + ")";
}

std::string shapeText(const Shape& shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) out += ",";
    out += std::to_string(shape[i]);
  }
  return out + "]";
}

int64_t volume(const Shape& shape) noexcept {
  int64_t v = 1;
  for (int64_t d : shape) {
    if (d < 0) return -1;
    v *= d;
  }
  return v;
}

Shape fromDims(const nvinfer1::Dims& dims) {
  Shape out;
  for (int i = 0; i < dims.nbDims; ++i) out.push_back(static_cast<int64_t>(dims.d[i]));
  return out;
}

nvinfer1::Dims toDims(const Shape& shape) {
  nvinfer1::Dims dims{};
  if (shape.size() > static_cast<size_t>(nvinfer1::Dims::MAX_DIMS)) {
    throw Error(ErrorCode::kInvalidArgument, "rank " + std::to_string(shape.size()) + " exceeds TensorRT's limit of " +
                                                 std::to_string(nvinfer1::Dims::MAX_DIMS));
  }
  dims.nbDims = static_cast<int32_t>(shape.size());
  for (size_t i = 0; i < shape.size(); ++i) dims.d[i] = static_cast<decltype(dims.d[0] + 0)>(shape[i]);
  return dims;
}

}  // namespace ringmoe::trt
