import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../src/backend/index.js";
import { DEFAULT_CONFIG, type TrainConfig } from "../src/train/config.js";
import { modelFromCheckpoint, parseCheckpoint, restoreOptimizer, type Checkpoint } from "../src/train/checkpoint.js";
import { decodeCheckpoint, encodeCheckpoint } from "../src/train/checkpoint-file.js";
import { newOptimizer, resumeTailorSteps, runToEndAsync, startTailor, type TailorData, type TailorRun } from "../src/train/tailor.js";
import type { Model } from "../src/train/model.js";
import { syntheticImages } from "./helpers/synthetic-cifar.js";

beforeAll(async () => {
  await initBackend({ quiet: true });
});


const data: TailorData = { train: syntheticImages(96, 1), test: syntheticImages(20, 2) };
const config: TrainConfig = { ...DEFAULT_CONFIG, epochs: 3, batchSize: 16, valSize: 16, logEvery: 1000, lrMilestones: [2] };
const weights = (m: Model) => [...m.params].map(([k, v]) => [k, Array.from(v.dataSync())] as const).sort((a, b) => (a[0] < b[0] ? -1 : 1));
const env = { test: 1 };
/** drivers that let the event loop run between steps: a long synchronous test starves vitest's worker RPC */
const train = (r: TailorRun) => runToEndAsync(startTailor(r));
const resume = (r: TailorRun, ck: Checkpoint, m: Model, o: ReturnType<typeof newOptimizer>) => runToEndAsync(resumeTailorSteps(r, ck, m, o));
/** through the file format and back, as a resume reads it */
const roundTrip = (c: Checkpoint, file = "last.ckpt") => decodeCheckpoint(encodeCheckpoint(c).bytes, file);
const buffers = (o: ReturnType<typeof newOptimizer>) => [...o.buffers].map(([k, v]) => [k, Array.from(v.dataSync())] as const);

