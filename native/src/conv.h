#pragma once
// NHWC convolution geometry, filters HWIO (tfjs layout), groups = 1.
struct ConvGeom {
  int n, h, w, cin, kh, kw, cout, oh, ow, sh, sw, ph, pw, dh, dw;
};
// oneDNN when the addon has it (and the path is not switched off), else im2col + GEMM
void convForward(const ConvGeom& g, const float* x, const float* f, float* y);
void convBackInput(const ConvGeom& g, const float* dy, const float* f, float* dx);
void convBackFilter(const ConvGeom& g, const float* x, const float* dy, float* df);
// the im2col + GEMM kernels themselves
void gemmConvForward(const ConvGeom& g, const float* x, const float* f, float* y);
void gemmConvBackInput(const ConvGeom& g, const float* dy, const float* f, float* dx);
void gemmConvBackFilter(const ConvGeom& g, const float* x, const float* dy, float* df);
// true: oneDNN; false: GEMM. Returns false if oneDNN was asked for and the addon was built without it.
bool setConvPath(bool dnnl);
bool convPathIsDnnl();
// calls that asked for oneDNN and ran on the GEMM path because oneDNN declined the geometry
long convDeclined();
int nativeThreads();
