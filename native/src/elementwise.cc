// Element-wise kernels and global average pooling (NHWC). tfjs's pure-JS CPU backend spends ~10 ms on a
// 32x32x16x32 ReLU; these take well under 1 ms, split over the OpenMP threads when the tensor is large.
#include "elementwise.h"

#include <cstring>

namespace {
constexpr long PAR = 1 << 15;  // below this, threading costs more than it saves
}

void ewAdd(long n, const float* a, const float* b, float* o) {
#pragma omp parallel for schedule(static) if (n > PAR)
  for (long i = 0; i < n; i++) o[i] = a[i] + b[i];
}

void ewMul(long n, const float* a, const float* b, float* o) {
#pragma omp parallel for schedule(static) if (n > PAR)
  for (long i = 0; i < n; i++) o[i] = a[i] * b[i];
}

void ewRelu(long n, const float* a, float* o) {
#pragma omp parallel for schedule(static) if (n > PAR)
  for (long i = 0; i < n; i++) o[i] = reluOf(a[i]);
}

// tfjs Step(alpha = 0): 1 where x > 0, else 0 (NaN stays NaN)
void ewStep(long n, const float* a, float* o) {
#pragma omp parallel for schedule(static) if (n > PAR)
  for (long i = 0; i < n; i++) o[i] = a[i] != a[i] ? a[i] : (a[i] > 0.f ? 1.f : 0.f);
}

void gapForward(int n, long hw, int c, const float* x, float* y) {
  const float inv = 1.f / (float)hw;
  for (int i = 0; i < n; i++) {
    float* o = y + (long)i * c;
    std::memset(o, 0, c * sizeof(float));
    const float* xi = x + (long)i * hw * c;
    for (long p = 0; p < hw; p++)
      for (int k = 0; k < c; k++) o[k] += xi[p * c + k];
    for (int k = 0; k < c; k++) o[k] *= inv;
  }
}

void gapBackward(int n, long hw, int c, const float* dy, float* dx) {
  const float inv = 1.f / (float)hw;
#pragma omp parallel for schedule(static) if ((long)n * hw * c > PAR)
  for (int i = 0; i < n; i++)
    for (long p = 0; p < hw; p++)
      for (int k = 0; k < c; k++) dx[((long)i * hw + p) * c + k] = dy[(long)i * c + k] * inv;
}

// torch.optim.SGD step for one parameter (dampening 0). first != 0 on the first step (buf = g).
void sgdStep(long n, float* p, const float* grad, float* buf, float lr, float mu, float wd, bool nesterov, bool first) {
  for (long i = 0; i < n; i++) {
    float g = grad[i] + wd * p[i];
    float b = first ? g : mu * buf[i] + g;
    buf[i] = b;
    p[i] -= lr * (nesterov ? g + mu * b : b);
  }
}

// y[p, c] = x[p, c] * scale[c] + shift[c]: batch norm in inference mode once scale and shift are folded
void channelAffine(long n, int c, const float* x, const float* scale, const float* shift, float* y) {
  const long rows = n / c;
#pragma omp parallel for schedule(static) if (n > PAR)
  for (long p = 0; p < rows; p++)
    for (int k = 0; k < c; k++) y[p * c + k] = affineOf(x[p * c + k], scale[k], shift[k]);
}
