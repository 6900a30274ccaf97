/**
 * Logits of images given in the NCHW layout that ONNX and PyTorch use, on the inference path (the plan runs NHWC).
 * The images must already be normalised as the network was trained.
 */
import type { Model } from "../train/model.js";
import { compilePlan, disposePlan, type InferPlan } from "./plan.js";
import { runPlan } from "./run.js";

/** NCHW -> NHWC of n images */
export function nchwToNhwc(x: Float32Array, n: number, c: number, h: number, w: number): Float32Array {
  const out = new Float32Array(x.length);
  const hw = h * w;
  for (let b = 0; b < n; b++) {
    const src = b * c * hw;
    for (let ch = 0; ch < c; ch++) for (let p = 0; p < hw; p++) out[src + p * c + ch] = x[src + ch * hw + p];
  }
  return out;
}

/** `x`: n x C x H x W float32 values (C order), C, H and W the network's input; returns n x classes logits. */
export function predictPlanNchw(plan: InferPlan, x: Float32Array, n: number, batchSize = 256): Float32Array {
  const { channels: c, height: h, width: w } = plan.graph.net.input;
  if (x.length !== n * c * h * w) throw new Error(`predict: ${x.length} values for ${n} images of ${c}x${h}x${w}`);
  const classes = plan.graph.net.head.classes;
  const out = new Float32Array(n * classes);
  const size = c * h * w;
  for (let s = 0; s < n; s += batchSize) {
    const b = Math.min(batchSize, n - s);
    out.set(runPlan(plan, nchwToNhwc(x.subarray(s * size, (s + b) * size), b, c, h, w), b), s * classes);
  }
  return out;
}

/** predictPlanNchw on a plan compiled for this call */
export function predictInferNchw(m: Model, x: Float32Array, n: number, batchSize = 256): Float32Array {
  const plan = compilePlan(m);
  try {
    return predictPlanNchw(plan, x, n, batchSize);
  } finally {
    disposePlan(plan);
  }
}
