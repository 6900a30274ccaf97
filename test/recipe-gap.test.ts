/** The batch test's answer (src/report/recipe-gap.ts), worked by hand on made-up runs. */
import { describe, expect, it } from "vitest";
import type { DepthRun } from "../src/report/depth.js";
import { gapAnswer, gapRows } from "../src/report/recipe-gap.js";

const run = (id: string, testTop1?: number, bestEpoch = 38): DepthRun => ({
  id,
  net: "resnet8",
  run: id.split("/")[1],
  method: "teacher",
  state: testTop1 === undefined ? "in progress" : "done",
  epoch: testTop1 === undefined ? 12 : 40,
  epochs: 40,
  bestEpoch: testTop1 === undefined ? undefined : bestEpoch,
  valTop1: testTop1 === undefined ? undefined : testTop1 - 0.01,
  testTop1,
});

describe("does the batch explain the gap", () => {
  it("compares the larger batch with the mean of the base seeds, against what a seed alone moved", () => {
    // base seeds 0.8200 and 0.8240: mean 0.8220, noise 0.40 pp; batch 128 at 0.8400: +1.80 pp, beyond
    const runs = [run("resnet8/teacher", 0.82), run("resnet8/teacher-seed2", 0.824), run("resnet8/teacher-batch128", 0.84)];
    expect(gapAnswer(runs, 32)).toBe(
      "At batch 128, 84.00% test top-1 against 82.20% at batch 32 (mean of 2 seeds, which differ by 0.40 pp): +1.80 pp, beyond what a seed alone moved: the larger batch trains a better teacher at this schedule.",
    );
    // 0.8250: +0.30 pp, within 0.40
    expect(gapAnswer([...runs.slice(0, 2), run("resnet8/teacher-batch128", 0.825)], 32)).toMatch(/: \+0\.30 pp, within what a seed alone moved\.$/);
    // 0.8100: -1.20 pp, beyond, worse
    expect(gapAnswer([...runs.slice(0, 2), run("resnet8/teacher-batch128", 0.81)], 32)).toMatch(/-1\.20 pp, beyond what a seed alone moved: the larger batch trains a worse teacher/);
    expect(gapRows(runs, 32)).toEqual([
      ["resnet8/teacher", 32, 1, "done", 39, "81.00", "82.00"],
      ["resnet8/teacher-seed2", 32, 2, "done", 39, "81.40", "82.40"],
      ["resnet8/teacher-batch128", 128, 1, "done", 39, "83.00", "84.00"],
    ]);
  });

  it("says what is still training, or what is missing", () => {
    expect(gapAnswer([run("resnet8/teacher", 0.82), run("resnet8/teacher-seed2"), run("resnet8/teacher-batch128")], 32)).toBe(
      "Not yet: resnet8/teacher-seed2 in progress (epoch 12 of 40), resnet8/teacher-batch128 in progress (epoch 12 of 40).",
    );
    expect(gapAnswer([run("resnet8/teacher", 0.82), run("resnet8/teacher-batch128", 0.84)], 32)).toMatch(/^Not comparable: two seeds at batch 32/);
  });
});
