/** The depth study's plan (issue 15's schedule) and its report: claims C7a/C7b, runs in progress never as results. */
import { describe, expect, it } from "vitest";
import { depthPlan } from "../src/campaign/depth-plan.js";
import { planFromJson, selectRuns, trainFlags } from "../src/campaign/plan.js";
import { lastProgress } from "../src/campaign/status.js";
import type { ClaimSpec } from "../src/report/claims.js";
import { c7aGaps, c7aWaiting, checkC7b, depthRows, type DepthRun } from "../src/report/depth.js";
import { learningRate, skipsAlteredAfterEpoch } from "../src/train/schedule.js";

describe("the depth plan", () => {
  const plan = depthPlan();
  const run = (id: string) => plan.runs.find((r) => r.id === id)!;

  it("has the issue's runs, folders and dependencies", () => {
    expect(plan.runs.map((r) => r.id)).toEqual([
      ...["resnet56", "resnet20", "resnet8"].flatMap((n) => [`${n}/teacher`, `${n}/teacher-shortenable`]),
      ...["resnet8", "resnet20", "resnet56"].flatMap((n) => [`${n}/remover`, `${n}/shortener`, ...(n === "resnet8" ? [] : [`${n}/remover-seed2`, `${n}/shortener-seed2`])]),
      ...["resnet56", "resnet20", "resnet8"].map((n) => `${n}/noskip`),
    ]);
    expect(run("resnet56/shortener").deps).toEqual(["resnet56/teacher-shortenable"]);
    expect(run("resnet56/shortener").config.teacher).toBe("data/runs/depth/resnet56/teacher-shortenable/best.ckpt");
    expect(run("resnet20/remover-seed2").config).toMatchObject({ seed: 2, splitSeed: 1, teacher: "data/runs/depth/resnet20/teacher/best.ckpt" });
    for (const r of plan.runs) expect(r.config).toMatchObject({ valSize: 10000, teacherBn: "batch", batchSize: 32, kdMse: 0.35, kdCe: 0.65, limitTrain: 0, limitEval: 0 });
  });

  it("teachers: 40 epochs, lr x0.1 at 20 and 30; students: one skip per epoch, then 5 epochs at 0.01 and 5 at 0.001", () => {
    const t = run("resnet8/teacher").config;
    expect([t.epochs, learningRate({ lr: t.lr, gamma: t.lrGamma, milestones: t.lrMilestones }, 19), learningRate({ lr: t.lr, gamma: t.lrGamma, milestones: t.lrMilestones }, 20)]).toEqual([40, 0.1, 0.1 * 0.1]);
    for (const [net, skips] of [["resnet8", 3], ["resnet20", 9], ["resnet56", 27]] as const) {
      const c = run(`${net}/shortener`).config;
      const lrs = Array.from({ length: c.epochs }, (_, e) => learningRate({ lr: c.lr, gamma: c.lrGamma, milestones: c.lrMilestones }, e));
      const altered = Array.from({ length: c.epochs }, (_, e) => skipsAlteredAfterEpoch(e, skips, c.everyEpochs)).flat();
      expect(altered).toEqual(Array.from({ length: skips }, (_, k) => k));
      const last = Array.from({ length: c.epochs }, (_, e) => e).filter((e) => skipsAlteredAfterEpoch(e, skips, 1).length).pop()!;
      expect(lrs.slice(0, last + 1).every((l) => l === 0.1)).toBe(true);
      expect(lrs.slice(last + 1).map((l) => +l.toPrecision(3))).toEqual([...Array(5).fill(0.01), ...Array(5).fill(0.001)]);
    }
  });

  it("--only selects by id or net, and an unknown one is an error; train flags give every field", () => {
    expect(selectRuns(plan, "resnet8").map((r) => r.id)).toEqual(["resnet8/teacher", "resnet8/teacher-shortenable", "resnet8/remover", "resnet8/shortener", "resnet8/noskip"]);
    expect(() => selectRuns(plan, "resnet9")).toThrow(/--only: "resnet9" matches no run of plan depth/);
    expect(trainFlags(run("resnet8/remover").config)).toEqual(expect.arrayContaining(["--teacher-bn", "batch", "--val-size", "10000", "--lr-milestones", "4,9", "--epochs", "14"]));
  });

  it("a JSON plan is checked: unknown fields, unknown deps, cycles", () => {
    const p = (runs: unknown[]) => JSON.stringify({ name: "t", root: "runs", runs });
    expect(() => planFromJson(p([{ id: "a/t", config: { lr: 0.1, lrr: 1 } }]), "plan.json")).toThrow(/plan.json: run "a\/t": unknown config field "lrr"/);
    expect(() => planFromJson(p([{ id: "a/s", teacherRun: "a/t", config: { method: "remover" } }]), "plan.json")).toThrow(/plan.json: run "a\/s" depends on "a\/t", which is not in the plan/);
    expect(() => planFromJson(p([{ id: "a/t", deps: ["a/s"] }, { id: "a/s", deps: ["a/t"] }]), "plan.json")).toThrow(/dependency cycle among a\/t, a\/s/);
  });

  it("reads train.ts's progress lines", () => {
    const log = "epoch 3/40 step 200/1250 loss 1.2345 lr 0.10 412 img/s ETA 2.5 h\nepoch 3/40 step 400/1250 loss 1.2 lr 0.10 420 img/s ETA 2.4 h\n";
    expect(lastProgress(log)).toEqual({ epoch: 2, epochs: 40, step: 400, steps: 1250, imagesPerSecond: 420, etaSeconds: 2.4 * 3600 });
  });
});

