/**
 * The "tailor-native" tfjs backend: tfjs's own CPU backend (every kernel it has) with the heavy training kernels
 * replaced by the project's C++ ones (native/): Conv2D and both of its gradients (oneDNN, or im2col + GEMM), batch
 * norm in training mode fused with the ReLU and skip add after it, and the element-wise ops; plus its
 * implementations of the training ops (src/backend/training-ops.ts). Tensors stay plain Float32Arrays in JS memory,
 * which the C++ code reads and writes in place.
 */
import * as tf from "@tensorflow/tfjs";
import { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import type { NativeAddon } from "./native-addon.js";
import { registerNativeQuant } from "./native-quant.js";
import { BN_EPS, referenceOps, registerTrainingOps, type BatchNormResult, type TrainingOps } from "./training-ops.js";

export const NATIVE_BACKEND = "tailor-native";
/** kernel names of our batch norm in training mode (not a tfjs kernel: tfjs composes it from moments) */
export const BN_TRAIN = "TailorBatchNormTrain";
export const BN_TRAIN_GRAD = "TailorBatchNormTrainGrad";
/** global average pooling over H and W of an NHWC tensor, and its gradient */
export const GAP = "TailorGlobalAvgPool";
export const GAP_GRAD = "TailorGlobalAvgPoolGrad";

/** attributes of BN_TRAIN: with relu, y = ReLU(BN(x) + skip); hasSkip is set by the caller when a skip is passed */
interface BnAttrs {
  epsilon: number;
  relu: boolean;
  hasSkip: boolean;
}

/** below this many elements the JS kernel is as fast as a call into C++ */
const NATIVE_MIN_SIZE = 4096;

type Info = tf.TensorInfo;

/**
 * tfjs's CPU backend with a pool of output buffers. A fresh multi-megabyte Float32Array costs page faults on first
 * touch (measured here: ~5 ms to allocate and fill 2 MB, more than the convolution that fills it), so buffers our
 * kernels allocated are recycled when their tensor is disposed. Two rules keep reuse safe: reads (dataSync, data)
 * of a pooled buffer return a copy, and a cpu kernel's output that views a pooled input gets its own copy
 * (unaliased, below).
 */
export class PooledCpuBackend extends MathBackendCPU {
  private free = new Map<number, Float32Array[]>();
  private pooled = new WeakSet<Float32Array>();
  private freeBytes = 0;
  /**
   * Bound on the bytes kept for reuse. A count per size is not enough: ResNet-56 at batch 32 holds ~150 buffers of
   * one size for its backward pass, and a pool of 64 per size made every step page-fault the rest (a step took 418
   * instead of 233 ms here).
   */
  private static readonly MAX_FREE_BYTES = 2 * 2 ** 30;

  constructor() {
    super();
    // tfjs's CPU backend prints a banner advising tfjs-node on first use; select.ts has already tried tfjs-node
    (this as unknown as { firstUse: boolean }).firstUse = false;
  }

  alloc(n: number): Float32Array {
    const reused = this.free.get(n)?.pop();
    if (reused) this.freeBytes -= reused.byteLength;
    const a = reused ?? new Float32Array(n);
    this.pooled.add(a);
    return a;
  }

  override disposeData(dataId: object, force = false): boolean {
    const entry = this.data.get(dataId);
    const v = entry?.values;
    const disposed = super.disposeData(dataId, force);
    if (entry && disposed && !this.data.has(dataId) && v instanceof Float32Array && this.pooled.has(v)) {
      const list = this.free.get(v.length) ?? [];
      if (this.freeBytes + v.byteLength <= PooledCpuBackend.MAX_FREE_BYTES) {
        list.push(v);
        this.freeBytes += v.byteLength;
      }
      this.free.set(v.length, list);
    }
    return disposed;
  }

  /** whether this array came from the pool (and goes back to it when its tensor is disposed) */
  isPooled(v: Float32Array): boolean {
    return this.pooled.has(v);
  }

  override readSync(dataId: object): tf.backend_util.BackendValues {
    const v = super.readSync(dataId);
    return v instanceof Float32Array && this.pooled.has(v) ? v.slice() : v;
  }

  override async read(dataId: object): Promise<tf.backend_util.BackendValues> {
    return this.readSync(dataId);
  }
}

/**
 * A cpu kernel run on our backend, with any output that is a view of a pooled input's array (the cpu Slice of a
 * whole tensor, SplitV, StridedSlice) given its own copy: when the input is disposed, the pool hands its array out
 * again, and the view would silently change under its reader.
 */
function unaliased(fn: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const out = fn(args);
    const b = args.backend as PooledCpuBackend;
    const ins = Object.values(args.inputs).filter((t): t is Info => !!t);
    for (const o of Array.isArray(out) ? out : [out]) {
      const entry = b.data.get(o.dataId);
      const v = entry?.values;
      if (!ArrayBuffer.isView(v)) continue;
      for (const t of ins) {
        if (t.dataId === o.dataId) continue;
        const src = b.data.get(t.dataId)?.values;
        if (ArrayBuffer.isView(src) && src.buffer === v.buffer && b.isPooled(src as Float32Array)) {
          entry.values = (v as Float32Array).slice();
          break;
        }
      }
    }
    return out;
  };
}

