// Fake quantisation kernels for quantisation-aware training (src/train/quant.ts explains the quantisers and cites
// Brevitas). Arithmetic is float32 with one division by the scale and one product, in the order of the reference
// ops (src/backend/quant-ops.ts), so both give the same values bit for bit: a float32 quotient or product is
// correctly rounded whether computed in float (here) or in double and then rounded (tfjs's cpu kernels).
#include "quant.h"
#include "simd.h"

#include <omp.h>

#include <cmath>

namespace {
constexpr long PAR = 1 << 15;  // below this, threading costs more than it saves (as elementwise.cc)

}  // namespace

// Each thread keeps 16 running maxima in one vector (a lane-wise compare and select: the scalar `if (a > m)` chain
// stayed scalar, 4x slower than the quantiser's own pass), then its tail, then the threads' results. A maximum is
// exact, so the blocks and their order do not change it.
float quantAbsMax(long n, const float* x) {
  float m = 0.f;
#pragma omp parallel reduction(max : m) if (n > PAR)
  {
    const int nt = omp_get_num_threads(), t = omp_get_thread_num();
    const long lo = n * t / nt, hi = n * (t + 1) / nt;
    const v16i absMask = (v16i){} + 0x7fffffff;
    v16f acc = {};
    long i = lo;
    for (; i + 16 <= hi; i += 16) {
      const v16f a = (v16f)((v16i)load16(x + i) & absMask);
      // NaN is not ordered: it never wins here; the run's checks catch non-finite weights and losses anyway
      acc = a > acc ? a : acc;
    }
    float r = 0.f;
    for (int k = 0; k < 16; k++) r = acc[k] > r ? acc[k] : r;
    for (; i < hi; i++) {
      const float a = std::fabs(x[i]);
      if (a > r) r = a;
    }
    if (r > m) m = r;
  }
  return m;
}

void fakeQuantForward(long n, const float* x, float scale, float qmin, float qmax, float* y) {
#pragma omp parallel for schedule(static) if (n > PAR)
  for (long i = 0; i < n; i++) y[i] = quantStep(x[i], scale, qmin, qmax) * scale;
}

void fakeQuantBackward(long n, const float* dy, const float* x, float scale, float qmin, float qmax, float* dx) {
#pragma omp parallel for schedule(static) if (n > PAR)
  for (long i = 0; i < n; i++) {
    const float q = std::nearbyint(x[i] / scale);
    dx[i] = (q >= qmin && q <= qmax) ? dy[i] : 0.f;
  }
}

namespace {
float* floats(napi_env env, napi_value v, size_t* len) {
  napi_typedarray_type type;
  void* data;
  napi_value buf;
  size_t offset;
  if (napi_get_typedarray_info(env, v, &type, len, &data, &buf, &offset) != napi_ok || type != napi_float32_array) {
    napi_throw_type_error(env, nullptr, "tailor_native: expected a Float32Array argument");
    return nullptr;
  }
  return static_cast<float*>(data);
}

float number(napi_env env, napi_value v) {
  double d = 0;
  napi_get_value_double(env, v, &d);
  return (float)d;
}

bool argv(napi_env env, napi_callback_info info, size_t want, napi_value* a) {
  size_t argc = want;
  napi_get_cb_info(env, info, &argc, a, nullptr, nullptr);
  if (argc != want) {
    napi_throw_type_error(env, nullptr, "tailor_native: wrong number of arguments");
    return false;
  }
  return true;
}

// absMax(x): max |x|
napi_value absMaxCall(napi_env env, napi_callback_info info) {
  napi_value a[1];
  if (!argv(env, info, 1, a)) return nullptr;
  size_t n = 0;
  const float* x = floats(env, a[0], &n);
  if (!x) return nullptr;
  napi_value v;
  napi_create_double(env, (double)quantAbsMax((long)n, x), &v);
  return v;
}

// fakeQuant(x, scale, qmin, qmax, y)
napi_value forwardCall(napi_env env, napi_callback_info info) {
  napi_value a[5];
  if (!argv(env, info, 5, a)) return nullptr;
  size_t n = 0, ny = 0;
  const float* x = floats(env, a[0], &n);
  float* y = floats(env, a[4], &ny);
  if (!x || !y) return nullptr;
  if (n != ny) {
    napi_throw_range_error(env, nullptr, "tailor_native: fakeQuant: x and y differ in size");
    return nullptr;
  }
  fakeQuantForward((long)n, x, number(env, a[1]), number(env, a[2]), number(env, a[3]), y);
  return nullptr;
}

// fakeQuantGrad(dy, x, scale, qmin, qmax, dx)
napi_value backwardCall(napi_env env, napi_callback_info info) {
  napi_value a[6];
  if (!argv(env, info, 6, a)) return nullptr;
  size_t n = 0, nx = 0, ndx = 0;
  const float* dy = floats(env, a[0], &n);
  const float* x = floats(env, a[1], &nx);
  float* dx = floats(env, a[5], &ndx);
  if (!dy || !x || !dx) return nullptr;
  if (n != nx || n != ndx) {
    napi_throw_range_error(env, nullptr, "tailor_native: fakeQuantGrad: dy, x and dx differ in size");
    return nullptr;
  }
  fakeQuantBackward((long)n, dy, x, number(env, a[2]), number(env, a[3]), number(env, a[4]), dx);
  return nullptr;
}
}  // namespace

void defineQuantExports(napi_env env, napi_value exports) {
  napi_property_descriptor d[] = {
      {"absMax", nullptr, absMaxCall, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"fakeQuant", nullptr, forwardCall, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"fakeQuantGrad", nullptr, backwardCall, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(d) / sizeof(d[0]), d);
}
