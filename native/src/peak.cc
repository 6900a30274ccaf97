// The machine's float32 FMA throughput, measured: every thread runs independent chains of vector FMAs held in
// registers (enough chains to cover the FMA latency on current x86 cores), so the loop is bound by the FMA units
// alone. Benchmarks report each kernel's GFLOP/s as a fraction of this measured peak, not of a data-sheet figure.
#include "peak.h"

#include <omp.h>

#include <chrono>

#if defined(__AVX512F__)
#include <immintrin.h>
using vec = __m512;
#define VSET(x) _mm512_set1_ps(x)
#define VFMA(a, b, c) _mm512_fmadd_ps(a, b, c)
#define VSUM(v) _mm512_reduce_add_ps(v)
constexpr int LANES = 16;
#elif defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
using vec = __m256;
#define VSET(x) _mm256_set1_ps(x)
#define VFMA(a, b, c) _mm256_fmadd_ps(a, b, c)
static float VSUM(__m256 v) {
  float t[8];
  _mm256_storeu_ps(t, v);
  float s = 0;
  for (float x : t) s += x;
  return s;
}
constexpr int LANES = 8;
#else
using vec = float;
#define VSET(x) (x)
#define VFMA(a, b, c) ((a) * (b) + (c))
#define VSUM(v) (v)
constexpr int LANES = 1;
#endif

double fmaPeakGflops(double seconds) {
  constexpr int CHAINS = 12;
  constexpr long ITERS = 1 << 20;
  double total = 0, sink = 0;
  auto t0 = std::chrono::steady_clock::now();
  long rounds = 0;
  while (std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() < seconds) {
#pragma omp parallel reduction(+ : sink)
    {
      vec acc[CHAINS];
      for (int c = 0; c < CHAINS; c++) acc[c] = VSET(0.001f * (c + 1 + omp_get_thread_num()));
      const vec m = VSET(0.999999f), a = VSET(1e-7f);
      for (long i = 0; i < ITERS; i++)
        for (int c = 0; c < CHAINS; c++) acc[c] = VFMA(acc[c], m, a);
      float s = 0;
      for (int c = 0; c < CHAINS; c++) s += VSUM(acc[c]);
      sink += s;
    }
    rounds++;
  }
  const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  total = (double)rounds * omp_get_max_threads() * ITERS * CHAINS * LANES * 2;
  // sink keeps the loop from being optimised away; it is a small positive number
  return sink < 0 ? 0 : total / dt / 1e9;
}
