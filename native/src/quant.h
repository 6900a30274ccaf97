#pragma once
#include <node_api.h>
// Fake quantisation (src/train/quant.ts): y = clamp(round(x / scale), qmin, qmax) * scale, rounding half to even as
// torch.round and tfjs's Round do; its straight-through gradient; and the per-tensor statistic of a scale.
float quantAbsMax(long n, const float* x);
void fakeQuantForward(long n, const float* x, float scale, float qmin, float qmax, float* y);
// dx = dy where qmin <= round(x / scale) <= qmax, else 0 (the gradient of a clamp that is not straight-through)
void fakeQuantBackward(long n, const float* dy, const float* x, float scale, float qmin, float qmax, float* dx);
// adds absMax, fakeQuant and fakeQuantGrad to the addon's exports
void defineQuantExports(napi_env env, napi_value exports);
