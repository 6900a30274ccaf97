// C7a's verdict (src/report/accuracy-report.ts checkC7a), worked by hand: the worst Tailor student against its own
// teacher, over the ResNet-8 short-schedule runs and the depth study's students of the claim's networks.
import { describe, expect, it } from "vitest";
import type { ClaimSpec } from "../src/experiment/index.js";
import type { RunAccuracy } from "../src/report/accuracy.js";
import { checkC7a } from "../src/report/accuracy-report.js";
import type { DepthRun } from "../src/report/depth.js";
import type { AccuracyEvidence } from "../src/report/run-evaluation.js";

const C7a: ClaimSpec = { id: "C7a", claim: "", metric: "", paper: 0, unit: "pp", tolerance: 1, group: "accuracy", check: "at-least", scope: { nets: ["resnet8", "resnet20"], shortRuns: true } };

const short = (run: string, method: string, testTop1: number): RunAccuracy => ({ run, method, seed: 1, skipModes: [], epoch: 0, valTop1: 0, valTop5: 0, testTop1, testTop5: 0 });
const depth = (id: string, method: string, testTop1: number | undefined, state: DepthRun["state"] = "done"): DepthRun => {
  const [net, run] = id.split("/");
  const reference = method === "remover" ? `${net}/teacher` : method === "shortener" ? `${net}/teacher-shortenable` : undefined;
  return { id, net, run, method, reference, state, epoch: 1, epochs: 1, testTop1 };
};
const SHORT = [short("teacher", "teacher", 0.8), short("remover", "remover", 0.795), short("remover-seed2", "remover", 0.79), short("teacher-shortenable", "teacher", 0.81), short("shortener", "shortener", 0.812)];
const DEPTH = [depth("resnet8/teacher", "teacher", 0.83), depth("resnet8/remover", "remover", 0.826), depth("resnet20/teacher-shortenable", "teacher", 0.86), depth("resnet20/shortener", "shortener", 0.855)];
const ev = (s: RunAccuracy[], d: DepthRun[]): AccuracyEvidence => ({ short: { where: "data/runs/x", runs: s, seeded: [], curves: new Map() }, depth: { runs: d, curves: new Map() }, recipe: { runs: [], curves: new Map(), released: [], gap: [], gapEpochs: 40 }, codesign: [], policy: [], invalid: [], part: undefined as never });

describe("claim C7a", () => {
  it("is the worst student's gap, each against its own teacher, named with its seed", () => {
    const r = checkC7a(C7a, ev(SHORT, DEPTH));
    // gaps: SkipRemover -0.50, SkipRemover (seed2) -1.00, SkipShortener +0.20, depth resnet8/remover -0.40, depth resnet20/shortener -0.50
    expect(r.ours).toBeCloseTo(-1.0, 9);
    expect(r.status).toBe("reproduced at reference"); // at-least 0 - 1, inclusive
    expect(r.configuration).toBe(
      "SkipRemover -0.50 pp, SkipRemover (seed2) -1.00 pp, SkipShortener +0.20 pp, depth resnet8/remover -0.40 pp, depth resnet20/shortener -0.50 pp (test top-1 vs own teacher; data/runs/x, data/runs/depth)",
    );
  });
  it("a worse depth student decides, and says which schedule it had", () => {
    const worse = [...DEPTH.slice(0, 3), depth("resnet20/shortener", "shortener", 0.845)];
    const r = checkC7a(C7a, ev(SHORT, worse));
    expect(r.ours).toBeCloseTo(-1.5, 9);
    expect(r.status).not.toBe("reproduced at reference");
    expect(r.reason).toBe("depth resnet20/shortener loses 1.50 pp with the depth study's schedule (teachers 40 epochs; the paper trains for 200)");
  });
  it("counts only the networks of its scope", () => {
    const worse = [...DEPTH.slice(0, 3), depth("resnet20/shortener", "shortener", 0.7)];
    expect(checkC7a({ ...C7a, scope: { nets: ["resnet8"], shortRuns: true } }, ev(SHORT, worse)).ours).toBeCloseTo(-1.0, 9);
  });
  it("waits for the depth students of its scope, and is not computed without the short runs' core checkpoints", () => {
    const training = [...DEPTH.slice(0, 3), depth("resnet20/shortener", "shortener", undefined, "in progress")];
    expect(checkC7a(C7a, ev(SHORT, training))).toMatchObject({ status: "in progress", ours: null });
    const r = checkC7a(C7a, ev(SHORT.filter((s) => s.run !== "shortener"), DEPTH));
    expect(r).toMatchObject({ status: "not computed", ours: null });
    expect(r.reason).toBe("checkpoints missing: shortener under data/runs/x (npm run train:cifar)");
  });
});
