// Convolution and both of its gradients through oneDNN (the library PyTorch's CPU convolutions use), directly on
// tfjs's NHWC activations. Only the filters change layout: tfjs keeps them HWIO, oneDNN's direct kernels want a
// blocked layout of their choice, so each call reorders the (small) filter in or the filter gradient out.
// The 3x3 stride-1 layers of 32 channels and more run oneDNN's Winograd kernels (F(4x4, 3x3)) instead, on blocked
// copies of their activations (winogradLayer below says why these).
// Primitives are built once per geometry and kept: building one costs far more than running it at these sizes.
// Built only when the oneDNN headers were found at install time (binding.gyp defines TAILOR_DNNL).
#include "dnnl_conv.h"

#ifdef TAILOR_DNNL
#include <dnnl.hpp>

#include <cstring>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace {
using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

dnnl::engine& eng() {
  static dnnl::engine e(dnnl::engine::kind::cpu, 0);
  return e;
}
dnnl::stream& strm() {
  static dnnl::stream s(eng());
  return s;
}

std::unique_ptr<dnnl::reorder> reorderBetween(const memory::desc& from, const memory::desc& to) {
  return std::make_unique<dnnl::reorder>(dnnl::reorder::primitive_desc(eng(), from, eng(), to));
}

// The padding oneDNN wants on the bottom/right: whatever makes its output size formula (floor division) give oh,
// ow. Negative when the last input rows are never read (a 1x1 stride-2 conv on an even map), which oneDNN rejects:
// then 0 gives the same floor.
int farPad(int in, int out, int k, int stride, int dil, int near) {
  const int span = (k - 1) * dil + 1;
  const int need = (out - 1) * stride + span - in - near;
  return need < 0 ? 0 : need;
}

struct Shapes {
  memory::desc src, wUser, dst;
  memory::dims strides, dilates, padL, padR;
};

Shapes shapes(const ConvGeom& g) {
  Shapes s;
  s.src = memory::desc({g.n, g.cin, g.h, g.w}, dt::f32, tag::nhwc);
  s.dst = memory::desc({g.n, g.cout, g.oh, g.ow}, dt::f32, tag::nhwc);
  s.wUser = memory::desc({g.cout, g.cin, g.kh, g.kw}, dt::f32, tag::hwio);
  s.strides = {g.sh, g.sw};
  s.dilates = {g.dh - 1, g.dw - 1};  // oneDNN counts dilation from 0
  s.padL = {g.ph, g.pw};
  s.padR = {farPad(g.h, g.oh, g.kh, g.sh, g.dh, g.ph), farPad(g.w, g.ow, g.kw, g.sw, g.dw, g.pw)};
  return s;
}

// A copy of an NHWC activation in the layout a kernel chose: its buffer and the reorder that fills it (from NHWC) or
// empties it (to NHWC). No buffer and no reorder when the kernel takes NHWC as it is.
struct Blocked {
  memory buf;
  std::unique_ptr<dnnl::reorder> move;
};

// The geometry is the whole key: the three primitives of one layer share it.
struct Key {
  int d[15];
  bool operator==(const Key& o) const { return std::memcmp(d, o.d, sizeof d) == 0; }
};
struct KeyHash {
  size_t operator()(const Key& k) const {
    size_t h = 1469598103934665603ull;
    for (int v : k.d) h = (h ^ (size_t)v) * 1099511628211ull;
    return h;
  }
};
Key keyOf(const ConvGeom& g) {
  return Key{{g.n, g.h, g.w, g.cin, g.kh, g.kw, g.cout, g.oh, g.ow, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw}};
}

