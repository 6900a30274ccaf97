// A finished campaign run is a result only when its files agree (src/campaign/verify.ts): each way of going wrong that
// the checks name, built by hand, and a consistent run that passes.
import { describe, expect, it } from "vitest";
import { finishedRunProblem, testRecordProblem, type BestHeader, type FinishedRunFiles } from "../src/campaign/verify.js";
import { resnet8, withAllSkips } from "../src/net/index.js";
import { DEFAULT_CONFIG, type TrainConfig } from "../src/train/config.js";

const plan: TrainConfig = { ...DEFAULT_CONFIG, method: "remover", teacher: "t/best.ckpt", epochs: 14, everyEpochs: 1 };
const best: BestHeader = { config: plan, epoch: 11, net: withAllSkips(resnet8(), "removed"), teacherDigest: "a".repeat(64) };
const files = (o: Partial<FinishedRunFiles> = {}): FinishedRunFiles => ({
  results: { config: plan, bestEpoch: 11, best: { test: { top1: 0.8, count: 10000 } } },
  resultsFile: "r/results.json",
  best,
  bestFile: "r/best.ckpt",
  teacherDigest: "a".repeat(64),
  ...o,
});

describe("a finished run's files", () => {
  it("agree: no problem", () => {
    expect(finishedRunProblem(plan, files())).toBeNull();
  });
  it("results.json of another config: the plan changed after the run", () => {
    expect(finishedRunProblem({ ...plan, epochs: 15 }, files())).toMatch(/^r\/results.json ran with epochs 14 \(the plan: 15\): the plan changed after the run finished/);
  });
  it("best.ckpt missing, of another epoch, or of another config", () => {
    expect(finishedRunProblem(plan, files({ best: null }))).toMatch(/^r\/best.ckpt is missing beside r\/results.json/);
    expect(finishedRunProblem(plan, files({ best: { ...best, epoch: 5 } }))).toMatch(/r\/best.ckpt is of epoch 6, r\/results.json names epoch 12 as the best/);
    expect(finishedRunProblem(plan, files({ best: { ...best, config: { ...plan, seed: 2 } } }))).toMatch(/r\/best.ckpt was trained with seed 2 \(the plan: 1\)/);
  });
  it("a student's checkpoint with a skip not altered (a teacher's file in its folder)", () => {
    const teacherNet = resnet8();
    expect(finishedRunProblem(plan, files({ best: { ...best, net: teacherNet } }))).toMatch(/3 of its 3 skips are not removed \(s0b0 long, s1b0 long, s2b0 long\)/);
    // a teacher's own checkpoint is all long, and that is right for a teacher
    const teacherPlan: TrainConfig = { ...DEFAULT_CONFIG, method: "teacher" };
    expect(finishedRunProblem(teacherPlan, files({ results: { config: teacherPlan, bestEpoch: 11 }, best: { config: teacherPlan, epoch: 11, net: teacherNet }, teacherDigest: null }))).toBeNull();
  });
  it("a student whose teacher was retrained after it", () => {
    expect(finishedRunProblem(plan, files({ teacherDigest: "b".repeat(64) }))).toMatch(/learned from a teacher other than today's t\/best.ckpt \(model aaaaaaaaaaaa\.\.\., now bbbbbbbbbbbb\.\.\.\)/);
  });
  it("test top-1 now against training's record: up to 5 images apart is rounding, 6 is another checkpoint", () => {
    const res = files().results;
    expect(testRecordProblem(res, "r/results.json", 0.8005, 10000)).toBeNull();
    expect(testRecordProblem(res, "r/results.json", 0.7994, 10000)).toMatch(/79.94% now, r\/results.json recorded 80.00% for it \(6 images apart, more than 5\)/);
  });
});
