// The authors' 200-epoch ResNet-8 recipe as a campaign plan (issue 28): their settings, checked field by field
// against the recipe as DESIGN.md section 2 states it from their code.
import { describe, expect, it } from "vitest";
import { depthPlan } from "../src/campaign/depth-plan.js";
import { bestCheckpointOf } from "../src/campaign/plan.js";
import { recipePlan } from "../src/campaign/recipe-plan.js";
import { learningRate, skipsAlteredAfterEpoch } from "../src/train/schedule.js";

describe("the recipe plan", () => {
  const plan = recipePlan();
  const run = (id: string) => plan.runs.find((r) => r.id === id)!;
  it("has both teachers and Tailor's two students, each student after its own teacher", () => {
    expect(plan.root).toBe("data/runs/recipe");
    expect(plan.runs.map((r) => [r.id, r.deps])).toEqual([
      ["resnet8/teacher", []],
      ["resnet8/teacher-shortenable", []],
      ["resnet8/remover", ["resnet8/teacher"]],
      ["resnet8/shortener", ["resnet8/teacher-shortenable"]],
    ]);
    expect(run("resnet8/shortener").config).toMatchObject({ method: "shortener", form: "shortenable", teacher: bestCheckpointOf(plan, "resnet8/teacher-shortenable") });
    expect(run("resnet8/remover").config).toMatchObject({ method: "remover", form: "plain", teacher: bestCheckpointOf(plan, "resnet8/teacher") });
  });
  it("every run takes the authors' recipe: 200 epochs, batch 32, SGD Nesterov, StepLR 30 x 0.1, a skip every 3 epochs", () => {
    for (const r of plan.runs) {
      expect(r.config, r.id).toMatchObject({ epochs: 200, batchSize: 32, lr: 0.1, momentum: 0.9, weightDecay: 1e-4, nesterov: true, lrStep: 30, lrGamma: 0.1, lrMilestones: [], everyEpochs: 3, kdMse: 0.35, kdCe: 0.65, teacherBn: "batch", valSize: 10_000 });
      const lr = (e: number) => learningRate({ lr: r.config.lr, gamma: r.config.lrGamma, stepEvery: r.config.lrStep }, e);
      expect([0, 29, 30, 59, 60, 199].map((e) => +lr(e).toPrecision(3))).toEqual([0.1, 0.1, 0.01, 0.01, 0.001, 1e-7]);
    }
    // ResNet-8's three skips altered at the end of 0-indexed epochs 3, 6 and 9, as DESIGN.md section 2 reads the authors' code
    const after = Array.from({ length: 12 }, (_, e) => skipsAlteredAfterEpoch(e, 3, 3));
    expect(after.flatMap((ks, e) => ks.map((k) => [e, k]))).toEqual([[3, 0], [6, 1], [9, 2]]);
    // the depth study's validation split and seeds: the two studies differ in the schedule alone
    const d = depthPlan().runs.find((r) => r.id === "resnet8/teacher")!.config;
    expect(run("resnet8/teacher").config).toMatchObject({ splitSeed: d.splitSeed, seed: d.seed, evalBatchSize: d.evalBatchSize });
  });
});

describe("seeds", () => {
  it("are 32-bit unsigned integers: a larger one is an error, not a silent wrap to another seed", async () => {
    const { DEFAULT_CONFIG, MAX_SEED, validateConfig } = await import("../src/train/config.js");
    expect(() => validateConfig({ ...DEFAULT_CONFIG, seed: MAX_SEED })).not.toThrow();
    expect(() => validateConfig({ ...DEFAULT_CONFIG, seed: 2 ** 32 + 1 })).toThrow(`seed: expected an integer from 0 to ${2 ** 32 - 1}, got ${2 ** 32 + 1}`);
    expect(() => validateConfig({ ...DEFAULT_CONFIG, splitSeed: 2 ** 40 })).toThrow(/^splitSeed: expected an integer from 0 to 4294967295/);
  });
});
