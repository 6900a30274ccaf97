import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { lower, resnet8, withAllSkips, type NetSpec } from "../src/net/index.js";
import {
  bram18,
  buildDesign,
  DEFAULT_HLS4ML,
  fifoDepths,
  hls4mlCost,
  isValidReuseFactor,
  processResources,
  simulate,
  streamStorage,
  validReuseFactor,
  type Hls4mlConfig,
} from "../src/hw/hls4ml/index.js";
import { parseCsynth, parseVivadoSynth } from "../src/report/hls-reports.js";
import { comparePublished, type PublishedSet } from "../src/report/published-hls4ml.js";

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
    const fused = buildDesign(lower(block("shortened")), cfg({ shortImpl: "fused", reluMerge: true }));
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
  it("the input and output streams keep hls4ml's default depth (not optimised; the accelerator wrapper's in_local/out_local)", () => {
    const { d, depths } = skipDepths("long");
    const first = d.streams.find((s) => d.processes[s.from].kind === "input")!;
    const last = d.streams.find((s) => d.processes[s.to].kind === "output")!;
    // input 32x32: 1024 words; the dense head's output: one word
    expect([depths[first.id], depths[last.id]]).toEqual([1024, 1]);
    // optimised, the first FIFO would only hold what the zero padding falls behind by emitting padding: the top row
    // (34), then two border pixels per row, about 34 + 1 + 2 x 31 = 97 tokens by the input's last pixel
    const occ = fifoDepths(d, optimised).sim.maxOccupancy[first.id];
    expect(occ).toBeGreaterThan(85);
    expect(occ).toBeLessThanOrEqual(97);
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
    const bram = (mode: "long" | "shortened", shortImpl: "stock" | "fused") => hls4mlCost(lower(withAllSkips(base, mode)), cfg({ shortImpl, reluMerge: true })).totals.bram18;
    expect(bram("shortened", "fused")).toBeLessThan(bram("long", "fused"));
    expect(bram("shortened", "stock")).toBeGreaterThan(bram("long", "stock"));
  });
});

describe("the sweep's shared schedule cache", () => {
  it("gives every configuration the same result as a cold computation", async () => {
    const { hls4mlSweep } = await import("../src/report/hls4ml-sweep.js");
    const { MLPERF_TINY_HLS4ML } = await import("../src/hw/hls4ml/index.js");
    const spec = { networks: ["resnet8"], precisions: [8, 12], reuseFactors: [16, 16384], fifoDepths: ["default", "optimised"] as const, flows: ["relu-merge"] as const, part: "xcu250" };
    const rows = hls4mlSweep({ ...spec, fifoDepths: [...spec.fifoDepths], flows: [...spec.flows] });
    const cold = hls4mlCost(lower(resnet8({ form: "plain" })), { ...MLPERF_TINY_HLS4ML, fifoDepth: "optimised", shortImpl: "stock" });
    const row = rows.find((r) => r.method === "remover" && r.label === "MLPerf-Tiny-like optimised")!;
    expect(row.base).toEqual(cold.totals);
    const cold12 = hls4mlCost(lower(resnet8({ form: "plain" })), { ...DEFAULT_HLS4ML, reluMerge: true, weightBits: 12, actBits: 12, accBits: 24, reuseFactor: 16384, strategy: "Resource", fifoDepth: "default" });
    expect(rows.find((r) => r.method === "remover" && r.label === "12-bit RF 16384 default")!.base).toEqual(cold12.totals);
  });
});

describe("FIFO layout and storage", () => {
  const rule = { srlMaxDepth: 2, srlMaxBits: 1024, lutramMaxBits: 0 };
  it("per-channel: a 900-deep stream of 16 x 16 bits is 16 FIFOs of one BRAM18 each; packed it is one of 15", () => {
    // per FIFO: 900 x 16 bits in the 1Kx18 mode = 1 BRAM18; packed: 900 x 256 bits = ceil(900/1024) x ceil(256/18)
    const per = streamStorage(900, 16, 16, "per-channel", rule);
    expect(per).toMatchObject({ kind: "bram", bram18: 16 });
    expect(streamStorage(900, 16, 16, "packed", rule)).toMatchObject({ kind: "bram", bram18: 15 });
  });
  it("a FIFO of at most srlMaxBits bits is a shift register whose data needs no registers, only its pointer", () => {
    // 169 x 6 = 1014 bits <= 1024: SRL; ceil(169/32) x ceil(6/2) = 18 LUTs of data + 2 ceil(log2 169) = 16 control
    expect(streamStorage(169, 1, 6, "per-channel", rule)).toEqual({ kind: "srl", bram18: 0, lut: 18 + 16, ff: 16 });
    expect(streamStorage(169, 1, 16, "per-channel", rule).kind).toBe("bram");
  });
  it("with a LUTRAM tier, a FIFO between the SRL and LUTRAM limits is distributed RAM: RAM64M words of 3 bits", () => {
    // 169 x 16 = 2704 bits: ceil(169/64) x ceil(16/3) RAM64Ms of 4 LUTs = 3 x 6 x 4 = 72 LUTs, + 16 control
    expect(streamStorage(169, 1, 16, "per-channel", { ...rule, lutramMaxBits: 4096 })).toEqual({ kind: "lutram", bram18: 0, lut: 72 + 16, ff: 16 + 16 });
    expect(streamStorage(900, 1, 16, "per-channel", { ...rule, lutramMaxBits: 4096 }).kind).toBe("bram");
  });
});

