/**
 * The rule that chose the trained per-skip policies (docs/policy-rule.md): its steps on costs worked by hand, its
 * search against the exhaustive front, the committed choice against the rule's last step, and the plan built from it.
 */
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { formatRunId, loadClaimSpecs, parseRunId } from "../src/experiment/index.js";
import { loadCostConfig } from "../src/handoff/cost-config.js";
import { depthPlan, SECOND_SEED_NETS } from "../src/campaign/depth-plan.js";
import { loadPolicyChoice, policyPlan, SECOND_SEEDS } from "../src/campaign/policy-plan.js";
import { BUILT_IN_PLAN_INFO } from "../src/campaign/paths.js";
import { planFolders, plansSharedWith, runDir } from "../src/campaign/plan.js";
import { peReferenceConfig } from "../src/report/hardware-claims.js";
import { additiveRemovalSearch, candidates, chooseEvenly, removalFront, removedSkips, searchGap } from "../src/report/policy-choice.js";
import { policyCosts, withinBudget, type PolicyCost } from "../src/report/policy-front.js";
import { runScript } from "./helpers/spawn.js";

const cost = (policy: string, bram18: number, lut: number, form?: "plain" | "shortenable"): PolicyCost => ({
  policy,
  form: form ?? (policy.includes("S") ? "shortenable" : "plain"),
  altered: [...policy].filter((c) => c !== "L").length,
  bram18,
  lut,
  ff: 0,
  dsp: 0,
  latency: 0,
  fits: true,
  dram: 0,
  cycles: 0,
});

describe("the rule's steps, on costs worked by hand", () => {
  const costs = [
    cost("LLL", 100, 900),
    cost("LLL", 100, 950, "shortenable"), // the shortenable teacher: not a policy of its own
    cost("SLL", 90, 960),
    cost("LSL", 90, 940), // same BRAM18 as SLL, less LUT: the BRAM18 front's r = 0 point
    cost("SSS", 95, 800),
    cost("RLL", 92, 850),
    cost("SRS", 85, 820),
    cost("RRL", 85, 700),
    cost("RRS", 86, 690),
    cost("RRR", 85, 600),
  ];

  it("a removal front keeps, per number of removed skips, the cheapest policy that beats fewer removals", () => {
    // r=0: LSL (90, ties SLL on BRAM18, less LUT); r=1: SRS 85; r=2: RRL 85 is not below 85: dropped; r=3: RRR 85: dropped
    expect(removalFront(costs, "bram18").map((c) => c.policy)).toEqual(["LSL", "SRS"]);
    // LUT: r=0 SSS 800; r=1 SRS 820 is not below 800; r=2 RRS 690; r=3 RRR 600
    expect(removalFront(costs, "lut").map((c) => c.policy)).toEqual(["SSS", "RRS", "RRR"]);
  });

  it("candidates are the mixed policies of both fronts, by removals, then BRAM18; the choice is even along them", () => {
    const c = candidates(removalFront(costs, "bram18"), removalFront(costs, "lut"));
    expect(c.map((x) => x.policy)).toEqual(["LSL", "SRS", "RRS"]);
    expect(chooseEvenly(c, 2).map((x) => x.policy)).toEqual(["LSL", "RRS"]);
    expect(chooseEvenly(c, 4).map((x) => x.policy)).toEqual(["LSL", "SRS", "RRS"]);
    // 11 candidates, 4 chosen: positions round(i * 10 / 3) = 0, 3, 7, 10
    const eleven = Array.from({ length: 11 }, (_, i) => cost("R".repeat(i) + "S".repeat(12 - i), 100 - i, 100));
    expect(chooseEvenly(eleven, 4).map((x) => removedSkips(x.policy))).toEqual([0, 3, 7, 10]);
  });
});

