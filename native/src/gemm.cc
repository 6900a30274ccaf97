// A small BLIS-style GEMM: packed A panels of MR rows, packed B panels of NR columns, a register-blocked
// MR x NR micro-kernel (AVX2 + FMA when the compiler targets them, portable C otherwise).
#include "gemm.h"

#include <algorithm>
#include <cstring>
#include <vector>
#ifdef __AVX2__
#include <immintrin.h>
#endif

namespace {
constexpr int MR = 6, NR = 16;   // 12 accumulator registers of 8 floats
constexpr int KC = 256, MC = 96;  // packed A block ~96 KiB: fits L2

void packA(int mc, int kc, const float* A, long rsA, long csA, float* out) {
  for (int i0 = 0; i0 < mc; i0 += MR) {
    int mr = std::min(MR, mc - i0);
    for (int p = 0; p < kc; p++) {
      for (int r = 0; r < mr; r++) out[r] = A[(i0 + r) * rsA + p * csA];
      for (int r = mr; r < MR; r++) out[r] = 0.f;
      out += MR;
    }
  }
}

void packB(int kc, int nc, const float* B, long rsB, long csB, float* out) {
  for (int j0 = 0; j0 < nc; j0 += NR) {
    int nr = std::min(NR, nc - j0);
    for (int p = 0; p < kc; p++) {
      const float* b = B + p * rsB + j0 * csB;
      if (csB == 1 && nr == NR) {
        std::memcpy(out, b, NR * sizeof(float));
      } else {
        for (int j = 0; j < nr; j++) out[j] = b[j * csB];
        for (int j = nr; j < NR; j++) out[j] = 0.f;
      }
      out += NR;
    }
  }
}

// acc[MR][NR] = sum_p A(r, p) * b[p][j], with A(r, p) = a[r * rs + p * cs]: a packed panel (rs = 1, cs = MR) or,
// to skip packing, the caller's matrix itself when one of its strides is 1 (rows stream through the prefetcher).
inline void microKernel(int kc, const float* a, long rs, long cs, const float* b, float* acc) {
#if defined(__AVX2__) && defined(__FMA__)
  __m256 c[MR][2];
  for (int r = 0; r < MR; r++) c[r][0] = c[r][1] = _mm256_setzero_ps();
  for (int p = 0; p < kc; p++) {
    __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
    for (int r = 0; r < MR; r++) {
      __m256 ar = _mm256_broadcast_ss(a + r * rs);
      c[r][0] = _mm256_fmadd_ps(ar, b0, c[r][0]);
      c[r][1] = _mm256_fmadd_ps(ar, b1, c[r][1]);
    }
    a += cs;
    b += NR;
  }
  for (int r = 0; r < MR; r++) {
    _mm256_storeu_ps(acc + r * NR, c[r][0]);
    _mm256_storeu_ps(acc + r * NR + 8, c[r][1]);
  }
#else
  float c[MR][NR] = {};
  for (int p = 0; p < kc; p++) {
    for (int r = 0; r < MR; r++)
      for (int j = 0; j < NR; j++) c[r][j] += a[r * rs] * b[j];
    a += cs;
    b += NR;
  }
  std::memcpy(acc, c, sizeof c);
#endif
}
}  // namespace

void sgemm(int M, int N, int K, const float* A, long rsA, long csA, const float* B, long rsB, long csB, float* C,
           long ldc, bool accumulate) {
  if (!accumulate)
    for (int i = 0; i < M; i++) std::memset(C + i * ldc, 0, N * sizeof(float));
  if (M == 0 || N == 0 || K == 0) return;
  thread_local std::vector<float> pa, pb;
  int npanels = (N + NR - 1) / NR;
  pb.resize((size_t)KC * npanels * NR);
  pa.resize((size_t)KC * ((MC + MR - 1) / MR) * MR);
  alignas(32) float acc[MR * NR];
  for (int p0 = 0; p0 < K; p0 += KC) {
    int kc = std::min(KC, K - p0);
    packB(kc, N, B + p0 * rsB, rsB, csB, pb.data());
    // A is read in place when one of its strides is 1; only a ragged last panel (fewer than MR rows) is packed.
    const bool direct = rsA == 1 || csA == 1;
    for (int i0 = 0; i0 < M; i0 += MC) {
      int mc = std::min(MC, M - i0);
      const float* ablock = A + i0 * rsA + p0 * csA;
      if (!direct) packA(mc, kc, ablock, rsA, csA, pa.data());
      int full = direct ? mc / MR * MR : mc;
      if (direct && full < mc) packA(mc - full, kc, ablock + full * rsA, rsA, csA, pa.data());
      for (int j0 = 0; j0 < N; j0 += NR) {
        int nr = std::min(NR, N - j0);
        const float* bp = pb.data() + (size_t)(j0 / NR) * kc * NR;
        for (int ii = 0; ii < mc; ii += MR) {
          int mr = std::min(MR, mc - ii);
          if (ii < full && !direct)
            microKernel(kc, pa.data() + (size_t)(ii / MR) * kc * MR, 1, MR, bp, acc);
          else if (ii < full)
            microKernel(kc, ablock + ii * rsA, rsA, csA, bp, acc);
          else
            microKernel(kc, pa.data() + (size_t)((ii - (direct ? full : 0)) / MR) * kc * MR, 1, MR, bp, acc);
          float* c = C + (i0 + ii) * ldc + j0;
          for (int r = 0; r < mr; r++)
            for (int j = 0; j < nr; j++) c[r * ldc + j] += acc[r * NR + j];
        }
      }
    }
  }
}
