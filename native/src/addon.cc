// N-API entry points. Every array argument is a Float32Array (or an Int32Array of sizes) owned by JS;
// the kernels read and write them in place, so no data is copied across the boundary.
#include <node_api.h>

#include <omp.h>

#include <cstdint>
#include <string>
#include <vector>

#include "bn.h"
#include "conv.h"
#include "dnnl_conv.h"
#include "elementwise.h"
#include "infer.h"
#include "peak.h"
#include "pool.h"
#include "quant.h"
#include "quant_epilogue.h"

namespace {
template <typename T>
T* arrayArg(napi_env env, napi_value v, size_t* len = nullptr) {
  napi_typedarray_type type;
  size_t length;
  void* data;
  napi_value buf;
  size_t offset;
  if (napi_get_typedarray_info(env, v, &type, &length, &data, &buf, &offset) != napi_ok) {
    napi_throw_type_error(env, nullptr, "tailor_native: expected a typed array argument");
    return nullptr;
  }
  if (len) *len = length;
  return static_cast<T*>(data);
}

float numberArg(napi_env env, napi_value v) {
  double d = 0;
  napi_get_value_double(env, v, &d);
  return (float)d;
}

bool args(napi_env env, napi_callback_info info, size_t want, napi_value* argv) {
  size_t argc = want;
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc != want) {
    napi_throw_type_error(env, nullptr, "tailor_native: wrong number of arguments");
    return false;
  }
  return true;
}

ConvGeom geom(const int32_t* d) {
  return ConvGeom{d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10], d[11], d[12], d[13], d[14]};
}

// conv(geom: Int32Array(15), a, b, out)
template <void (*K)(const ConvGeom&, const float*, const float*, float*)>
napi_value convCall(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!args(env, info, 4, argv)) return nullptr;
  auto* g = arrayArg<int32_t>(env, argv[0]);
  auto* a = arrayArg<float>(env, argv[1]);
  auto* b = arrayArg<float>(env, argv[2]);
  auto* o = arrayArg<float>(env, argv[3]);
  if (!g || !a || !b || !o) return nullptr;
  K(geom(g), a, b, o);
  return nullptr;
}

// A typed array, or null/undefined for an optional argument (returns nullptr without throwing)
template <typename T>
T* optionalArrayArg(napi_env env, napi_value v) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  if (t == napi_null || t == napi_undefined) return nullptr;
  return arrayArg<T>(env, v);
}

// bnForwardTrain(P, C, x, gamma, beta, skip | null, relu, eps, y, mean, invstd, variance)
napi_value bnFwd(napi_env env, napi_callback_info info) {
  napi_value a[12];
  if (!args(env, info, 12, a)) return nullptr;
  bnForwardTrain((long)numberArg(env, a[0]), (int)numberArg(env, a[1]), arrayArg<float>(env, a[2]),
                 arrayArg<float>(env, a[3]), arrayArg<float>(env, a[4]), optionalArrayArg<float>(env, a[5]),
                 numberArg(env, a[6]) != 0, numberArg(env, a[7]), arrayArg<float>(env, a[8]), arrayArg<float>(env, a[9]),
                 arrayArg<float>(env, a[10]), arrayArg<float>(env, a[11]));
  return nullptr;
}

// bnBackward(P, C, dy, x, y | null, gamma, mean, invstd, dx, dgamma, dbeta, dskip | null)
napi_value bnBwd(napi_env env, napi_callback_info info) {
  napi_value a[12];
  if (!args(env, info, 12, a)) return nullptr;
  bnBackward((long)numberArg(env, a[0]), (int)numberArg(env, a[1]), arrayArg<float>(env, a[2]), arrayArg<float>(env, a[3]),
             optionalArrayArg<float>(env, a[4]), arrayArg<float>(env, a[5]), arrayArg<float>(env, a[6]),
             arrayArg<float>(env, a[7]), arrayArg<float>(env, a[8]), arrayArg<float>(env, a[9]), arrayArg<float>(env, a[10]),
             optionalArrayArg<float>(env, a[11]));
  return nullptr;
}

// binary(a, b, out) and unary(a, out) over whole arrays
template <void (*K)(long, const float*, const float*, float*)>
napi_value binaryCall(napi_env env, napi_callback_info info) {
  napi_value a[3];
  if (!args(env, info, 3, a)) return nullptr;
  size_t n = 0;
  auto* x = arrayArg<float>(env, a[0], &n);
  auto* y = arrayArg<float>(env, a[1]);
  auto* o = arrayArg<float>(env, a[2]);
  if (!x || !y || !o) return nullptr;
  K((long)n, x, y, o);
  return nullptr;
}

