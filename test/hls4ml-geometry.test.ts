/**
 * Geometry as hls4ml builds it (issue 13): Keras "same" padding of even kernels and strided convs, hls4ml's rule for
 * when a zero-padding process is inserted, a Flatten -> Dense head, and how the wrapper feeds the input. Every
 * expected number is worked by hand in the comments.
 */
import { describe, expect, it } from "vitest";
import { buildDesign, DEFAULT_HLS4ML, simulate, type Design, type Hls4mlConfig } from "../src/hw/hls4ml/index.js";
import { peArrayCost, DEFAULT_PE_ARRAY } from "../src/hw/pe-array/index.js";
import { countMacs, countParams, lower, padsOf, type ConvSpec, type NetSpec } from "../src/net/index.js";
import { assertTrainable } from "../src/train/trainable.js";

const cfg = (o: Partial<Hls4mlConfig> = {}): Hls4mlConfig => ({ ...DEFAULT_HLS4ML, ...o });

/** input h x h x 1, one conv stage, a flatten-dense head with no hidden layer */
const cnn = (h: number, conv: ConvSpec, classes = 1): NetSpec => ({
  name: "cnn",
  dims: 2,
  input: { channels: 1, height: h, width: h },
  stem: { convs: [conv] },
  blocks: [],
  head: { kind: "flatten-dense", hidden: [], classes },
});

describe("padding rules (src/net: padsOf)", () => {
  it("Keras 'same' pads an even kernel's odd pixel after: 4x4 at stride 1 pads 1 before, 2 after", () => {
    // total = (ceil(8/1) - 1) x 1 + 4 - 8 = 3: floor(3/2) = 1 before, 2 after; output 8
    expect(padsOf("same", 8, 4, 1)).toEqual([1, 2]);
    // strided 3x3 on an even map: total = (4 - 1) x 2 + 3 - 8 = 1: 0 before, 1 after (PyTorch's padding=1 pads 1 and 1)
    expect(padsOf("same", 8, 3, 2)).toEqual([0, 1]);
    expect(padsOf("symmetric", 8, 3, 2)).toEqual([1, 1]);
    // on an odd map: total = (4 - 1) x 2 + 3 - 7 = 2: 1 and 1
    expect(padsOf("same", 7, 3, 2)).toEqual([1, 1]);
    // 2x2 at stride 2 on an even map tiles it: no padding
    expect(padsOf("same", 8, 2, 2)).toEqual([0, 0]);
    expect(padsOf("valid", 8, 3, 1)).toEqual([0, 0]);
    // the old rule, floor((k-1)/2) on both sides, for the 4x4 kernel: 1 and 1
    expect(padsOf("symmetric", 8, 4, 1)).toEqual([1, 1]);
  });
  it("lowering: output sizes follow the rule (4x4 'same' keeps 8x8; 'symmetric' 7x7; 'valid' 5x5)", () => {
    const out = (padding: "same" | "symmetric" | "valid") => lower(cnn(8, { kernel: 4, stride: 1, out: 2, padding, bn: false })).layers.find((l) => l.name === "stem0.conv")!;
    expect(out("same")).toMatchObject({ pad: [1, 1], padAfter: [2, 2], shape: { c: 2, h: 8, w: 8 } });
    expect(out("symmetric")).toMatchObject({ pad: [1, 1], padAfter: [1, 1], shape: { h: 7, w: 7 } });
    expect(out("valid")).toMatchObject({ pad: [0, 0], padAfter: [0, 0], shape: { h: 5, w: 5 } });
  });
  it("a NetSpec with an unknown padding or a pool inside a block is refused, naming the field", () => {
    expect(() => lower(cnn(8, { kernel: 3, stride: 1, out: 2, padding: "full" as never }))).toThrow(/stem.convs\[0\].padding/);
    const net = cnn(8, { kernel: 3, stride: 1, out: 2 });
    net.blocks = [{ name: "b", units: [{ kernel: 3, stride: 1, out: 2, pool: { kernel: 2 } }], form: "plain", skip: "removed" }];
    expect(() => lower(net)).toThrow(/block "b".units\[0\].pool: a pool after a conv is allowed in the stem and the tail only/);
  });
});

