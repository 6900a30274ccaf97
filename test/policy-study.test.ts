/**
 * The policy study's answer (issue 27, item 4), worked by hand on made-up points: the seed noise, which mixed policy
 * beats which pure one, the sentence, and the points built from runs with the cost model's own numbers.
 */
import { describe, expect, it } from "vitest";
import { loadClaimSpecs } from "../src/experiment/index.js";
import { loadCostConfig } from "../src/handoff/cost-config.js";
import type { DepthRun } from "../src/report/depth.js";
import { peReferenceConfig } from "../src/report/hardware-claims.js";
import { costPolicy, policyNets } from "../src/report/policy-front.js";
import { policyAnswer, policyFigure, policyPoints, policyVerdicts, seedNoise, type PolicyPoint } from "../src/report/policy-study.js";

const pt = (id: string, kind: PolicyPoint["kind"], policy: string, bram18: number, top1: number | undefined, seed = 1, state: PolicyPoint["state"] = "done"): PolicyPoint => ({
  net: "resnet20",
  id,
  policy,
  form: policy.includes("S") ? "shortenable" : "plain",
  kind,
  seed,
  removed: [...policy].filter((c) => c === "R").length,
  bram18,
  lut: 0,
  state,
  testTop1: top1,
});

describe("the answer, worked by hand", () => {
  const pure = [
    pt("resnet20/teacher", "teacher", "LLL", 184, 0.92),
    pt("resnet20/remover", "pure", "RRR", 166, 0.9),
    pt("resnet20/remover-seed2", "pure", "RRR", 166, 0.903),
    pt("resnet20/shortener", "pure", "SSS", 177, 0.915),
    pt("resnet20/shortener-seed2", "pure", "SSS", 177, 0.91),
  ];

  it("the seed noise is the largest difference between a pure student's seeds, within one network", () => {
    // remover 0.003, shortener 0.005
    expect(seedNoise(pure)).toBeCloseTo(0.005, 12);
    // another network's SkipRemover, 2 points lower, is not a seed of ResNet-20's
    expect(seedNoise([...pure, { ...pure[1], net: "resnet56", id: "resnet56/remover", testTop1: 0.88 }])).toBeCloseTo(0.005, 12);
  });

  it("a mixed policy beats a pure one with less BRAM18 at no lower accuracy beyond the noise, or more accuracy at no more BRAM18", () => {
    const mixed = [
      // 168 < 177 and 0.912 >= 0.915 - 0.005: beats S; 168 > 166: more BRAM18 than R, and 0.912 - 0.900 = 0.012 > noise but BRAM18 is higher: not R
      pt("resnet20/policy-sls", "mixed", "SLS", 168, 0.912),
      // 166 <= 166 and 0.911 - 0.900 = 0.011 > 0.005: beats R; 166 < 177 and 0.911 - 0.915 = -0.004 >= -0.005: beats S
      // (each read at the pure policy's seed-1 run)
      pt("resnet20/policy-srr", "mixed", "SRR", 166, 0.911),
      // 170 < 177 but 0.905 < 0.915 - 0.005: not S; 170 > 166: not R
      pt("resnet20/policy-lrr", "mixed", "LRR", 170, 0.905),
      pt("resnet20/policy-rrs", "mixed", "RRS", 170, undefined, 1, "in progress"),
    ];
    const v = policyVerdicts([...pure, ...mixed], seedNoise(pure));
    expect(v).toEqual([
      { id: "resnet20/policy-sls", policy: "SLS", beats: { R: false, S: true } },
      { id: "resnet20/policy-srr", policy: "SRR", beats: { R: true, S: true } },
      { id: "resnet20/policy-lrr", policy: "LRR", beats: { R: false, S: false } },
    ]);
    expect(policyAnswer("resnet20", [...pure, ...mixed])).toBe(
      "ResNet-20: 3 of 4 mixed policies trained (seed noise 0.50 pp, the largest top-1 difference between two seeds of a pure student). Beats both pure policies: SRR.",
    );
    const f = policyFigure("resnet20", [...pure, ...mixed]);
    // per panel: teacher, R, S, mixed markers and the front; the unfinished run is counted in the caption
    expect(f.data.filter((t) => t.mode === "markers")).toHaveLength(8);
    expect(JSON.stringify(f.layout.annotations)).toContain("Not shown: runs not finished (1)");
  });

  it("says so when the pure runs are missing", () => {
    expect(policyVerdicts([pt("resnet20/policy-srr", "mixed", "SRR", 166, 0.906)], null)).toBeNull();
    expect(policyAnswer("resnet20", [pt("resnet20/policy-srr", "mixed", "SRR", 166, 0.906)])).toMatch(/nothing is compared yet/);
  });
});

