// A deserialized TensorRT plan with one execution context, one CUDA stream and per-tensor buffers.
// Plain C++ (no Node): the base that task code builds on (pre/post-processing lives elsewhere).
// Thread-safety: run() serialises itself (one context cannot run two enqueues at once); describe()
// is immutable after construction.
#pragma once

#include <cuda_runtime_api.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "buffers.h"
#include "tensor_types.h"

namespace ringmoe::trt {

/** One I/O tensor of the engine. Dynamic dims are −1 in `shape`; inputs carry their profile range. */
struct TensorDesc {
  std::string name;
  bool isInput = false;
  DType dtype = DType::kFloat32;
  Shape shape;
  /** Profile 0's min/opt/max for inputs with dynamic dims (empty otherwise). */
  Shape min, opt, max;
};

struct LoadOptions {
  int device = 0;
  /** DLA core the plan was built for, −1 for the GPU. */
  int dlaCore = -1;
  /** When set, the plan's sha256 must equal it (hex), else E_ENGINE_STALE. */
  std::string expectedSha256;
  /** Force the buffer layout; by default mapped on integrated GPUs that can map host memory. */
  bool forcePinned = false;
};

/** One input of a run. `data` must stay valid until run() returns. */
struct RunInput {
  std::string name;
  DType dtype = DType::kFloat32;
  Shape shape;
  const void* data = nullptr;
  size_t bytes = 0;
};

/** One output of a run (owned bytes). */
struct RunOutput {
  std::string name;
  DType dtype = DType::kFloat32;
  Shape shape;
  std::vector<uint8_t> data;
};

class Engine {
 public:
  /** Deserialises a plan. @throws Error(kEngineStale | kEngineForeign | kBackendInit) */
  static std::shared_ptr<Engine> deserialize(const uint8_t* plan, size_t size, const LoadOptions& options);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  const std::vector<TensorDesc>& tensors() const noexcept { return tensors_; }
  MemoryMode memoryMode() const noexcept { return mode_; }
  int device() const noexcept { return device_; }
  /** Bytes of device memory the execution context holds for activations. */
  size_t activationBytes() const noexcept { return activationBytes_; }

  /**
   * Runs one batch and returns the requested outputs (all when `outputs` is empty). Blocks the
   * calling thread until the stream is done: call it from a worker thread.
   * @throws Error(kInvalidArgument) for inputs that do not fit the engine, Error(kInference)
   */
  std::vector<RunOutput> run(const std::vector<RunInput>& inputs, const std::vector<std::string>& outputs);

  /** Frees buffers, context and engine now (later calls fail with E_INFERENCE). Idempotent. */
  void release() noexcept;

 private:
  Engine() = default;
  const TensorDesc& find(const std::string& name) const;
  void checkInput(const TensorDesc& desc, const RunInput& in) const;

  std::mutex mutex_;
  int device_ = 0;
  MemoryMode mode_ = MemoryMode::kPinned;
  size_t activationBytes_ = 0;
  std::unique_ptr<nvinfer1::IRuntime> runtime_;
  std::unique_ptr<nvinfer1::ICudaEngine> engine_;
  std::unique_ptr<nvinfer1::IExecutionContext> context_;
  cudaStream_t stream_ = nullptr;
  std::vector<TensorDesc> tensors_;
  std::map<std::string, TensorBuffer> buffers_;
};

}  // namespace ringmoe::trt