describe("the depth report", () => {
  const spec: ClaimSpec = { id: "C7b", claim: "", metric: "", paper: 0, unit: "pp", tolerance: 1, group: "accuracy", check: "more-than", and: { metric: "", paper: 0, tolerance: 1, check: "at-least" }, scope: { shallow: "resnet8", deep: "resnet56" } };
  const done = (id: string, method: string, testTop1: number, reference?: string): DepthRun => ({ id, net: id.split("/")[0], run: id.split("/")[1], method, reference, state: "done", epoch: 40, epochs: 40, bestEpoch: 39, valTop1: testTop1, testTop1 });
  const base = [
    done("resnet8/teacher", "teacher", 0.8),
    done("resnet8/remover", "remover", 0.805, "resnet8/teacher"),
    done("resnet56/teacher", "teacher", 0.9),
    done("resnet56/teacher-shortenable", "teacher", 0.9),
  ];

  it("C7b holds when the remover loses more than 1 point more on ResNet-56 and the shortener stays within 1 point", () => {
    // remover gap: ResNet-8 +0.5, ResNet-56 -2.0 -> loss 2.5 pp; shortener gap on ResNet-56 -0.5
    const r = checkC7b(spec, [...base, done("resnet56/remover", "remover", 0.88, "resnet56/teacher"), done("resnet56/shortener", "shortener", 0.895, "resnet56/teacher-shortenable")]);
    expect(r.status).toBe("reproduced at reference");
    expect(r.ours).toBeCloseTo(2.5, 6);
    // loss of only 0.9 pp: the first part fails
    const r2 = checkC7b(spec, [...base, done("resnet56/remover", "remover", 0.896, "resnet56/teacher"), done("resnet56/shortener", "shortener", 0.895, "resnet56/teacher-shortenable")]);
    expect(r2.status).toBe("not attainable");
    expect(r2.reason).toMatch(/SkipRemover loses 0.90 pp from ResNet-8 to ResNet-56, not more than 1 pp/);
    // the shortener 1.5 points below its teacher: the second part fails
    const r3 = checkC7b(spec, [...base, done("resnet56/remover", "remover", 0.8, "resnet56/teacher"), done("resnet56/shortener", "shortener", 0.885, "resnet56/teacher-shortenable")]);
    expect(r3.status).toBe("not attainable");
    expect(r3.reason).toMatch(/SkipShortener's gap on ResNet-56 is -1.50 pp/);
  });

  it("C7b at its exact bounds, from test top-1 values k/10,000: a loss of 1.00 pp fails, a shortener at -1.00 pp holds", () => {
    const runs = (t8: number, r8: number, t56: number, r56: number, ts56: number, s56: number) => [
      done("resnet8/teacher", "teacher", t8 / 1e4),
      done("resnet8/remover", "remover", r8 / 1e4, "resnet8/teacher"),
      done("resnet56/teacher", "teacher", t56 / 1e4),
      done("resnet56/teacher-shortenable", "teacher", ts56 / 1e4),
      done("resnet56/remover", "remover", r56 / 1e4, "resnet56/teacher"),
      done("resnet56/shortener", "shortener", s56 / 1e4, "resnet56/teacher-shortenable"),
    ];
    let cases = 0;
    for (let t8 = 8000; t8 < 8050; t8 += 7)
      for (let d8 = -30; d8 <= 30; d8 += 6)
        for (let t56 = 8600; t56 < 8750; t56 += 11) {
          const ts56 = t56 - 150;
          // the remover loses exactly 100 images (1.00 pp) more on ResNet-56: not more than 1 pp; the shortener is
          // exactly 100 images (-1.00 pp) below its teacher: no worse than -1 pp
          const r = checkC7b(spec, runs(t8, t8 + d8, t56, t56 + d8 - 100, ts56, ts56 - 100));
          expect(r.reason, `t8 ${t8} d8 ${d8} t56 ${t56}: ${r.ours}`).toBe("SkipRemover loses 1.00 pp from ResNet-8 to ResNet-56, not more than 1 pp");
          expect(r.status).toBe("not attainable");
          // one image more of loss: both parts hold
          expect(checkC7b(spec, runs(t8, t8 + d8, t56, t56 + d8 - 101, ts56, ts56 - 100)).status).toBe("reproduced at reference");
          cases++;
        }
    expect(cases).toBeGreaterThan(500);
  });

  it("C7b's value is the remover's loss and, beside it, the shortener's gap (the table shows both)", () => {
    // the remover part holds (loss 2 pp), the shortener part fails (-2 pp): the result carries both values
    const r = checkC7b(spec, [...base, done("resnet56/remover", "remover", 0.875, "resnet56/teacher"), done("resnet56/shortener", "shortener", 0.88, "resnet56/teacher-shortenable")]);
    expect(r).toMatchObject({ status: "not attainable", atReference: false, ours: expect.closeTo(3, 6), andOurs: expect.closeTo(-2, 6) });
    expect(r.reason).toBe("SkipShortener's gap on ResNet-56 is -2.00 pp, below -1 pp");
    // one-sided: a shortener 3 points above its teacher passes
    expect(checkC7b(spec, [...base, done("resnet56/remover", "remover", 0.875, "resnet56/teacher"), done("resnet56/shortener", "shortener", 0.93, "resnet56/teacher-shortenable")]).status).toBe("reproduced at reference");
  });

  it("C7b's value is the first seeds'; a second seed of the deep students is printed beside it, finished or not", () => {
    const first = [...base, done("resnet56/remover", "remover", 0.88, "resnet56/teacher"), done("resnet56/shortener", "shortener", 0.895, "resnet56/teacher-shortenable")];
    // seed 2: remover 1.0 below its teacher (gap -1.00, loss 1.50 against ResNet-8's +0.50), shortener +0.30
    const seed2 = [done("resnet56/remover-seed2", "remover", 0.89, "resnet56/teacher"), done("resnet56/shortener-seed2", "shortener", 0.903, "resnet56/teacher-shortenable")];
    const r = checkC7b(spec, [...first, ...seed2]);
    expect(r).toMatchObject({ status: "reproduced at reference", ours: expect.closeTo(2.5, 6), andOurs: expect.closeTo(-0.5, 6) });
    expect(r.configuration).toMatch(/; another seed of the ResNet-56 students \(not in the value\): resnet56\/remover-seed2 SkipRemover gap -1\.00 pp \(loss 1\.50 pp against ResNet-8's first seed\), resnet56\/shortener-seed2 SkipShortener gap \+0\.30 pp$/);
    // one still training: named with its epoch, and the value is the same
    const training: DepthRun = { ...seed2[1], state: "in progress", epoch: 3, epochs: 38, testTop1: undefined };
    const r2 = checkC7b(spec, [...first, seed2[0], training]);
    expect(r2.ours).toBeCloseTo(2.5, 6);
    expect(r2.configuration).toMatch(/resnet56\/remover-seed2 SkipRemover gap -1\.00 pp \(loss 1\.50 pp against ResNet-8's first seed\); another seed not finished: resnet56\/shortener-seed2 in progress \(epoch 3 of 38\)$/);
    // without them, nothing is added
    expect(checkC7b(spec, first).configuration).not.toMatch(/another seed/);
  });

  it("a run in progress is shown as such, never as a result, and C7b waits for it", () => {
    const running: DepthRun = { id: "resnet56/remover", net: "resnet56", run: "remover", method: "remover", reference: "resnet56/teacher", state: "in progress", epoch: 12, epochs: 38, testTop1: 0.5 };
    const runs = [...base, running, done("resnet56/shortener", "shortener", 0.895, "resnet56/teacher-shortenable")];
    const rows = depthRows(runs);
    // shallowest network first, each student right after its own teacher, whatever order the runs came in
    expect(rows.map((row) => `${row[0]}/${row[1]}`)).toEqual(["resnet8/teacher", "resnet8/remover", "resnet56/teacher", "resnet56/remover", "resnet56/teacher-shortenable", "resnet56/shortener"]);
    expect(rows[3]).toEqual(["resnet56", "remover", "remover", "in progress (epoch 12 of 38)", "", "", "", "", "resnet56/teacher", ""]);
    // a finished run shows its training hours; a run in progress shows none, even if it carries a figure
    expect(depthRows([{ ...runs[1], trainHours: 0.25 }, { ...running, trainHours: 3 }]).map((row) => row[9])).toEqual([0.25, ""]);
    // accuracies and gaps always to 2 decimals, a whole number too (a val top-1 of exactly 86% is "86.00", not "86")
    expect(depthRows([{ ...runs[1], valTop1: 0.86, testTop1: 0.8, trainHours: 0.25 }, runs[0]])[1].slice(5, 8)).toEqual(["86.00", "80.00", "0.00"]);
    const r = checkC7b(spec, runs);
    expect(r).toMatchObject({ status: "in progress", ours: null, reason: "in progress: resnet56/remover in progress (epoch 12 of 38)" });
    expect(c7aGaps(runs, ["resnet8", "resnet20"])).toEqual([["depth resnet8/remover", expect.closeTo(0.5, 6)]]);
    // what C7a's value does not include yet: a ResNet-20 student not started and its teacher training (once each)
    const notStarted: DepthRun = { id: "resnet20/remover", net: "resnet20", run: "remover", method: "remover", reference: "resnet20/teacher", state: "not started", epoch: 0, epochs: 20 };
    const teacher20: DepthRun = { id: "resnet20/teacher", net: "resnet20", run: "teacher", method: "teacher", state: "in progress", epoch: 3, epochs: 40 };
    const seed2: DepthRun = { ...notStarted, id: "resnet20/remover-seed2", run: "remover-seed2" };
    expect(c7aWaiting([...runs, teacher20, notStarted, seed2], ["resnet8", "resnet20"]).map((w) => w.label)).toEqual(["resnet20/remover not started", "resnet20/teacher in progress (epoch 3 of 40)", "resnet20/remover-seed2 not started"]);
    expect(c7aWaiting(base, ["resnet8", "resnet20"])).toEqual([]);
    // the scope decides: ResNet-20 outside it, nothing of it is waited for
    expect(c7aWaiting([...runs, teacher20, notStarted, seed2], ["resnet8"])).toEqual([]);
  });

  it("a run that failed or does not verify makes C7b 'not computed' (it would wait forever), naming why", () => {
    const failed: DepthRun = { id: "resnet56/remover", net: "resnet56", run: "remover", method: "remover", reference: "resnet56/teacher", state: "failed", note: "diverged at step 7", epoch: 12, epochs: 38 };
    const r = checkC7b(spec, [...base, failed, done("resnet56/shortener", "shortener", 0.895, "resnet56/teacher-shortenable")]);
    expect(r).toMatchObject({ status: "not computed", ours: null });
    expect(r.reason).toMatch(/^not computed: resnet56\/remover failed: diverged at step 7 \(the depth campaign/);
    const invalid: DepthRun = { ...done("resnet56/shortener", "shortener", 0.895, "resnet56/teacher-shortenable"), state: "invalid", note: "best.ckpt is missing" };
    const r2 = checkC7b(spec, [...base, done("resnet56/remover", "remover", 0.88, "resnet56/teacher"), invalid]);
    expect(r2.reason).toMatch(/^not computed: resnet56\/shortener invalid: best.ckpt is missing/);
    expect(depthRows([invalid])[0].slice(3, 7)).toEqual(["invalid: best.ckpt is missing", "", "", ""]);
  });
});
