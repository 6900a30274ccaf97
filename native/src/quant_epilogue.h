#pragma once
// The epilogue of a quantised network's convolution on the inference path (src/infer/): what the eval forward runs
// after the conv, in one pass over its output instead of one tfjs op each. Batch norm in inference mode (a
// per-channel scale and shift, computed by the caller as the FusedBatchNorm kernel computes them), then the chain's
// stages in the graph's order. Each stage computes the same float expression as the kernel the eval forward runs
// (ewAdd, ewRelu, channelAffine, fakeQuantForward), so the result is bit for bit theirs.
#include <node_api.h>

enum QuantStage { QSTAGE_RELU = 1, QSTAGE_ADD = 2, QSTAGE_QUANT = 3 };

// y[P, C] in place: y = stage_k(... stage_1(y * scale[c] + shift[c])); scale and shift null: no batch norm.
// `param` holds 3 floats per stage (scale, qmin, qmax; read for QSTAGE_QUANT only); `skip` (y's size) is what
// QSTAGE_ADD adds.
void quantEpilogue(long P, int C, const float* scale, const float* shift, const int* stages, const float* param,
                   int nstages, const float* skip, float* y);
// adds quantEpilogue to the addon's exports
void defineQuantEpilogueExports(napi_env env, napi_value exports);
