import { describe, expect, it } from "vitest";
import { lower, resnet8, withAllSkips, type NetSpec } from "../src/net/index.js";
import { convComputeCycles, DEFAULT_PE_ARRAY, operandTraffic, peArrayCost, type PeArrayConfig } from "../src/hw/pe-array/index.js";

const cfg = (o: Partial<PeArrayConfig>): PeArrayConfig => ({ ...DEFAULT_PE_ARRAY, ...o });

describe("compute cycles (SCALE-Sim fold formula), worked by hand", () => {
  // 3x3 conv, 2 -> 8 channels, 8x8 output: window T = 18, 64 output pixels
  const conv = { k: 9, cin: 2, cout: 8, groups: 1, pixels: 64 };
  it("output stationary: ceil(64/R) ceil(8/C) (18 + R + C - 2)", () => {
    expect(convComputeCycles(conv, cfg({ rows: 4, cols: 4, dataflow: "os" }))).toBe(16 * 2 * 24);
    expect(convComputeCycles(conv, cfg({ rows: 8, cols: 8, dataflow: "os" }))).toBe(8 * 1 * 32);
  });
  it("weight stationary (SCALE-Sim systolic_compute_ws: an R-row weight load per fold): ceil(18/R) ceil(8/C) (64 + 2R + C - 2)", () => {
    // R = C = 4: 5 x 2 folds of 64 + 8 + 4 - 2 = 74 cycles; R = C = 8: 3 x 1 folds of 64 + 16 + 8 - 2 = 86
    expect(convComputeCycles(conv, cfg({ rows: 4, cols: 4, dataflow: "ws" }))).toBe(5 * 2 * 74);
    expect(convComputeCycles(conv, cfg({ rows: 8, cols: 8, dataflow: "ws" }))).toBe(3 * 1 * 86);
  });
});

describe("DRAM bytes of one layer", () => {
  it("read once when an operand fits its buffer", () => {
    expect(operandTraffic(1000, 500, cfg({ ifmapBufferBytes: 2048, filterBufferBytes: 2048 }))).toEqual({ ifmap: 1000, weights: 500 });
    expect(operandTraffic(5000, 500, cfg({ ifmapBufferBytes: 2048, filterBufferBytes: 2048 }))).toEqual({ ifmap: 5000, weights: 500 });
  });
  it("re-fetch the cheaper operand when neither fits", () => {
    // keep weights: 5000 * ceil(3000/1024) + 3000 = 18000; keep inputs: 5000 + 3000 * ceil(5000/2048) = 14000
    expect(operandTraffic(5000, 3000, cfg({ ifmapBufferBytes: 2048, filterBufferBytes: 1024 }))).toEqual({ ifmap: 5000, weights: 9000 });
  });
});

/** one identity-skip block of two 3x3 convs, 8 channels on 4x4 */
const tiny = (skip: "long" | "removed"): NetSpec => ({
  name: "tiny",
  dims: 2,
  input: { channels: 8, height: 4, width: 4 },
  stem: { convs: [] },
  blocks: [{ name: "b", units: [{ kernel: 3, stride: 1, out: 8 }, { kernel: 3, stride: 1, out: 8 }], form: "plain", skip }],
  head: { kind: "gap-dense", classes: 2 },
});

describe("the DRAM cost of one skip, per add mode", () => {
  const skipTensor = 4 * 4 * 8; // bytes at 8 bits
  const extra = (c: PeArrayConfig) => peArrayCost(lower(tiny("long")), c).totals.dramBytes - peArrayCost(lower(tiny("removed")), c).totals.dramBytes;
  it("fused add: one extra read of the skip tensor", () => {
    expect(extra(cfg({ addMode: "fused" }))).toBe(skipTensor);
  });
  it("separate add pass: read both operands, write the sum", () => {
    expect(extra(cfg({ addMode: "separate" }))).toBe(3 * skipTensor);
  });
  it("a shortened skip adds the conv's own input from the buffer: no extra bytes with a fused add", () => {
    const base = resnet8({ form: "shortenable" });
    const removed = peArrayCost(lower(withAllSkips(base, "removed")), DEFAULT_PE_ARRAY);
    const shortened = peArrayCost(lower(withAllSkips(base, "shortened")), DEFAULT_PE_ARRAY);
    expect(shortened.layers.reduce((s, l) => s + l.bytes.skip, 0)).toBe(0);
    // the only extra bytes are the weights of the two on-chip projections (16x32 and 32x64, 8 bits)
    expect(shortened.totals.dramBytes - removed.totals.dramBytes).toBe(16 * 32 + 32 * 64);
  });
});

describe("bad configurations name the field", () => {
  it("rejects", () => {
    const g = lower(resnet8());
    expect(() => peArrayCost(g, cfg({ rows: 0 }))).toThrow(/rows must be a positive integer/);
    expect(() => peArrayCost(g, cfg({ dramBytesPerCycle: -1 }))).toThrow(/dramBytesPerCycle/);
    expect(() => peArrayCost(g, cfg({ filterBufferBytes: 100 }))).toThrow(/filterBufferBytes 100 cannot hold one filter of s0b0.u0.conv/);
  });
});

describe("against published figures", () => {
  it("a DPU-style configuration reaches the peak operations per clock of PG338 on a large layer", () => {
    const pub = JSON.parse(require("node:fs").readFileSync(require("node:path").join(__dirname, "..", "data", "published", "dpu-peak-ops.json"), "utf8"));
    // a ResNet-50-sized layer: 3x3 conv, 256 -> 256 channels, 56x56 output
    const layer = { k: 9, cin: 256, cout: 256, groups: 1, pixels: 56 * 56 };
    const macs = layer.k * layer.cin * layer.cout * layer.pixels;
    for (const d of pub.configurations) {
      const cycles = convComputeCycles(layer, { rows: d.pixelParallelism, cols: d.outputChannelParallelism, lanes: d.inputChannelParallelism, dataflow: "os" });
      const opsPerClock = (2 * macs) / cycles;
      const error = opsPerClock / d.peakOpsPerClock - 1;
      console.log(`${d.name}: model ${opsPerClock.toFixed(0)} ops/clock on the layer, PG338 peak ${d.peakOpsPerClock}, error ${(100 * error).toFixed(1)}%`);
      // the model can only fall short of the peak, by its fill and drain overhead (R + C - 2 cycles per fold)
      expect(error).toBeLessThanOrEqual(0);
      expect(error).toBeGreaterThan(-0.2);
    }
  });
});
