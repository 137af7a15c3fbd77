// Plain C++ tests of the parts of native/src/trt that need neither TensorRT nor a GPU: SHA-256 and the
// calibration-cache parser. Built and run by test/native/cpp-units.test.ts (g++ only).
//   trt_units_test            runs the built-in cases, prints one line per case, exits 1 on failure
//   trt_units_test --sha256 F prints the sha256 of file F (cross-checked against Node's crypto)
//   trt_units_test --calib F  parses calibration cache F: prints "ok <version> <n>" or "error <CODE> <message>"
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "../../native/src/trt/calib_cache.h"
#include "../../native/src/trt/checksum.h"
#include "../../native/src/trt/errors.h"
#include "../../native/src/trt/file_io.h"

using namespace ringmoe::trt;

namespace {

int failures = 0;

void expect(bool ok, const std::string& name) {
  std::printf("%s %s\n", ok ? "ok  " : "FAIL", name.c_str());
  if (!ok) ++failures;
}

std::vector<uint8_t> bytesOf(const std::string& s) { return {s.begin(), s.end()}; }

std::string parseError(const std::string& text) {
  try {
    parseCalibrationCache(bytesOf(text), "cache.txt");
  } catch (const Error& e) {
    return std::string(errorCodeName(e.code())) + " " + e.what();
  }
  return "";
}

void shaCases() {
  // FIPS 180-2 appendix B vectors.
  expect(sha256Hex("", 0) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "sha256 of empty input");
  expect(sha256Hex("abc", 3) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "sha256 of abc");
  const char* two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  expect(sha256Hex(two, std::strlen(two)) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1", "sha256 of the 448-bit message");
  Sha256 million;
  const std::string chunk(1000, 'a');
  for (int i = 0; i < 1000; ++i) million.update(chunk.data(), chunk.size());
  expect(million.hexDigest() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0", "sha256 of one million a (incremental)");
  // Incremental updates across block boundaries equal one-shot hashing.
  std::string data;
  for (int i = 0; i < 1000; ++i) data.push_back(static_cast<char>((i * 7919) & 0xff));
  bool same = true;
  for (size_t split : {1u, 55u, 56u, 63u, 64u, 65u, 127u, 999u}) {
    Sha256 s;
    s.update(data.data(), split);
    s.update(data.data() + split, data.size() - split);
    same = same && s.hexDigest() == sha256Hex(data.data(), data.size());
  }
  expect(same, "sha256 split updates equal one-shot");
}

void calibCases() {
  const std::string good = "TRT-8502-EntropyCalibration2\ninput: 3c010a14\nconv1/out: 3d8f5c29\r\n\n";
  const CalibrationCache c = parseCalibrationCache(bytesOf(good), "good.txt");
  expect(c.headerVersion == 8502 && c.scales.size() == 2, "calib: header version and two scales");
  expect(c.scales.count("conv1/out") == 1 && c.scales.at("conv1/out") > 0.0699f && c.scales.at("conv1/out") < 0.0701f,
         "calib: hex 3d8f5c29 decodes to 0.07");
  expect(c.bytes.size() == good.size(), "calib: bytes kept verbatim for TensorRT");
  expect(parseError("").find("E_CALIBRATION cache.txt:1: file is empty") == 0, "calib: empty file rejected");
  expect(parseError("TRT-8502-MinMaxCalibration\nx: 3c010a14\n").find("cache.txt:1: calibration algorithm MinMaxCalibration") != std::string::npos,
         "calib: other algorithm rejected with line 1");
  expect(parseError("hello\n").find("cache.txt:1: expected header") != std::string::npos, "calib: missing header rejected");
  expect(parseError("TRT-8502-EntropyCalibration2\nx: zz010a14\n").find("cache.txt:2: scale of x is not hex") != std::string::npos,
         "calib: non-hex scale rejected with line 2");
  expect(parseError("TRT-8502-EntropyCalibration2\nx 3c010a14\n").find("cache.txt:2: expected <tensor>: <hex scale>") != std::string::npos,
         "calib: missing colon rejected");
  expect(parseError("TRT-8502-EntropyCalibration2\nx: 7f800000\n").find("not a finite non-negative") != std::string::npos,
         "calib: infinite scale rejected");
  expect(parseError("TRT-8502-EntropyCalibration2\nx: 3c010a14\nx: 3c010a14\n").find("cache.txt:3: tensor x appears twice") != std::string::npos,
         "calib: duplicate tensor rejected");
  expect(parseError("TRT-8502-EntropyCalibration2\n").find("no tensor scales") != std::string::npos, "calib: header only rejected");
  expect(parseError("TRT-100300-EntropyCalibration2\nx: 123456789\n").find("not 1-8 hex digits") != std::string::npos,
         "calib: 9 hex digits rejected");
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc == 3 && std::strcmp(argv[1], "--sha256") == 0) {
      const auto bytes = readFile(argv[2]);
      std::printf("%s\n", sha256Hex(bytes.data(), bytes.size()).c_str());
      return 0;
    }
    if (argc == 3 && std::strcmp(argv[1], "--calib") == 0) {
      const auto cache = readCalibrationCache(argv[2]);
      std::printf("ok %lld %zu\n", static_cast<long long>(cache.headerVersion), cache.scales.size());
      return 0;
    }
  } catch (const Error& e) {
    std::printf("error %s %s\n", errorCodeName(e.code()), e.what());
    return 0;
  }
  shaCases();
  calibCases();
  std::printf("%s: %d failure(s)\n", failures == 0 ? "PASS" : "FAIL", failures);
  return failures == 0 ? 0 : 1;
}
