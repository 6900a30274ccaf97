#pragma once
// Convolutions through oneDNN when the addon was built with it. Each returns false (and the caller falls back to
// the im2col + GEMM kernels) when oneDNN is absent or declines the geometry.
#include <string>

#include "conv.h"

bool dnnlAvailable();
// drop every cached primitive (they are built for the thread count at their creation)
void dnnlForgetPrimitives();
std::string dnnlVersion();
// Winograd for the layers it is used on (dnnl_conv.cc: winogradLayer); on by default. Changing it drops the cache.
void dnnlSetWinograd(bool on);
bool dnnlWinograd();
// whether this geometry is one of those layers (and Winograd is on): the inference path's choice too
bool dnnlWinogradLayer(const ConvGeom& g);
std::string dnnlLastError();
// which oneDNN implementation runs each primitive built so far for this geometry (e.g. "brg:avx512_core")
std::string dnnlImplementations(const ConvGeom& g);
bool dnnlConvForward(const ConvGeom& g, const float* x, const float* f, float* y);
bool dnnlConvBackInput(const ConvGeom& g, const float* dy, const float* f, float* dx);
bool dnnlConvBackFilter(const ConvGeom& g, const float* x, const float* dy, float* df);