describe("the points of the study", () => {
  it("each run with its policy's cost at the reference and its own accuracy", () => {
    const hls = loadCostConfig("reference");
    const pe = peReferenceConfig("pe-scalesim-cgra4ml", loadClaimSpecs().references["pe-scalesim-cgra4ml"]);
    const run = (id: string, testTop1?: number): DepthRun => ({ id, net: "resnet8", run: id.split("/")[1], method: "x", state: testTop1 === undefined ? "in progress" : "done", epoch: 1, epochs: 1, testTop1 });
    const depth = [run("resnet8/teacher", 0.88), run("resnet8/remover", 0.87), run("resnet8/shortener", 0.875), run("resnet8/noskip", 0.8)];
    const pts = policyPoints("resnet8", depth, [run("resnet8/policy-srl")], () => "SRL", hls, pe);
    expect(pts.map((p) => [p.id, p.kind, p.policy, p.form])).toEqual([
      ["resnet8/teacher", "teacher", "LLL", "plain"],
      ["resnet8/remover", "pure", "RRR", "plain"],
      ["resnet8/shortener", "pure", "SSS", "shortenable"],
      ["resnet8/policy-srl", "mixed", "SRL", "shortenable"],
    ]);
    const nets = policyNets("resnet8");
    expect(pts[3].bram18).toBe(costPolicy(nets, "SRL", hls, pe, new Map()).bram18);
    expect(pts[1].lut).toBe(costPolicy(nets, "RRR", hls, pe, new Map()).lut);
    expect(pts[3].state).toBe("in progress");
  });
});

describe("notebook 06's budget view", () => {
  it("lists the front policies meeting the budget, fewest removed first, with the trained top-1 from policy-study.csv", async () => {
    const { policyBudgetView } = await import("../src/report/policy-views.js");
    const fs = await import("node:fs");
    const os = await import("node:os");
    const path = await import("node:path");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "policy-view-"));
    fs.writeFileSync(path.join(dir, "policy-study.csv"), "network,run,kind,policy,removed skips,BRAM18,LUT,test top-1 %,state\nResNet-8,resnet8/policy-srr,mixed,SRR,2,66,24890,88.10,done\n");
    // ResNet-8 at the reference: the BRAM18 front SLL 68, SLR 67, SRR 66 (test/policy-choice.test.ts); LUT below 26000
    // leaves the policies with at least one removed skip and few kept ones
    const text = policyBudgetView("resnet8", { bram18: 67, lut: 26000 }, dir);
    const rows = [...text.matchAll(/^\| ([LSR]+) \| (\d+) \| (\d+) \| (\d+) \| (.*) \|$/gm)].map((m) => ({ policy: m[1], removed: Number(m[2]), bram18: Number(m[3]), lut: Number(m[4]), trained: m[5] }));
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) expect(r.bram18 <= 67 && r.lut <= 26000).toBe(true);
    expect(rows.map((r) => r.removed)).toEqual([...rows.map((r) => r.removed)].sort((a, b) => a - b));
    expect(rows.find((r) => r.policy === "SRR")?.trained).toBe("88.10 (resnet8/policy-srr)");
    expect(policyBudgetView("resnet8", { bram18: 1 }, dir)).toMatch(/^No policy of the fronts meets bram18 <= 1\. The cheapest by BRAM18:/);
  });
});
