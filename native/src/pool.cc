// Max pooling forward, NHWC. tfjs-backend-cpu's MaxPool is a single-threaded JS loop with the channel innermost but
// one: 492 ms on ResNet-50's stem pool at batch 32 ([32, 112, 112, 64] in), a quarter of the whole network's time
// (issue 30's profile). Here the threads take whole output rows and each output pixel runs over its window once per
// 16 channels, a lane-wise compare and select per window position.
#include "pool.h"

#include <algorithm>
#include <cmath>

#include "simd.h"

namespace {
constexpr long PAR = 1 << 15;  // below this many output values threading costs more than it saves (as elementwise.cc)

// tfjs's update is `if (pixel > m) m = pixel` in row-major window order: a strict compare, so NaN never wins and of
// equal values the first stays. The select below is that compare, lane by lane (no fmax: it would order -0 and +0).
inline v16f maxOf(v16f m, v16f v) { return v > m ? v : m; }
inline float maxOf(float m, float v) { return v > m ? v : m; }
}  // namespace

void maxPoolForward(const PoolGeom& g, const float* x, float* y) {
  const long rows = (long)g.n * g.oh;
  const int C = g.c;
#pragma omp parallel for schedule(static) if (rows * g.ow * C > PAR)
  for (long r = 0; r < rows; r++) {
    const int b = (int)(r / g.oh), oy = (int)(r % g.oh);
    const int y0 = oy * g.sh - g.pt;
    const int r0 = std::max(0, y0), r1 = std::min(g.h, y0 + g.kh);
    const float* xb = x + (long)b * g.h * g.w * C;
    float* out = y + r * g.ow * C;
    for (int ox = 0; ox < g.ow; ox++, out += C) {
      const int x0 = ox * g.sw - g.pl;
      const int c0 = std::max(0, x0), c1 = std::min(g.w, x0 + g.kw);
      int k = 0;
      for (; k + 16 <= C; k += 16) {
        v16f m = (v16f){} - INFINITY;
        for (int i = r0; i < r1; i++)
          for (int j = c0; j < c1; j++) m = maxOf(m, load16(xb + ((long)i * g.w + j) * C + k));
        store16(out + k, m);
      }
      for (; k < C; k++) {
        float m = -INFINITY;
        for (int i = r0; i < r1; i++)
          for (int j = c0; j < c1; j++) m = maxOf(m, xb[((long)i * g.w + j) * C + k]);
        out[k] = m;
      }
    }
  }
}
