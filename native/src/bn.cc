// Batch-norm forward and backward, each two passes over the data, rows split over the OpenMP threads.
// Backward: xhat = (x - mean) * invstd; dbeta = sum dy; dgamma = sum dy * xhat;
// dx = gamma * invstd / P * (P * dy - dbeta - xhat * dgamma)   (Ioffe & Szegedy 2015, section 3)
//
// Every kernel is a template on the channel count CC: the ResNets' 16, 32 and 64 channels get their own copy, with
// the per-channel loops fully unrolled and the running sums held in registers across rows (with C known only at
// run time the compiler reloads and stores them on every row, which made these passes compute-bound: 3 cycles an
// element measured). CC = 0 is the general copy. The arithmetic, and its order, is the same in every copy.
#include "bn.h"
#include "simd.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace {
constexpr int MAX_CC = 64;

// 1.0 where v > 0, else 0.0 (0.0 for NaN)
inline v16f positive(v16f v) { return __builtin_convertvector(-(v16i)(v > 0.f), v16f); }
// ReLU keeping NaN, as relu() below: 0 where v <= 0, v elsewhere
inline v16f relu16(v16f v) { return (v16f)((v16i)v & ~(v16i)(v <= 0.f)); }

// Per-channel sums of f(row, a, b) over all rows, in double. The rows are cut into nt fixed blocks whose partial
// sums are added in block order, so results are bit-identical from run to run at a given thread count (checkpoint
// resume relies on it). The blocks are dealt out by an omp for: OpenMP may give the team fewer threads than asked
// (OMP_DYNAMIC, OMP_THREAD_LIMIT), and every block must still be summed.
template <int CC, typename F>
void channelSums(long P, int Crt, std::vector<double>& s1, std::vector<double>& s2, F f) {
  const int C = CC > 0 ? CC : Crt;
  const int nt = omp_get_max_threads();
  std::vector<double> part(2L * nt * C, 0.0);
#pragma omp parallel num_threads(nt)
  {
#pragma omp for schedule(static)
    for (int t = 0; t < nt; t++) {
      double* out = part.data() + 2L * t * C;
      const long lo = P * t / nt, hi = P * (t + 1) / nt;
      if constexpr (CC > 0) {
        double a[CC] = {}, b[CC] = {};
        for (long p = lo; p < hi; p++) f(p, a, b);
        for (int c = 0; c < CC; c++) {
          out[c] = a[c];
          out[CC + c] = b[c];
        }
      } else {
        for (long p = lo; p < hi; p++) f(p, out, out + C);
      }
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

// ReLU that keeps NaN (as tfjs's reference does), so a diverging run cannot hide behind zeros
inline float relu(float v) { return v <= 0.f ? 0.f : v; }

// Batch statistics in one pass: sums of x and x^2 in double (exact enough for float data: the cancellation in
// E[x^2] - mean^2 costs ~1e-16 of mean^2 / var), then per-channel scale and shift.
template <int CC>
void stats(long P, int Crt, const float* x, const float* gamma, const float* beta, float eps, float* mean,
           float* invstd, float* var, std::vector<float>& scale, std::vector<float>& shift) {
  const int C = CC > 0 ? CC : Crt;
  std::vector<double> s1, s2;
  channelSums<CC>(P, C, s1, s2, [&](long p, double* a, double* b) {
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

template <int CC, bool RELU, bool SKIP>
void normalise(long P, int Crt, const float* __restrict x, const float* __restrict skip, const float* scale,
               const float* shift, float* __restrict y) {
  const int C = CC > 0 ? CC : Crt;
  if constexpr (CC > 0 && CC % 16 == 0) {
    v16f sc[CC / 16], sh[CC / 16];
    for (int k = 0; k < CC / 16; k++) {
      sc[k] = load16(scale + 16 * k);
      sh[k] = load16(shift + 16 * k);
    }
#pragma omp parallel for schedule(static)
    for (long p = 0; p < P; p++)
      for (int k = 0; k < CC / 16; k++) {
        const long i = p * CC + 16 * k;
        v16f v = load16(x + i) * sc[k] + sh[k];
        if (SKIP) v += load16(skip + i);
        store16(y + i, RELU ? relu16(v) : v);
      }
    return;
  }
#pragma omp parallel for schedule(static)
  for (long p = 0; p < P; p++) {
    const float* __restrict r = x + p * C;
    float* __restrict o = y + p * C;
    for (int c = 0; c < C; c++) {
      float v = r[c] * scale[c] + shift[c];
      if (SKIP) v += skip[p * C + c];
      o[c] = RELU ? relu(v) : v;
    }
  }
}

template <int CC>
void forwardT(long P, int C, const float* x, const float* gamma, const float* beta, const float* skip, bool withRelu,
              float eps, float* y, float* mean, float* invstd, float* var) {
  std::vector<float> scale, shift;
  stats<CC>(P, C, x, gamma, beta, eps, mean, invstd, var, scale, shift);
  const float *sc = scale.data(), *sh = shift.data();
  if (withRelu && skip) normalise<CC, true, true>(P, C, x, skip, sc, sh, y);
  else if (withRelu) normalise<CC, true, false>(P, C, x, skip, sc, sh, y);
  else if (skip) normalise<CC, false, true>(P, C, x, skip, sc, sh, y);
  else normalise<CC, false, false>(P, C, x, skip, sc, sh, y);
}

// dy masked by the fused ReLU's output (y > 0; NaN in y means NaN statistics, which reach dx anyway)
// (a multiply by 0 or 1, not a select: GCC turned the select into a branch on random signs, 6x slower)
template <bool RELU>
inline float masked(const float* dy, const float* y, long i) {
  if (!RELU) return dy[i];
  return dy[i] * (float)(y[i] > 0.f);
}

// The buffers never overlap (dx and dskip are fresh outputs): __restrict lets the compiler vectorise the masked
// writes; without it the dskip copy became a scalar loop with a branch on every sign (2.5 ms instead of 0.4 here).
template <int CC, bool RELU, bool DSKIP>
void backwardT(long P, int Crt, const float* __restrict dy, const float* __restrict x, const float* __restrict y,
               const float* gamma, const float* mean, const float* invstd, float* __restrict dx, float* dgamma,
               float* dbeta, float* __restrict dskip) {
  const int C = CC > 0 ? CC : Crt;
  std::vector<double> sdy, sdyx;
  channelSums<CC>(P, C, sdy, sdyx, [&](long p, double* a, double* b) {
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
  const float *__restrict K1 = k1.data(), *__restrict K2 = k2.data(), *__restrict K3 = k3.data();
  if constexpr (CC > 0 && CC % 16 == 0) {
    v16f a1[CC / 16], a2[CC / 16], a3[CC / 16], mu[CC / 16];
    for (int k = 0; k < CC / 16; k++) {
      a1[k] = load16(K1 + 16 * k);
      a2[k] = load16(K2 + 16 * k);
      a3[k] = load16(K3 + 16 * k);
      mu[k] = load16(mean + 16 * k);
    }
#pragma omp parallel for schedule(static)
    for (long p = 0; p < P; p++)
      for (int k = 0; k < CC / 16; k++) {
        const long i = p * CC + 16 * k;
        v16f d = load16(dy + i);
        if (RELU) d *= positive(load16(y + i));  // a multiply, as masked(): NaN in dy stays NaN
        store16(dx + i, a1[k] * d - a2[k] - a3[k] * (load16(x + i) - mu[k]));
        if (DSKIP) store16(dskip + i, d);
      }
    return;
  }
#pragma omp parallel for schedule(static)
  for (long p = 0; p < P; p++) {
    for (int c = 0; c < C; c++) {
      const long i = p * C + c;
      const float d = masked<RELU>(dy, y, i);
      dx[i] = K1[c] * d - K2[c] - K3[c] * (x[i] - mean[c]);
      if (DSKIP) dskip[i] = d;
    }
  }
}

template <int CC>
void backwardC(long P, int C, const float* dy, const float* x, const float* y, const float* gamma, const float* mean,
               const float* invstd, float* dx, float* dgamma, float* dbeta, float* dskip) {
  if (y && dskip) backwardT<CC, true, true>(P, C, dy, x, y, gamma, mean, invstd, dx, dgamma, dbeta, dskip);
  else if (y) backwardT<CC, true, false>(P, C, dy, x, y, gamma, mean, invstd, dx, dgamma, dbeta, dskip);
  else if (dskip) backwardT<CC, false, true>(P, C, dy, x, y, gamma, mean, invstd, dx, dgamma, dbeta, dskip);
  else backwardT<CC, false, false>(P, C, dy, x, y, gamma, mean, invstd, dx, dgamma, dbeta, dskip);
}
}  // namespace

void bnForwardTrain(long P, int C, const float* x, const float* gamma, const float* beta, const float* skip, bool withRelu,
                    float eps, float* y, float* mean, float* invstd, float* var) {
  switch (C) {
    case 16: return forwardT<16>(P, C, x, gamma, beta, skip, withRelu, eps, y, mean, invstd, var);
    case 32: return forwardT<32>(P, C, x, gamma, beta, skip, withRelu, eps, y, mean, invstd, var);
    case MAX_CC: return forwardT<MAX_CC>(P, C, x, gamma, beta, skip, withRelu, eps, y, mean, invstd, var);
    default: return forwardT<0>(P, C, x, gamma, beta, skip, withRelu, eps, y, mean, invstd, var);
  }
}

// With a ReLU after the batch norm (y its output), the incoming gradient is masked by y > 0 first; dskip, if
// asked for, receives that masked gradient (the skip add passes it through unchanged).
void bnBackward(long P, int C, const float* dy, const float* x, const float* y, const float* gamma, const float* mean,
                const float* invstd, float* dx, float* dgamma, float* dbeta, float* dskip) {
switch (C) {
    case 16: return backwardC<16>(P, C, dy, x, y, gamma, mean, invstd, dx, dgamma, dbeta, dskip);
    case 32: return backwardC<32>(P, C, dy, x, y, gamma, mean, invstd, dx, dgamma, dbeta, dskip);
    case MAX_CC: return backwardC<MAX_CC>(P, C, dy, x, y, gamma, mean, invstd, dx, dgamma, dbeta, dskip);
    default: return backwardC<0>(P, C, dy, x, y, gamma, mean, invstd, dx, dgamma, dbeta, dskip);
  }
}
