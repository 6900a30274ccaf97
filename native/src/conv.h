#pragma once
// NHWC convolution geometry, filters HWIO (tfjs layout), groups = 1.
struct ConvGeom {
  int n, h, w, cin, kh, kw, cout, oh, ow, sh, sw, ph, pw, dh, dw;
};
void convForward(const ConvGeom& g, const float* x, const float* f, float* y);
void convBackInput(const ConvGeom& g, const float* dy, const float* f, float* dx);
void convBackFilter(const ConvGeom& g, const float* x, const float* dy, float* df);
int nativeThreads();