describe("checkpoints", () => {
  it("a run resumed from its epoch-1 checkpoint ends exactly as the uninterrupted run", async () => {
    const ckpts: Checkpoint[] = [];
    const full = await train({ config, data, env, onEpoch: (_r, c) => ckpts.push(roundTrip(c())) });
    expect(ckpts).toHaveLength(3);
    // "kill" after epoch index 1: restart from its checkpoint, through the binary file form
    const ck = ckpts[1];
    const model = modelFromCheckpoint(ck, "last.ckpt.json");
    const opt = newOptimizer(config);
    restoreOptimizer(opt, ck, "last.ckpt.json");
    const resumed = await resume({ config, data, env }, ck, model, opt);
    expect(resumed.history.map((h) => h.valLoss)).toEqual(full.history.map((h) => h.valLoss));
    expect(weights(resumed.model)).toEqual(weights(full.model));
  });

  it("Tailor (SkipRemover) alters one skip per period from the input end, and keeps the teacher frozen", async () => {
    const teacher = (await train({ config: { ...config, epochs: 1 }, data, env })).model;
    const before = weights(teacher);
    const altered: [number, number][] = [];
    const r = await train({
      config: { ...config, method: "remover", teacher: "x", epochs: 4, everyEpochs: 1 },
      data,
      env,
      teacher,
      onAlter: (e, k) => altered.push([e, k]),
    });
    expect(altered).toEqual([
      [1, 0],
      [2, 1],
      [3, 2],
    ]);
    expect(r.model.net.blocks.map((b) => b.skip)).toEqual(["removed", "removed", "removed"]);
    expect(weights(teacher)).toEqual(before);
    // the best checkpoint is chosen only once every skip is removed
    expect(r.best!.epoch).toBeGreaterThanOrEqual(3);
  });

  it("a run stopped inside an epoch (a signal) and resumed from that step ends exactly as the uninterrupted run", async () => {
    const c = { ...config, method: "remover" as const, teacher: "t", everyEpochs: 1, epochs: 4, teacherBn: "batch" as const };
    const teacher = (await train({ config: { ...config, epochs: 1 }, data, env })).model;
    const full = await runToEndAsync(startTailor({ config: c, data, env, teacher }));
    // shouldStop is asked after every step and every epoch: stop at epoch 1, step 2 of 5; then after the last step of
    // epoch 3, before its alteration
    let ck: Checkpoint | null = null;
    let steps = 0;
    const stopAt = (n: number) => () => ++steps === n;
    const first = await runToEndAsync(startTailor({ config: c, data, env, teacher, shouldStop: stopAt(8), onStop: (k) => (ck = roundTrip(k())) }));
    expect(first.stopped).toBe(true);
    expect(ck!.epoch).toBe(0);
    expect(ck!.partial).toMatchObject({ epoch: 1, step: 2 });
    // async drivers: the event loop runs between steps (as in scripts/train.ts)
    const resumeFrom = async (k: Checkpoint, more: Partial<TailorRun> = {}) => {
      const m = modelFromCheckpoint(k, "last.ckpt");
      const o = newOptimizer(c);
      restoreOptimizer(o, k, "last.ckpt");
      return { r: await runToEndAsync(resumeTailorSteps({ config: c, data, env, teacher, ...more }, k, m, o)), o };
    };
    steps = 0;
    const second = (await resumeFrom(ck!, { shouldStop: stopAt(15), onStop: (k) => (ck = roundTrip(k())) })).r;
    expect(second.stopped).toBe(true);
    expect(ck!.partial).toMatchObject({ epoch: 3, step: 5 });
    expect(ck!.net.blocks.map((b) => b.skip)).toEqual(["removed", "removed", "long"]);
    const { r: end, o } = await resumeFrom(ck!);
    expect(end.stopped).toBe(false);
    expect(end.history.map((h) => [h.epoch, h.trainLoss, h.valLoss])).toEqual(full.history.map((h) => [h.epoch, h.trainLoss, h.valLoss]));
    expect(weights(end.model)).toEqual(weights(full.model));
    expect(end.model.net.blocks.map((b) => b.skip)).toEqual(["removed", "removed", "removed"]);
    expect(buffers(o).length).toBeGreaterThan(0);
  });

  it("a QAT student stopped inside an epoch resumes exactly: weights, batch norm statistics and activation scales", async () => {
    // 4-bit weights and ReLU outputs; the KD teacher is a 4-bit QAT run too (its scales frozen, as in the campaign)
    const q = { quantWeightBits: 4, quantActBits: 4, quantEdgeBits: 8 };
    const c = { ...config, ...q, method: "shortener" as const, form: "shortenable" as const, teacher: "t", everyEpochs: 1, epochs: 4 };
    const teacher = (await train({ config: { ...config, ...q, form: "shortenable", epochs: 1 }, data, env })).model;
    const stats = (m: Model) => [...m.stats].map(([k, v]) => [k, Array.from(v.dataSync())] as const).sort((a, b) => (a[0] < b[0] ? -1 : 1));
    expect(stats(teacher).some(([k]) => k.endsWith(".actmax"))).toBe(true);
    const full = await runToEndAsync(startTailor({ config: c, data, env, teacher }));
    let ck: Checkpoint | null = null;
    let steps = 0;
    // epoch 1, step 2 of 5: the scales have moved since the last epoch's checkpoint
    await runToEndAsync(startTailor({ config: c, data, env, teacher, shouldStop: () => ++steps === 8, onStop: (k) => (ck = roundTrip(k())) }));
    expect(ck!.partial).toMatchObject({ epoch: 1, step: 2 });
    const m = modelFromCheckpoint(ck!, "last.ckpt");
    const o = newOptimizer(c);
    restoreOptimizer(o, ck!, "last.ckpt");
    const end = await runToEndAsync(resumeTailorSteps({ config: c, data, env, teacher }, ck!, m, o));
    expect(end.history.map((h) => [h.epoch, h.trainLoss, h.valLoss])).toEqual(full.history.map((h) => [h.epoch, h.trainLoss, h.valLoss]));
    expect(weights(end.model)).toEqual(weights(full.model));
    expect(stats(end.model)).toEqual(stats(full.model));
    expect(end.model.net.blocks.map((b) => b.skip)).toEqual(["shortened", "shortened", "shortened"]);
  });

  it("a run stopped during validation (after its epoch's alteration) resumes exactly: the alteration repeats as a no-op", async () => {
    // 40 validation images in batches of 16: two stop checks between the three batches
    const c = { ...config, method: "remover" as const, teacher: "t", everyEpochs: 1, epochs: 3, valSize: 40, evalBatchSize: 16 };
    const run = { config: c, data, env };
    const teacher = (await train({ ...run, config: { ...c, method: "teacher", teacher: "", epochs: 1 } })).model;
    const full = await runToEndAsync(startTailor({ ...run, teacher }));
    let ck: Checkpoint | null = null;
    let calls = 0;
    // per epoch: 4 steps, 2 checks between validation batches, 1 at the end; call 12 = epoch 1, mid-validation
    const stopped = await runToEndAsync(startTailor({ ...run, teacher, shouldStop: () => ++calls === 12, onStop: (k) => (ck = roundTrip(k())) }));
    expect(stopped.stopped).toBe(true);
    expect(ck!.partial).toMatchObject({ epoch: 1, step: 4 });
    expect(ck!.net.blocks.map((b) => b.skip)).toEqual(["removed", "long", "long"]);
    const m = modelFromCheckpoint(ck!, "last.ckpt");
    const o = newOptimizer(c);
    restoreOptimizer(o, ck!, "last.ckpt");
    const end = await runToEndAsync(resumeTailorSteps({ ...run, teacher }, ck!, m, o));
    expect(end.history.map((h) => [h.epoch, h.trainLoss, h.valLoss])).toEqual(full.history.map((h) => [h.epoch, h.trainLoss, h.valLoss]));
    expect(weights(end.model)).toEqual(weights(full.model));
  });

  it("a corrupt or mismatched checkpoint is a clear error", async () => {
    expect(() => parseCheckpoint('{"format": "tailor-checkpoint-v1", "net": ', "best.ckpt.json")).toThrow(/best.ckpt.json: not valid JSON .*corrupt or truncated/);
    expect(() => parseCheckpoint('{"format": "other"}', "a.json")).toThrow(/a.json: format "other", expected "tailor-checkpoint-v1"/);
    const ck: Checkpoint[] = [];
    await train({ config: { ...config, epochs: 1 }, data, env, onEpoch: (_r, c) => ck.push(c()) });
    const bad = roundTrip(ck[0]);
    bad.params["s0b0.u0.conv.weight"] = { shape: [3, 3, 16, 17], values: new Float32Array(3 * 3 * 16 * 17) };
    expect(() => modelFromCheckpoint(bad, "bad.json")).toThrow(/bad.json: weight "s0b0.u0.conv.weight" has shape \[3,3,16,17\], the network needs \[3,3,16,16\]/);
  });
});
