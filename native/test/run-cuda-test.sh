#!/usr/bin/env bash
# `npm run test:cuda`: builds native/test/preprocess_test.cu with nvcc for this machine's GPU and runs it.
# Exit 0: kernels match the CPU reference; 1: mismatch or build failure; 2: no GPU / no nvcc.
# CUDA_ARCH=87 (etc.) picks the target; otherwise nvcc's -arch=native (CUDA >= 11.5), falling back to
# sm_87/sm_72 + PTX for JetPack 5's CUDA 11.4.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/../build/cuda-test"
nvcc="${CUDA_HOME:-/usr/local/cuda}/bin/nvcc"
if [ ! -x "$nvcc" ]; then
  command -v nvcc >/dev/null 2>&1 || { echo "test:cuda: nvcc not found (set CUDA_HOME)"; exit 2; }
  nvcc="$(command -v nvcc)"
fi
mkdir -p "$out"
src=("$here/preprocess_test.cu" "$here/../src/cuda/preprocess.cu")
common=(-std=c++17 -O2 -o "$out/preprocess_test")
if [ -n "${CUDA_ARCH:-}" ]; then
  "$nvcc" "${common[@]}" -gencode "arch=compute_${CUDA_ARCH},code=sm_${CUDA_ARCH}" "${src[@]}"
elif ! "$nvcc" "${common[@]}" -arch=native "${src[@]}" 2>/dev/null; then
  "$nvcc" "${common[@]}" -gencode arch=compute_72,code=sm_72 -gencode arch=compute_87,code=sm_87 \
    -gencode arch=compute_87,code=compute_87 "${src[@]}"
fi
exec "$out/preprocess_test"
