/** The batch test's answer (src/report/recipe-gap.ts), worked by hand on made-up runs. */
import { describe, expect, it } from "vitest";
import { gapAnswer, gapRows, type GapRun } from "../src/report/recipe-gap.js";

const run = (id: string, batch: number, seed: number, testTop1?: number, state: GapRun["state"] = testTop1 === undefined ? "in progress" : "done"): GapRun => ({
  id,
  net: "resnet8",
  run: id.split("/")[1],
  method: "teacher",
  state,
  epoch: state === "done" ? 40 : 12,
  epochs: 40,
  bestEpoch: state === "done" ? 38 : undefined,
  valTop1: testTop1 === undefined ? undefined : testTop1 - 0.01,
  testTop1,
  batch,
  seed,
});

describe("does the batch explain the gap", () => {
  const seeds = [run("resnet8/teacher", 32, 1, 0.82), run("resnet8/teacher-seed2", 32, 2, 0.824)];

  it("compares the larger batch with the mean of the base seeds, against the seeds' spread", () => {
    // base seeds 0.8200 and 0.8240: mean 0.8220, spread 0.40 pp; batch 128 at 0.8400: +1.80 pp, beyond
    const runs = [...seeds, run("resnet8/teacher-batch128", 128, 1, 0.84)];
    expect(gapAnswer(runs, 32, 40)).toBe(
      "At batch 128 (one run; 40 epochs, so 4x fewer steps than at batch 32, at the same learning-rate milestones), 84.00% test top-1 against 82.20% at batch 32 " +
        "(mean of 2 seeds, which differ by 0.40 pp): +1.80 pp, beyond the spread of the seeds at batch 32. At this schedule the larger batch gave a better teacher; " +
        "whether it would at the recipe's 200 epochs is not tested.",
    );
    // 0.8250: +0.30 pp, within 0.40
    expect(gapAnswer([...seeds, run("resnet8/teacher-batch128", 128, 1, 0.825)], 32, 40)).toMatch(/: \+0\.30 pp, within the spread of the seeds at batch 32\.$/);
    // 0.8100: -1.20 pp, beyond, worse
    expect(gapAnswer([...seeds, run("resnet8/teacher-batch128", 128, 1, 0.81)], 32, 40)).toMatch(/-1\.20 pp, beyond the spread .* the larger batch gave a worse teacher/);
    expect(gapRows(runs)).toEqual([
      ["resnet8/teacher", 32, 1, "done", 39, "81.00", "82.00"],
      ["resnet8/teacher-seed2", 32, 2, "done", 39, "81.40", "82.40"],
      ["resnet8/teacher-batch128", 128, 1, "done", 39, "83.00", "84.00"],
    ]);
  });

  it("reads batch and seed from what each run trained at, not from its id", () => {
    // an id that names no batch but a run that trained at 128 is the larger batch
    expect(gapAnswer([...seeds, run("resnet8/teacher-b", 128, 1, 0.84)], 32, 40)).toMatch(/^At batch 128 .*\+1\.80 pp/);
  });

  it("says what is still training, what went wrong, or what is missing", () => {
    expect(gapAnswer([seeds[0], run("resnet8/teacher-seed2", 32, 2), run("resnet8/teacher-batch128", 128, 1)], 32, 40)).toBe(
      "Not yet: resnet8/teacher-seed2 in progress (epoch 12 of 40), resnet8/teacher-batch128 in progress (epoch 12 of 40).",
    );
    expect(gapAnswer([...seeds, { ...run("resnet8/teacher-batch128", 128, 1, undefined, "failed"), note: "exit 1" }], 32, 40)).toBe("Not computed: resnet8/teacher-batch128 failed (exit 1).");
    expect(gapAnswer([seeds[0], run("resnet8/teacher-batch128", 128, 1, 0.84)], 32, 40)).toMatch(/^Not comparable: two seeds at batch 32/);
  });
});
