/**
 * Top-1, top-5 and mean cross-entropy over a set of images on the inference path: the same result type, batches
 * and arithmetic of the scores as the training path's eval-mode evaluate (src/train/evaluate.ts), the logits from
 * an inference plan.
 */
import * as tf from "@tensorflow/tfjs";
import { epochBatches, type Normalisation } from "../data/batches.js";
import type { ImageSet } from "../data/cifar10.js";
import type { EvalResult } from "../train/evaluate.js";
import { crossEntropy } from "../train/loss.js";
import type { Model } from "../train/model.js";
import { compilePlan, disposePlan, type InferPlan } from "./plan.js";
import { runPlan } from "./run.js";

/** images per batch: large batches keep both cores busy in every layer (a value is freed after its last reader) */
export const INFER_BATCH = 500;

/** Scores of a batch's logits: summed cross-entropy, top-1 and top-5 hits (ties resolved by tf.topk, as evaluate does). */
export function scoreLogits(logits: Float32Array, labels: Int32Array, n: number, classes: number): [number, number, number] {
  return tf.tidy(() => {
    const lt = tf.tensor2d(logits, [n, classes]);
    const y = tf.tensor1d(labels.subarray(0, n), "int32");
    const ce = crossEntropy(lt, y).mul(n);
    const { indices: top } = tf.topk(lt, Math.min(5, classes));
    const hits = tf.equal(top, y.expandDims(1)).cast("float32");
    return [ce.dataSync()[0], hits.slice([0, 0], [n, 1]).sum().dataSync()[0], hits.sum().dataSync()[0]];
  });
}

/** `onBatch(n, total)` after every batch of n images (a progress line). */
export function evaluatePlan(plan: InferPlan, set: ImageSet, indices: Int32Array, norm: Normalisation, batchSize = INFER_BATCH, onBatch?: (n: number, total: number) => void): EvalResult {
  const classes = plan.graph.net.head.classes;
  let loss = 0;
  let top1 = 0;
  let top5 = 0;
  for (const b of epochBatches(set, indices, batchSize, norm, null)) {
    const logits = runPlan(plan, b.x, b.n);
    const [l, c1, c5] = scoreLogits(logits, b.labels, b.n, classes);
    loss += l;
    top1 += c1;
    top5 += c5;
    onBatch?.(b.n, indices.length);
  }
  const n = indices.length;
  return { loss: loss / n, top1: top1 / n, top5: top5 / n, count: n };
}

/** evaluatePlan on a plan compiled for this call */
export function evaluateInfer(m: Model, set: ImageSet, indices: Int32Array, norm: Normalisation, batchSize = INFER_BATCH, onBatch?: (n: number, total: number) => void): EvalResult {
  const plan = compilePlan(m);
  try {
    return evaluatePlan(plan, set, indices, norm, batchSize, onBatch);
  } finally {
    disposePlan(plan);
  }
}
