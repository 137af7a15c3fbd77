#include "file_io.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sys/stat.h>

#include "errors.h"

namespace ringmoe::trt {

namespace {
std::string errnoText() { return std::strerror(errno); }
}  // namespace

bool fileExists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::vector<uint8_t> readFile(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) throw Error(ErrorCode::kIo, path + ": cannot open: " + errnoText());
  std::vector<uint8_t> out;
  uint8_t chunk[1 << 16];
  size_t n = 0;
  while ((n = std::fread(chunk, 1, sizeof chunk, f)) > 0) out.insert(out.end(), chunk, chunk + n);
  const bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) throw Error(ErrorCode::kIo, path + ": read failed: " + errnoText());
  return out;
}

void writeFileAtomic(const std::string& path, const void* data, size_t size) {
  const std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) throw Error(ErrorCode::kIo, tmp + ": cannot create: " + errnoText());
  const bool wrote = std::fwrite(data, 1, size, f) == size;
  const bool flushed = std::fflush(f) == 0 && ::fsync(::fileno(f)) == 0;
  const bool closed = std::fclose(f) == 0;
  if (!wrote || !flushed || !closed) {
    const std::string why = errnoText();
    std::remove(tmp.c_str());
    throw Error(ErrorCode::kIo, path + ": write failed: " + why);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = errnoText();
    std::remove(tmp.c_str());
    throw Error(ErrorCode::kIo, path + ": rename failed: " + why);
  }
}

}  // namespace ringmoe::trt
