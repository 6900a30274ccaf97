/**
 * Top-1, top-5 and mean cross-entropy of a model over a set of images: in eval mode (BN running statistics), or, as a
 * diagnostic, with each batch's own statistics (`bn` "batch": training-mode batch norm; the running statistics are
 * neither used nor changed). The two differ most when the weights have moved faster than the running averages follow.
 */
import * as tf from "@tensorflow/tfjs";
import type { ImageSet } from "../data/cifar10.js";
import { epochBatches, type Normalisation } from "../data/batches.js";
import { forward, type Model } from "./model.js";
import { crossEntropy } from "./loss.js";
import { batchTensors } from "./step.js";

/** batch norm at evaluation: running statistics (eval mode, the default) or each batch's own (a diagnostic) */
export type EvalBn = "running" | "batch";

export interface EvalResult {
  loss: number;
  top1: number;
  top5: number;
  count: number;
}

/** `onBatch(n, total)` after every batch of n images (a progress line). */
export function evaluate(m: Model, set: ImageSet, indices: Int32Array, norm: Normalisation, batchSize = 500, onBatch?: (n: number, total: number) => void, bn: EvalBn = "running"): EvalResult {
  const g = evaluateSteps(m, set, indices, norm, batchSize, onBatch, bn);
  for (;;) {
    const r = g.next();
    if (r.done) return r.value;
  }
}

/** The same, as a generator that yields between batches (a driver can let signals in, or stop, there). */
export function* evaluateSteps(m: Model, set: ImageSet, indices: Int32Array, norm: Normalisation, batchSize = 500, onBatch?: (n: number, total: number) => void, bn: EvalBn = "running"): Generator<void, EvalResult, void> {
  let loss = 0;
  let top1 = 0;
  let top5 = 0;
  let first = true;
  for (const b of epochBatches(set, indices, batchSize, norm, null)) {
    if (!first) yield;
    first = false;
    const [l, c1, c5] = tf.tidy(() => {
      const { x, y } = batchTensors(b, 32, 32, 3);
      const logits = forward(m, x, bn === "batch");
      const ce = crossEntropy(logits, y).mul(b.n);
      const k = Math.min(5, logits.shape[1]);
      const { indices: top } = tf.topk(logits, k);
      const hits = tf.equal(top, y.expandDims(1)).cast("float32");
      return [ce.dataSync()[0], hits.slice([0, 0], [b.n, 1]).sum().dataSync()[0], hits.sum().dataSync()[0]];
    });
    loss += l;
    top1 += c1;
    top5 += c5;
    onBatch?.(b.n, indices.length);
  }
  const n = indices.length;
  return { loss: loss / n, top1: top1 / n, top5: top5 / n, count: n };
}