// One layer's primitives, each built on first use (a geometry oneDNN declines throws, and `guarded` sends the call to GEMM).
struct Layer {
  Shapes s;
  bool wino = false;
  std::unique_ptr<dnnl::convolution_forward::primitive_desc> fwdPd;
  std::unique_ptr<dnnl::convolution_forward> fwd;
  std::unique_ptr<dnnl::reorder> fwdW;  // hwio -> the forward kernel's filter layout (null if the same)
  std::unique_ptr<dnnl::convolution_backward_data::primitive_desc> bwdDataPd;
  std::unique_ptr<dnnl::convolution_backward_data> bwdData;
  std::unique_ptr<dnnl::reorder> bwdDataW;
  std::unique_ptr<dnnl::convolution_backward_weights::primitive_desc> bwdWPd;
  std::unique_ptr<dnnl::convolution_backward_weights> bwdW;
  std::unique_ptr<dnnl::reorder> bwdWOut;  // the kernel's filter-gradient layout -> hwio
  bool bwdWOverrun = false;                // bwdW is a kernel that overruns its buffers: never run (overrunsBuffers)
  memory fwdWBuf, bwdDataWBuf, bwdWBuf;
  // Winograd only: the kernels' own (blocked) activation layouts, and the reorders from and to NHWC
  Blocked fwdSrc, fwdDst, bwdWSrc, bwdWDiffDst;
};

std::unordered_map<Key, std::unique_ptr<Layer>, KeyHash>& cache() {
  static std::unordered_map<Key, std::unique_ptr<Layer>, KeyHash> c;
  return c;
}

memory::desc anyW(const ConvGeom& g) { return memory::desc({g.cout, g.cin, g.kh, g.kw}, dt::f32, tag::any); }

Layer& layer(const ConvGeom& g) {
  auto& c = cache();
  auto k = keyOf(g);
  auto it = c.find(k);
  if (it != c.end()) return *it->second;
  auto l = std::make_unique<Layer>();
  l->s = shapes(g);
  auto& ref = *l;
  c.emplace(k, std::move(l));
  return ref;
}

bool winogradOn = true;

// Winograd where it measured faster, fixed by the geometry alone so that a run resumed on the same machine repeats
// its arithmetic exactly (a per-run timing choice could pick differently after a restart): 3x3, stride 1, padding
// 1, both channel counts multiples of 16 and at least 32. Measured here (oneDNN 2.6.3 jit_wino_4x3 against the
// direct NHWC kernels, batch 32, blocked copies and reorders included, on 1 and 2 threads): 32 channels at 16x16
// forward 1.2-1.3x, weight gradient 1.0-1.1x; 64 channels at 8x8 1.3-1.6x and 1.4x; 16 channels at 32x32 0.7x (so
// not those). Issue 14's probe on an Intel AVX-512 machine found the same split. Its results differ from the direct
// kernels' by the transform's rounding (the kernel tests bound it), and are the same from run to run.
bool winogradLayer(const ConvGeom& g) {
  return winogradOn && g.kh == 3 && g.kw == 3 && g.sh == 1 && g.sw == 1 && g.dh == 1 && g.dw == 1 && g.ph == 1 &&
         g.pw == 1 && g.oh == g.h && g.ow == g.w && g.cin >= 32 && g.cout >= 32 && g.cin % 16 == 0 && g.cout % 16 == 0;
}

memory::desc anyAct(const memory::desc& d) { return memory::desc(d.dims(), dt::f32, tag::any); }

// `into`: NHWC -> the kernel's layout (an input); otherwise the kernel's layout -> NHWC (an output)
Blocked blocked(const memory::desc& nhwc, const memory::desc& kernel, bool into) {
  Blocked b;
  if (kernel == nhwc) return b;
  b.buf = memory(kernel, eng());
  b.move = into ? reorderBetween(nhwc, kernel) : reorderBetween(kernel, nhwc);
  return b;
}

// An activation as the kernel wants it: the NHWC array itself, or its blocked copy filled now
memory actIn(Blocked& b, const memory::desc& nhwc, const float* p) {
  memory user(nhwc, eng(), const_cast<float*>(p));
  if (!b.move) return user;
  b.move->execute(strm(), user, b.buf);
  return b.buf;
}

std::unique_ptr<dnnl::convolution_forward::primitive_desc> fwdPd(const Shapes& s, const ConvGeom& g, bool wino) {
  const auto alg = wino ? dnnl::algorithm::convolution_winograd : dnnl::algorithm::convolution_direct;
  dnnl::convolution_forward::desc d(dnnl::prop_kind::forward_training, alg, wino ? anyAct(s.src) : s.src, anyW(g),
                                    wino ? anyAct(s.dst) : s.dst, s.strides, s.dilates, s.padL, s.padR);
  return std::make_unique<dnnl::convolution_forward::primitive_desc>(d, eng());
}