template <void (*K)(long, const float*, float*)>
napi_value unaryCall(napi_env env, napi_callback_info info) {
  napi_value a[2];
  if (!args(env, info, 2, a)) return nullptr;
  size_t n = 0;
  auto* x = arrayArg<float>(env, a[0], &n);
  auto* o = arrayArg<float>(env, a[1]);
  if (!x || !o) return nullptr;
  K((long)n, x, o);
  return nullptr;
}

// gap(n, hw, c, in, out)
template <void (*K)(int, long, int, const float*, float*)>
napi_value gapCall(napi_env env, napi_callback_info info) {
  napi_value a[5];
  if (!args(env, info, 5, a)) return nullptr;
  K((int)numberArg(env, a[0]), (long)numberArg(env, a[1]), (int)numberArg(env, a[2]), arrayArg<float>(env, a[3]),
    arrayArg<float>(env, a[4]));
  return nullptr;
}

// sgdStepMany(params[], grads[], bufs[], first: Int32Array, lr, momentum, weightDecay, nesterov): every parameter's
// torch.optim.SGD step in one call, params and bufs updated in place, the parameters spread over the threads
napi_value sgdManyCall(napi_env env, napi_callback_info info) {
  napi_value a[8];
  if (!args(env, info, 8, a)) return nullptr;
  uint32_t n = 0;
  napi_get_array_length(env, a[0], &n);
  std::vector<float*> p(n), g(n), b(n);
  std::vector<long> len(n);
  for (uint32_t i = 0; i < n; i++) {
    napi_value v;
    size_t lp = 0, lg = 0, lb = 0;
    napi_get_element(env, a[0], i, &v);
    p[i] = arrayArg<float>(env, v, &lp);
    napi_get_element(env, a[1], i, &v);
    g[i] = arrayArg<float>(env, v, &lg);
    napi_get_element(env, a[2], i, &v);
    b[i] = arrayArg<float>(env, v, &lb);
    if (!p[i] || !g[i] || !b[i]) return nullptr;
    if (lp != lg || lp != lb) {
      napi_throw_range_error(env, nullptr, "tailor_native: sgdStepMany: parameter, gradient and buffer sizes differ");
      return nullptr;
    }
    len[i] = (long)lp;
  }
  const int32_t* first = arrayArg<int32_t>(env, a[3]);
  if (!first) return nullptr;
  const float lr = numberArg(env, a[4]), mu = numberArg(env, a[5]), wd = numberArg(env, a[6]);
  const bool nesterov = numberArg(env, a[7]) != 0;
#pragma omp parallel for schedule(dynamic)
  for (uint32_t i = 0; i < n; i++) sgdStep(len[i], p[i], g[i], b[i], lr, mu, wd, nesterov, first[i] != 0);
  return nullptr;
}

// channelAffine(x, scale, shift, out)
napi_value affineCall(napi_env env, napi_callback_info info) {
  napi_value a[4];
  if (!args(env, info, 4, a)) return nullptr;
  size_t n = 0, c = 0;
  auto* x = arrayArg<float>(env, a[0], &n);
  auto* sc = arrayArg<float>(env, a[1], &c);
  auto* sh = arrayArg<float>(env, a[2]);
  auto* y = arrayArg<float>(env, a[3]);
  if (!x || !sc || !sh || !y) return nullptr;
  channelAffine((long)n, (int)c, x, sc, sh, y);
  return nullptr;
}

// setThreads(n): the OpenMP threads every later kernel uses (oneDNN's primitives are rebuilt for it)
napi_value setThreads(napi_env env, napi_callback_info info) {
  napi_value a[1];
  if (!args(env, info, 1, a)) return nullptr;
  const int n = (int)numberArg(env, a[0]);
  if (n < 1) {
    napi_throw_range_error(env, nullptr, "tailor_native: setThreads expects at least 1");
    return nullptr;
  }
  omp_set_num_threads(n);
  dnnlForgetPrimitives();
  return nullptr;
}

napi_value threads(napi_env env, napi_callback_info) {
  napi_value v;
  napi_create_int32(env, nativeThreads(), &v);
  return v;
}

napi_value str(napi_env env, const std::string& s) {
  napi_value v;
  napi_create_string_utf8(env, s.c_str(), s.size(), &v);
  return v;
}

