import { describe, expect, it } from "vitest";
import { lower, resnet8, withAllSkips, type NetSpec } from "../src/net/index.js";
import {
  bram18,
  buildDesign,
  DEFAULT_HLS4ML,
  fifoDepths,
  hls4mlCost,
  isValidReuseFactor,
  simulate,
  validReuseFactor,
  type Hls4mlConfig,
} from "../src/hw/hls4ml/index.js";

const cfg = (o: Partial<Hls4mlConfig> = {}): Hls4mlConfig => ({ ...DEFAULT_HLS4ML, ...o });

/**
 * one block of two 3x3 convs, 16 channels on 32x32, in the given skip mode, fed by a padded 3x3 conv as every
 * ResNet block is (an ideal one-pixel-per-cycle source would outrun the padded convs and add their rate lag)
 */
const block = (skip: "long" | "removed" | "shortened"): NetSpec => ({
  name: "block",
  dims: 2,
  input: { channels: 16, height: 32, width: 32 },
  stem: { convs: [{ kernel: 3, stride: 1, out: 16 }] },
  blocks: [{ name: "b", units: [{ kernel: 3, stride: 1, out: 16 }, { kernel: 3, stride: 1, out: 16 }], form: "shortenable", skip }],
  head: { kind: "gap-dense", classes: 10 },
});

describe("memory mapping", () => {
  it("a 1024-deep, 256-bit FIFO takes 15 BRAM18 (1Kx18 mode: 1 x ceil(256/18))", () => {
    expect(bram18(1024, 256)).toBe(15);
    expect(bram18(512, 36)).toBe(1);
    expect(bram18(16384, 1)).toBe(1);
    expect(bram18(2048, 9)).toBe(1);
  });
  it("the default depth of a 32x32x16 stream is the whole map, 1024 words of 16 x bits", () => {
    const d = buildDesign(lower(block("long")), cfg());
    const { depths } = fifoDepths(d, cfg());
    const s = d.streams.find((x) => x.name === "b.u0.relu->b.u1.conv.pad")!;
    expect(s).toBeDefined();
    expect(depths[s.id]).toBe(1024);
    expect(s.width).toBe(16 * 8);
  });
});

describe("design structure", () => {
  it("a removed skip has no clone, no copy stream and no add", () => {
    const d = buildDesign(lower(block("removed")), cfg());
    expect(d.processes.some((p) => p.kind === "clone" || p.kind === "add")).toBe(false);
    expect(d.streams.some((s) => s.skip)).toBe(false);
  });
  it("a long skip: one clone, one copy stream, one add", () => {
    const d = buildDesign(lower(block("long")), cfg());
    expect(d.processes.filter((p) => p.kind === "clone")).toHaveLength(1);
    expect(d.processes.filter((p) => p.kind === "add")).toHaveLength(1);
    expect(d.streams.filter((s) => s.skip)).toHaveLength(1);
  });
  it("shortened: stock hls4ml builds two clone/copy/add sets; the fused conv builds none", () => {
    const stock = buildDesign(lower(block("shortened")), cfg({ shortImpl: "stock" }));
    expect(stock.streams.filter((s) => s.skip)).toHaveLength(2);
    expect(stock.processes.filter((p) => p.kind === "add")).toHaveLength(2);
    const fused = buildDesign(lower(block("shortened")), cfg({ shortImpl: "fused" }));
    expect(fused.streams.filter((s) => s.skip)).toHaveLength(0);
    expect(fused.processes.filter((p) => p.fusedSkip)).toHaveLength(2);
  });
});

describe("FIFO depth optimisation by simulation", () => {
  const optimised = cfg({ fifoDepth: "optimised", shortImpl: "stock" });
  const skipDepths = (skip: "long" | "shortened") => {
    const d = buildDesign(lower(block(skip)), optimised);
    const { depths } = fifoDepths(d, optimised);
    return { d, depths, skip: d.streams.filter((s) => s.skip).map((s) => depths[s.id]) };
  };
  it("a long skip over two 3x3 convs on 32x32 needs about the main path's fill", () => {
    // hand estimate: each conv reads (K-1) x W_padded + K-1 = 70 padded pixels before its first output, half of
    // them padding it makes itself; two convs: between 70 and 140 pixels
    const [long] = skipDepths("long").skip;
    expect(long).toBeGreaterThan(70);
    expect(long).toBeLessThan(145);
  });
  it("a shortened skip spans one conv: about half", () => {
    const [long] = skipDepths("long").skip;
    for (const s of skipDepths("shortened").skip) {
      expect(s / long).toBeGreaterThan(0.35);
      expect(s / long).toBeLessThan(0.65);
    }
  });
  it("a skip FIFO that is too shallow deadlocks; the optimised depths do not", () => {
    const { d, depths } = skipDepths("long");
    const bounded = simulate(d, depths);
    expect(bounded.deadlock).toBe(false);
    // with depth = max occupancy + 1 the bounded design runs the unbounded schedule (what fifoDepths relies on)
    expect(bounded.latency).toBe(fifoDepths(d, optimised).sim.latency);
    const skip = d.streams.find((s) => s.skip)!;
    const shallow = depths.slice();
    shallow[skip.id] = 20;
    const r = simulate(d, shallow);
    expect(r.deadlock).toBe(true);
    expect(r.blockedOn.join(" ")).toContain(skip.name);
  });
  it("latency is unchanged by removing the skip (the skip path runs in parallel)", () => {
    const lat = (s: "long" | "removed") => hls4mlCost(lower(block(s)), cfg()).totals.latencyCycles;
    expect(Math.abs(lat("removed") / lat("long") - 1)).toBeLessThan(0.02);
  });
});

