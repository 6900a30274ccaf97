// 16 floats (one AVX-512 register) through GCC's vector extensions, for the element-wise passes that must not
// depend on the compiler's auto-vectoriser: GCC 12 turned a masked gradient into a scalar loop with a branch per
// element (bn.cc) and left a max-reduction scalar (quant.cc). Loads and stores are unaligned (aligned(4)).
#pragma once

typedef float v16f __attribute__((vector_size(64), aligned(4)));
typedef int v16i __attribute__((vector_size(64), aligned(4)));
inline v16f load16(const float* p) { return *reinterpret_cast<const v16f*>(p); }
inline void store16(float* p, v16f v) { *reinterpret_cast<v16f*>(p) = v; }
