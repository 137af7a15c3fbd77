#include "tensor_helper.h"

#include <cstring>

#include "js_errors.h"

namespace ringmoe::napi {

namespace {
napi_typedarray_type arrayTypeFor(trt::DType dtype) {
  switch (dtype) {
    case trt::DType::kFloat32: return napi_float32_array;
    case trt::DType::kFloat16: return napi_uint16_array;  // raw IEEE half bit patterns
    case trt::DType::kInt64: return napi_bigint64_array;
    case trt::DType::kInt32: return napi_int32_array;
    case trt::DType::kInt8: return napi_int8_array;
    case trt::DType::kUint8:
    case trt::DType::kBool: return napi_uint8_array;
  }
  return napi_uint8_array;
}
}  // namespace

trt::Shape shapeFromJs(Napi::Env env, Napi::Value value, const char* what) {
  if (!value.IsArray()) throwInternal(env, std::string(what) + " is not an array");
  Napi::Array arr = value.As<Napi::Array>();
  trt::Shape shape;
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    Napi::Value d = arr.Get(i);
    if (!d.IsNumber() || d.As<Napi::Number>().DoubleValue() < 0) throwInternal(env, std::string(what) + " has a bad dimension");
    shape.push_back(d.As<Napi::Number>().Int64Value());
  }
  return shape;
}

Napi::Array shapeToJs(Napi::Env env, const trt::Shape& shape) {
  Napi::Array arr = Napi::Array::New(env, shape.size());
  for (size_t i = 0; i < shape.size(); ++i) arr.Set(static_cast<uint32_t>(i), Napi::Number::New(env, static_cast<double>(shape[i])));
  return arr;
}

trt::DType dtypeFromJs(Napi::Env env, Napi::Value value, const char* what) {
  if (!value.IsString()) throwInternal(env, std::string(what) + " is not a string");
  const auto dtype = trt::dtypeFromName(value.As<Napi::String>().Utf8Value());
  if (!dtype) throwInternal(env, std::string(what) + " is not a known dtype");
  return *dtype;
}

void checkTypedArray(Napi::Env env, const Napi::TypedArray& array, trt::DType dtype, const std::string& name) {
  if (array.TypedArrayType() != arrayTypeFor(dtype)) throwInternal(env, "data of " + name + " has the wrong TypedArray class for " + trt::dtypeName(dtype));
}

Napi::TypedArray typedArrayFromBytes(Napi::Env env, trt::DType dtype, const std::vector<uint8_t>& bytes) {
  Napi::ArrayBuffer buffer = Napi::ArrayBuffer::New(env, bytes.size());
  if (!bytes.empty()) std::memcpy(buffer.Data(), bytes.data(), bytes.size());
  const size_t n = bytes.size() / trt::dtypeSize(dtype);
  switch (dtype) {
    case trt::DType::kFloat32: return Napi::Float32Array::New(env, n, buffer, 0);
    case trt::DType::kFloat16: return Napi::Uint16Array::New(env, n, buffer, 0);
    case trt::DType::kInt64: return Napi::BigInt64Array::New(env, n, buffer, 0);
    case trt::DType::kInt32: return Napi::Int32Array::New(env, n, buffer, 0);
    case trt::DType::kInt8: return Napi::Int8Array::New(env, n, buffer, 0);
    case trt::DType::kUint8:
    case trt::DType::kBool: return Napi::Uint8Array::New(env, n, buffer, 0);
  }
  return Napi::Uint8Array::New(env, n, buffer, 0);
}

Napi::Object tensorDescToJs(Napi::Env env, const trt::TensorDesc& d) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("name", d.name);
  o.Set("mode", d.isInput ? "input" : "output");
  o.Set("dtype", trt::dtypeName(d.dtype));
  o.Set("shape", shapeToJs(env, d.shape));
  if (!d.min.empty()) {
    Napi::Object p = Napi::Object::New(env);
    p.Set("min", shapeToJs(env, d.min));
    p.Set("opt", shapeToJs(env, d.opt));
    p.Set("max", shapeToJs(env, d.max));
    o.Set("profile", p);
  }
  return o;
}

}  // namespace ringmoe::napi