// convPath(): "onednn" or "gemm", the path conv calls take now
napi_value convPath(napi_env env, napi_callback_info) { return str(env, convPathIsDnnl() ? "onednn" : "gemm"); }

// setConvPath("onednn" | "gemm"): returns false if oneDNN is asked for and the addon was built without it
napi_value setPath(napi_env env, napi_callback_info info) {
  napi_value a[1];
  if (!args(env, info, 1, a)) return nullptr;
  char buf[16] = {0};
  size_t len = 0;
  napi_get_value_string_utf8(env, a[0], buf, sizeof buf, &len);
  const std::string want(buf, len);
  if (want != "onednn" && want != "gemm") {
    napi_throw_type_error(env, nullptr, "tailor_native: setConvPath expects \"onednn\" or \"gemm\"");
    return nullptr;
  }
  napi_value v;
  napi_get_boolean(env, setConvPath(want == "onednn"), &v);
  return v;
}

// winograd(): whether the 3x3 stride-1 layers of >= 32 channels run oneDNN's Winograd kernels (dnnl_conv.cc)
napi_value winogradCall(napi_env env, napi_callback_info) {
  napi_value v;
  napi_get_boolean(env, dnnlWinograd(), &v);
  return v;
}

// setWinograd(on): switch them (false: direct kernels everywhere); cached primitives are rebuilt
napi_value setWinogradCall(napi_env env, napi_callback_info info) {
  napi_value a[1];
  if (!args(env, info, 1, a)) return nullptr;
  bool on = true;
  if (napi_get_value_bool(env, a[0], &on) != napi_ok) {
    napi_throw_type_error(env, nullptr, "tailor_native: setWinograd expects a boolean");
    return nullptr;
  }
  dnnlSetWinograd(on);
  return nullptr;
}

// dnnlVersion(): "2.6.3", or "" when built without oneDNN
napi_value dnnlVer(napi_env env, napi_callback_info) { return str(env, dnnlVersion()); }

// convDeclined(): conv calls that oneDNN declined (ran on the GEMM path), and the last reason
napi_value declinedCall(napi_env env, napi_callback_info) {
  napi_value o, n;
  napi_create_object(env, &o);
  napi_create_double(env, (double)convDeclined(), &n);
  napi_set_named_property(env, o, "count", n);
  napi_set_named_property(env, o, "lastError", str(env, dnnlLastError()));
  return o;
}

// convImplementations(geom): oneDNN's implementation names of the primitives built for this geometry
napi_value implCall(napi_env env, napi_callback_info info) {
  napi_value a[1];
  if (!args(env, info, 1, a)) return nullptr;
  auto* g = arrayArg<int32_t>(env, a[0]);
  if (!g) return nullptr;
  return str(env, dnnlImplementations(geom(g)));
}

// The inference path's fused conv (infer.h). `post`: an Int32Array of InferPost codes.
//   inferFilterSize(geom, post) -> floats of the prepared filter (0: HWIO as it is)
//   inferPrepareFilter(geom, post, hwio, prepared)
//   inferConv(geom, post, x, filter, bias, skip | null, y)
//   inferImplementation(geom, post) -> oneDNN's implementation, or ""
napi_value inferSizeCall(napi_env env, napi_callback_info info) {
  napi_value a[2];
  if (!args(env, info, 2, a)) return nullptr;
  size_t np = 0;
  auto* g = arrayArg<int32_t>(env, a[0]);
  auto* p = arrayArg<int32_t>(env, a[1], &np);
  if (!g || (!p && np)) return nullptr;  // an empty chain has no data pointer
  napi_value v;
  napi_create_double(env, (double)inferFilterSize(geom(g), p, (int)np), &v);
  return v;
}

napi_value inferPrepareCall(napi_env env, napi_callback_info info) {
  napi_value a[4];
  if (!args(env, info, 4, a)) return nullptr;
  size_t np = 0;
  auto* g = arrayArg<int32_t>(env, a[0]);
  auto* p = arrayArg<int32_t>(env, a[1], &np);
  auto* w = arrayArg<float>(env, a[2]);
  auto* o = arrayArg<float>(env, a[3]);
  if (!g || (!p && np) || !w || !o) return nullptr;
  inferPrepareFilter(geom(g), p, (int)np, w, o);
  return nullptr;
}