describe("arithmetic as hls4ml writes it", () => {
  const dense = (o: Partial<Hls4mlConfig>) => {
    const p = { id: 0, name: "d", kind: "dense" as const, inputs: [], outputs: [], h: 1, w: 1, k: 1, stride: 1, pad: 0, cin: 10, cout: 4, rf: 1, role: "main" as const };
    return processResources(p, cfg(o));
  };
  it("Latency strategy drops the products of pruned weights; Resource strategy keeps them", () => {
    // 40 products of 16 x 16 bits: one DSP each (dspMinBits 10); half of them at weight density 0.5
    expect(dense({ weightBits: 16, actBits: 16, strategy: "Latency" }).dsp).toBe(40);
    expect(dense({ weightBits: 16, actBits: 16, strategy: "Latency", weightDensity: 0.5 }).dsp).toBe(20);
    expect(dense({ weightBits: 16, actBits: 16, strategy: "Resource", weightDensity: 0.5 }).dsp).toBe(40);
  });
  it("a LUT product by a constant 6-bit weight is one (W+A)-bit adder; the sum one accBits adder per product", () => {
    // W = 6: ceil(6/3) = 2 signed digits, one adder of 6 + 8 = 14 LUTs; plus a 16-bit adder; 40 products;
    // FINN's c0 + c1 x (...) per layer, no line buffer; registers: 40 x 16 product, 10 x 8 input, 4 x 8 output
    const r = dense({ weightBits: 6, actBits: 8, accBits: 16, strategy: "Latency" });
    expect(r.dsp).toBe(0);
    expect(r.lut).toBe(Math.round(300 + 1.1 * 40 * (14 + 16)));
    expect(r.ff).toBe(40 * 16 + 10 * 8 + 4 * 8);
  });
  it("rejects a weight density outside (0, 1]", () => {
    expect(() => hls4mlCost(lower(block("long")), cfg({ weightDensity: 0 }))).toThrow(/weightDensity/);
    expect(() => hls4mlCost(lower(block("long")), cfg({ fifoLayout: "wide" as never }))).toThrow(/fifoLayout/);
  });
});