function values(backend: MathBackendCPU, t: Info): Float32Array {
  const v = backend.data.get(t.dataId).values;
  if (!(v instanceof Float32Array)) throw new Error(`${NATIVE_BACKEND}: expected float32 data, got ${t.dtype}`);
  return v;
}

function geometry(info: tf.backend_util.Conv2DInfo): Int32Array {
  return Int32Array.from([
    info.batchSize,
    info.inHeight,
    info.inWidth,
    info.inChannels,
    info.filterHeight,
    info.filterWidth,
    info.outChannels,
    info.outHeight,
    info.outWidth,
    info.strideHeight,
    info.strideWidth,
    info.padInfo.top,
    info.padInfo.left,
    info.dilationHeight,
    info.dilationWidth,
  ]);
}

interface ConvAttrs {
  strides: [number, number] | number;
  pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding;
  dataFormat: "NHWC" | "NCHW";
  dilations?: [number, number] | number;
  dimRoundingMode?: "floor" | "round" | "ceil";
  inputShape?: [number, number, number, number];
  filterShape?: [number, number, number, number];
}

// A network has a few dozen conv geometries, each computed three times a step: computing one costs ~11 us.
const convInfos = new Map<string, { info: tf.backend_util.Conv2DInfo; geom: Int32Array }>();

function convInfo(xShape: number[], fShape: number[], a: ConvAttrs): { info: tf.backend_util.Conv2DInfo; geom: Int32Array } {
  if (a.dataFormat !== "NHWC") throw new Error(`${NATIVE_BACKEND}: only NHWC convolutions are supported, got ${a.dataFormat}`);
  const key = JSON.stringify([xShape, fShape, a.strides, a.dilations ?? 1, a.pad, a.dimRoundingMode ?? null]);
  let hit = convInfos.get(key);
  if (!hit) {
    const info = computeInfo(xShape, fShape, a);
    convInfos.set(key, (hit = { info, geom: geometry(info) }));
  }
  return hit;
}

function computeInfo(xShape: number[], fShape: number[], a: ConvAttrs): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    fShape as [number, number, number, number],
    a.strides,
    a.dilations ?? 1,
    a.pad,
    a.dimRoundingMode,
    false,
    "channelsLast",
  );
}

let nativeAddon: NativeAddon;

