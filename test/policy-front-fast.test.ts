// The exhaustive policy search's fast path (policyCosts: hw/hls4ml/shared-schedule.ts, prefix order) against the
// straightforward one (costPolicy: every design simulated on its own by simulate()), whole PolicyCost objects.
import { describe, expect, it } from "vitest";
import { DEFAULT_HLS4ML, MLPERF_TINY_HLS4ML, SharedSchedule, buildDesign, simulate, type Hls4mlConfig } from "../src/hw/hls4ml/index.js";
import { DEFAULT_PE_ARRAY } from "../src/hw/pe-array/index.js";
import { loadCostConfig } from "../src/handoff/cost-config.js";
import { loadClaimSpecs } from "../src/experiment/index.js";
import { peReferenceConfig } from "../src/report/hardware-claims.js";
import { allPolicies, costPolicy, costPolicyShared, policyCosts, policyDesigns, policyNets, prefixOrder } from "../src/report/policy-front.js";
import { policyCostsParallel } from "../src/report/policy-front-parallel.js";
import { assembleSlices, costSlice, policySlices } from "../src/report/policy-slices.js";
import { lower, policyForm, withPolicy } from "../src/net/index.js";
import { Rng } from "../src/util/random.js";

// the configuration `npm run policy` uses by default
const hlsRef = loadCostConfig("reference");
const peRef = peReferenceConfig("pe-scalesim-cgra4ml", loadClaimSpecs().references["pe-scalesim-cgra4ml"]);

describe("prefix order", () => {
  it("visits every policy once, the skip nearest the input changing slowest", () => {
    const order = prefixOrder(2).map((i) => allPolicies(2)[i]);
    expect(order).toEqual(["LL", "LS", "LR", "SL", "SS", "SR", "RL", "RS", "RR"]);
    expect(new Set(prefixOrder(5)).size).toBe(3 ** 5);
  });
});

describe("policyCosts equals costPolicy on every ResNet-8 policy", () => {
  // the reference flow, and two that exercise other timing patterns: Latency strategy with RF 1 and stock short
  // skips (Clone + Add), and the axi_master wrapper (the input loaded whole, the output copied out after)
  const configs: [string, Hls4mlConfig][] = [
    ["reference", hlsRef],
    ["defaults", DEFAULT_HLS4ML],
    ["axi_master", { ...MLPERF_TINY_HLS4ML, wrapper: "axi_master" }],
  ];
  for (const [label, hls] of configs) {
    it(label, () => {
      const nets = policyNets("resnet8");
      const fast = policyCosts("resnet8", hls, peRef);
      const policies = allPolicies(3);
      const reference = [...policies.map((p) => costPolicy(nets, p, hls, peRef, new Map())), costPolicy(nets, "LLL", hls, peRef, new Map(), "shortenable")];
      expect(fast).toHaveLength(27 + 1);
      expect(fast).toEqual(reference);
    });
  }
});

describe("the shared schedule on ResNet-20", () => {
  it("costs a seeded sample of 500 policies and the uniform ones as costPolicy does, reusing most process runs", () => {
    const rng = new Rng(20261207);
    const all = allPolicies(9);
    const picked = new Set(["LLLLLLLLL", "SSSSSSSSS", "RRRRRRRRR"]);
    while (picked.size < 503) picked.add(all[rng.int(all.length)]);
    // in prefix order, as policyCosts visits them
    const rank = (p: string) => [...p].map((c) => "LSR".indexOf(c)).join("");
    const sample = [...picked].sort((a, b) => (rank(a) < rank(b) ? -1 : 1));
    const nets = policyNets("resnet20");
    const shared = new SharedSchedule();
    const fast = sample.map((p) => costPolicyShared(nets, p, hlsRef, peRef, shared));
    const reference = sample.map((p) => costPolicy(nets, p, hlsRef, peRef, new Map()));
    expect(fast).toEqual(reference);
    expect(fast.map((c) => c.policy)).toEqual(sample);
    // the saving is real: shared prefixes were simulated once
    expect(shared.counts.reused).toBeGreaterThan(shared.counts.simulated);
  }, 120_000);

  it("returns simulate()'s SimResult for the shortenable teacher, whether its runs are fresh or reused", () => {
    const net = policyNets("resnet20").shortenable;
    const shared = new SharedSchedule();
    for (const p of ["LLLLLLLLL", "LLLLLLLLS", "LLLLLLLLL"]) {
      const d = buildDesign(lower(withPolicy(net, p)), hlsRef);
      expect(shared.simulate(d)).toEqual(simulate(d, d.streams.map(() => Infinity)));
    }
    expect(shared.counts.reused).toBeGreaterThan(0);
    expect(policyForm("LLLLLLLLS")).toBe("shortenable");
  });

  it("falls back to simulate() for a design that starves (an input a row short): the same deadlock report", () => {
    const d = buildDesign(lower(withPolicy(policyNets("resnet8").plain, "LRL")), hlsRef);
    const short = { ...d, processes: d.processes.map((p) => (p.kind === "input" ? { ...p, h: p.h - 1 } : p)) };
    const sim = simulate(short, short.streams.map(() => Infinity));
    expect(sim.deadlock).toBe(true);
    expect(new SharedSchedule().simulate(short)).toEqual(sim);
  });
});

describe("policyCostsParallel", () => {
  it("gives policyCosts' list on 2 and 3 threads (uneven slices), and refuses a bad thread count", async () => {
    const one = policyCosts("resnet8", hlsRef, peRef);
    const seen: number[] = [];
    expect(await policyCostsParallel("resnet8", hlsRef, peRef, 2, (done) => seen.push(done))).toEqual(one);
    expect(seen[seen.length - 1]).toBe(28);
    expect(await policyCostsParallel("resnet8", hlsRef, peRef, 3)).toEqual(one);
    await expect(policyCostsParallel("resnet8", hlsRef, peRef, 0)).rejects.toThrow("threads 0: expected a whole number >= 1");
  }, 60_000);
});

describe("policy slices (shared by Node's threads and the page's Web Workers)", () => {
  it("cut the prefix order into contiguous slices and put their costs back as policyCosts' list", () => {
    const { order, designs } = policyDesigns("resnet8");
    const one = policyCosts("resnet8", hlsRef, peRef);
    for (const threads of [1, 2, 3, 5, 40]) {
      const slices = policySlices(order, threads);
      expect(slices.flat(), `${threads} threads`).toEqual(order);
      expect(slices.length).toBe(Math.min(threads, order.length));
      const costs = slices.map((indices) => costSlice({ net: "resnet8", hls: hlsRef, pe: peRef, indices }));
      expect(assembleSlices(designs.length, slices, costs)).toEqual(one);
    }
    expect(() => policySlices(order, 0)).toThrow("threads 0: expected a whole number >= 1");
  });

  it("refuse a slice whose costs are missing", () => {
    const { order, designs } = policyDesigns("resnet8");
    const slices = policySlices(order, 2);
    const costs = slices.map((indices) => costSlice({ net: "resnet8", hls: hlsRef, pe: peRef, indices }));
    expect(() => assembleSlices(designs.length, slices, [costs[0], costs[1].slice(1)])).toThrow(`policy costing thread 2: ${slices[1].length - 1} costs for ${slices[1].length} designs`);
  });
});
