// Skip policies (src/net/policy.ts): one letter a skip from the input end; the paper's methods are the uniform ones.
import { describe, expect, it } from "vitest";
import { tailorPair } from "../src/experiment/index.js";
import { hls4mlCost, MLPERF_TINY_HLS4ML } from "../src/hw/hls4ml/index.js";
import { cifarResNet, lower, policyOf, resnet8, skipModes, withPolicy } from "../src/net/index.js";

describe("skip policies", () => {
  it("set each skip from the input end, and read back", () => {
    const net = withPolicy(resnet8({ form: "shortenable" }), "SRL");
    expect(skipModes(net)).toEqual(["shortened", "removed", "long"]);
    expect(policyOf(net)).toBe("SRL");
    expect(policyOf(cifarResNet(20))).toBe("LLLLLLLLL");
  });
  it("the all-removed and all-shortened policies are SkipRemover's and SkipShortener's networks, and cost the same", () => {
    for (const [m, letter] of [["remover", "R"], ["shortener", "S"]] as const) {
      const { base, altered } = tailorPair("resnet20", m);
      const byPolicy = withPolicy(base, letter.repeat(9));
      expect(byPolicy).toEqual(altered);
      expect(hls4mlCost(lower(byPolicy), MLPERF_TINY_HLS4ML).totals).toEqual(hls4mlCost(lower(altered), MLPERF_TINY_HLS4ML).totals);
    }
  });
  it("a policy that does not fit the network is an error naming the flag and the position", () => {
    expect(() => withPolicy(resnet8(), "LR")).toThrow("--policy LR: expected 3 letters (one per skip of resnet8, from the input end), got 2");
    expect(() => withPolicy(resnet8(), "LxR", "--p")).toThrow('--p LxR: position 2 is "x", expected L (long), S (shortened) or R (removed)');
    expect(() => withPolicy(resnet8(), "RRS")).toThrow(/--policy RRS: position 3 shortens a skip of block \S+, whose form is plain; a shortened skip needs the shortenable form/);
  });
});

describe("the policy front (src/report/policy-front.ts)", async () => {
  const { allPolicies, parseBudget, policyCosts, policyFront, withinBudget, meets } = await import("../src/report/policy-front.js");
  const { DEFAULT_PE_ARRAY } = await import("../src/hw/pe-array/index.js");
  const costs = policyCosts("resnet8", MLPERF_TINY_HLS4ML, DEFAULT_PE_ARRAY);
  it("costs every policy once in its form, and the shortenable teacher; each as the models cost that network", () => {
    expect(allPolicies(2)).toEqual(["LL", "SL", "RL", "LS", "SS", "RS", "LR", "SR", "RR"]);
    expect(costs).toHaveLength(27 + 1);
    expect(costs.filter((c) => c.form === "shortenable").map((c) => c.policy).every((p) => p.includes("S") || p === "LLL")).toBe(true);
    const c = costs.find((x) => x.policy === "RSL")!;
    const h = hls4mlCost(lower(withPolicy(resnet8({ form: "shortenable" }), "RSL")), MLPERF_TINY_HLS4ML);
    expect([c.bram18, c.lut, c.altered]).toEqual([h.totals.bram18, h.totals.lut, 2]);
  });
  it("the front holds, per number of altered skips, the cheapest policy, and none of it is beaten with as few alterations", () => {
    for (const objective of ["bram18", "lut", "dram"] as const) {
      const front = policyFront(costs, objective);
      expect(front[0].altered).toBe(0);
      for (let i = 1; i < front.length; i++) {
        expect(front[i].altered).toBeGreaterThan(front[i - 1].altered);
        expect(front[i][objective]).toBeLessThan(front[i - 1][objective]);
      }
      // worked by brute force: no policy is cheaper than a front member with no more alterations
      for (const f of front) expect(costs.some((c) => c.altered <= f.altered && c[objective] < f[objective])).toBe(false);
    }
  });
  it("a budget gives the policies that meet it with the fewest alterations; an impossible one gives none", () => {
    const all = costs.map((c) => c.bram18).sort((a, b) => a - b);
    const limit = all[Math.floor(all.length / 2)];
    const ok = withinBudget(costs, { bram18: limit }, "lut");
    expect(ok.length).toBeGreaterThan(0);
    expect(ok.every((c) => c.bram18 <= limit && c.altered === ok[0].altered)).toBe(true);
    expect(costs.some((c) => meets(c, { bram18: limit }) && c.altered < ok[0].altered)).toBe(false);
    expect(withinBudget(costs, { bram18: all[0] - 1 }, "bram18")).toEqual([]);
    expect(parseBudget("bram18=80, lut=3e4")).toEqual({ bram18: 80, lut: 30000 });
    expect(() => parseBudget("bram=1")).toThrow(/--budget bram=1: "bram" is not one of bram18, lut, ff, latency, dram, cycles, dsp/);
    expect(() => parseBudget("lut=-1")).toThrow(/lut needs a number >= 0, got "-1"/);
    // a quantity twice, a limit with a second "=", an empty flag: errors, never a silently chosen limit
    expect(() => parseBudget("bram18=80,bram18=90")).toThrow(/--budget bram18=80,bram18=90: bram18 is given twice/);
    expect(() => parseBudget("bram18=80=90")).toThrow(/bram18 needs a number >= 0, got "80=90"/);
    expect(() => parseBudget("")).toThrow(/--budget: expected quantity=limit pairs/);
  });
});
