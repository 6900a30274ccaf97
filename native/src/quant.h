#pragma once
#include <node_api.h>

#include <cmath>
// Fake quantisation (src/train/quant.ts): y = clamp(round(x / scale), qmin, qmax) * scale, rounding half to even as
// torch.round and tfjs's Round do; its straight-through gradient; and the per-tensor statistic of a scale.
float quantAbsMax(long n, const float* x);
// One value's integer code before the clamp is undone: clamp(round(x / scale), qmin, qmax). Shared by the quantiser
// and the inference epilogue (quant_epilogue.cc), so both compute the same expression. std::nearbyint rounds in the
// current rounding mode, to nearest even by default: torch.round and tfjs's Round.
inline float quantStep(float x, float scale, float qmin, float qmax) {
  float q = std::nearbyint(x / scale);
  return q < qmin ? qmin : (q > qmax ? qmax : q);
}
void fakeQuantForward(long n, const float* x, float scale, float qmin, float qmax, float* y);
// dx = dy where qmin <= round(x / scale) <= qmax, else 0 (the gradient of a clamp that is not straight-through)
void fakeQuantBackward(long n, const float* dy, const float* x, float scale, float qmin, float qmax, float* dx);
// adds absMax, fakeQuant and fakeQuantGrad to the addon's exports
void defineQuantExports(napi_env env, napi_value exports);
