{
  "variables": {
    "dnnl%": "<!(node -p \"process.env.TAILOR_DNNL === '0' ? 0 : +require('fs').existsSync('/usr/include/oneapi/dnnl/dnnl.hpp')\")"
  },
  "targets": [
    {
      "target_name": "tailor_native",
      "sources": ["src/gemm.cc", "src/conv.cc", "src/dnnl_conv.cc", "src/bn.cc", "src/elementwise.cc", "src/peak.cc", "src/quant.cc", "src/quant_epilogue.cc", "src/infer.cc", "src/pool.cc", "src/addon.cc"],
      "cflags_cc": ["-O3", "-march=native", "-fopenmp", "-std=c++17"],
      "ldflags": ["-fopenmp"],
      "cflags_cc!": ["-fno-rtti", "-O2", "-O0", "-fno-exceptions"],
      "defines": ["NAPI_VERSION=8"],
      "conditions": [
        ["dnnl==1", { "defines": ["TAILOR_DNNL"], "libraries": ["-ldnnl"] }]
      ]
    }
  ]
}
