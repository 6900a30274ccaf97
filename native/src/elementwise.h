#pragma once
void ewAdd(long n, const float* a, const float* b, float* o);
void ewMul(long n, const float* a, const float* b, float* o);
void ewRelu(long n, const float* a, float* o);
void ewStep(long n, const float* a, float* o);
// global average pooling over the H*W positions of x[n, hw, c]
void gapForward(int n, long hw, int c, const float* x, float* y);
void gapBackward(int n, long hw, int c, const float* dy, float* dx);
void sgdStep(long n, float* p, const float* grad, float* buf, float lr, float mu, float wd, bool nesterov, bool first);
void channelAffine(long n, int c, const float* x, const float* scale, const float* shift, float* y);
