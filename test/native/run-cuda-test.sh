#!/usr/bin/env bash
# `npm run test:cuda`: builds and runs the GPU checks that need no TensorRT:
#   preprocess_test  CUDA preprocessing kernels vs CPU reference formulas (max abs error printed)
#   buffers_test     pinned and mapped (zero-copy) engine I/O buffers round-trip through the GPU
# Exit 0: all pass; 1: a mismatch or a build failure; 2: no GPU / no nvcc.
# CUDA_ARCH=87 (etc.) picks the target; otherwise nvcc's -arch=native (CUDA >= 11.5), falling back to
# sm_72 + sm_87 + PTX for JetPack 5's CUDA 11.4.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
srcdir="$here/../../native/src"
out="$here/../../native/build/cuda-test"
cuda="${CUDA_HOME:-/usr/local/cuda}"
nvcc="$cuda/bin/nvcc"
if [ ! -x "$nvcc" ]; then
  command -v nvcc >/dev/null 2>&1 || { echo "test:cuda: nvcc not found (set CUDA_HOME)"; exit 2; }
  nvcc="$(command -v nvcc)"
  cuda="$(dirname "$(dirname "$nvcc")")"
fi
mkdir -p "$out"
src=("$here/preprocess_test.cu" "$srcdir/cuda/preprocess.cu")
common=(-std=c++17 -O2 -o "$out/preprocess_test")
if [ -n "${CUDA_ARCH:-}" ]; then
  "$nvcc" "${common[@]}" -gencode "arch=compute_${CUDA_ARCH},code=sm_${CUDA_ARCH}" "${src[@]}" || exit 1
elif ! "$nvcc" "${common[@]}" -arch=native "${src[@]}" 2>/dev/null; then
  "$nvcc" "${common[@]}" -gencode arch=compute_72,code=sm_72 -gencode arch=compute_87,code=sm_87 \
    -gencode arch=compute_87,code=compute_87 "${src[@]}" || exit 1
fi
"${CXX:-g++}" -std=c++17 -O2 -Wall -Wextra -I"$cuda/include" -o "$out/buffers_test" "$here/buffers_test.cc" \
  "$srcdir/trt/buffers.cc" "$srcdir/trt/device.cc" "$srcdir/trt/errors.cc" \
  -L"$cuda/lib64" -lcudart -Wl,-rpath,"$cuda/lib64" || exit 1
status=0
"$out/preprocess_test" || status=$?
"$out/buffers_test" || { rc=$?; [ "$status" -eq 0 ] && status=$rc; }
exit "$status"
