#pragma once
// Max pooling forward on NHWC float32 (the inference path's stem pool, e.g. ResNet-50's 3x3 stride 2 pad 1). The
// geometry comes resolved from tfjs (backend_util.computePool2DInfo in src/backend/native-pool.ts), as conv's does.
struct PoolGeom {
  int n, h, w, c, kh, kw, oh, ow, sh, sw, pt, pl;  // pt, pl: top and left padding; the far side follows from oh, ow
};
// y[b, oy, ox, c] = max of x over the window's positions inside the input: padded positions never win, NaN never
// wins (a window of NaNs only, or of padding only, gives -inf), and of equal values the first in row-major window
// order is kept (+0 before -0): tfjs-backend-cpu's pool() (utils/pool_utils.js) value for value.
void maxPoolForward(const PoolGeom& g, const float* x, float* y);