describe("zero padding as hls4ml inserts it (backends/vivado/passes/conv_same_pad.py)", () => {
  it("Keras 'same' 2x2 on a 3x3 map: a zero-padding process of 0 before, 1 after; its stream 4x4 = 16 pixels", () => {
    const d = buildDesign(lower(cnn(3, { kernel: 2, stride: 1, out: 1, padding: "same", bn: false })), cfg());
    const zp = d.processes.find((p) => p.kind === "zeropad")!;
    expect(zp.pads).toEqual([0, 1, 0, 1]);
    expect(d.streams.find((s) => s.name === "stem0.conv.pad->stem0.conv")!.pixels).toBe(16);
    expect(d.processes.find((p) => p.name === "stem0.conv")).toMatchObject({ h: 4, w: 4, k: 2 });
  });
  it("hand-worked latency of input 3x3 -> pad (0,1) -> conv 2x2 -> ReLU -> flatten -> dense: 37 cycles", () => {
    // input: pixel f written at f + 1, readable at f + 2. Zero padding (4x4 grid, reads at rows/cols 0-2): steps at
    // 2,3,4 | 5 (pad) | 6,7,8 | 9 | 10,11,12 | 13 | 14..17 (last row): output j written at 3 + j.
    // Conv 2x2, Latency, RF 1 (II 1; latency 1 + log2(4) + 3 = 6): step f at 4 + f; windows end at
    // f = 5,6,7,9,10,11,13,14,15 and are written at f + 10: 15,16,17,19,20,21,23,24,25.
    // ReLU: reads 16,17,18,20,21,22,24,25,26, writes one later. Dense after the flatten reads the 9 words (II 1),
    // the last at 28, and writes 28 + 1 + (ceil(log2 9) + 3) = 36; the output has it at 37.
    const d = buildDesign(lower(cnn(3, { kernel: 2, stride: 1, out: 1, padding: "same", bn: false })), cfg());
    const r = simulate(d, d.streams.map(() => Infinity));
    expect(r.latency).toBe(37);
    // the busiest process: the zero padding's 16 steps
    expect(r.interval).toBe(16);
  });
  it("a strided 'same' conv whose pads are all zero: a padding process only under hls4ml v0.6.0's rule", () => {
    const g = lower(cnn(4, { kernel: 2, stride: 2, out: 1, padding: "same", bn: false }));
    expect(buildDesign(g, cfg()).processes.some((p) => p.kind === "zeropad")).toBe(false);
    const old = buildDesign(g, cfg({ zeroPad: "same" }));
    const zp = old.processes.find((p) => p.kind === "zeropad")!;
    expect(zp.pads).toEqual([0, 0, 0, 0]);
    // it copies the 16 pixels one a cycle
    expect(old.streams.find((s) => s.from === zp.id)!.pixels).toBe(16);
    // never before a 1x1 (filt_height != 1 and filt_width != 1)
    const one = lower(cnn(4, { kernel: 1, stride: 2, out: 1, padding: "same", bn: false }));
    expect(buildDesign(one, cfg({ zeroPad: "same" })).processes.some((p) => p.kind === "zeropad")).toBe(false);
  });
});

describe("a Flatten -> Dense head", () => {
  const net: NetSpec = {
    name: "tiny-cnn",
    dims: 2,
    input: { channels: 3, height: 8, width: 8 },
    stem: { convs: [{ kernel: 3, stride: 1, out: 4, padding: "valid", pool: { kernel: 2 } }] },
    blocks: [],
    head: { kind: "flatten-dense", hidden: [{ out: 5 }], classes: 2 },
  };
  it("lowers to conv 6x6, pool 3x3, flatten 36, dense 5 + BN + ReLU, dense 2; counts by hand", () => {
    const g = lower(net);
    expect(g.layers.map((l) => `${l.name}:${l.op}:${l.shape.c}x${l.shape.h}x${l.shape.w}`)).toEqual([
      "input:input:3x8x8",
      "stem0.conv:conv:4x6x6",
      "stem0.bn:bn:4x6x6",
      "stem0.relu:relu:4x6x6",
      "stem0.pool:maxpool:4x3x3",
      "head.flatten:flatten:36x1x1",
      "head.fc0:dense:5x1x1",
      "head.fc0.bn:bn:5x1x1",
      "head.fc0.relu:relu:5x1x1",
      "head.fc:dense:2x1x1",
    ]);
    // conv 3x3x3x4 = 108, BN 8, dense 36x5 + 5 = 185, BN 10, dense 5x2 + 2 = 12
    expect(countParams(g)).toBe(108 + 8 + 185 + 10 + 12);
    // conv 36 pixels x 4 x 27 = 3888, dense 180, dense 10
    expect(countMacs(g)).toBe(3888 + 180 + 10);
  });
  it("hls4ml: no process for the flatten; the dense reads the pooled map's 9 words; BN fused into both", () => {
    const d = buildDesign(lower(net), cfg());
    expect(d.processes.map((p) => p.name)).toEqual(["input", "stem0.conv", "stem0.relu", "stem0.pool", "head.fc0", "head.fc0.relu", "head.fc", "output"]);
    expect(d.streams.find((s) => s.name === "stem0.pool->head.fc0")).toMatchObject({ channels: 4, pixels: 9 });
    expect(d.processes.find((p) => p.name === "head.fc0")).toMatchObject({ h: 3, w: 3, cin: 36, cout: 5 });
    expect(d.applied.bnFused).toBe(2);
  });
  it("the PE array reads the flatten as a view of the pooled tensor", () => {
    const r = peArrayCost(lower(net), DEFAULT_PE_ARRAY);
    expect(r.layers.find((l) => l.name === "head.fc0")!.macs).toBe(180);
  });
  it("training refuses the layer kinds it does not implement, naming the layer and its kind", () => {
    expect(() => assertTrainable(lower(net))).toThrow(/tiny-cnn: layer head.flatten \(flatten\): training does not implement a flatten-dense head/);
    expect(() => assertTrainable(lower(cnn(8, { kernel: 4, stride: 1, out: 2, padding: "same" })))).toThrow(/layer stem0.conv \(conv\): training does not implement asymmetric padding/);
    const gapNet: NetSpec = { ...net, stem: { convs: [{ kernel: 4, stride: 1, out: 2, padding: "symmetric" }] }, head: { kind: "gap-dense", classes: 2 } };
    expect(() => assertTrainable(lower(gapNet))).not.toThrow();
  });
});

