// JS ↔ C++ conversion of tensors and shapes. Inputs arrive validated by sdk/runtime/backends/trt.ts
// (P3); mismatches here are bugs and raise E_INTERNAL.
#pragma once

#include <napi.h>

#include "trt/engine.h"
#include "trt/tensor_types.h"

namespace ringmoe::napi {

/** Reads a shape (array of non-negative integers). */
trt::Shape shapeFromJs(Napi::Env env, Napi::Value value, const char* what);
/** Shape → JS array of numbers. */
Napi::Array shapeToJs(Napi::Env env, const trt::Shape& shape);
/** Reads an SDK dtype name. */
trt::DType dtypeFromJs(Napi::Env env, Napi::Value value, const char* what);
/** Checks that `array` is the TypedArray class the SDK uses for `dtype` (float16 → Uint16Array). */
void checkTypedArray(Napi::Env env, const Napi::TypedArray& array, trt::DType dtype, const std::string& name);
/** A new TypedArray of the class for `dtype` holding a copy of `bytes`. */
Napi::TypedArray typedArrayFromBytes(Napi::Env env, trt::DType dtype, const std::vector<uint8_t>& bytes);
/** {name, mode, dtype, shape, profile?} for describe(). */
Napi::Object tensorDescToJs(Napi::Env env, const trt::TensorDesc& desc);

}  // namespace ringmoe::napi
