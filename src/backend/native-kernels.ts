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
import { BN_EPS, referenceOps, registerTrainingOps, type BatchNormResult, type LossWeights, type TrainingOps } from "./training-ops.js";

export const NATIVE_BACKEND = "tailor-native";
/** kernel names of our batch norm in training mode (not a tfjs kernel: tfjs composes it from moments) */
export const BN_TRAIN = "TailorBatchNormTrain";
export const BN_TRAIN_GRAD = "TailorBatchNormTrainGrad";
/** a whole unit, BN(conv(x)) [+ skip, ReLU], and its gradient, each one kernel */
export const UNIT_TRAIN = "TailorConvBatchNormTrain";
export const UNIT_TRAIN_GRAD = "TailorConvBatchNormTrainGrad";
/** global average pooling over H and W of an NHWC tensor, and its gradient */
export const GAP = "TailorGlobalAvgPool";
export const GAP_GRAD = "TailorGlobalAvgPoolGrad";
/** a fully connected layer (x w + b) and its gradient, each one kernel */
export const DENSE = "TailorDense";
export const DENSE_GRAD = "TailorDenseGrad";
/** the training loss and its gradient with respect to the student's logits, in one kernel */
export const LOSS = "TailorTrainingLoss";

/** attributes of BN_TRAIN: with relu, y = ReLU(BN(x) + skip); hasSkip is set by the caller when a skip is passed */
interface BnAttrs {
  epsilon: number;
  relu: boolean;
  hasSkip: boolean;
}

/** attributes of UNIT_TRAIN: the conv's (NHWC, explicit padding) and the batch norm's, and whether x needs a gradient */
interface UnitAttrs extends BnAttrs, ConvAttrs {
  inputGrad: boolean;
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

  private attachments = new Map<object, Float32Array[]>();

  /**
   * Arrays that live exactly as long as a tensor's data: the conv-BN unit keeps its conv output and statistics
   * with its output y this way instead of as extra outputs, for tfjs hands every output that gets no gradient a
   * zero-filled array of its size in the backward pass (engine.addTapeNode), 10 MB a ResNet-8 step of garbage.
   * Pooled arrays among them go back to the pool when the data is released.
   */
  attach(dataId: object, arrays: Float32Array[]): void {
    this.attachments.set(dataId, arrays);
  }

  attached(dataId: object): Float32Array[] {
    const a = this.attachments.get(dataId);
    if (!a) throw new Error(`${NATIVE_BACKEND}: no arrays attached to this tensor's data (was it made by the unit kernel?)`);
    return a;
  }

  /** hand back an array from alloc() that no tensor holds (a kernel's scratch) */
  recycle(a: Float32Array): void {
    if (!this.pooled.has(a) || this.freeBytes + a.byteLength > PooledCpuBackend.MAX_FREE_BYTES) return;
    const list = this.free.get(a.length) ?? [];
    list.push(a);
    this.freeBytes += a.byteLength;
    this.free.set(a.length, list);
  }

