/**
 * The teacher's batch norm during distillation (TrainConfig.teacherBn): "batch" gives the KD targets of the teacher
 * in training mode (batch statistics, as the authors' Lightning module runs it), "running" those of eval mode; in
 * both the teacher's weights and running statistics stay as they were. And evaluation with batch statistics.
 */
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../src/backend/index.js";
import { resnet8 } from "../src/net/index.js";
import { mse } from "../src/train/loss.js";
import { epochBatches, type Normalisation } from "../src/data/batches.js";
import { evaluate } from "../src/train/evaluate.js";
import { cloneModel, createModel, forward, type BatchStats, type Model } from "../src/train/model.js";
import { Sgd } from "../src/train/optimizer.js";
import { batchTensors, trainStep } from "../src/train/step.js";
import { Rng } from "../src/util/random.js";

beforeAll(async () => {
  await initBackend({ quiet: true });
});

const snapshot = (m: Model) => [...m.params, ...m.stats].map(([k, v]) => [k, Array.from(v.dataSync())] as const);

describe("teacher batch norm during KD", () => {
  it("batch: targets of the teacher in training mode; running: in eval mode; the teacher is left unchanged", () => {
    const r = new Rng(5);
    const teacher = createModel(resnet8(), 3);
    // running statistics far from any batch's, so that the two modes give clearly different targets
    for (const [k, v] of teacher.stats) v.assign(tf.tensor(Float32Array.from({ length: v.size }, () => (k.endsWith(".variance") ? 0.5 + r.next() : r.normal())), v.shape));
    const student = createModel(resnet8(), 4);
    const n = 8;
    const batch = { x: Float32Array.from({ length: n * 3072 }, () => r.normal()), labels: Int32Array.from({ length: n }, (_, i) => i), n };
    const x = tf.tensor4d(batch.x, [n, 32, 32, 3]);
    const s = forward(student, x, true);
    const expected = {
      batch: mse(forward(teacher, x, true), s).dataSync()[0],
      running: mse(forward(teacher, x, false), s).dataSync()[0],
    };
    expect(Math.abs(expected.batch - expected.running)).toBeGreaterThan(0.01 * expected.running);
    const before = snapshot(teacher);
    for (const mode of ["batch", "running"] as const) {
      // KD term alone (ce weight 0): the loss before the update is MSE(teacher targets, student logits)
      const loss = trainStep(cloneModel(student), new Sgd({ lr: 0.1, momentum: 0.9, weightDecay: 1e-4, nesterov: true }), batch, 0.1, teacher, { mse: 1, ce: 0 }, mode);
      expect(loss).toBeCloseTo(expected[mode], 5);
      expect(snapshot(teacher)).toEqual(before);
    }
  });
});

describe("evaluation with batch statistics (a diagnostic: evaluate's bn 'batch')", () => {
  it("equals eval mode once the running statistics are set to that batch's own, and leaves them unchanged", () => {
    const r = new Rng(9);
    const m = createModel(resnet8(), 6);
    // running statistics far from the batch's, so the two modes differ before they are set equal
    for (const [k, v] of m.stats) v.assign(tf.tensor(Float32Array.from({ length: v.size }, () => (k.endsWith(".variance") ? 0.5 + r.next() : r.normal())), v.shape));
    const n = 16;
    const set = { images: Uint8Array.from({ length: n * 3072 }, () => Math.floor(256 * r.next())), labels: Uint8Array.from({ length: n }, (_, i) => i % 10), count: n };
    const all = Int32Array.from({ length: n }, (_, i) => i);
    const norm: Normalisation = { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] };
    const before = snapshot(m);
    const batch = evaluate(m, set, all, norm, n, undefined, "batch");
    expect(snapshot(m)).toEqual(before);
    expect(Math.abs(evaluate(m, set, all, norm, n).loss - batch.loss)).toBeGreaterThan(0.01 * batch.loss);
    // the batch's statistics, recorded by a training-mode forward pass, become the running ones (biased variance, as
    // batch norm normalises with it in training mode)
    const stats: BatchStats = {};
    const [b] = [...epochBatches(set, all, n, norm, null)];
    tf.tidy(() => void forward(m, batchTensors(b, 32, 32, 3).x, true, stats));
    for (const [bn, s] of Object.entries(stats)) {
      m.stats.get(`${bn}.mean`)!.assign(s.mean);
      m.stats.get(`${bn}.variance`)!.assign(s.variance);
    }
    expect(Object.keys(stats).length).toBe(m.graph.layers.filter((l) => l.op === "bn").length);
    const running = evaluate(m, set, all, norm, n);
    expect(running.loss).toBeCloseTo(batch.loss, 4);
    expect(running.top1).toBe(batch.top1);
  });
});
