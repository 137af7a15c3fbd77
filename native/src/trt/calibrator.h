// INT8 entropy calibrator that never calibrates: it serves a calibration cache made earlier (by the
// quantize step, on a workstation), so a device builds its INT8 engine without calibration images.
// Only for TensorRT < 11 (implicit calibration is deprecated from 10.1 and removed in 11.0; on 11
// INT8 comes from Q/DQ nodes in the ONNX).
#pragma once

#include "compat.h"

#if RINGMOE_TRT_HAS_CALIBRATOR

#include "calib_cache.h"

namespace ringmoe::trt {

RINGMOE_ALLOW_DEPRECATED_BEGIN
class CacheCalibrator final : public nvinfer1::IInt8EntropyCalibrator2 {
 public:
  explicit CacheCalibrator(CalibrationCache cache) : cache_(std::move(cache)) {}

  int32_t getBatchSize() const noexcept override { return 1; }
  // No calibration data: TensorRT must take every scale from the cache.
  bool getBatch(void* /*bindings*/[], char const* /*names*/[], int32_t /*nbBindings*/) noexcept override {
    return false;
  }
  void const* readCalibrationCache(std::size_t& length) noexcept override {
    length = cache_.bytes.size();
    return cache_.bytes.data();
  }
  // TensorRT writes back the cache it read; the file on disk already holds it.
  void writeCalibrationCache(void const* /*cache*/, std::size_t /*length*/) noexcept override {}

  const CalibrationCache& cache() const noexcept { return cache_; }

 private:
  CalibrationCache cache_;
};
RINGMOE_ALLOW_DEPRECATED_END

}  // namespace ringmoe::trt

#endif  // RINGMOE_TRT_HAS_CALIBRATOR