void ensureFwd(Layer& l, const ConvGeom& g) {
  if (l.fwdPd) return;
  const Shapes& s = l.s;
  l.wino = winogradLayer(g);
  // a CPU without oneDNN's Winograd kernels (they need AVX-512) keeps the layer on the direct ones
  if (l.wino) try {
      l.fwdPd = fwdPd(s, g, true);
    } catch (const dnnl::error&) {
      l.wino = false;
    }
  if (!l.wino) l.fwdPd = fwdPd(s, g, false);
  l.fwd = std::make_unique<dnnl::convolution_forward>(*l.fwdPd);
  if (l.fwdPd->weights_desc() != s.wUser) {
    l.fwdWBuf = memory(l.fwdPd->weights_desc(), eng());
    l.fwdW = reorderBetween(s.wUser, l.fwdPd->weights_desc());
  }
  l.fwdSrc = blocked(s.src, l.fwdPd->src_desc(), true);
  l.fwdDst = blocked(s.dst, l.fwdPd->dst_desc(), false);
}

memory weightsIn(std::unique_ptr<dnnl::reorder>& r, memory& buf, const Shapes& s, const float* f) {
  memory user(s.wUser, eng(), const_cast<float*>(f));
  if (!r) return user;
  r->execute(strm(), user, buf);
  return buf;
}

std::string lastError;

template <typename F>
bool guarded(F f) {
  try {
    f();
    strm().wait();
    return true;
  } catch (const dnnl::error& e) {
    lastError = e.what();
    return false;
  }
}
}  // namespace

bool dnnlAvailable() { return true; }

// oneDNN partitions a primitive's work for the thread count it was created with: rebuild them all after a change
void dnnlForgetPrimitives() { cache().clear(); }

void dnnlSetWinograd(bool on) {
  if (on != winogradOn) cache().clear();
  winogradOn = on;
}
bool dnnlWinograd() { return winogradOn; }
bool dnnlWinogradLayer(const ConvGeom& g) { return winogradLayer(g); }

std::string dnnlVersion() {
  const dnnl_version_t* v = dnnl_version();
  return std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch);
}

std::string dnnlLastError() { return lastError; }

std::string dnnlImplementations(const ConvGeom& g) {
  Layer& l = layer(g);
  std::string out;
  if (l.fwdPd) out += std::string("fwd=") + l.fwdPd->impl_info_str();
  if (l.bwdDataPd) out += std::string(" bwd_data=") + l.bwdDataPd->impl_info_str();
  if (l.bwdWPd) out += std::string(" bwd_weights=") + l.bwdWPd->impl_info_str();
  return out;
}

bool dnnlConvForward(const ConvGeom& g, const float* x, const float* f, float* y) {
  return guarded([&] {
    Layer& l = layer(g);
    ensureFwd(l, g);
    memory w = weightsIn(l.fwdW, l.fwdWBuf, l.s, f);
    memory src = actIn(l.fwdSrc, l.s.src, x), user(l.s.dst, eng(), y);
    memory dst = l.fwdDst.move ? l.fwdDst.buf : user;
    l.fwd->execute(strm(), {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DST, dst}});
    if (l.fwdDst.move) l.fwdDst.move->execute(strm(), l.fwdDst.buf, user);
  });
}

// The input gradient of a conv with unit dilation, as a forward conv, where oneDNN's forward kernels on NHWC are
// faster than its backward-data ones (measured on this machine's AVX-512 Zen 5 with bench-train: 32- and 64-channel
// 3x3 layers 1.5x and 1.35x; strided 1x1 projections several times):
//  - stride 1: dx = conv(dy, W') with W' the filter flipped in both spatial axes and its in/out channels swapped,
//    padded by k - 1 - pad on each side (the transposed convolution of a stride-1 conv is a stride-1 conv);
//  - 1x1, no padding, any stride: dx is zero except at the pixels the conv read, which get dy W^T (a 1x1 stride-1
//    forward conv into a scratch map, scattered back).
// Same arithmetic in a different summation order: the kernel tests compare it with tfjs's reference like the rest.
static bool transposable(const ConvGeom& g) {
  if (g.dh != 1 || g.dw != 1) return false;
  if (g.sh == 1 && g.sw == 1) return g.ph <= g.kh - 1 && g.pw <= g.kw - 1;
  return g.kh == 1 && g.kw == 1 && g.ph == 0 && g.pw == 0 && (g.oh - 1) * g.sh < g.h && (g.ow - 1) * g.sw < g.w;
}

