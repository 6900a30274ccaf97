#pragma once
// The per-value expressions of ewRelu and channelAffine, shared with the inference epilogue (quant_epilogue.cc) so
// that both compute the same floats. GCC contracts x * scale + shift into one FMA here: in C++ its default is
// -ffp-contract=fast whatever -std says (only ISO C modes turn it off; GCC 12 checked on this machine), and both
// callers are compiled with the same flags and contract it alike (objdump shows the same FMAs in channelAffine and
// quantEpilogue; test/infer.test.ts checks the equality bit for bit).
inline float reluOf(float a) { return a <= 0.f ? 0.f : a; }  // NaN stays NaN, as in tfjs
inline float affineOf(float x, float scale, float shift) { return x * scale + shift; }
void ewAdd(long n, const float* a, const float* b, float* o);
void ewMul(long n, const float* a, const float* b, float* o);
void ewRelu(long n, const float* a, float* o);
void ewStep(long n, const float* a, float* o);
// global average pooling over the H*W positions of x[n, hw, c]
void gapForward(int n, long hw, int c, const float* x, float* y);
void gapBackward(int n, long hw, int c, const float* dy, float* dx);
void sgdStep(long n, float* p, const float* grad, float* buf, float lr, float mu, float wd, bool nesterov, bool first);
void channelAffine(long n, int c, const float* x, const float* scale, const float* shift, float* y);
