// Batch-norm forward and backward, each two passes over the data, rows split over the OpenMP threads.
// Backward: xhat = (x - mean) * invstd; dbeta = sum dy; dgamma = sum dy * xhat;
// dx = gamma * invstd / P * (P * dy - dbeta - xhat * dgamma)   (Ioffe & Szegedy 2015, section 3)
#include "bn.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace {
// Per-channel sums of f(row, c) over all rows, in double. The rows are cut into nt fixed blocks whose partial sums
// are added in block order, so results are bit-identical from run to run at a given thread count (checkpoint resume
// relies on it). The blocks are dealt out by an omp for: OpenMP may give the team fewer threads than asked
// (OMP_DYNAMIC, OMP_THREAD_LIMIT), and every block must still be summed.
template <typename F>
void channelSums(long P, int C, std::vector<double>& s1, std::vector<double>& s2, F f) {
  const int nt = omp_get_max_threads();
  std::vector<double> part(2L * nt * C, 0.0);
#pragma omp parallel num_threads(nt)
  {
#pragma omp for schedule(static)
    for (int t = 0; t < nt; t++) {
      double* a = part.data() + 2L * t * C;
      double* b = a + C;
      const long lo = P * t / nt, hi = P * (t + 1) / nt;
      for (long p = lo; p < hi; p++) f(p, a, b);
    }
  }
  s1.assign(C, 0.0);
  s2.assign(C, 0.0);
  for (int t = 0; t < nt; t++)
    for (int c = 0; c < C; c++) {
      s1[c] += part[2L * t * C + c];
      s2[c] += part[2L * t * C + C + c];
    }
}
}  // namespace

namespace {
// ReLU that keeps NaN (as tfjs's reference does), so a diverging run cannot hide behind zeros
inline float relu(float v) { return v <= 0.f ? 0.f : v; }

// Batch statistics in one pass: sums of x and x^2 in double (exact enough for float data: the cancellation in
// E[x^2] - mean^2 costs ~1e-16 of mean^2 / var), then per-channel scale and shift.
void stats(long P, int C, const float* x, const float* gamma, const float* beta, float eps, float* mean, float* invstd,
           float* var, std::vector<float>& scale, std::vector<float>& shift) {
  std::vector<double> s1, s2;
  channelSums(P, C, s1, s2, [&](long p, double* a, double* b) {
    const float* r = x + p * C;
    for (int c = 0; c < C; c++) {
      a[c] += r[c];
      b[c] += (double)r[c] * r[c];
    }
  });
  scale.resize(C);
  shift.resize(C);
  for (int c = 0; c < C; c++) {
    const double m = s1[c] / P;
    const double v = std::max(s2[c] / P - m * m, 0.0);
    mean[c] = (float)m;
    var[c] = (float)v;
    invstd[c] = (float)(1.0 / std::sqrt(v + eps));
    scale[c] = gamma[c] * invstd[c];
    shift[c] = beta[c] - mean[c] * scale[c];
  }
}
}  // namespace

namespace {
template <bool RELU, bool SKIP>
void normalise(long P, int C, const float* x, const float* skip, const float* scale, const float* shift, float* y) {
#pragma omp parallel for schedule(static)
  for (long p = 0; p < P; p++) {
    const float* r = x + p * C;
    float* o = y + p * C;
    for (int c = 0; c < C; c++) {
      float v = r[c] * scale[c] + shift[c];
      if (SKIP) v += skip[p * C + c];
      o[c] = RELU ? relu(v) : v;
    }
  }
}
}  // namespace

void bnForwardTrain(long P, int C, const float* x, const float* gamma, const float* beta, const float* skip, bool withRelu,
                    float eps, float* y, float* mean, float* invstd, float* var) {
  std::vector<float> scale, shift;
  stats(P, C, x, gamma, beta, eps, mean, invstd, var, scale, shift);
  const float *sc = scale.data(), *sh = shift.data();
  if (withRelu && skip) normalise<true, true>(P, C, x, skip, sc, sh, y);
  else if (withRelu) normalise<true, false>(P, C, x, skip, sc, sh, y);
  else if (skip) normalise<false, true>(P, C, x, skip, sc, sh, y);
  else normalise<false, false>(P, C, x, skip, sc, sh, y);
}

namespace {
// dy masked by the fused ReLU's output (y > 0; NaN in y means NaN statistics, which reach dx anyway)
// (a multiply by 0 or 1, not a select: GCC turned the select into a branch on random signs, 6x slower)
template <bool RELU>
inline float masked(const float* dy, const float* y, long i) {
  if (!RELU) return dy[i];
  return dy[i] * (float)(y[i] > 0.f);
}

template <bool RELU>
void bnBackwardT(long P, int C, const float* dy, const float* x, const float* y, const float* gamma, const float* mean,
                 const float* invstd, float* dx, float* dgamma, float* dbeta, float* dskip) {
  std::vector<double> sdy, sdyx;
  channelSums(P, C, sdy, sdyx, [&](long p, double* a, double* b) {
    const float* r = x + p * C;
    for (int c = 0; c < C; c++) {
      const float d = masked<RELU>(dy, y, p * C + c);
      a[c] += d;
      b[c] += d * (r[c] - mean[c]) * invstd[c];
    }
  });
  std::vector<float> k1(C), k2(C), k3(C);
  for (int c = 0; c < C; c++) {
    dbeta[c] = (float)sdy[c];
    dgamma[c] = (float)sdyx[c];
    // dx = k1 * dy - k2 - k3 * (x - mean)
    k1[c] = gamma[c] * invstd[c];
    k2[c] = (float)(gamma[c] * invstd[c] * sdy[c] / P);
    k3[c] = (float)(gamma[c] * invstd[c] * invstd[c] * sdyx[c] / P);
  }
#pragma omp parallel for schedule(static)
  for (long p = 0; p < P; p++) {
    const float* r = x + p * C;
    float* o = dx + p * C;
    for (int c = 0; c < C; c++) o[c] = k1[c] * masked<RELU>(dy, y, p * C + c) - k2[c] - k3[c] * (r[c] - mean[c]);
    if (dskip)
      for (int c = 0; c < C; c++) dskip[p * C + c] = masked<RELU>(dy, y, p * C + c);
  }
}
}  // namespace

// With a ReLU after the batch norm (y its output), the incoming gradient is masked by y > 0 first; dskip, if
// asked for, receives that masked gradient (the skip add passes it through unchanged).
void bnBackward(long P, int C, const float* dy, const float* x, const float* y, const float* gamma, const float* mean,
                const float* invstd, float* dx, float* dgamma, float* dbeta, float* dskip) {
  if (y)
    bnBackwardT<true>(P, C, dy, x, y, gamma, mean, invstd, dx, dgamma, dbeta, dskip);
  else
    bnBackwardT<false>(P, C, dy, x, y, gamma, mean, invstd, dx, dgamma, dbeta, dskip);
}
