/**
 * The backend seam of the inference path (src/infer/), on plain NHWC arrays: a convolution whose batch norm the caller
 * has folded into its filter and bias, followed by the chain of ReLUs and one skip add that close a ResNet unit; and a
 * quantised network's convolution, its batch norm kept, followed by the ReLUs, skip add and activation quantisers.
 * The reference is composed tfjs ops (right on every backend); a backend may register its own (native-infer.ts:
 * one oneDNN primitive with post-ops). As with training-ops.ts, the inference code never asks which backend runs.
 */
import * as tf from "@tensorflow/tfjs";
import { trainingOps } from "./training-ops.js";

/** what follows the conv + bias, in the graph's order: a ReLU, or the add of the step's skip */
export type PostOp = "relu" | "add";

/** one convolution's shapes: NHWC input [n, h, w, cin], HWIO filter [kh, kw, cin, cout], output [n, oh, ow, cout] */
export interface ConvShape {
  n: number;
  h: number;
  w: number;
  cin: number;
  kh: number;
  kw: number;
  cout: number;
  oh: number;
  ow: number;
  stride: [number, number];
  /** zeros before and after, along height and along width */
  pad: [[number, number], [number, number]];
  dilation: [number, number];
}

/** A conv layer as the inference path runs it: its shape (without the batch), folded filter and bias, its chain. */
export interface FusedConv {
  shape: Omit<ConvShape, "n">;
  /** HWIO, batch norm folded in */
  filter: Float32Array;
  bias: Float32Array;
  post: PostOp[];
}

/**
 * What follows a quantised conv's batch norm, in the graph's order: a ReLU, the add of the step's skip, or an
 * activation quantiser, y = clamp(round(x / scale), qmin, qmax) * scale (the training ops' fakeQuant)
 */
export type QuantStage = { op: "relu" } | { op: "add" } | { op: "quant"; scale: number; qmin: number; qmax: number };

/** a batch norm in inference mode: its running statistics and affine parameters, as tfjs's batchNorm takes them */
export interface InferenceBatchNorm {
  mean: Float32Array;
  variance: Float32Array;
  gamma: Float32Array;
  beta: Float32Array;
  epsilon: number;
}

/**
 * A conv layer of a quantised network as the inference path runs it: nothing folded (folding would change the values
 * the quantisers round), only the fake-quantised filter computed once. Its value must be the eval forward's, bit for bit.
 */
export interface QuantConv {
  shape: Omit<ConvShape, "n">;
  /** HWIO, fake-quantised as the eval forward quantises it */
  filter: Float32Array;
  /** the batch norm that reads the conv, or null */
  bn: InferenceBatchNorm | null;
  stages: QuantStage[];
}

export interface InferenceOps {
  /**
   * y = chain(conv(x, filter) + bias) for a batch of n, written into `out` (y's size, none of the inputs) and returned;
   * `skip` (y's shape) is what the chain's add adds
   */
  fusedConv(c: FusedConv, n: number, x: Float32Array, skip: Float32Array | null, out: Float32Array): Float32Array;
  /**
   * y = stages(bn(conv(x, filter))) for a batch of n, written into `out` and returned; `skip` is what an add stage
   * adds. Every value equals the eval forward's (tfjs's conv2d, batchNorm, add, relu and the training ops' fakeQuant).
   */
  quantConv(c: QuantConv, n: number, x: Float32Array, skip: Float32Array | null, out: Float32Array): Float32Array;
  /** which kernels run this layer at batch n (for benchmarks' records), e.g. "brg:avx512_core" */
  describe(c: FusedConv, n: number): string;
}

/** Composed tfjs ops: the definition every registered implementation is tested against. */
export const referenceInferenceOps: InferenceOps = {
  fusedConv(c, n, x, skip, out) {
    const s = c.shape;
    // the result is copied inside: tidy would walk a returned array element by element looking for tensors
    tf.tidy(() => {
      const xt = tf.tensor4d(x, [n, s.h, s.w, s.cin]);
      const w = tf.tensor4d(c.filter, [s.kh, s.kw, s.cin, s.cout]);
      let y: tf.Tensor = tf.conv2d(xt, w, s.stride, [[0, 0], s.pad[0], s.pad[1], [0, 0]], "NHWC", s.dilation).add(tf.tensor1d(c.bias));
      for (const p of c.post) y = p === "relu" ? tf.relu(y) : y.add(tf.tensor4d(skip!, [n, s.oh, s.ow, s.cout]));
      out.set(y.dataSync());
    });
    return out;
  },
  quantConv(c, n, x, skip, out) {
    const s = c.shape;
    if (c.stages.some((t) => t.op === "add") && !skip) throw new Error("quantConv: a stage adds a skip, and none was given");
    tf.tidy(() => {
      const xt = tf.tensor4d(x, [n, s.h, s.w, s.cin]);
      const w = tf.tensor4d(c.filter, [s.kh, s.kw, s.cin, s.cout]);
      let y: tf.Tensor = tf.conv2d(xt, w, s.stride, [[0, 0], s.pad[0], s.pad[1], [0, 0]], "NHWC", s.dilation);
      const bn = c.bn;
      if (bn) y = tf.batchNorm(y as tf.Tensor4D, tf.tensor1d(bn.mean), tf.tensor1d(bn.variance), tf.tensor1d(bn.beta), tf.tensor1d(bn.gamma), bn.epsilon);
      for (const t of c.stages) {
        if (t.op === "relu") y = tf.relu(y);
        else if (t.op === "add") y = tf.add(y, tf.tensor4d(skip!, [n, s.oh, s.ow, s.cout]));
        else y = trainingOps().fakeQuant(y, t.scale, t.qmin, t.qmax, false);
      }
      out.set(y.dataSync());
    });
    return out;
  },
  describe: () => "tfjs conv2d",
};

const registered = new Map<string, Partial<InferenceOps>>();

/** A backend's own implementations; the ops it leaves out keep the reference. */
export function registerInferenceOps(backend: string, ops: Partial<InferenceOps>): void {
  registered.set(backend, { ...registered.get(backend), ...ops });
}

/** The inference ops of the backend tfjs is running now. */
export function inferenceOps(backend = tf.getBackend()): InferenceOps {
  return { ...referenceInferenceOps, ...registered.get(backend) };
}