describe("the additive search against the exhaustive front (ResNet-8)", () => {
  const hls = loadCostConfig("reference");
  const pe = peReferenceConfig("pe-scalesim-cgra4ml", loadClaimSpecs().references["pe-scalesim-cgra4ml"]);
  const all = policyCosts("resnet8", hls, pe);

  it("finds the exhaustive BRAM18 front, and never a policy cheaper than the exhaustive optimum", () => {
    for (const o of ["bram18", "lut"] as const) {
      const searched = additiveRemovalSearch("resnet8", o, hls, pe);
      for (const g of searchGap(all, searched, o)) expect(g.searched).toBeGreaterThanOrEqual(g.optimum);
      if (o === "bram18") expect(removalFront(searched, o).map((c) => c.policy)).toEqual(removalFront(all, o).map((c) => c.policy));
    }
  });

  it("npm run policy --search additive prints that front; --search exhaustive refuses a network of 27 skips", async () => {
    const r = await runScript("scripts/policy.ts", ["--net", "resnet8", "--search", "additive"]);
    expect(r.status).toBe(0);
    const printed = [...r.stdout.matchAll(/^\| \d+ \| ([LSR]+) \|/gm)].map((m) => m[1]);
    expect(printed).toEqual(removalFront(additiveRemovalSearch("resnet8", "bram18", hls, pe), "bram18").map((c) => c.policy));
    const deep = await runScript("scripts/policy.ts", ["--net", "resnet56", "--search", "exhaustive"]);
    expect(deep.status).toBe(2);
    expect(deep.stderr).toMatch(/--search exhaustive: resnet56 has 27 skips .* use --search additive/);
  });

  it("--search additive --budget answers among the policies both searches costed, fewest removed first; none: exit 1 and the cheapest", async () => {
    const cache = new Map();
    const pool = [...new Map([...additiveRemovalSearch("resnet8", "bram18", hls, pe, undefined, cache), ...additiveRemovalSearch("resnet8", "lut", hls, pe, undefined, cache)].map((c) => [c.policy, c])).values()];
    // a LUT limit between the pool's cheapest and dearest, so that some policies meet it and some do not
    const luts = pool.map((c) => Math.round(c.lut)).sort((a, b) => a - b);
    const limit = luts[Math.floor(luts.length / 2)];
    const expected = withinBudget(pool, { lut: limit }, "bram18", (c) => removedSkips(c.policy));
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(pool.length);
    const r = await runScript("scripts/policy.ts", ["--net", "resnet8", "--search", "additive", "--budget", `lut=${limit}`]);
    expect(r.status, r.stderr).toBe(0);
    const answer = r.stdout.slice(r.stdout.indexOf("with the fewest removed skips"));
    expect([...answer.matchAll(/^\| ([LSR]+) \|/gm)].map((m) => m[1])).toEqual(expected.map((c) => c.policy));
    const none = await runScript("scripts/policy.ts", ["--net", "resnet8", "--search", "additive", "--budget", `lut=${luts[0] - 1}`]);
    expect(none.status).toBe(1);
    const cheapest = [...pool].sort((a, b) => a.bram18 - b.bram18)[0];
    expect(none.stdout).toMatch(new RegExp(`No policy the additive searches costed \\(${pool.length}\\) meets lut=${luts[0] - 1}[^]*\\| ${cheapest.policy} \\|`));
  });
});