describe("reuse factors as hls4ml validates them", () => {
  it("n_in = 4, n_out = 2, worked by hand", () => {
    // rf 1: limit 8, 8 % 2 = 0; rf 3: limit ceil(8/3) = 3, odd and rf < n_in: invalid; rf 4, 8: valid;
    // rf 6: rf >= n_in but 6 % 4 != 0: invalid
    expect([1, 2, 3, 4, 5, 6, 7, 8].filter((r) => isValidReuseFactor(4, 2, r))).toEqual([1, 2, 4, 8]);
    expect(validReuseFactor(4, 2, 3)).toEqual({ rf: 2, adjusted: true });
    expect(validReuseFactor(4, 2, 100)).toEqual({ rf: 8, adjusted: true });
  });
});

describe("bad configurations name the field", () => {
  const g = lower(resnet8());
  it("rejects", () => {
    expect(() => hls4mlCost(g, cfg({ actBits: 0 }))).toThrow(/actBits must be a positive integer/);
    expect(() => hls4mlCost(g, cfg({ reuseFactor: 0.5 }))).toThrow(/reuseFactor must be a positive integer/);
    expect(() => hls4mlCost(g, cfg({ part: "xc9000" }))).toThrow(/unknown part "xc9000"/);
    expect(() => hls4mlCost(g, cfg({ layerReuse: { "s0b0.u0.conv": -2 } }))).toThrow(/layerReuse\["s0b0.u0.conv"\]/);
  });
  it("an invalid per-layer reuse factor is adjusted as hls4ml does, with a warning", () => {
    const r = hls4mlCost(g, cfg({ layerReuse: { "s0b0.u0.conv": 7 } }));
    expect(r.warnings.join(" ")).toMatch(/s0b0.u0.conv: reuse factor 7 is not valid/);
  });
});

describe("the variants of ResNet-8", () => {
  it("fused shortened skips cost less than long ones; stock ones more (BRAM, default depths)", () => {
    const base = resnet8({ form: "shortenable" });
    const bram = (mode: "long" | "shortened", shortImpl: "stock" | "fused") => hls4mlCost(lower(withAllSkips(base, mode)), cfg({ shortImpl })).totals.bram18;
    expect(bram("shortened", "fused")).toBeLessThan(bram("long", "fused"));
    expect(bram("shortened", "stock")).toBeGreaterThan(bram("long", "stock"));
  });
});

describe("the sweep's shared schedule cache", () => {
  it("gives every configuration the same result as a cold computation", async () => {
    const { hls4mlSweep } = await import("../src/report/hls4ml-sweep.js");
    const { MLPERF_TINY_HLS4ML } = await import("../src/hw/hls4ml/index.js");
    const spec = { networks: ["resnet8"], precisions: [8, 12], reuseFactors: [16, 16384], fifoDepths: ["default", "optimised"] as const, shortImpls: ["fused"] as const, part: "xcu250" };
    const rows = hls4mlSweep({ ...spec, fifoDepths: [...spec.fifoDepths], shortImpls: [...spec.shortImpls] });
    const cold = hls4mlCost(lower(resnet8({ form: "plain" })), { ...MLPERF_TINY_HLS4ML, fifoDepth: "optimised" });
    const row = rows.find((r) => r.method === "remover" && r.label === "MLPerf-Tiny-like optimised")!;
    expect(row.base).toEqual(cold.totals);
    const cold12 = hls4mlCost(lower(resnet8({ form: "plain" })), { ...DEFAULT_HLS4ML, weightBits: 12, actBits: 12, accBits: 24, reuseFactor: 16384, strategy: "Resource", fifoDepth: "default" });
    expect(rows.find((r) => r.method === "remover" && r.label === "12-bit RF 16384 default")!.base).toEqual(cold12.totals);
  });
});