static bool backInputViaForward(const ConvGeom& g, const float* dy, const float* f, float* dx) {
  static thread_local std::vector<float> wT, scratch;
  wT.resize((size_t)g.kh * g.kw * g.cin * g.cout);
  for (int i = 0; i < g.kh; i++)
    for (int j = 0; j < g.kw; j++) {
      const float* src = f + ((size_t)(g.kh - 1 - i) * g.kw + (g.kw - 1 - j)) * g.cin * g.cout;  // [cin][cout]
      float* dst = wT.data() + ((size_t)i * g.kw + j) * g.cout * g.cin;                           // [cout][cin]
      for (int c = 0; c < g.cin; c++)
        for (int o = 0; o < g.cout; o++) dst[(size_t)o * g.cin + c] = src[(size_t)c * g.cout + o];
    }
  const bool strided = g.sh != 1 || g.sw != 1;
  ConvGeom t{g.n, g.oh, g.ow, g.cout, g.kh, g.kw, g.cin, strided ? g.oh : g.h, strided ? g.ow : g.w, 1, 1,
             g.kh - 1 - g.ph, g.kw - 1 - g.pw, 1, 1};
  if (!strided) return dnnlConvForward(t, dy, wT.data(), dx);
  scratch.resize((size_t)g.n * g.oh * g.ow * g.cin);
  if (!dnnlConvForward(t, dy, wT.data(), scratch.data())) return false;
  const size_t row = (size_t)g.cin;
  const float* src = scratch.data();  // thread_local: the OpenMP workers must not name it
#pragma omp parallel for schedule(static)
  for (int b = 0; b < g.n; b++) {
    float* out = dx + (size_t)b * g.h * g.w * row;
    std::memset(out, 0, sizeof(float) * g.h * g.w * row);
    for (int i = 0; i < g.oh; i++)
      for (int j = 0; j < g.ow; j++)
        std::memcpy(out + ((size_t)i * g.sh * g.w + (size_t)j * g.sw) * row,
                    src + (((size_t)b * g.oh + i) * g.ow + j) * row, sizeof(float) * row);
  }
  return true;
}

bool dnnlConvBackInput(const ConvGeom& g, const float* dy, const float* f, float* dx) {
  if (transposable(g)) return backInputViaForward(g, dy, f, dx);
  return guarded([&] {
    Layer& l = layer(g);
    ensureFwd(l, g);
    if (!l.bwdDataPd) {
      const Shapes& s = l.s;
      dnnl::convolution_backward_data::desc d(dnnl::algorithm::convolution_direct, s.src, anyW(g), s.dst, s.strides,
                                              s.dilates, s.padL, s.padR);
      l.bwdDataPd = std::make_unique<dnnl::convolution_backward_data::primitive_desc>(d, eng(), *l.fwdPd);
      l.bwdData = std::make_unique<dnnl::convolution_backward_data>(*l.bwdDataPd);
      if (l.bwdDataPd->weights_desc() != s.wUser) {
        l.bwdDataWBuf = memory(l.bwdDataPd->weights_desc(), eng());
        l.bwdDataW = reorderBetween(s.wUser, l.bwdDataPd->weights_desc());
      }
    }
    memory w = weightsIn(l.bwdDataW, l.bwdDataWBuf, l.s, f);
    memory diffDst(l.s.dst, eng(), const_cast<float*>(dy)), diffSrc(l.s.src, eng(), dx);
    l.bwdData->execute(strm(), {{DNNL_ARG_DIFF_DST, diffDst}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DIFF_SRC, diffSrc}});
  });
}

