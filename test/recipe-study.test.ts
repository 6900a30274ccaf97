// The recipe report (issue 28): rows and sentences worked by hand from made-up runs, the committed released-checkpoint
// file read and a malformed one refused, C7a at this schedule checked as the claim checks it.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { claimSpec, loadClaimSpecs } from "../src/experiment/index.js";
import type { Curve } from "../src/report/accuracy-figures.js";
import type { DepthRun } from "../src/report/depth.js";
import { bestSoFar, loadReleasedCheckpoints, recipeAnswer, recipeRows, RELEASED_CHECKPOINTS_FILE } from "../src/report/recipe-study.js";
import type { EpochRecord } from "../src/train/checkpoint.js";

const ROOT = path.resolve(__dirname, "..");
const C7A = claimSpec(loadClaimSpecs(), "C7a");
const released = loadReleasedCheckpoints(path.join(ROOT, RELEASED_CHECKPOINTS_FILE));

const run = (run: string, method: string, o: Partial<DepthRun> = {}): DepthRun => ({
  id: `resnet8/${run}`,
  net: "resnet8",
  run,
  method,
  reference: method === "remover" ? "resnet8/teacher" : method === "shortener" ? "resnet8/teacher-shortenable" : undefined,
  state: "not started",
  epoch: 0,
  epochs: 200,
  ...o,
});
const rec = (epoch: number, valLoss: number, valTop1: number) => ({ epoch, valLoss, valTop1 }) as EpochRecord;

describe("the recipe study", () => {
  it("reads the committed released checkpoints and refuses a malformed file, naming the field", () => {
    expect(released.map((c) => [c.role, c.epoch])).toEqual([
      ["teacher", 148],
      ["teacher-shortenable", 156],
    ]);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tailor-released-"));
    const bad = path.join(dir, "r.json");
    fs.writeFileSync(bad, JSON.stringify({ checkpoints: [{ role: "teacher", net: "resnet8", epoch: 148, valTop1: 87 }] }));
    expect(() => loadReleasedCheckpoints(bad)).toThrow(`${bad}: checkpoints[0].valTop1: expected a fraction in (0, 1], got 87`);
    fs.writeFileSync(bad, JSON.stringify({ checkpoints: [{ role: "teacher", net: "resnet8", epoch: 148, valTop1: 0.875 }] }));
    expect(() => loadReleasedCheckpoints(bad)).toThrow(`${bad}: checkpoints[0].valTop1: expected two digits, as a checkpoint's file name gives them (0.87), got 0.875`);
    fs.writeFileSync(bad, "{");
    expect(() => loadReleasedCheckpoints(bad)).toThrow(new RegExp(`^${bad}: `));
  });

  it("keeps the lowest validation loss so far, not the highest top-1", () => {
    const c: Curve = { run: "teacher", method: "teacher", history: [rec(0, 1.2, 0.6), rec(1, 0.9, 0.7), rec(2, 0.95, 0.72)] };
    expect(bestSoFar(c)).toEqual({ epoch: 1, valTop1: 0.7 });
    expect(bestSoFar(undefined)).toBeNull();
  });

  it("while training: the best so far beside the authors', and C7a not yet", () => {
    const runs = [run("teacher", "teacher", { state: "in progress", epoch: 114 }), run("teacher-shortenable", "teacher", { state: "in progress", epoch: 114 }), run("remover", "remover"), run("shortener", "shortener")];
    const curves = new Map<string, Curve>([["resnet8/teacher", { run: "teacher", method: "teacher", history: [rec(94, 0.6, 0.84), rec(95, 0.55, 0.8411)] }]]);
    const rows = recipeRows(runs, curves, released);
    expect(rows[0]).toEqual(["resnet8/teacher", "in progress (epoch 114 of 200)", "96 so far", "84.11 so far", "", "", "87 (149)"]);
    expect(rows[1][2]).toBe("");
    const text = recipeAnswer(runs, curves, released, [], C7A);
    expect(text[0]).toBe("resnet8/teacher: in progress (epoch 114 of 200), best so far 84.11% validation top-1 at epoch 96; the authors' released checkpoint: 87% (rounded to two digits in its file name: 86.5-87.5%) at epoch 149 (148 in its file name, which counts from 0).");
    expect(text[2]).toMatch(/^C7a at this schedule: not yet \(resnet8\/remover not started, resnet8\/shortener not started\)\.$/);
  });

  it("done: each student against its own teacher, the worst checked with C7a's tolerance, beside the depth study", () => {
    const done = (r: DepthRun, testTop1: number, valTop1: number, bestEpoch: number): DepthRun => ({ ...r, state: "done", epoch: 200, testTop1, valTop1, bestEpoch });
    const runs = [
      done(run("teacher", "teacher"), 0.87, 0.868, 150),
      done(run("teacher-shortenable", "teacher"), 0.875, 0.871, 160),
      done(run("remover", "remover"), 0.8555, 0.86, 190),
      done(run("shortener", "shortener"), 0.8761, 0.87, 185),
    ];
    const depth: DepthRun[] = [
      { ...runs[0], id: "resnet8/teacher", epochs: 40, testTop1: 0.83 },
      { ...runs[2], id: "resnet8/remover", epochs: 40, testTop1: 0.827 },
    ];
    const rows = recipeRows(runs, new Map(), released);
    // 85.55 - 87.00 = -1.45; 87.61 - 87.50 = +0.11 (hand-worked)
    expect(rows.map((r) => r[5])).toEqual(["", "", "-1.45", "0.11"]);
    expect(rows[0].slice(2, 5)).toEqual(["151", "86.80", "87.00"]);
    const text = recipeAnswer(runs, new Map(), released, depth, C7A);
    expect(text[0]).toBe("resnet8/teacher: validation top-1 86.80% at epoch 151 of 200, test top-1 87.00%; the authors' released checkpoint: 87% (rounded to two digits in its file name: 86.5-87.5%) at epoch 149 (148 in its file name, which counts from 0).");
    // -1.45 is below 0 - 1 (C7a: at least 0 pp, tolerance 1): fails; the depth study's ResNet-8 remover: 82.70 - 83.00 = -0.30
    expect(text[2]).toBe(
      "C7a at this schedule: SkipRemover -1.45 pp, SkipShortener +0.11 pp against their own teachers (test top-1); the worst, -1.45 pp, fails the claim's 0 pp with our tolerance of 1 pp. The depth study's 40-epoch students of the same network: SkipRemover -0.30 pp.",
    );
    const better = runs.map((r) => (r.run === "remover" ? { ...r, testTop1: 0.8605 } : r));
    expect(recipeAnswer(better, new Map(), released, depth, C7A)[2]).toMatch(/the worst, -0\.95 pp, holds the claim's 0 pp/);
  });
});
