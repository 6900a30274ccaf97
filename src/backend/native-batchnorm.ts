/**
 * The batch-norm family of the tailor-native backend: batch norm in training mode (BN_TRAIN, with the ReLU and skip
 * add after it fused) and its gradient, in C++; batch norm in inference mode (the frozen teacher, evaluation) folded
 * into a per-channel scale and shift. bnForward and bnBackward are shared with the conv-BN unit (native-unit.ts).
 */
import * as tf from "@tensorflow/tfjs";
import type { NativeAddon } from "./native-addon.js";
import { NATIVE_BACKEND, unaliased, values, type Info, type KernelFamily, type PooledCpuBackend } from "./native-backend.js";
import { BN_EPS, type BatchNormResult } from "./training-ops.js";

/** kernel names of our batch norm in training mode (not a tfjs kernel: tfjs composes it from moments) */
export const BN_TRAIN = "TailorBatchNormTrain";
export const BN_TRAIN_GRAD = "TailorBatchNormTrainGrad";

/** attributes of BN_TRAIN: with relu, y = ReLU(BN(x) + skip); hasSkip is set by the caller when a skip is passed */
export interface BnAttrs {
  epsilon: number;
  relu: boolean;
  hasSkip: boolean;
}

/**
 * The batch norm of BN_TRAIN and of the conv-BN unit: y = [ReLU](BN(x) [+ skip]) over x[P, C] with batch statistics.
 * Returns y, the batch mean and biased variance, and [gamma | mean | invstd], what the gradient needs besides x and y.
 */
export function bnForward(addon: NativeAddon, b: PooledCpuBackend, P: number, C: number, x: Float32Array, scale: Info, offset: Info, skip: Info | undefined, relu: boolean, epsilon: number) {
  const y = b.alloc(P * C);
  const gamma = values(b, scale);
  const saved = new Float32Array(3 * C);
  const [mean, invstd, variance] = [saved.subarray(C, 2 * C), saved.subarray(2 * C), new Float32Array(C)];
  addon.bnForwardTrain(P, C, x, gamma, values(b, offset), skip ? values(b, skip) : null, relu ? 1 : 0, epsilon, y, mean, invstd, variance);
  saved.set(gamma);
  return { y, mean: mean.slice(), variance, saved };
}

/** Its gradient into dx, from dy, x, y (with a fused ReLU its mask) and saved; dskip (the masked dy) with a skip. */
export function bnBackward(addon: NativeAddon, b: PooledCpuBackend, P: number, C: number, dy: Info, x: Float32Array, y: Info, saved: Float32Array, relu: boolean, hasSkip: boolean, dx: Float32Array) {
  const dskip = hasSkip ? b.alloc(P * C) : null;
  const dscale = new Float32Array(C);
  const doffset = new Float32Array(C);
  const s = saved;
  addon.bnBackward(P, C, values(b, dy), x, relu ? values(b, y) : null, s.subarray(0, C), s.subarray(C, 2 * C), s.subarray(2 * C), dx, dscale, doffset, dskip);
  return { dscale, doffset, dskip };
}

/**
 * Batch norm in inference mode as one per-channel scale and shift, y = x * scale + shift (native channelAffine): how
 * the FusedBatchNorm kernel below computes them, and the quantised inference path's epilogue (native-infer.ts) with
 * it, so that both give the same floats. gamma and beta null: 1 and 0 (tfjs's batchNorm without scale or offset).
 */
export function inferenceAffine(mean: Float32Array, variance: Float32Array, gamma: Float32Array | null, beta: Float32Array | null, epsilon: number) {
  const C = mean.length;
  const scale = new Float32Array(C);
  const shift = new Float32Array(C);
  for (let c = 0; c < C; c++) {
    scale[c] = (gamma ? gamma[c] : 1) / Math.sqrt(variance[c] + epsilon);
    shift[c] = (beta ? beta[c] : 0) - mean[c] * scale[c];
  }
  return { scale, shift };
}

/** BN_TRAIN as a training op: y and the batch statistics (for the running averages) */
function bnTrain(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, relu: boolean, skip?: tf.Tensor4D): BatchNormResult {
  const inputs: tf.NamedTensorMap = skip ? { x, scale: gamma, offset: beta, skip } : { x, scale: gamma, offset: beta };
  const attrs: BnAttrs = { epsilon: BN_EPS, relu, hasSkip: !!skip };
  const [y, mean, variance] = tf.engine().runKernel(BN_TRAIN, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
  return { y: y as tf.Tensor4D, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
}

/** BN_TRAIN and its gradient, FusedBatchNorm (inference), and the ops batchNormTrain and batchNormReluTrain */
export function batchNormFamily(addon: NativeAddon): KernelFamily {
  const cpuBatchNorm = { kernelFunc: unaliased(tf.getKernel("FusedBatchNorm", "cpu")!.kernelFunc) };
  const kernels: tf.KernelConfig[] = [
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
        const { y, mean, variance, saved } = bnForward(addon, b, P, C, values(b, x), scale, offset, skip, relu, epsilon);
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
        const { dscale, doffset, dskip } = bnBackward(addon, b, P, C, dy, values(b, x), y, values(b, saved), relu, hasSkip, dx);
        const out = [b.makeTensorInfo(x.shape, "float32", dx), b.makeTensorInfo([C], "float32", dscale), b.makeTensorInfo([C], "float32", doffset)];
        if (dskip) out.push(b.makeTensorInfo(x.shape, "float32", dskip));
        return out;
      },
    },
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
        const { scale: sc, shift: sh } = inferenceAffine(values(b, mean!), values(b, variance!), scale ? values(b, scale) : null, offset ? values(b, offset) : null, eps);
        const out = b.alloc(tf.util.sizeFromShape(x!.shape));
        addon.channelAffine(values(b, x!), sc, sh, out);
        return b.makeTensorInfo(x!.shape, "float32", out);
      },
    },
  ];
  const gradients: tf.GradConfig[] = [
    {
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
    },
  ];
  return {
    kernels,
    gradients,
    ops: {
      batchNormTrain: (x, gamma, beta) => bnTrain(x, gamma, beta, false),
      batchNormReluTrain: (x, gamma, beta, skip) => bnTrain(x, gamma, beta, true, skip),
    },
  };
}