export function registerNativeBackend(addon: NativeAddon): void {
  if (tf.findBackend(NATIVE_BACKEND)) return;
  nativeAddon = addon;
  tf.registerBackend(NATIVE_BACKEND, () => new PooledCpuBackend(), 1);
  const ours: tf.KernelConfig[] = [
    {
      kernelName: "Conv2D",
      backendName: NATIVE_BACKEND,
      kernelFunc: ({ inputs, backend, attrs }) => {
        const b = backend as PooledCpuBackend;
        const { x, filter } = inputs as { x: Info; filter: Info };
        const { info, geom } = convInfo(x.shape, filter.shape, attrs as unknown as ConvAttrs);
        const out = b.alloc(tf.util.sizeFromShape(info.outShape));
        addon.convForward(geom, values(b, x), values(b, filter), out);
        return b.makeTensorInfo(info.outShape, "float32", out);
      },
    },
    {
      kernelName: "Conv2DBackpropInput",
      backendName: NATIVE_BACKEND,
      kernelFunc: ({ inputs, backend, attrs }) => {
        const b = backend as PooledCpuBackend;
        const { dy, filter } = inputs as { dy: Info; filter: Info };
        const a = attrs as unknown as ConvAttrs;
        const { info, geom } = convInfo(a.inputShape!, filter.shape, a);
        const out = b.alloc(tf.util.sizeFromShape(info.inShape));
        addon.convBackInput(geom, values(b, dy), values(b, filter), out);
        return b.makeTensorInfo(info.inShape, "float32", out);
      },
    },
    {
      kernelName: "Conv2DBackpropFilter",
      backendName: NATIVE_BACKEND,
      kernelFunc: ({ inputs, backend, attrs }) => {
        const b = backend as PooledCpuBackend;
        const { x, dy } = inputs as { x: Info; dy: Info };
        const a = attrs as unknown as ConvAttrs;
        const { geom } = convInfo(x.shape, a.filterShape!, a);
        const out = b.alloc(tf.util.sizeFromShape(a.filterShape!));
        addon.convBackFilter(geom, values(b, x), values(b, dy), out);
        return b.makeTensorInfo(a.filterShape!, "float32", out);
      },
    },
    {
      // y = [ReLU](BN(x) [+ skip]); outputs y, mean, invstd (saved for the gradient) and the biased variance
      kernelName: BN_TRAIN,
      backendName: NATIVE_BACKEND,
      kernelFunc: ({ inputs, backend, attrs }) => {
        const b = backend as PooledCpuBackend;
        const { x, scale, offset, skip } = inputs as { x: Info; scale: Info; offset: Info; skip?: Info };
        const { epsilon, relu } = attrs as unknown as BnAttrs;
        const C = x.shape[x.shape.length - 1];
        const P = tf.util.sizeFromShape(x.shape) / C;
        if (skip && !tf.util.arraysEqual(skip.shape, x.shape)) throw new Error(`${BN_TRAIN}: skip of shape [${skip.shape}], expected [${x.shape}]`);
        const y = b.alloc(P * C);
        const [mean, invstd, variance] = [0, 1, 2].map(() => new Float32Array(C));
        addon.bnForwardTrain(P, C, values(b, x), values(b, scale), values(b, offset), skip ? values(b, skip) : null, relu ? 1 : 0, epsilon, y, mean, invstd, variance);
        return [b.makeTensorInfo(x.shape, "float32", y), ...[mean, invstd, variance].map((v) => b.makeTensorInfo([C], "float32", v))];
      },
    },
    {
      // inputs dy, x, scale, mean, invstd and y (the forward output: with a fused ReLU its mask); outputs dx, dscale,
      // doffset and, with a skip, dskip (the masked dy)
      kernelName: BN_TRAIN_GRAD,
      backendName: NATIVE_BACKEND,
      kernelFunc: ({ inputs, backend, attrs }) => {
        const b = backend as PooledCpuBackend;
        const { dy, x, scale, mean, invstd, y } = inputs as Record<string, Info>;
        const { relu, hasSkip } = attrs as unknown as BnAttrs;
        const C = x.shape[x.shape.length - 1];
        const P = tf.util.sizeFromShape(x.shape) / C;
        const dx = b.alloc(P * C);
        const dskip = hasSkip ? b.alloc(P * C) : null;
        const dscale = new Float32Array(C);
        const doffset = new Float32Array(C);
        const mask = relu ? values(b, y) : null;
        addon.bnBackward(P, C, values(b, dy), values(b, x), mask, values(b, scale), values(b, mean), values(b, invstd), dx, dscale, doffset, dskip);
        const out = [b.makeTensorInfo(x.shape, "float32", dx), b.makeTensorInfo([C], "float32", dscale), b.makeTensorInfo([C], "float32", doffset)];
        if (dskip) out.push(b.makeTensorInfo(x.shape, "float32", dskip));
        return out;
      },
    },
  ];
  // Element-wise ops on same-shape float32 tensors (ReLU, its gradient, skip adds, gradient accumulation) go native;
  // anything else (broadcasts, ints, small tensors) falls through to the CPU backend's kernel.
  const elementwise = (name: string, fn: (ins: Float32Array[], out: Float32Array) => void, accepts?: (attrs: object) => boolean): tf.KernelConfig => {
    const cpu = tf.getKernel(name, "cpu");
    const fallback = cpu && { kernelFunc: unaliased(cpu.kernelFunc) };
    return {
      kernelName: name,
      backendName: NATIVE_BACKEND,
      kernelFunc: (args) => {
        const b = args.backend as PooledCpuBackend;
        const ins = Object.values(args.inputs) as Info[];
        const size = tf.util.sizeFromShape(ins[0].shape);
        const same = ins.every((t) => t.dtype === "float32" && tf.util.arraysEqual(t.shape, ins[0].shape));
        if (fallback && (!same || size < NATIVE_MIN_SIZE || (accepts && !accepts(args.attrs ?? {})))) return fallback.kernelFunc(args);
        if (!same) throw new Error(`${NATIVE_BACKEND} ${name}: expected float32 inputs of one shape`);
        const out = b.alloc(size);
        fn(
          ins.map((t) => values(b, t)),
          out,
        );
        return b.makeTensorInfo(ins[0].shape, "float32", out);
      },
    };
  };
  const cpuBatchNorm = { kernelFunc: unaliased(tf.getKernel("FusedBatchNorm", "cpu")!.kernelFunc) };
  ours.push(
    {
      // batch norm in inference mode (the frozen teacher, evaluation): fold into a per-channel scale and shift
      kernelName: "FusedBatchNorm",
      backendName: NATIVE_BACKEND,
      kernelFunc: (args) => {
        const b = args.backend as PooledCpuBackend;
        const { x, mean, variance, offset, scale } = args.inputs as Record<string, Info | undefined>;
        const C = x!.shape[x!.shape.length - 1];
        const sameC = [mean, variance, offset, scale].every((t) => !t || (t.shape.length === 1 && t.shape[0] === C));
        if (x!.dtype !== "float32" || !sameC) return cpuBatchNorm.kernelFunc(args);
        const eps = (args.attrs as { varianceEpsilon: number }).varianceEpsilon;
        const m = values(b, mean!);
        const v = values(b, variance!);
        const g = scale ? values(b, scale) : null;
        const o = offset ? values(b, offset) : null;
        const sc = new Float32Array(C);
        const sh = new Float32Array(C);
        for (let c = 0; c < C; c++) {
          sc[c] = (g ? g[c] : 1) / Math.sqrt(v[c] + eps);
          sh[c] = (o ? o[c] : 0) - m[c] * sc[c];
        }
        const out = b.alloc(tf.util.sizeFromShape(x!.shape));
        addon.channelAffine(values(b, x!), sc, sh, out);
        return b.makeTensorInfo(x!.shape, "float32", out);
      },
    },
    elementwise("Add", ([a, c], o) => addon.add(a, c, o)),
    elementwise("Multiply", ([a, c], o) => addon.mul(a, c, o)),
    elementwise("Relu", ([a], o) => addon.relu(a, o)),
    elementwise("Step", ([a], o) => addon.step(a, o), (attrs) => ((attrs as { alpha?: number }).alpha ?? 0) === 0),
    {
      kernelName: GAP,
      backendName: NATIVE_BACKEND,
      kernelFunc: ({ inputs, backend }) => {
        const b = backend as PooledCpuBackend;
        const { x } = inputs as { x: Info };
        const [n, h, w, c] = x.shape;
        const out = new Float32Array(n * c);
        addon.gapForward(n, h * w, c, values(b, x), out);
        return b.makeTensorInfo([n, c], "float32", out);
      },
    },
    {
      kernelName: GAP_GRAD,
      backendName: NATIVE_BACKEND,
      kernelFunc: ({ inputs, backend, attrs }) => {
        const b = backend as PooledCpuBackend;
        const { dy } = inputs as { dy: Info };
        const shape = (attrs as { inputShape: number[] }).inputShape;
        const [n, h, w, c] = shape;
        const out = b.alloc(n * h * w * c);
        addon.gapBackward(n, h * w, c, values(b, dy), out);
        return b.makeTensorInfo(shape, "float32", out);
      },
    },
  );
  const replaced = new Set(ours.map((k) => k.kernelName));
  for (const k of tf.getKernelsForBackend("cpu")) {
    if (!replaced.has(k.kernelName)) tf.registerKernel({ ...k, backendName: NATIVE_BACKEND, kernelFunc: unaliased(k.kernelFunc) });
  }
  for (const k of ours) tf.registerKernel(k);
  tf.registerGradient({
    kernelName: BN_TRAIN,
    inputsToSave: ["x", "scale"],
    outputsToSave: [true, true, true, false],
    // tfjs calls gradFunc once, outside the per-input tidy scopes, so computing every gradient here (one kernel, two
    // passes over x) and handing them out through the closures neither leaks nor frees them early.
    gradFunc: (dy, saved, attrs) => {
      const [x, scale, y, mean, invstd] = saved;
      const a = attrs as unknown as BnAttrs;
      const dyY = Array.isArray(dy) ? dy[0] : dy;
      const inputs = { dy: dyY, x, scale, mean, invstd, y };
      const [dx, dscale, doffset, dskip] = tf.engine().runKernel(BN_TRAIN_GRAD, inputs, { ...a } as unknown as tf.NamedAttrMap) as tf.Tensor[];
      const grads: Record<string, () => tf.Tensor> = { x: () => dx, scale: () => dscale, offset: () => doffset };
      if (dskip) grads.skip = () => dskip;
      return grads;
    },
  });
  tf.registerGradient({
    kernelName: GAP,
    inputsToSave: ["x"],
    gradFunc: (dy, saved) => {
      const inputShape = saved[0].shape;
      return { x: () => tf.engine().runKernel(GAP_GRAD, { dy: dy as tf.Tensor }, { inputShape }) as tf.Tensor };
    },
  });
  registerTrainingOps(NATIVE_BACKEND, nativeTrainingOps);
  registerNativeQuant(NATIVE_BACKEND, addon);
}

