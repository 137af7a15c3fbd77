#include "compat.h"

namespace ringmoe::trt {

namespace {
// 8.x encodes MAJOR*1000 + MINOR*100 + PATCH; 10+ encodes (MAJOR*100 + MINOR)*100 + PATCH.
void decode(int32_t v, int& major, int& minor, int& patch) {
  if (v < 10000) {
    major = v / 1000;
    minor = (v / 100) % 10;
    patch = v % 100;
  } else {
    major = v / 10000;
    minor = (v / 100) % 100;
    patch = v % 100;
  }
}
}  // namespace

std::string libraryVersion() {
  int major = 0, minor = 0, patch = 0;
  decode(getInferLibVersion(), major, minor, patch);
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
}

int libraryMajor() {
  int major = 0, minor = 0, patch = 0;
  decode(getInferLibVersion(), major, minor, patch);
  return major;
}

}  // namespace ringmoe::trt
