# The TensorRT addon. Build it with `npm run build:native` (scripts/build.mjs), which checks first that
# TensorRT and CUDA are present (their headers are -isystem so their deprecation notes stay quiet); paths come from scripts/locate.mjs (TENSORRT_ROOT, JetPack layout, ...).
{
  "targets": [
    {
      "target_name": "ringmoe_trt",
      "sources": [
        "src/addon.cc",
        "src/builder_wrap.cc",
        "src/engine_wrap.cc",
        "src/info_wrap.cc",
        "src/js_errors.cc",
        "src/options_helper.cc",
        "src/tensor_helper.cc",
        "src/trt/buffers.cc",
        "src/trt/builder.cc",
        "src/trt/calib_cache.cc",
        "src/trt/checksum.cc",
        "src/trt/device.cc",
        "src/trt/engine.cc",
        "src/trt/errors.cc",
        "src/trt/file_io.cc",
        "src/trt/logger.cc",
        "src/trt/tensor_types.cc",
        "src/trt/version.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "src"
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
      "cflags_cc": [
        "-std=c++17", "-fexceptions", "-Wall", "-Wextra",
        "-isystem", "<!(node scripts/locate.mjs trtInclude)",
        "-isystem", "<!(node scripts/locate.mjs cudaRoot)/include"
      ],
      "libraries": [
        "-L<!(node scripts/locate.mjs trtLib)",
        "-L<!(node scripts/locate.mjs cudaLib)",
        "-lnvinfer",
        "-lnvonnxparser",
        "-lcudart",
        "-Wl,-rpath,<!(node scripts/locate.mjs trtLib)",
        "-Wl,-rpath,<!(node scripts/locate.mjs cudaLib)"
      ]
    }
  ]
}
