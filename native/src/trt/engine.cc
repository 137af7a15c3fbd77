#include "engine.h"

#include <NvInfer.h>

#include <cstring>

#include "checksum.h"
#include "cuda_check.h"
#include "device.h"
#include "errors.h"
#include "logger.h"

namespace ringmoe::trt {

namespace {

// TensorRT plans start with a small header; anything shorter cannot be a plan.
constexpr size_t kMinPlanBytes = 32;

MemoryMode chooseMode(int device, bool forcePinned) {
  if (forcePinned) return MemoryMode::kPinned;
  for (const auto& d : listDevices().devices) {
    if (d.index == device) return d.integrated && d.canMapHostMemory ? MemoryMode::kMapped : MemoryMode::kPinned;
  }
  return MemoryMode::kPinned;
}

}  // namespace

std::shared_ptr<Engine> Engine::deserialize(const uint8_t* plan, size_t size, const LoadOptions& o) {
  if (!o.expectedSha256.empty()) {
    const std::string actual = sha256Hex(plan, size);
    if (actual != o.expectedSha256) {
      throw Error(ErrorCode::kEngineStale, "engine plan sha256 " + actual + " does not match the expected " + o.expectedSha256,
                  {}, "the plan changed after it was cached; it will be rebuilt");
    }
  }
  if (size < kMinPlanBytes) {
    throw Error(ErrorCode::kEngineForeign, "engine plan has " + std::to_string(size) + " bytes; too short to be a TensorRT plan");
  }
  LogCapture capture;
  cudaCheck(cudaSetDevice(o.device), "cudaSetDevice", ErrorCode::kBackendInit);
  std::shared_ptr<Engine> e(new Engine());
  e->device_ = o.device;
  e->runtime_.reset(nvinfer1::createInferRuntime(Logger::instance()));
  if (!e->runtime_) throw Error(ErrorCode::kBackendInit, "TensorRT could not create a runtime", capture.lines());
  if (o.dlaCore >= 0) {
    if (o.dlaCore >= e->runtime_->getNbDLACores()) {
      throw Error(ErrorCode::kEngineForeign, "plan targets DLA core " + std::to_string(o.dlaCore) + " but this device has " +
                                                 std::to_string(e->runtime_->getNbDLACores()));
    }
    e->runtime_->setDLACore(o.dlaCore);
  }
  e->engine_.reset(e->runtime_->deserializeCudaEngine(plan, size));
  if (!e->engine_) {
    // Wrong TensorRT version, another GPU, or not a plan at all: TensorRT's lines say which.
    throw Error(ErrorCode::kEngineForeign, "TensorRT " + libraryVersion() + " could not deserialize the plan", capture.lines(),
                "engines do not move across TensorRT versions or GPUs; rebuild it on this device");
  }
  e->context_.reset(e->engine_->createExecutionContext());
  if (!e->context_) throw Error(ErrorCode::kBackendInit, "TensorRT could not create an execution context", capture.lines());
#if RINGMOE_TRT_HAS_DEVICE_MEMORY_V2
  e->activationBytes_ = static_cast<size_t>(e->engine_->getDeviceMemorySizeV2());
#else
  e->activationBytes_ = static_cast<size_t>(e->engine_->getDeviceMemorySize());
#endif
  cudaCheck(cudaStreamCreateWithFlags(&e->stream_, cudaStreamNonBlocking), "cudaStreamCreate", ErrorCode::kBackendInit);
  e->mode_ = chooseMode(o.device, o.forcePinned);

  for (int32_t i = 0; i < e->engine_->getNbIOTensors(); ++i) {
    const char* name = e->engine_->getIOTensorName(i);
    TensorDesc d;
    d.name = name;
    d.isInput = e->engine_->getTensorIOMode(name) == nvinfer1::TensorIOMode::kINPUT;
    const auto trtType = e->engine_->getTensorDataType(name);
    const auto dtype = dtypeFromTrt(trtType);
    if (!dtype) {
      throw Error(ErrorCode::kBackendInit, "engine tensor " + d.name + " has type " + trtTypeName(trtType) +
                                               ", which the SDK cannot exchange (use float32/float16/int* I/O)");
    }
    if (e->engine_->getTensorFormat(name) != nvinfer1::TensorFormat::kLINEAR) {
      throw Error(ErrorCode::kBackendInit, "engine tensor " + d.name + " uses a vectorised format; only linear I/O tensors are supported");
    }
    d.dtype = *dtype;
    d.shape = fromDims(e->engine_->getTensorShape(name));
    if (d.isInput && volume(d.shape) < 0 && e->engine_->getNbOptimizationProfiles() > 0) {
      using S = nvinfer1::OptProfileSelector;
      d.min = fromDims(e->engine_->getProfileShape(name, 0, S::kMIN));
      d.opt = fromDims(e->engine_->getProfileShape(name, 0, S::kOPT));
      d.max = fromDims(e->engine_->getProfileShape(name, 0, S::kMAX));
    }
    e->tensors_.push_back(std::move(d));
    e->buffers_.emplace(name, TensorBuffer(e->mode_));
  }
  return e;
}

Engine::~Engine() { release(); }

void Engine::release() noexcept {
  std::lock_guard<std::mutex> lock(mutex_);
  if (runtime_ == nullptr && stream_ == nullptr) return;
  cudaSetDevice(device_);
  if (stream_ != nullptr) {
    cudaStreamSynchronize(stream_);
    cudaStreamDestroy(stream_);
    stream_ = nullptr;
  }
  buffers_.clear();
  // Order matters: context before engine before runtime.
  context_.reset();
  engine_.reset();
  runtime_.reset();
}

const TensorDesc& Engine::find(const std::string& name) const {
  for (const auto& t : tensors_) {
    if (t.name == name) return t;
  }
  std::string known;
  for (const auto& t : tensors_) known += (known.empty() ? "" : ", ") + t.name;
  throw Error(ErrorCode::kInvalidArgument, "engine has no tensor named " + name + " (it has " + known + ")");
}

void Engine::checkInput(const TensorDesc& d, const RunInput& in) const {
  if (!d.isInput) throw Error(ErrorCode::kInvalidArgument, in.name + " is an output of the engine, not an input");
  if (d.dtype != in.dtype) {
    throw Error(ErrorCode::kInvalidArgument, "input " + in.name + " is " + dtypeName(in.dtype) + " but the engine wants " + dtypeName(d.dtype));
  }
  bool fits = in.shape.size() == d.shape.size();
  for (size_t i = 0; fits && i < d.shape.size(); ++i) {
    if (d.shape[i] >= 0) fits = in.shape[i] == d.shape[i];
    else if (!d.min.empty()) fits = in.shape[i] >= d.min[i] && in.shape[i] <= d.max[i];
  }
  if (!fits) {
    std::string range = d.min.empty() ? "" : " (profile " + shapeText(d.min) + " .. " + shapeText(d.max) + ")";
    throw Error(ErrorCode::kInvalidArgument, "input " + in.name + " has shape " + shapeText(in.shape) + " but the engine takes " +
                                                 shapeText(d.shape) + range);
  }
  const int64_t v = volume(in.shape);
  if (v < 0 || static_cast<size_t>(v) * dtypeSize(in.dtype) != in.bytes) {
    throw Error(ErrorCode::kInvalidArgument, "input " + in.name + " holds " + std::to_string(in.bytes) + " bytes, not the " +
                                                 std::to_string(v * static_cast<int64_t>(dtypeSize(in.dtype))) + " its shape needs");
  }
}

std::vector<RunOutput> Engine::run(const std::vector<RunInput>& inputs, const std::vector<std::string>& wanted) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!context_) throw Error(ErrorCode::kInference, "engine was disposed");
  LogCapture capture;
  cudaCheck(cudaSetDevice(device_), "cudaSetDevice");

  for (const auto& t : tensors_) {
    if (!t.isInput) continue;
    bool given = false;
    for (const auto& in : inputs) given = given || in.name == t.name;
    if (!given) throw Error(ErrorCode::kInvalidArgument, "input " + t.name + " was not given");
  }
  for (const auto& in : inputs) {
    const TensorDesc& d = find(in.name);
    checkInput(d, in);
    if (!context_->setInputShape(in.name.c_str(), toDims(in.shape))) {
      throw Error(ErrorCode::kInvalidArgument, "TensorRT rejected shape " + shapeText(in.shape) + " for input " + in.name, capture.lines());
    }
    TensorBuffer& buf = buffers_.at(in.name);
    buf.reserve(in.bytes);
    std::memcpy(buf.host(), in.data, in.bytes);
    if (buf.mode() == MemoryMode::kPinned) {
      cudaCheck(cudaMemcpyAsync(buf.device(), buf.host(), in.bytes, cudaMemcpyHostToDevice, stream_), "cudaMemcpyAsync(input)");
    }
    if (!context_->setTensorAddress(in.name.c_str(), buf.device())) {
      throw Error(ErrorCode::kInference, "TensorRT rejected the address of input " + in.name, capture.lines());
    }
  }
  if (!context_->allInputDimensionsSpecified()) throw Error(ErrorCode::kInvalidArgument, "not every input shape is specified");

  std::vector<RunOutput> outputs;
  for (const auto& t : tensors_) {
    if (t.isInput) continue;
    const Shape shape = fromDims(context_->getTensorShape(t.name.c_str()));
    const int64_t v = volume(shape);
    if (v < 0) {
      throw Error(ErrorCode::kInference, "output " + t.name + " has a data-dependent shape " + shapeText(shape) +
                                             ", which this runtime does not support");
    }
    const size_t bytes = static_cast<size_t>(v) * dtypeSize(t.dtype);
    TensorBuffer& buf = buffers_.at(t.name);
    buf.reserve(bytes);
    if (!context_->setTensorAddress(t.name.c_str(), buf.device())) {
      throw Error(ErrorCode::kInference, "TensorRT rejected the address of output " + t.name, capture.lines());
    }
    bool keep = wanted.empty();
    for (const auto& w : wanted) keep = keep || w == t.name;
    if (keep) outputs.push_back(RunOutput{t.name, t.dtype, shape, std::vector<uint8_t>(bytes)});
  }
  for (const auto& w : wanted) {
    const TensorDesc& d = find(w);
    if (d.isInput) throw Error(ErrorCode::kInvalidArgument, w + " is an input of the engine, not an output");
  }

  if (!context_->enqueueV3(stream_)) throw Error(ErrorCode::kInference, "TensorRT enqueueV3 failed", capture.lines());
  for (auto& out : outputs) {
    TensorBuffer& buf = buffers_.at(out.name);
    if (buf.mode() == MemoryMode::kPinned && !out.data.empty()) {
      cudaCheck(cudaMemcpyAsync(buf.host(), buf.device(), out.data.size(), cudaMemcpyDeviceToHost, stream_), "cudaMemcpyAsync(output)");
    }
  }
  cudaCheck(cudaStreamSynchronize(stream_), "cudaStreamSynchronize");
  for (auto& out : outputs) {
    if (!out.data.empty()) std::memcpy(out.data.data(), buffers_.at(out.name).host(), out.data.size());
  }
  return outputs;
}

}  // namespace ringmoe::trt
