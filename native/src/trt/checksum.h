// SHA-256 (FIPS 180-4) for engine plans and timing caches. Plans are hashed off the JS thread here so
// the cache sidecar never needs a second pass over hundreds of megabytes on the event loop.
// No TensorRT dependency: also built into the plain C++ test (test/native/trt_units_test.cc).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace ringmoe::trt {

/** Incremental SHA-256. */
class Sha256 {
 public:
  Sha256();
  /** Adds `size` bytes. */
  void update(const void* data, size_t size);
  /** Finishes and returns the digest; the object must not be updated afterwards. */
  std::array<uint8_t, 32> digest();
  /** Finishes and returns the digest as 64 lowercase hex characters. */
  std::string hexDigest();

 private:
  void block(const uint8_t* p);
  std::array<uint32_t, 8> h_;
  std::array<uint8_t, 64> buffer_;
  size_t buffered_ = 0;
  uint64_t totalBytes_ = 0;
};

/** SHA-256 of a byte range as lowercase hex. */
std::string sha256Hex(const void* data, size_t size);

}  // namespace ringmoe::trt
