#pragma once
// The inference path's convolution (src/infer/): batch norm already folded into the filter and bias by the caller,
// then a short chain of what follows the conv in a ResNet unit (ReLU, the skip add), in the order of the graph.
#include <string>

#include "conv.h"

enum InferPost { POST_RELU = 1, POST_ADD = 2 };

// Floats of the filter as inferConv wants it for this geometry and chain at the current thread count: oneDNN's own
// blocked layout (filled by inferPrepareFilter), or 0 when it takes the HWIO filter as it is (no oneDNN, or oneDNN
// declined the fused primitive).
long inferFilterSize(const ConvGeom& g, const int* post, int npost);
void inferPrepareFilter(const ConvGeom& g, const int* post, int npost, const float* hwio, float* prepared);
// y = chain(conv(x, filter) + bias); `skip` (same shape as y) is what a POST_ADD adds; at most one POST_ADD.
// `filter`: the prepared filter when inferFilterSize > 0, else HWIO.
void inferConv(const ConvGeom& g, const int* post, int npost, const float* x, const float* filter, const float* bias,
               const float* skip, float* y);
// drop the fused primitives (after a change of thread count)
void inferForget();
// the implementation oneDNN chose for this geometry and chain ("" without oneDNN or when declined)
std::string inferImplementation(const ConvGeom& g, const int* post, int npost);
