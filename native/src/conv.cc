// The fallback convolution (when the addon is built without oneDNN): im2col + GEMM, one image per task, images spread over the OpenMP threads.
// Forward: Y[P, Cout] = col[P, KKC] * F[KKC, Cout];  input gradient: dcol = dY * F^T, then col2im;
// filter gradient: dF += col^T * dY, one accumulator per thread, summed at the end.
#include "conv.h"

#include <omp.h>

#include <cstring>
#include <vector>

#include "dnnl_conv.h"
#include "gemm.h"

namespace {
inline bool isPointwise(const ConvGeom& g) {
  return g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && g.ph == 0 && g.pw == 0;
}

void im2col(const ConvGeom& g, const float* x, float* col) {
  const int kkc = g.kh * g.kw * g.cin;
  for (int oy = 0; oy < g.oh; oy++)
    for (int ox = 0; ox < g.ow; ox++) {
      float* row = col + (long)(oy * g.ow + ox) * kkc;
      for (int ky = 0; ky < g.kh; ky++) {
        int iy = oy * g.sh - g.ph + ky * g.dh;
        for (int kx = 0; kx < g.kw; kx++) {
          int ix = ox * g.sw - g.pw + kx * g.dw;
          float* dst = row + (ky * g.kw + kx) * g.cin;
          if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w)
            std::memset(dst, 0, g.cin * sizeof(float));
          else
            std::memcpy(dst, x + ((long)iy * g.w + ix) * g.cin, g.cin * sizeof(float));
        }
      }
    }
}

void col2im(const ConvGeom& g, const float* col, float* dx) {
  const int kkc = g.kh * g.kw * g.cin;
  std::memset(dx, 0, sizeof(float) * (long)g.h * g.w * g.cin);
  for (int oy = 0; oy < g.oh; oy++)
    for (int ox = 0; ox < g.ow; ox++) {
      const float* row = col + (long)(oy * g.ow + ox) * kkc;
      for (int ky = 0; ky < g.kh; ky++) {
        int iy = oy * g.sh - g.ph + ky * g.dh;
        if (iy < 0 || iy >= g.h) continue;
        for (int kx = 0; kx < g.kw; kx++) {
          int ix = ox * g.sw - g.pw + kx * g.dw;
          if (ix < 0 || ix >= g.w) continue;
          const float* src = row + (ky * g.kw + kx) * g.cin;
          float* dst = dx + ((long)iy * g.w + ix) * g.cin;
          for (int c = 0; c < g.cin; c++) dst[c] += src[c];
        }
      }
    }
}
// Per-thread scratch that lives across calls: fresh large allocations page-fault on every call, which on this
// kind of VM costs more than the convolution itself.
float* scratch(long n) {
  thread_local std::vector<float> buf;
  if ((long)buf.size() < n) buf.resize(n);
  return buf.data();
}
// The GEMM operand for image xi: the image itself for a pointwise conv, else its im2col columns.
const float* columns(const ConvGeom& g, const float* xi, float* col, bool pw) {
  if (pw) return xi;
  im2col(g, xi, col);
  return col;
}
}  // namespace

int nativeThreads() { return omp_get_max_threads(); }

void gemmConvForward(const ConvGeom& g, const float* x, const float* f, float* y) {
  const long inSz = (long)g.h * g.w * g.cin, outPix = (long)g.oh * g.ow, kkc = (long)g.kh * g.kw * g.cin;
  const bool pw = isPointwise(g);
#pragma omp parallel
  {
    float* col = pw ? nullptr : scratch(outPix * kkc);
#pragma omp for schedule(static)
    for (int i = 0; i < g.n; i++) {
      const float* a = columns(g, x + i * inSz, col, pw);
      sgemm(outPix, g.cout, kkc, a, kkc, 1, f, g.cout, 1, y + i * outPix * g.cout, g.cout, false);
    }
  }
}

void gemmConvBackInput(const ConvGeom& g, const float* dy, const float* f, float* dx) {
  const long inSz = (long)g.h * g.w * g.cin, outPix = (long)g.oh * g.ow, kkc = (long)g.kh * g.kw * g.cin;
  const bool pw = isPointwise(g);
#pragma omp parallel
  {
    float* col = pw ? nullptr : scratch(outPix * kkc);
#pragma omp for schedule(static)
    for (int i = 0; i < g.n; i++) {
      float* out = pw ? dx + i * inSz : col;
      // B(p = cout, j = kkc) = F[j * cout + p]
      sgemm(outPix, kkc, g.cout, dy + i * outPix * g.cout, g.cout, 1, f, 1, g.cout, out, kkc, false);
      if (!pw) col2im(g, col, dx + i * inSz);
    }
  }
}

void gemmConvBackFilter(const ConvGeom& g, const float* x, const float* dy, float* df) {
  const long inSz = (long)g.h * g.w * g.cin, outPix = (long)g.oh * g.ow, kkc = (long)g.kh * g.kw * g.cin;
  const bool pw = isPointwise(g);
  const int nt = omp_get_max_threads();
  std::vector<std::vector<float>> part(nt, std::vector<float>(kkc * g.cout, 0.f));
#pragma omp parallel
  {
    float* col = pw ? nullptr : scratch(outPix * kkc);
    float* acc = part[omp_get_thread_num()].data();
#pragma omp for schedule(static)
    for (int i = 0; i < g.n; i++) {
      const float* a = columns(g, x + i * inSz, col, pw);
      // A(i = kkc, p = pixel) = col[p * kkc + i]
      sgemm(kkc, g.cout, outPix, a, 1, kkc, dy + i * outPix * g.cout, g.cout, 1, acc, g.cout, true);
    }
  }
  const long sz = kkc * g.cout;
  std::memcpy(df, part[0].data(), sz * sizeof(float));
  for (int t = 1; t < nt; t++)
    for (long k = 0; k < sz; k++) df[k] += part[t][k];
}

// Which path runs: oneDNN when built with it, unless switched to the GEMM path (benchmarks and tests compare both
// in one process). A geometry oneDNN declines runs on the GEMM path and is counted, so nothing falls back unseen.
namespace {
bool useDnnl = dnnlAvailable();
long declined = 0;
}  // namespace

bool setConvPath(bool dnnl) {
  if (dnnl && !dnnlAvailable()) return false;
  useDnnl = dnnl;
  return true;
}
bool convPathIsDnnl() { return useDnnl; }
long convDeclined() { return declined; }

void convForward(const ConvGeom& g, const float* x, const float* f, float* y) {
  if (useDnnl && dnnlConvForward(g, x, f, y)) return;
  declined += useDnnl;
  gemmConvForward(g, x, f, y);
}

void convBackInput(const ConvGeom& g, const float* dy, const float* f, float* dx) {
  if (useDnnl && dnnlConvBackInput(g, dy, f, dx)) return;
  declined += useDnnl;
  gemmConvBackInput(g, dy, f, dx);
}

void convBackFilter(const ConvGeom& g, const float* x, const float* dy, float* df) {
  if (useDnnl && dnnlConvBackFilter(g, x, dy, df)) return;
  declined += useDnnl;
  gemmConvBackFilter(g, x, dy, df);
}