napi_value inferConvCall(napi_env env, napi_callback_info info) {
  napi_value a[7];
  if (!args(env, info, 7, a)) return nullptr;
  size_t np = 0;
  auto* g = arrayArg<int32_t>(env, a[0]);
  auto* p = arrayArg<int32_t>(env, a[1], &np);
  auto* x = arrayArg<float>(env, a[2]);
  auto* w = arrayArg<float>(env, a[3]);
  auto* b = arrayArg<float>(env, a[4]);
  auto* s = optionalArrayArg<float>(env, a[5]);
  auto* y = arrayArg<float>(env, a[6]);
  if (!g || (!p && np) || !x || !w || !b || !y) return nullptr;
  for (size_t k = 0; k < np; k++)
    if (p[k] == POST_ADD && !s) {
      napi_throw_type_error(env, nullptr, "tailor_native: inferConv: an add in the chain needs a skip array");
      return nullptr;
    }
  inferConv(geom(g), p, (int)np, x, w, b, s, y);
  return nullptr;
}

napi_value inferImplCall(napi_env env, napi_callback_info info) {
  napi_value a[2];
  if (!args(env, info, 2, a)) return nullptr;
  size_t np = 0;
  auto* g = arrayArg<int32_t>(env, a[0]);
  auto* p = arrayArg<int32_t>(env, a[1], &np);
  if (!g || (!p && np)) return nullptr;  // an empty chain has no data pointer
  const std::string s = inferImplementation(geom(g), p, (int)np);
  napi_value v;
  napi_create_string_utf8(env, s.c_str(), s.size(), &v);
  return v;
}

// maxPool(geom: Int32Array(12) as PoolGeom, x, y): the sizes are checked, for a wrong geometry would read past x
napi_value maxPoolCall(napi_env env, napi_callback_info info) {
  napi_value a[3];
  if (!args(env, info, 3, a)) return nullptr;
  size_t ng = 0, nx = 0, ny = 0;
  auto* d = arrayArg<int32_t>(env, a[0], &ng);
  auto* x = arrayArg<float>(env, a[1], &nx);
  auto* y = arrayArg<float>(env, a[2], &ny);
  if (!d || !x || !y) return nullptr;
  if (ng != 12) {
    napi_throw_range_error(env, nullptr, "tailor_native: maxPool: geometry must hold 12 integers");
    return nullptr;
  }
  const PoolGeom g{d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10], d[11]};
  if (nx != (size_t)g.n * g.h * g.w * g.c || ny != (size_t)g.n * g.oh * g.ow * g.c) {
    napi_throw_range_error(env, nullptr, "tailor_native: maxPool: x or y does not match the geometry's size");
    return nullptr;
  }
  maxPoolForward(g, x, y);
  return nullptr;
}

// fmaPeak(seconds): measured float32 FMA throughput of all threads, GFLOP/s
napi_value peakCall(napi_env env, napi_callback_info info) {
  napi_value a[1];
  if (!args(env, info, 1, a)) return nullptr;
  napi_value v;
  napi_create_double(env, fmaPeakGflops(numberArg(env, a[0])), &v);
  return v;
}

napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor d[] = {
      {"convForward", nullptr, convCall<convForward>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"convBackInput", nullptr, convCall<convBackInput>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"convBackFilter", nullptr, convCall<convBackFilter>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"bnForwardTrain", nullptr, bnFwd, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"bnBackward", nullptr, bnBwd, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"add", nullptr, binaryCall<ewAdd>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"mul", nullptr, binaryCall<ewMul>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"relu", nullptr, unaryCall<ewRelu>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"step", nullptr, unaryCall<ewStep>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"gapForward", nullptr, gapCall<gapForward>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"gapBackward", nullptr, gapCall<gapBackward>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"sgdStepMany", nullptr, sgdManyCall, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"channelAffine", nullptr, affineCall, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"threads", nullptr, threads, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setThreads", nullptr, setThreads, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"fmaPeak", nullptr, peakCall, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"convPath", nullptr, convPath, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setConvPath", nullptr, setPath, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"dnnlVersion", nullptr, dnnlVer, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"winograd", nullptr, winogradCall, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setWinograd", nullptr, setWinogradCall, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"convDeclined", nullptr, declinedCall, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"convImplementations", nullptr, implCall, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"inferFilterSize", nullptr, inferSizeCall, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"inferPrepareFilter", nullptr, inferPrepareCall, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"inferConv", nullptr, inferConvCall, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"inferImplementation", nullptr, inferImplCall, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"maxPool", nullptr, maxPoolCall, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(d) / sizeof(d[0]), d);
  defineQuantExports(env, exports);
  defineQuantEpilogueExports(env, exports);
  return exports;
}
}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
