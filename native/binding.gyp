{
  "targets": [
    {
      "target_name": "tailor_native",
      "sources": ["src/gemm.cc", "src/conv.cc", "src/bn.cc", "src/elementwise.cc", "src/addon.cc"],
      "cflags_cc": ["-O3", "-march=native", "-fopenmp", "-std=c++17", "-fno-exceptions"],
      "ldflags": ["-fopenmp"],
      "cflags_cc!": ["-fno-rtti", "-O2", "-O0"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