describe("against published synthesis results (hls4ml CNN tutorial, Vivado HLS 2020.1)", () => {
  const set: PublishedSet = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "data", "published", "hls4ml-tutorial-cnn.json"), "utf8"));
  const r = comparePublished(set);
  it("every stream: the FIFO count (one per channel) and depth (hls4ml's default, H x W) as reported", () => {
    expect(r.streams).toHaveLength(30);
    for (const s of r.streams) {
      expect(s.model.fifos, s.stream).toBe(s.observed.fifos);
      expect(s.model.depth, s.stream).toBe(s.observed.depth);
    }
  });
  it("the FIFOs' block RAM after synthesis as counted by Vivado (less the softmax tables)", () => {
    for (const t of r.totals.filter((x) => x.quantity === "FIFO BRAM18 (synthesis)")) expect(t.model, t.design).toBe(t.observed);
  });
  it("latency and interval within 2% of the HLS report", () => {
    for (const t of r.totals.filter((x) => /latency|interval/.test(x.quantity))) expect(Math.abs(t.errorPct), `${t.design} ${t.quantity}`).toBeLessThan(2);
  });
  it("reads a csynth report: top latency, summary rows, instances with their latency, FIFOs grouped per stream", () => {
    const rpt = [
      "* Version:        2020.1 (test)",
      "* Target device:  xc7z020clg400-1",
      "== Performance Estimates",
      "    |     120|     120| 0.6 us | 0.6 us |  100|  100| dataflow |",
      "        |conv_config2_U0  |conv_config2_s  |      110|      110| 0.55 us | 0.55 us |   100|   100|   none   |",
      "== Utilization Estimates",
      "|FIFO                 |        3|      -|     90|    0|     -|",
      "|Total                |        3|      2|    190|  300|     0|",
      "    |conv_config2_U0  |conv_config2_s  |        0|      2|    100|  300|    0|",
      "    |layer2_out_V_data_0_V_U   |        1|  30|   0|    -|   100|   16|     1600|",
      "    |layer2_out_V_data_1_V_U   |        1|  30|   0|    -|   100|   16|     1600|",
      "    |layer3_out_V_data_0_V_U   |        1|  30|   0|    -|   100|   16|     1600|",
    ].join("\n");
    const c = parseCsynth(rpt, "t.rpt");
    expect(c).toMatchObject({ device: "xc7z020clg400-1", latencyCycles: 120, intervalCycles: 100, fifo: { bram18: 3, ff: 90 }, total: { dsp: 2, lut: 300 } });
    expect(c.instances).toEqual([{ name: "conv_config2_U0", bram18: 0, dsp: 2, ff: 100, lut: 300, latencyCycles: 110, intervalCycles: 100 }]);
    expect(c.streams).toEqual([
      { name: "layer2_out", fifos: 2, depth: 100, bits: 16, bram18: 1, ff: 30, lut: 0 },
      { name: "layer3_out", fifos: 1, depth: 100, bits: 16, bram18: 1, ff: 30, lut: 0 },
    ]);
  });
  it("a report that is not a csynth report is refused, naming the file", () => {
    expect(() => parseCsynth("hello", "x/myproject_csynth.rpt")).toThrow(/x\/myproject_csynth.rpt: not a Vivado HLS csynth report/);
    expect(() => parseVivadoSynth("| Tool Version : v\n| Device : d\n", "y/vivado_synth.rpt")).toThrow(/y\/vivado_synth.rpt: no "CLB LUTs" row/);
  });
});

describe("conv timing as hls4ml's line-buffer conv runs it (nnet_conv2d_stream.h, conv_2d_buffer_cl)", () => {
  // input 4x4x1 -> conv 2x2 stride 2, reuse factor 10 -> output 2x2, built by hand
  const design = (strategy: "Latency" | "Resource") => {
    const proc = (id: number, name: string, kind: "input" | "conv" | "output", o: object) => ({ id, name, kind, inputs: [] as number[], outputs: [] as number[], h: 4, w: 4, k: 1, stride: 1, pad: 0, cin: 1, cout: 1, rf: 1, role: "main" as const, ...o });
    const processes = [proc(0, "input", "input", {}), proc(1, "conv", "conv", { k: 2, stride: 2, rf: 10 }), proc(2, "output", "output", { h: 2, w: 2 })];
    const streams = [
      { id: 0, name: "input->conv", channels: 1, pixels: 16, width: 8, from: 0, to: 1, skip: false },
      { id: 1, name: "conv->output", channels: 1, pixels: 4, width: 8, from: 1, to: 2, skip: false },
    ];
    processes[0].outputs.push(0);
    processes[1].inputs.push(0);
    processes[1].outputs.push(1);
    processes[2].inputs.push(1);
    return { strategy, processes, streams, warnings: [], applied: { bnFused: 0, reluMerged: 0, shortSkipsFused: 0 } };
  };
  it("Resource: only the 4 steps that complete a stride-aligned window cost RF; the other 12 a cycle", () => {
    // pixel f is readable at f + 2; windows complete at pixels 5, 7, 13, 15. Steps: 2,3,4,5,6,7 (window, +10),
    // 17, 18 (window, +10), 28..33 (33: window), 43, 44 (window). Last output written at 44 + 10 + pipeline depth
    // (log2(2x2x1) + 3 = 5) = 59; the sink has it at 60. Busy: 12 x 1 + 4 x 10 = 52 cycles.
    const r = simulate(design("Resource"), [Infinity, Infinity]);
    expect(r.latency).toBe(60);
    expect(r.interval).toBe(52);
  });
  it("Latency: the per-pixel loop is pipelined at II = RF, every step costs 10", () => {
    // steps at 2 + 10 f: the last (f = 15) at 152, written at 152 + 15 = 167, read at 168; busy 16 x 10
    const r = simulate(design("Latency"), [Infinity, Infinity]);
    expect(r.latency).toBe(168);
    expect(r.interval).toBe(160);
  });
});
