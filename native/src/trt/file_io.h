// Whole-file reads and crash-safe writes (temp file + rename) for plans, timing caches and
// calibration caches. Failures are trt::Error with code E_IO naming the path.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ringmoe::trt {

/** True when `path` names an existing regular file. */
bool fileExists(const std::string& path);

/** Reads the whole file. @throws Error(kIo) */
std::vector<uint8_t> readFile(const std::string& path);

/** Writes `size` bytes to `path` through `path.tmp-<pid>` and rename, so readers never see half a file. @throws Error(kIo) */
void writeFileAtomic(const std::string& path, const void* data, size_t size);

}  // namespace ringmoe::trt