function bnTrain(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, relu: boolean, skip?: tf.Tensor4D): BatchNormResult {
  const inputs: tf.NamedTensorMap = skip ? { x, scale: gamma, offset: beta, skip } : { x, scale: gamma, offset: beta };
  const attrs: BnAttrs = { epsilon: BN_EPS, relu, hasSkip: !!skip };
  const [y, mean, , variance] = tf.engine().runKernel(BN_TRAIN, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
  return { y: y as tf.Tensor4D, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
}

const nativeTrainingOps: Partial<TrainingOps> = {
  batchNormTrain: (x, gamma, beta) => bnTrain(x, gamma, beta, false),
  batchNormReluTrain: (x, gamma, beta, skip) => bnTrain(x, gamma, beta, true, skip),
  globalAvgPool: (x) => tf.engine().runKernel(GAP, { x }, {}) as tf.Tensor2D,
  // The optimiser and the running statistics update their variables' arrays in place, in one call each per step:
  // no tensor is created, so a step costs no tfjs bookkeeping for them. Safe because no other tensor shares these
  // arrays: the tensors saved for the backward pass are gone by the update, checkpoints copy on write (dataSync) and
  // models built from a checkpoint copy on read (modelFromCheckpoint, restoreOptimizer).
  sgdStep(params, grads, buffers, h) {
    if (h.momentum === 0) return referenceOps.sgdStep(params, grads, buffers, h);
    const b = tf.backend() as PooledCpuBackend;
    const ps: Float32Array[] = [], gs: Float32Array[] = [], bs: Float32Array[] = [], first: number[] = [];
    for (const [name, p] of params) {
      const grad = grads[p.name];
      if (!grad) continue;
      let buf = buffers.get(name);
      first.push(buf ? 0 : 1);
      if (!buf) buffers.set(name, (buf = tf.variable(tf.zerosLike(p), false)));
      ps.push(values(b, p));
      gs.push(values(b, grad));
      bs.push(values(b, buf));
    }
    nativeAddon.sgdStepMany(ps, gs, bs, Int32Array.from(first), h.lr, h.momentum, h.weightDecay, h.nesterov ? 1 : 0);
  },
  updateRunningStats(updates, momentum) {
    // the float32 arithmetic of the reference ops, value by value (fround), so both give the same statistics
    const b = tf.backend() as PooledCpuBackend;
    const f = Math.fround;
    const keep = f(1 - momentum), take = f(momentum);
    for (const u of updates) {
      const rm = values(b, u.mean), rv = values(b, u.variance), bm = values(b, u.batchMean), bv = values(b, u.batchVariance);
      const takeVar = f(momentum * u.unbias);
      for (let c = 0; c < rm.length; c++) {
        rm[c] = f(f(rm[c] * keep) + f(bm[c] * take));
        rv[c] = f(f(rv[c] * keep) + f(bv[c] * takeVar));
      }
    }
  },
};