// oneDNN 2.6.3's 1x1 weight-gradient kernel for a strided conv (jit_1x1, which first copies the input to unit stride)
// writes and reads past its buffers when the conv has fewer input channels than a vector register holds: valgrind on
// this addon (2026-12-08, AMD EPYC, AVX2, jit_1x1:avx2) found invalid writes for 3 and 4 input channels on an 8x8
// map, none for 8, 12, 16 or 32, for stride 1, or on a 9x9 map (where oneDNN picks its general jit kernel); glibc
// then aborted on the corrupted heap. 16 covers AVX-512's width too. Such a layer (none in the CIFAR ResNets, whose
// projections read 16 and 32 channels) takes the GEMM path for this one gradient.
static bool overrunsBuffers(const ConvGeom& g, const std::string& impl) {
  return impl.rfind("jit_1x1", 0) == 0 && (g.sh != 1 || g.sw != 1) && g.cin < 16;
}

bool dnnlConvBackFilter(const ConvGeom& g, const float* x, const float* dy, float* df) {
  bool overrun = false;
  const bool ok = guarded([&] {
    Layer& l = layer(g);
    ensureFwd(l, g);
    if (!l.bwdWPd) {
      const Shapes& s = l.s;
      auto make = [&](bool wino, const dnnl::convolution_forward::primitive_desc& hint) {
        const auto alg = wino ? dnnl::algorithm::convolution_winograd : dnnl::algorithm::convolution_direct;
        dnnl::convolution_backward_weights::desc d(alg, wino ? anyAct(s.src) : s.src, anyW(g), wino ? anyAct(s.dst) : s.dst,
                                                   s.strides, s.dilates, s.padL, s.padR);
        l.bwdWPd = std::make_unique<dnnl::convolution_backward_weights::primitive_desc>(d, eng(), hint);
      };
      if (!l.wino) make(false, *l.fwdPd);
      else try {
          make(true, *l.fwdPd);
        } catch (const dnnl::error&) {
          make(false, *fwdPd(s, g, false));  // the weight gradient alone on the direct kernels
        }
      l.bwdWOverrun = overrunsBuffers(g, l.bwdWPd->impl_info_str());
      l.bwdW = std::make_unique<dnnl::convolution_backward_weights>(*l.bwdWPd);
      l.bwdWSrc = blocked(s.src, l.bwdWPd->src_desc(), true);
      l.bwdWDiffDst = blocked(s.dst, l.bwdWPd->diff_dst_desc(), true);
      if (l.bwdWPd->diff_weights_desc() != s.wUser) {
        l.bwdWBuf = memory(l.bwdWPd->diff_weights_desc(), eng());
        l.bwdWOut = reorderBetween(l.bwdWPd->diff_weights_desc(), s.wUser);
      }
    }
    if ((overrun = l.bwdWOverrun)) return;
    memory user(l.s.wUser, eng(), df);
    memory src = actIn(l.bwdWSrc, l.s.src, x), diffDst = actIn(l.bwdWDiffDst, l.s.dst, dy);
    memory diffW = l.bwdWOut ? l.bwdWBuf : user;
    l.bwdW->execute(strm(), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DIFF_DST, diffDst}, {DNNL_ARG_DIFF_WEIGHTS, diffW}});
    if (l.bwdWOut) l.bwdWOut->execute(strm(), l.bwdWBuf, user);
  });
  if (overrun) lastError = "oneDNN's jit_1x1 weight gradient of a strided conv of fewer than 16 input channels overruns its buffers (dnnl_conv.cc)";
  return ok && !overrun;
}

#else  // built without oneDNN: every call declines and the caller uses the im2col + GEMM kernels

bool dnnlAvailable() { return false; }
void dnnlForgetPrimitives() {}
void dnnlSetWinograd(bool) {}
bool dnnlWinograd() { return false; }
bool dnnlWinogradLayer(const ConvGeom&) { return false; }
std::string dnnlVersion() { return ""; }
std::string dnnlLastError() { return "built without oneDNN"; }
std::string dnnlImplementations(const ConvGeom&) { return ""; }
bool dnnlConvForward(const ConvGeom&, const float*, const float*, float*) { return false; }
bool dnnlConvBackInput(const ConvGeom&, const float*, const float*, float*) { return false; }
bool dnnlConvBackFilter(const ConvGeom&, const float*, const float*, float*) { return false; }

#endif
