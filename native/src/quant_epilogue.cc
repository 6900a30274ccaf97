// A quantised conv's epilogue in one pass (quant_epilogue.h). The output is cut into blocks of whole pixels that fit
// in L1; each stage runs over a block before the next one starts, so every stage stays a plain loop the compiler
// vectorises (one loop with a switch per value did not), and the values leave and enter memory once.
#include "quant_epilogue.h"

#include <algorithm>

#include "elementwise.h"
#include "quant.h"

namespace {
constexpr long PAR = 1 << 15;     // below this, threading costs more than it saves (as elementwise.cc)
constexpr long BLOCK = 2048;      // floats per block: 8 KiB, a quarter of a 32 KiB L1 data cache
}  // namespace

void quantEpilogue(long P, int C, const float* scale, const float* shift, const int* stages, const float* param,
                   int nstages, const float* skip, float* y) {
  const long rows = std::max(1L, BLOCK / C);
  const long blocks = (P + rows - 1) / rows;
#pragma omp parallel for schedule(static) if (P * C > PAR)
  for (long b = 0; b < blocks; b++) {
    const long p0 = b * rows, p1 = std::min(P, p0 + rows);
    float* v = y + p0 * C;
    const long len = (p1 - p0) * C;
    if (scale)
      for (long p = 0; p < p1 - p0; p++)
        for (int k = 0; k < C; k++) v[p * C + k] = affineOf(v[p * C + k], scale[k], shift[k]);
    for (int s = 0; s < nstages; s++) {
      switch (stages[s]) {
        case QSTAGE_RELU:
          for (long i = 0; i < len; i++) v[i] = reluOf(v[i]);
          break;
        case QSTAGE_ADD: {
          const float* a = skip + p0 * C;
          for (long i = 0; i < len; i++) v[i] = v[i] + a[i];
          break;
        }
        case QSTAGE_QUANT: {
          const float sc = param[3 * s], lo = param[3 * s + 1], hi = param[3 * s + 2];
          for (long i = 0; i < len; i++) v[i] = quantStep(v[i], sc, lo, hi) * sc;
          break;
        }
      }
    }
  }
}

namespace {
napi_value fail(napi_env env, const char* msg) {
  napi_throw_range_error(env, nullptr, msg);
  return nullptr;
}

// a typed array of the expected type, or null/undefined when `optional`
template <typename T>
bool typed(napi_env env, napi_value v, napi_typedarray_type want, bool optional, T** data, size_t* len,
           const char* msg) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  if (optional && (t == napi_null || t == napi_undefined)) {
    *data = nullptr;
    *len = 0;
    return true;
  }
  napi_typedarray_type type;
  void* d;
  napi_value buf;
  size_t offset;
  if (napi_get_typedarray_info(env, v, &type, len, &d, &buf, &offset) != napi_ok || type != want) {
    napi_throw_type_error(env, nullptr, msg);
    return false;
  }
  *data = static_cast<T*>(d);
  return true;
}

// quantEpilogue(C, y, scale | null, shift | null, stages: Int32Array, param: Float32Array, skip | null)
napi_value epilogueCall(napi_env env, napi_callback_info info) {
  napi_value a[7];
  size_t argc = 7;
  napi_get_cb_info(env, info, &argc, a, nullptr, nullptr);
  if (argc != 7) return fail(env, "tailor_native: quantEpilogue expects 7 arguments");
  double cd = 0;
  napi_get_value_double(env, a[0], &cd);
  const long C = (long)cd;
  float *y, *scale, *shift, *param, *skip;
  int* stages;
  size_t ny, nscale, nshift, nstages, nparam, nskip;
  const char* f32 = "tailor_native: quantEpilogue: y, scale, shift, param and skip are Float32Arrays (scale, shift, skip or null)";
  if (!typed(env, a[1], napi_float32_array, false, &y, &ny, f32) || !typed(env, a[2], napi_float32_array, true, &scale, &nscale, f32) ||
      !typed(env, a[3], napi_float32_array, true, &shift, &nshift, f32) ||
      !typed(env, a[4], napi_int32_array, false, &stages, &nstages, "tailor_native: quantEpilogue: stages is an Int32Array") ||
      !typed(env, a[5], napi_float32_array, false, &param, &nparam, f32) || !typed(env, a[6], napi_float32_array, true, &skip, &nskip, f32))
    return nullptr;
  if (C < 1 || ny % C != 0) return fail(env, "tailor_native: quantEpilogue: y's size is not a multiple of the channels C");
  if (!scale != !shift || (scale && (nscale != (size_t)C || nshift != (size_t)C)))
    return fail(env, "tailor_native: quantEpilogue: scale and shift are both null or both C floats");
  if (nparam != 3 * nstages) return fail(env, "tailor_native: quantEpilogue: param holds 3 floats per stage");
  bool adds = false;
  for (size_t s = 0; s < nstages; s++) {
    if (stages[s] < QSTAGE_RELU || stages[s] > QSTAGE_QUANT) return fail(env, "tailor_native: quantEpilogue: a stage code is not 1 (relu), 2 (add) or 3 (quant)");
    adds = adds || stages[s] == QSTAGE_ADD;
  }
  if (adds && (!skip || nskip != ny)) return fail(env, "tailor_native: quantEpilogue: an add stage needs a skip of y's size");
  quantEpilogue((long)(ny / C), (int)C, scale, shift, stages, param, (int)nstages, skip, y);
  return nullptr;
}
}  // namespace

void defineQuantEpilogueExports(napi_env env, napi_value exports) {
  napi_property_descriptor d[] = {
      {"quantEpilogue", nullptr, epilogueCall, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(d) / sizeof(d[0]), d);
}