describe("the committed choice and its plan", () => {
  it("the committed choice is the rule's last step applied to its own candidates", () => {
    const file = loadPolicyChoice() as unknown as { networks: { net: string; count: number; candidates: { policy: string; bram18: number; lut: number }[]; chosen: string[] }[] };
    expect(file.networks.map((n) => n.net)).toEqual(["resnet20", "resnet56"]);
    for (const n of file.networks) {
      const c = n.candidates.map((x) => cost(x.policy, x.bram18, x.lut));
      expect(n.chosen).toEqual(chooseEvenly(c, n.count).map((x) => x.policy));
      expect(n.chosen.length).toBe(n.count);
    }
  });

  it("each policy trains from the depth study's teacher of its form, on the depth students' schedule", () => {
    const plan = policyPlan({ networks: [{ net: "resnet20", chosen: ["SSSRSSRSS", "LRRRRRRRR"] }] }, undefined, []);
    const depth = depthPlan();
    expect(plan.runs.map((r) => r.id)).toEqual([
      "resnet20/teacher-shortenable",
      "resnet20/teacher",
      "resnet20/policy-sssrssrss",
      "resnet20/policy-lrrrrrrrr",
      // the pure policies they are compared with: the depth study's students, every seed, in its folders
      ...["remover", "shortener", "remover-seed2", "shortener-seed2"].map((r) => `resnet20/${r}`),
    ]);
    for (const id of ["resnet20/remover", "resnet20/shortener-seed2"]) {
      expect(runDir(plan, id)).toBe(runDir(depth, id));
      expect(plan.runs.find((r) => r.id === id)!.config).toEqual(depth.runs.find((r) => r.id === id)!.config);
    }
    // the teachers are the depth study's runs, in the depth study's folders
    expect(runDir(plan, "resnet20/teacher")).toBe(runDir(depth, "resnet20/teacher"));
    const s = plan.runs.find((r) => r.id === "resnet20/policy-sssrssrss")!;
    expect(s.config.teacher).toBe(path.join(runDir(depth, "resnet20/teacher-shortenable"), "best.ckpt"));
    expect(runDir(plan, s.id)).toBe(path.join("data/runs/policy/resnet20/policy-sssrssrss"));
    // the same config as the depth study's SkipShortener but for method, policy (and SkipRemover's form for an L/R policy)
    const shortener = depth.runs.find((r) => r.id === "resnet20/shortener")!.config;
    expect({ ...s.config, method: shortener.method, policy: "" }).toEqual(shortener);
    const r = plan.runs.find((x) => x.id === "resnet20/policy-lrrrrrrrr")!;
    expect(r.config.form).toBe("plain");
    expect(r.config.teacher).toBe(path.join(runDir(depth, "resnet20/teacher"), "best.ckpt"));
  });

  it("a second seed trains from its first seed's teacher with its config but the seed, after the network's first seeds", () => {
    const choice = { networks: [{ net: "resnet20" as const, chosen: ["SSSLSSLSS", "LRRRRRRRR"] }, { net: "resnet56" as const, chosen: ["S".repeat(27)] }] };
    const plan = policyPlan(choice, undefined, [{ net: "resnet20", policy: "SSSLSSLSS" }]);
    expect(plan.runs.map((r) => r.id).filter((id) => id.includes("policy"))).toEqual([
      "resnet20/policy-ssslsslss",
      "resnet20/policy-lrrrrrrrr",
      "resnet20/policy-ssslsslss-seed2",
      `resnet56/policy-${"s".repeat(27)}`,
    ]);
    const [first, second] = ["resnet20/policy-ssslsslss", "resnet20/policy-ssslsslss-seed2"].map((id) => plan.runs.find((r) => r.id === id)!);
    expect(second.deps).toEqual(first.deps);
    expect(second.config).toEqual({ ...first.config, seed: 2 });
    expect(first.config.seed).toBe(1);
    expect(runDir(plan, second.id)).toBe(path.join("data/runs/policy/resnet20/policy-ssslsslss-seed2"));
    expect(() => policyPlan(choice, undefined, [{ net: "resnet20", policy: "SSSRSSRSS" }])).toThrow(/second seed of resnet20 policy SSSRSSRSS, which data\/policy-choice.json does not choose/);
  });

  it("the committed plan gives every second seed a run", () => {
    const ids = policyPlan().runs.map((r) => r.id);
    for (const s of SECOND_SEEDS) expect(ids).toContain(formatRunId({ net: s.net, role: "policy", policy: s.policy, seed: 2 }));
    // and trains the pure policies' second seeds of every network the depth study gives them
    for (const net of SECOND_SEED_NETS) for (const role of ["remover", "shortener"] as const) expect(ids).toContain(formatRunId({ net, role, seed: 2 }));
  });

  it("the plan's status.md names the command that continues it", async () => {
    const { statusMarkdown } = await import("../src/campaign/status.js");
    expect(statusMarkdown({ name: "policy", root: "x", runs: [] }, [], "now", "m")).toContain("Start or continue: `npm run campaign -- --plan policy`; stop: `npm run campaign -- --plan policy --stop`");
    expect(statusMarkdown({ name: "depth", root: "x", runs: [] }, [], "now", "m")).toContain("Start or continue: `npm run campaign`; stop: `npm run campaign -- --stop`");
    // the runner's own messages (stop, continue, SLURM): a plan file by the path it was given, never the depth plan's bare command
    const { campaignCommand } = await import("../src/campaign/status.js");
    expect(campaignCommand({ name: "tiny", root: "x", runs: [] }, " --scheduler slurm --stop", "my/plan.json")).toBe("npm run campaign -- --plan my/plan.json --scheduler slurm --stop");
    expect(campaignCommand({ name: "policy", root: "x", runs: [] }, " --scheduler slurm", "ignored.json")).toBe("npm run campaign -- --plan policy --scheduler slurm");
  });

  it("a progress commit adds the depth study's folder too, where the plan trains the pure policies' seeds", () => {
    expect(planFolders(policyPlan())).toEqual(["data/runs/policy", "data/runs/depth"]);
    expect(planFolders(depthPlan())).toEqual(["data/runs/depth"]);
    expect(planFolders({ name: "x", root: "a", runs: [{ id: "resnet8/teacher", deps: [], config: {} as never, dir: "b/t" }] })).toEqual(["a", "b/t"]);
  });

  it("the policy runner keeps the depth study's status.md current: the depth plan is the one it shares runs with, and says who wrote it", async () => {
    const roots = Object.fromEntries(Object.entries(BUILT_IN_PLAN_INFO).map(([n, p]) => [n, p.root]));
    expect(plansSharedWith(policyPlan(), roots)).toEqual(["depth"]);
    expect(plansSharedWith(depthPlan(), roots)).toEqual([]);
    // its own root is never "shared", however it is spelled
    expect(plansSharedWith({ name: "policy", root: "./data/runs/policy", runs: [] }, roots)).toEqual([]);
    const { statusMarkdown } = await import("../src/campaign/status.js");
    expect(statusMarkdown({ name: "depth", root: "x", runs: [] }, [], "now", "m", "", "the policy plan's runner")).toContain("Updated now on m by the policy plan's runner. 0 of 0 runs done");
    expect(statusMarkdown({ name: "depth", root: "x", runs: [] }, [], "now", "m")).toContain("Updated now on m. 0 of 0 runs done");
  });

  it("policy run ids round-trip, and a malformed one is refused", () => {
    const id = formatRunId({ net: "resnet56", role: "policy", policy: "SRL", seed: 2 });
    expect(id).toBe("resnet56/policy-srl-seed2");
    expect(parseRunId(id)).toEqual({ net: "resnet56", role: "policy", precision: "float", seed: 2, policy: "SRL" });
    expect(parseRunId("resnet56/policy-sxl")).toBeNull();
    expect(() => formatRunId({ net: "resnet20", role: "policy" })).toThrow(/a policy string goes with role "policy"/);
    expect(() => formatRunId({ net: "resnet20", role: "remover", policy: "RRR" })).toThrow(/a policy string goes with role "policy"/);
  });
});
