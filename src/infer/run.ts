/**
 * Running an inference plan (plan.ts) on a batch of NHWC images: the fused and quantised conv steps on plain arrays
 * through the backend's inference ops, the other layers through the same tfjs ops as the eval forward (model.ts),
 * each value dropped after the last step that reads it.
 */
import * as tf from "@tensorflow/tfjs";
import { inferenceOps } from "../backend/index.js";
import { BN_EPS, trainingOps } from "../backend/training-ops.js";
import type { Layer } from "../net/index.js";
import { quantActivation } from "../train/quant.js";
import type { InferPlan } from "./plan.js";

/** One layer as the eval forward runs it (model.ts `forward(m, x, false)`), on the plan's cached weights. */
function runLayer(plan: InferPlan, l: Layer, inputs: tf.Tensor[], x: tf.Tensor4D): tf.Tensor {
  const m = plan.model;
  const a = inputs[0];
  const p = (name: string) => m.params.get(name)!;
  switch (l.op) {
    case "input":
      return x;
    case "conv": {
      const pad: [[number, number], [number, number], [number, number], [number, number]] = [[0, 0], [l.pad[0], l.padAfter[0]], [l.pad[1], l.padAfter[1]], [0, 0]];
      const w = plan.weights.get(l.name)! as tf.Tensor4D;
      const y = l.groups === 1 ? tf.conv2d(a as tf.Tensor4D, w, l.stride, pad, "NHWC", l.dilation) : tf.depthwiseConv2d(a as tf.Tensor4D, w, l.stride, pad, "NHWC", l.dilation);
      return l.bias ? y.add(p(`${l.name}.bias`)) : y;
    }
    case "bn":
      return tf.batchNorm(a as tf.Tensor4D, m.stats.get(`${l.name}.mean`)! as tf.Tensor1D, m.stats.get(`${l.name}.variance`)! as tf.Tensor1D, p(`${l.name}.beta`) as tf.Tensor1D, p(`${l.name}.gamma`) as tf.Tensor1D, BN_EPS);
    case "relu":
      return quantActivation(m, l, tf.relu(a), false);
    case "add":
      return tf.add(a, inputs[1]);
    case "maxpool":
      return tf.maxPool(a as tf.Tensor4D, l.kernel, l.stride, l.pad);
    case "gap":
      return trainingOps().globalAvgPool(a as tf.Tensor4D);
    case "dense":
      return trainingOps().dense((a.rank === 2 ? a : a.reshape([a.shape[0], -1])) as tf.Tensor2D, plan.weights.get(l.name)! as tf.Tensor2D, p(`${l.name}.bias`) as tf.Tensor1D);
    default:
      throw new Error(`inference plan: layer ${l.name} (${l.op}) has no eval form`);
  }
}

/**
 * The fused steps' output arrays, reused from batch to batch: a fresh array of tens of megabytes costs page faults and
 * zeroing on every batch, more than the convolution that fills it (the training backend pools for the same reason).
 */
const pools = new WeakMap<InferPlan, Map<number, Float32Array[]>>();
function poolOf(plan: InferPlan): Map<number, Float32Array[]> {
  let p = pools.get(plan);
  if (!p) pools.set(plan, (p = new Map()));
  return p;
}

/**
 * Logits [n x classes] of n images, `x` NHWC float32 normalised as the network was trained. A conv step's value is
 * a plain array; a layer step's stays a tensor (consecutive layer steps pass tensors as the eval forward does,
 * without copies), made an array only when a conv step reads it.
 */
export function runPlan(plan: InferPlan, x: Float32Array, n: number): Float32Array {
  const g = plan.graph;
  const ops = inferenceOps();
  const values: (Float32Array | tf.Tensor | undefined)[] = new Array(g.layers.length);
  const pool = poolOf(plan);
  // arrays this call took from the pool: only those go back (x is the caller's)
  const ours = new Set<Float32Array>();
  const take = (size: number) => {
    const a = pool.get(size)?.pop() ?? new Float32Array(size);
    ours.add(a);
    return a;
  };
  const release = (v: Float32Array | tf.Tensor) => {
    if (v instanceof tf.Tensor) return v.dispose();
    if (!ours.delete(v)) return;
    const list = pool.get(v.length);
    if (list) list.push(v);
    else pool.set(v.length, [v]);
  };
  const shapeOf = (id: number): [number, number, number, number] => {
    const s = g.layers[id].shape;
    return [n, s.h, s.w, s.c];
  };
  // tailor-native's dataSync of an array it recycles is a copy; other arrays are never reused after dispose
  const asArray = (v: Float32Array | tf.Tensor) => (v instanceof tf.Tensor ? (v.dataSync() as Float32Array) : v);
  const inShape = shapeOf(0);
  if (x.length !== inShape.reduce((a, b) => a * b, 1)) throw new Error(`runPlan: ${x.length} values for ${n} images of ${inShape.slice(1).join("x")}`);
  try {
    plan.steps.forEach((s, i) => {
      if (s.kind === "fused" || s.kind === "quant") {
        const c = s.conv.shape;
        const [input, skip, out] = [asArray(values[s.input]!), s.skip === null ? null : asArray(values[s.skip]!), take(n * c.oh * c.ow * c.cout)];
        values[s.out] = s.kind === "fused" ? ops.fusedConv(s.conv, n, input, skip, out) : ops.quantConv(s.conv, n, input, skip, out);
      } else {
        const l = s.layer;
        values[s.out] = tf.tidy(() => {
          const xt = l.op === "input" ? tf.tensor4d(x, inShape) : (undefined as unknown as tf.Tensor4D);
          const ins = l.inputs.map((id) => {
            const v = values[id]!;
            return v instanceof tf.Tensor ? v : tf.tensor(v, shapeOf(id));
          });
          return runLayer(plan, l, ins, xt);
        });
      }
      for (const r of s.kind === "layer" ? s.layer.inputs : [s.input, s.skip])
        if (r !== null && plan.lastUse[r] === i && r !== g.output) {
          release(values[r]!);
          values[r] = undefined;
        }
    });
    // the logits leave the plan: an array of the pool is never given back to it
    return Float32Array.from(asArray(values[g.output]!));
  } finally {
    for (const v of values) if (v instanceof tf.Tensor) v.dispose();
  }
}
