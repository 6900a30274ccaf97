/** Loads the project's C++ kernels (native/, built by `npm ci` through node-gyp). Absent on a machine without g++. */
import * as fs from "node:fs";
import * as path from "node:path";

export interface NativeAddon {
  convForward(geom: Int32Array, x: Float32Array, filter: Float32Array, y: Float32Array): void;
  convBackInput(geom: Int32Array, dy: Float32Array, filter: Float32Array, dx: Float32Array): void;
  convBackFilter(geom: Int32Array, x: Float32Array, dy: Float32Array, dfilter: Float32Array): void;
  /** y = [ReLU](BN(x) [+ skip]) with batch statistics; relu is 0 or 1 */
  bnForwardTrain(
    P: number,
    C: number,
    x: Float32Array,
    gamma: Float32Array,
    beta: Float32Array,
    skip: Float32Array | null,
    relu: number,
    eps: number,
    y: Float32Array,
    mean: Float32Array,
    invstd: Float32Array,
    variance: Float32Array,
  ): void;
  /** y: the forward output when a ReLU was fused (its mask), else null; dskip: null unless a skip was added */
  bnBackward(
    P: number,
    C: number,
    dy: Float32Array,
    x: Float32Array,
    y: Float32Array | null,
    gamma: Float32Array,
    mean: Float32Array,
    invstd: Float32Array,
    dx: Float32Array,
    dgamma: Float32Array,
    dbeta: Float32Array,
    dskip: Float32Array | null,
  ): void;
  add(a: Float32Array, b: Float32Array, out: Float32Array): void;
  mul(a: Float32Array, b: Float32Array, out: Float32Array): void;
  relu(x: Float32Array, out: Float32Array): void;
  step(x: Float32Array, out: Float32Array): void;
  gapForward(n: number, hw: number, c: number, x: Float32Array, y: Float32Array): void;
  gapBackward(n: number, hw: number, c: number, dy: Float32Array, dx: Float32Array): void;
  /** every parameter's torch.optim.SGD step in one call; params[i] and bufs[i] are updated in place */
  sgdStepMany(params: Float32Array[], grads: Float32Array[], bufs: Float32Array[], first: Int32Array, lr: number, momentum: number, weightDecay: number, nesterov: number): void;
  channelAffine(x: Float32Array, scale: Float32Array, shift: Float32Array, out: Float32Array): void;
  /**
   * y = max pooling of x (NHWC float32) over geom = [n, h, w, c, kh, kw, oh, ow, sh, sw, padTop, padLeft], as
   * tfjs-backend-cpu's MaxPool computes it (native/src/pool.h); absent from an addon built before pool.cc
   */
  maxPool?(geom: Int32Array, x: Float32Array, y: Float32Array): void;
  threads(): number;
  /** the threads every later kernel runs on (OMP_NUM_THREADS sets it at start) */
  setThreads(n: number): void;
  /** measured float32 FMA throughput of all threads over about `seconds`, GFLOP/s (benchmarks' peak) */
  fmaPeak(seconds: number): number;
  /** the path conv calls take now: oneDNN (when built with it) or the im2col + GEMM fallback */
  convPath(): ConvPath;
  /** false if "onednn" is asked for and the addon was built without it */
  setConvPath(path: ConvPath): boolean;
  /** oneDNN's version ("2.6.3"), or "" when the addon was built without it */
  dnnlVersion(): string;
  /** whether the 3x3 stride-1 layers of >= 32 channels run oneDNN's Winograd kernels (always false without oneDNN) */
  winograd(): boolean;
  /** switch Winograd on or off (off: oneDNN's direct kernels for every layer) */
  setWinograd(on: boolean): void;
  /** conv calls oneDNN declined (they ran on the GEMM path instead), and its last error */
  convDeclined(): { count: number; lastError: string };
  /** oneDNN's implementation of each primitive built for this geometry, e.g. "fwd=brgconv:avx512_core ..." */
  convImplementations(geom: Int32Array): string;
}

export type ConvPath = "onednn" | "gemm";

/** The command that installs oneDNN (then `npm ci` or `npm run build:native` rebuilds the addon with it). */
export const DNNL_INSTALL_HINT = "bash scripts/setup-system.sh && npm run build:native";

/** Which native convolution path runs, for the record of every result: "onednn 2.6.3" or "gemm (...)". */
export function nativeConvPath(addon: NativeAddon): string {
  if (addon.convPath() === "onednn") return `onednn ${addon.dnnlVersion()}${addon.winograd() ? " (winograd: 3x3 stride 1, >= 32 channels)" : " (direct only)"}`;
  return addon.dnnlVersion() ? "gemm (oneDNN switched off)" : "gemm (addon built without oneDNN)";
}

/**
 * native/ sits two levels above both src/backend and dist/backend. TAILOR_NATIVE_ADDON points elsewhere (CI tests a
 * second build made without oneDNN this way).
 */
export const ADDON_PATH = process.env.TAILOR_NATIVE_ADDON || path.resolve(__dirname, "..", "..", "native", "build", "Release", "tailor_native.node");

/** Whether the addon's build found oneDNN: the same rule as native/binding.gyp (its headers, unless TAILOR_DNNL=0). */
export function dnnlExpected(): boolean {
  return process.env.TAILOR_DNNL !== "0" && fs.existsSync("/usr/include/oneapi/dnnl/dnnl.hpp");
}

let cached: NativeAddon | null | undefined;
let loadError = "";

export function loadNativeAddon(): NativeAddon | null {
  if (cached !== undefined) return cached;
  try {
    if (!fs.existsSync(ADDON_PATH)) throw new Error(`${ADDON_PATH} not built (run: npm run build:native)`);
    cached = require(ADDON_PATH) as NativeAddon;
  } catch (e) {
    loadError = (e as Error).message;
    cached = null;
  }
  return cached;
}

export function nativeLoadError(): string {
  return loadError;
}