  override disposeData(dataId: object, force = false): boolean {
    const entry = this.data.get(dataId);
    const v = entry?.values;
    const disposed = super.disposeData(dataId, force);
    if (disposed && !this.data.has(dataId)) {
      const extra = this.attachments.get(dataId);
      if (extra) {
        this.attachments.delete(dataId);
        for (const a of extra) this.recycle(a);
      }
    }
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
  if (!(v instanceof Float32Array)) throw new Error(`${NATIVE_BACKEND}: expected a Float32Array behind a ${t.dtype} tensor, got ${(v as object)?.constructor?.name ?? typeof v}`);
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

/**
 * The batch norm of BN_TRAIN and of the conv-BN unit: y = [ReLU](BN(x) [+ skip]) over x[P, C] with batch statistics.
 * Returns y, the batch mean and biased variance, and [gamma | mean | invstd], what the gradient needs besides x and y.
 */
function bnForward(b: PooledCpuBackend, P: number, C: number, x: Float32Array, scale: Info, offset: Info, skip: Info | undefined, relu: boolean, epsilon: number) {
  const y = b.alloc(P * C);
  const gamma = values(b, scale);
  const saved = new Float32Array(3 * C);
  const [mean, invstd, variance] = [saved.subarray(C, 2 * C), saved.subarray(2 * C), new Float32Array(C)];
  nativeAddon.bnForwardTrain(P, C, x, gamma, values(b, offset), skip ? values(b, skip) : null, relu ? 1 : 0, epsilon, y, mean, invstd, variance);
  saved.set(gamma);
  return { y, mean: mean.slice(), variance, saved };
}

/** Its gradient into dx, from dy, x, y (with a fused ReLU its mask) and saved; dskip (the masked dy) with a skip. */
function bnBackward(b: PooledCpuBackend, P: number, C: number, dy: Info, x: Float32Array, y: Info, saved: Float32Array, relu: boolean, hasSkip: boolean, dx: Float32Array) {
  const dskip = hasSkip ? b.alloc(P * C) : null;
  const dscale = new Float32Array(C);
  const doffset = new Float32Array(C);
  const s = saved;
  nativeAddon.bnBackward(P, C, values(b, dy), x, relu ? values(b, y) : null, s.subarray(0, C), s.subarray(C, 2 * C), s.subarray(2 * C), dx, dscale, doffset, dskip);
  return { dscale, doffset, dskip };
}

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
      // y = [ReLU](BN(x) [+ skip]); outputs y, the batch mean and biased variance (for the running statistics), and
      // what the gradient needs besides x and y in one tensor, [gamma | mean | invstd]: each saved tensor costs tfjs
      // a clone and a tape entry
      kernelName: BN_TRAIN,
      backendName: NATIVE_BACKEND,
      kernelFunc: ({ inputs, backend, attrs }) => {
        const b = backend as PooledCpuBackend;
        const { x, scale, offset, skip } = inputs as { x: Info; scale: Info; offset: Info; skip?: Info };
        const { epsilon, relu } = attrs as unknown as BnAttrs;
        const C = x.shape[x.shape.length - 1];
        const P = tf.util.sizeFromShape(x.shape) / C;
        if (skip && !tf.util.arraysEqual(skip.shape, x.shape)) throw new Error(`${BN_TRAIN}: skip of shape [${skip.shape}], expected [${x.shape}]`);
        const { y, mean, variance, saved } = bnForward(b, P, C, values(b, x), scale, offset, skip, relu, epsilon);
        return [y, mean, variance, saved].map((v, i) => b.makeTensorInfo(i === 0 ? x.shape : [v.length], "float32", v));
      },
    },
    {
      // inputs dy, x, y (the forward output: with a fused ReLU its mask) and saved ([gamma | mean | invstd]); outputs
      // dx, dscale, doffset and, with a skip, dskip (the masked dy)
      kernelName: BN_TRAIN_GRAD,
      backendName: NATIVE_BACKEND,
      kernelFunc: ({ inputs, backend, attrs }) => {
        const b = backend as PooledCpuBackend;
        const { dy, x, y, saved } = inputs as Record<string, Info>;
        const { relu, hasSkip } = attrs as unknown as BnAttrs;
        const C = x.shape[x.shape.length - 1];
        const P = tf.util.sizeFromShape(x.shape) / C;
        const dx = b.alloc(P * C);
        const { dscale, doffset, dskip } = bnBackward(b, P, C, dy, values(b, x), y, values(b, saved), relu, hasSkip, dx);
        const out = [b.makeTensorInfo(x.shape, "float32", dx), b.makeTensorInfo([C], "float32", dscale), b.makeTensorInfo([C], "float32", doffset)];
        if (dskip) out.push(b.makeTensorInfo(x.shape, "float32", dskip));
        return out;
      },
    },
    {
      // y = [ReLU](BN(conv(x)) [+ skip]): the conv's output z and then the batch norm as BN_TRAIN computes it.
      // Outputs y, mean and variance; z and [gamma | mean | invstd] (for the gradient) are attached to y's data.
      kernelName: UNIT_TRAIN,
      backendName: NATIVE_BACKEND,
      kernelFunc: ({ inputs, backend, attrs }) => {
        const b = backend as PooledCpuBackend;
        const { x, filter, scale, offset, skip } = inputs as { x: Info; filter: Info; scale: Info; offset: Info; skip?: Info };
        const a = attrs as unknown as UnitAttrs;
        const { info, geom } = convInfo(x.shape, filter.shape, a);
        const C = info.outChannels;
        const P = tf.util.sizeFromShape(info.outShape) / C;
        if (skip && !tf.util.arraysEqual(skip.shape, info.outShape)) throw new Error(`${UNIT_TRAIN}: skip of shape [${skip.shape}], expected [${info.outShape}]`);
        const z = b.alloc(P * C);
        addon.convForward(geom, values(b, x), values(b, filter), z);
        const { y, mean, variance, saved } = bnForward(b, P, C, z, scale, offset, skip, a.relu, a.epsilon);
        const out = b.makeTensorInfo(info.outShape, "float32", y);
        b.attach(out.dataId, [z, saved]);
        return [out, b.makeTensorInfo([C], "float32", mean), b.makeTensorInfo([C], "float32", variance)];
      },
    },
    {
      // inputs dy, x, filter and y (with z and the statistics attached); outputs dfilter, dscale, doffset, then dskip
      // (with a skip) and dx (when x needs a gradient). The batch norm's input gradient dz is scratch, back in the
      // pool before we return.
      kernelName: UNIT_TRAIN_GRAD,
      backendName: NATIVE_BACKEND,
      kernelFunc: ({ inputs, backend, attrs }) => {
        const b = backend as PooledCpuBackend;
        const { dy, x, filter, y } = inputs as Record<string, Info>;
        const a = attrs as unknown as UnitAttrs;
        const { geom } = convInfo(x.shape, filter.shape, a);
        const [z, s] = b.attached(y.dataId);
        const C = y.shape[y.shape.length - 1];
        const P = tf.util.sizeFromShape(y.shape) / C;
        const dz = b.alloc(P * C);
        const { dscale, doffset, dskip } = bnBackward(b, P, C, dy, z, y, s, a.relu, a.hasSkip, dz);
        const dfilter = b.alloc(tf.util.sizeFromShape(filter.shape));
        addon.convBackFilter(geom, values(b, x), dz, dfilter);
        const out = [b.makeTensorInfo(filter.shape, "float32", dfilter), b.makeTensorInfo([C], "float32", dscale), b.makeTensorInfo([C], "float32", doffset)];
        if (dskip) out.push(b.makeTensorInfo(y.shape, "float32", dskip));
        if (a.inputGrad) {
          const dx = b.alloc(tf.util.sizeFromShape(x.shape));
          addon.convBackInput(geom, dz, values(b, filter), dx);
          out.push(b.makeTensorInfo(x.shape, "float32", dx));
        }
        b.recycle(dz);
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
  // tfjs's cpu Cast relabels a bool tensor as float32 without converting its Uint8Array (no loss of encoding); our
  // kernels read float32 tensors as Float32Arrays, so a cast to float32 here always converts.
  const cpuCast = unaliased(tf.getKernel("Cast", "cpu")!.kernelFunc);
  ours.push({
    kernelName: "Cast",
    backendName: NATIVE_BACKEND,
    kernelFunc: (args) => {
      const b = args.backend as PooledCpuBackend;
      const { x } = args.inputs as { x: Info };
      const v = b.data.get(x.dataId).values;
      if ((args.attrs as { dtype?: string }).dtype === "float32" && ArrayBuffer.isView(v) && !(v instanceof Float32Array)) {
        return b.makeTensorInfo(x.shape, "float32", Float32Array.from(v as Uint8Array | Int32Array));
      }
      return cpuCast(args);
    },
  });
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
      // y = x w + b. The classifier heads here are small (64 x 10 at batch 32: 20k multiply-adds), where a JS loop
      // beats tfjs's BatchMatMul, its bias Add and the transposes and reductions of their gradients.
      kernelName: DENSE,
      backendName: NATIVE_BACKEND,
      kernelFunc: ({ inputs, backend }) => {
        const b = backend as PooledCpuBackend;
        const { x, w, bias } = inputs as Record<string, Info>;
        const [n, k] = x.shape, m = w.shape[1];
        if (w.shape[0] !== k || bias.shape[0] !== m) throw new Error(`${DENSE}: x [${x.shape}], w [${w.shape}] and bias [${bias.shape}] do not fit`);
        const X = values(b, x), W = values(b, w), B = values(b, bias);
        const y = new Float32Array(n * m);
        for (let i = 0; i < n; i++)
          for (let j = 0; j < m; j++) {
            let acc = B[j];
            for (let t = 0; t < k; t++) acc += X[i * k + t] * W[t * m + j];
            y[i * m + j] = acc;
          }
        return b.makeTensorInfo([n, m], "float32", y);
      },
    },
    {
      // dx = dy w^T, dw = x^T dy, db = column sums of dy
      kernelName: DENSE_GRAD,
      backendName: NATIVE_BACKEND,
      kernelFunc: ({ inputs, backend }) => {
        const b = backend as PooledCpuBackend;
        const { dy, x, w } = inputs as Record<string, Info>;
        const [n, k] = x.shape, m = w.shape[1];
        const D = values(b, dy), X = values(b, x), W = values(b, w);
        const dx = new Float32Array(n * k), dw = new Float32Array(k * m), db = new Float32Array(m);
        for (let i = 0; i < n; i++)
          for (let t = 0; t < k; t++) {
            let acc = 0;
            for (let j = 0; j < m; j++) acc += D[i * m + j] * W[t * m + j];
            dx[i * k + t] = acc;
          }
        for (let t = 0; t < k; t++)
          for (let j = 0; j < m; j++) {
            let acc = 0;
            for (let i = 0; i < n; i++) acc += X[i * k + t] * D[i * m + j];
            dw[t * m + j] = acc;
          }
        for (let j = 0; j < m; j++) {
          let acc = 0;
          for (let i = 0; i < n; i++) acc += D[i * m + j];
          db[j] = acc;
        }
        return [b.makeTensorInfo([n, k], "float32", dx), b.makeTensorInfo([k, m], "float32", dw), b.makeTensorInfo([m], "float32", db)];
      },
    },
    {
      // [N, K] logits: 320 values at batch 32, so plain JS (in double precision) beats a call into C++. Outputs the
      // loss and d loss / d student, which the gradient only scales.
      kernelName: LOSS,
      backendName: NATIVE_BACKEND,
      kernelFunc: ({ inputs, backend, attrs }) => {
        const b = backend as PooledCpuBackend;
        const { student, labels, teacher } = inputs as Record<string, Info | undefined>;
        const { mse, ce } = attrs as unknown as LossWeights;
        const [n, k] = student!.shape;
        const s = values(b, student!);
        const t = teacher ? values(b, teacher) : undefined;
        const y = b.data.get(labels!.dataId).values as Int32Array;
        const grad = new Float32Array(n * k);
        let ceSum = 0, seSum = 0;
        for (let i = 0; i < n; i++) {
          const label = y[i];
          if (!(label >= 0 && label < k)) throw new Error(`${LOSS}: label ${label} of example ${i} is outside 0..${k - 1}`);
          const row = i * k;
          let max = -Infinity;
          for (let j = 0; j < k; j++) max = Math.max(max, s[row + j]);
          let z = 0;
          for (let j = 0; j < k; j++) z += Math.exp(s[row + j] - max);
          ceSum += Math.log(z) + max - s[row + label];
          for (let j = 0; j < k; j++) {
            const softmax = Math.exp(s[row + j] - max) / z;
            let g = ((t ? ce : 1) * (softmax - (j === label ? 1 : 0))) / n;
            if (t) {
              const d = s[row + j] - t[row + j];
              seSum += d * d;
              g += (2 * mse * d) / (n * k);
            }
            grad[row + j] = g;
          }
        }
        const loss = t ? mse * (seSum / (n * k)) + ce * (ceSum / n) : ceSum / n;
        return [b.makeTensorInfo([], "float32", Float32Array.of(loss)), b.makeTensorInfo([n, k], "float32", grad)];
      },
    },
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
    inputsToSave: ["x"],
    outputsToSave: [true, false, false, true],
    // tfjs calls gradFunc once, outside the per-input tidy scopes, so computing every gradient here (one kernel, two
    // passes over x) and handing them out through the closures neither leaks nor frees them early.
    gradFunc: (dy, saved, attrs) => {
      const [x, y, stats] = saved;
      const a = attrs as unknown as BnAttrs;
      const dyY = Array.isArray(dy) ? dy[0] : dy;
      const inputs = { dy: dyY, x, y, saved: stats };
      const [dx, dscale, doffset, dskip] = tf.engine().runKernel(BN_TRAIN_GRAD, inputs, { ...a } as unknown as tf.NamedAttrMap) as tf.Tensor[];
      const grads: Record<string, () => tf.Tensor> = { x: () => dx, scale: () => dscale, offset: () => doffset };
      if (dskip) grads.skip = () => dskip;
      return grads;
    },
  });
  tf.registerGradient({
    kernelName: UNIT_TRAIN,
    inputsToSave: ["x", "filter"],
    outputsToSave: [true, false, false],
    gradFunc: (dy, saved, attrs) => {
      const [x, filter, y] = saved;
      const a = attrs as unknown as UnitAttrs;
      const inputs = { dy: Array.isArray(dy) ? dy[0] : dy, x, filter, y };
      const out = tf.engine().runKernel(UNIT_TRAIN_GRAD, inputs, { ...a } as unknown as tf.NamedAttrMap) as tf.Tensor[];
      const [dfilter, dscale, doffset] = out;
      const dskip = a.hasSkip ? out[3] : undefined;
      const dx = a.inputGrad ? out[out.length - 1] : undefined;
      const grads: Record<string, () => tf.Tensor> = {
        filter: () => dfilter,
        scale: () => dscale,
        offset: () => doffset,
        x: () => {
          if (!dx) throw new Error(`${UNIT_TRAIN}: the gradient of x was asked for, but the unit was told x needs none (inputGrad false)`);
          return dx;
        },
      };
      if (dskip) grads.skip = () => dskip;
      return grads;
    },
  });
  tf.registerGradient({
    kernelName: DENSE,
    inputsToSave: ["x", "w"],
    gradFunc: (dy, saved) => {
      const [x, w] = saved;
      const [dx, dw, db] = tf.engine().runKernel(DENSE_GRAD, { dy: Array.isArray(dy) ? dy[0] : dy, x, w }, {}) as tf.Tensor[];
      return { x: () => dx, w: () => dw, bias: () => db };
    },
  });
  tf.registerGradient({
    kernelName: LOSS,
    outputsToSave: [false, true],
    gradFunc: (dy, saved) => ({
      student: () => tf.mul(Array.isArray(dy) ? dy[0] : dy, saved[0]),
      teacher: () => {
        throw new Error(`${LOSS}: the teacher's logits are constants and have no gradient`);
      },
    }),
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
  const [y, mean, variance] = tf.engine().runKernel(BN_TRAIN, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
  return { y: y as tf.Tensor4D, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
}

const nativeTrainingOps: Partial<TrainingOps> = {
  convBatchNormTrain(x, w, gamma, beta, conv, relu, skip, inputGrad = true) {
    if (skip && !relu) throw new Error("convBatchNormTrain: a skip is added only before a ReLU");
    const inputs: tf.NamedTensorMap = { x, filter: w, scale: gamma, offset: beta };
    if (skip) inputs.skip = skip;
    const attrs: Omit<UnitAttrs, "inputShape" | "filterShape" | "dimRoundingMode"> = {
      strides: conv.stride,
      pad: [[0, 0], conv.pad[0], conv.pad[1], [0, 0]],
      dataFormat: "NHWC",
      dilations: conv.dilation,
      epsilon: BN_EPS,
      relu,
      hasSkip: !!skip,
      inputGrad,
    };
    const [y, mean, variance] = tf.engine().runKernel(UNIT_TRAIN, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
    return { y: y as tf.Tensor4D, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
  },
  batchNormTrain: (x, gamma, beta) => bnTrain(x, gamma, beta, false),
  batchNormReluTrain: (x, gamma, beta, skip) => bnTrain(x, gamma, beta, true, skip),
  trainingLoss(student, labels, teacher, w) {
    const inputs: tf.NamedTensorMap = teacher ? { student, labels, teacher } : { student, labels };
    return (tf.engine().runKernel(LOSS, inputs, { ...w } as unknown as tf.NamedAttrMap) as tf.Tensor[])[0] as tf.Scalar;
  },
  globalAvgPool: (x) => tf.engine().runKernel(GAP, { x }, {}) as tf.Tensor2D,
  dense: (x, w, bias) => tf.engine().runKernel(DENSE, { x, w, bias }, {}) as tf.Tensor2D,
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