describe("how the input reaches the first layer (config.ts: wrapper)", () => {
  // input 2x2 pixels of 3 channels -> ReLU -> output, built by hand
  const design = (wrapper: Hls4mlConfig["wrapper"]): Design => {
    const proc = (id: number, name: string, kind: "input" | "relu" | "output") => ({ id, name, kind, inputs: [] as number[], outputs: [] as number[], h: 2, w: 2, k: 1, stride: 1, pad: 0, cin: 3, cout: 3, rf: 1, role: "main" as const });
    const processes = [proc(0, "input", "input"), proc(1, "relu", "relu"), proc(2, "output", "output")];
    const streams = [
      { id: 0, name: "input->relu", channels: 3, pixels: 4, width: 24, from: 0, to: 1, skip: false },
      { id: 1, name: "relu->output", channels: 3, pixels: 4, width: 24, from: 1, to: 2, skip: false },
    ];
    processes[0].outputs.push(0);
    processes[1].inputs.push(0);
    processes[1].outputs.push(1);
    processes[2].inputs.push(1);
    return { strategy: "Latency", wrapper, processes, streams, warnings: [], applied: { bnFused: 0, reluMerged: 0, shortSkipsFused: 0 } };
  };
  it("none: a pixel a cycle; written 1-4, ReLU writes 3-6, out at 7", () => {
    expect(simulate(design("none"), [Infinity, Infinity])).toMatchObject({ latency: 7, interval: 4 });
  });
  it("axi_stream: a value per beat, 3 cycles a pixel, concurrent: written 1,4,7,10; ReLU 3,6,9,12; the sink reads 13 and moves 3 beats: 15", () => {
    expect(simulate(design("axi_stream"), [Infinity, Infinity])).toMatchObject({ latency: 15, interval: 12 });
  });
  it("axi_master: the whole input first (all at 3 x 3 + 1 = 10), ReLU writes 12-15, then 4 pixels x 3 beats out: 27", () => {
    expect(simulate(design("axi_master"), [Infinity, Infinity])).toMatchObject({ latency: 27, interval: 27 });
  });
});

describe("the tutorial CNN is an ordinary NetSpec (one code path with the claims)", () => {
  const set = JSON.parse(require("node:fs").readFileSync(require("node:path").join(__dirname, "..", "data", "published", "hls4ml-tutorial-cnn.json"), "utf8"));
  it("its layers lower to Keras 'valid' shapes: 32 -> 30 -> 15 -> 13 -> 6 -> 4 -> 2, flatten 2x2x24 = 96, dense 42, 64, 10", async () => {
    const { publishedNetSpec, buildPublishedDesign } = await import("../src/report/published-hls4ml.js");
    for (const d of set.designs) {
      const { net, names } = publishedNetSpec(d);
      const g = lower(net);
      const shape = (index: number) => g.layers.find((l) => l.name === names.get(index))!.shape;
      const convs = d.layers.filter((l: { kind: string }) => l.kind === "conv").map((l: { index: number }) => shape(l.index));
      const pools = d.layers.filter((l: { kind: string }) => l.kind === "maxpool").map((l: { index: number }) => shape(l.index));
      expect(convs.map((s: { h: number; c: number }) => `${s.h}x${s.c}`), d.name).toEqual(["30x16", "13x16", "4x24"]);
      expect(pools.map((s: { h: number }) => s.h), d.name).toEqual([15, 6, 2]);
      expect(g.layers.find((l) => l.op === "flatten")!.shape.c).toBe(96);
      // the design: no flatten process, and the first dense reads the 4 words of the last pool
      const { design } = buildPublishedDesign(d);
      expect(design.processes.some((p) => p.name === "head.flatten")).toBe(false);
      expect(design.streams.find((s) => s.name === "stem2.pool->head.fc0")).toMatchObject({ channels: 24, pixels: 4 });
    }
  });
});
