/** One optimisation step: forward in training mode, the (KD) loss, gradients, SGD update, BN running stats. */
import * as tf from "@tensorflow/tfjs";
import type { Batch } from "../data/batches.js";
import { activeParams, forward, updateRunningStats, type BatchStats, type Model } from "./model.js";
import { tailorLoss, type KdWeights } from "./loss.js";
import type { Sgd } from "./optimizer.js";

export function batchTensors(b: Batch, h: number, w: number, c: number): { x: tf.Tensor4D; y: tf.Tensor1D } {
  return { x: tf.tensor4d(b.x, [b.n, h, w, c]), y: tf.tensor1d(b.labels, "int32") };
}

/**
 * Returns the loss of the batch (before the update). The teacher, if any, is frozen: its BN uses its running
 * statistics (`teacherBn` "running", eval mode) or the batch's statistics ("batch", training mode, as the authors'
 * teacher runs); either way its weights and running statistics are left as they are (the authors' teacher updates
 * its running statistics but never uses them, so not updating them gives the same targets).
 */
export function trainStep(m: Model, opt: Sgd, batch: Batch, lr: number, teacher?: Model, kd?: KdWeights, teacherBn: "batch" | "running" = "running"): number {
  const { c, h, w } = m.graph.layers[0].shape;
  const stats: BatchStats = {};
  const loss = tf.tidy(() => {
    const { x, y } = batchTensors(batch, h, w, c);
    const t = teacher ? forward(teacher, x, teacherBn === "batch") : undefined;
    const vars = activeParams(m);
    const { value, grads } = tf.variableGrads(() => tailorLoss(forward(m, x, true, stats), y, t, kd), vars);
    opt.step(m.params, grads, lr);
    return value;
  });
  updateRunningStats(m, stats, batch.n);
  const v = loss.dataSync()[0];
  loss.dispose();
  return v;
}
