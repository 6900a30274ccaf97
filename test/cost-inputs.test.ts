// Cost-model input validation (issue 16, item 7) and the warnings a result carries (issue 13).
import { describe, expect, it } from "vitest";
import { buildDesign, DEFAULT_HLS4ML, hls4mlCost, MLPERF_TINY_HLS4ML, simulate, type Hls4mlConfig } from "../src/hw/hls4ml/index.js";
import { DEFAULT_PE_ARRAY, peArrayCost } from "../src/hw/pe-array/index.js";
import { cifarResNet, lower, resnet8, type NetSpec } from "../src/net/index.js";

const cfg = (o: Partial<Hls4mlConfig> = {}): Hls4mlConfig => ({ ...DEFAULT_HLS4ML, ...o });
const oneConv = (kernel: number, stride: number): NetSpec => ({
  name: "one",
  dims: 2,
  input: { channels: 3, height: 32, width: 32 },
  stem: { convs: [{ kernel, stride, out: 8 }] },
  blocks: [],
  head: { kind: "gap-dense", classes: 10 },
});

describe("bad cost-model input is refused, naming the field and the valid range", () => {
  it("1000-bit weights (hls4ml and PE array)", () => {
    expect(() => hls4mlCost(lower(resnet8()), cfg({ weightBits: 1000 }))).toThrow(/weightBits must be between 1 and 32 bits.*got 1000/);
    expect(() => hls4mlCost(lower(resnet8()), cfg({ accBits: 65 }))).toThrow(/accBits must be between 1 and 64/);
    expect(() => peArrayCost(lower(resnet8()), { ...DEFAULT_PE_ARRAY, weightBits: 1000 })).toThrow(/weightBits must be between 1 and 32 bits, got 1000/);
  });
  it("a 65x65 kernel on a 32x32 map, and stride 64", () => {
    expect(() => lower(oneConv(65, 1))).toThrow(/stem0.conv: kernel 65 is larger than its input height 32; expected at most 32/);
    // a 3x3 conv pads 1: padded input 34
    expect(() => lower(oneConv(3, 64))).toThrow(/stem0.conv: stride 64 exceeds its padded input height 34; expected at most 34/);
    expect(() => lower(oneConv(32, 2))).not.toThrow();
  });
  it("simulate with fewer depths than streams", () => {
    const d = buildDesign(lower(resnet8()), cfg());
    expect(() => simulate(d, [1, 2, 3])).toThrow(new RegExp(`depths has 3 entries, the design has ${d.streams.length} streams`));
    expect(() => simulate(d, d.streams.map(() => 0))).toThrow(/depths\[0\] .* must be a positive integer or Infinity, got 0/);
  });
});

describe("warnings in the result", () => {
  it("a global reuse factor hls4ml would change: 3 and 100 on ResNet-8", () => {
    // stem conv: n_in = 27, n_out = 16: rf 3 is valid (27 x 16 / 3 = 144, 3 < 27, limit ceil(432/3) = 144 % 16 = 0),
    // rf 100 is not (432 % 100 != 0)
    const w3 = hls4mlCost(lower(resnet8()), cfg({ reuseFactor: 3 })).warnings;
    expect(w3.some((w) => w.startsWith("stem0.conv:"))).toBe(false);
    const w100 = hls4mlCost(lower(resnet8()), cfg({ reuseFactor: 100 })).warnings;
    expect(w100.find((w) => w.startsWith("stem0.conv:"))).toMatch(/reuse factor 100 is not valid for n_in=27, n_out=16; hls4ml uses \d+/);
    expect(w100.some((w) => w.startsWith("head.fc:"))).toBe(true);
  });
  it("an override for a layer the network does not have", () => {
    const r = hls4mlCost(lower(resnet8()), cfg({ layerReuse: { "s9b9.u0.conv": 4 } }));
    expect(r.warnings).toContain('layerReuse["s9b9.u0.conv"]: resnet8 has no conv or dense layer of that name; the override is ignored');
  });
  it("DSP above the part: ResNet-20 at 16 bits, reuse factor 1, on an xc7z020 does not fit, and says by how much", () => {
    const r = hls4mlCost(lower(cifarResNet(20)), cfg({ weightBits: 16, actBits: 16, accBits: 32, part: "xc7z020" }));
    expect(r.utilisation.dsp).toBeGreaterThan(1);
    const w = r.warnings.find((x) => x.startsWith("does not fit xc7z020"))!;
    expect(w).toMatch(new RegExp(`DSP ${r.totals.dsp} of 220 \\(${Math.round(100 * r.utilisation.dsp)}%\\)`));
  });
  it("a design that fits has no fit warning; the MLPerf-Tiny-like ResNet-8 fits its xc7z020", () => {
    const r = hls4mlCost(lower(resnet8()), { ...MLPERF_TINY_HLS4ML, fifoDepth: "optimised" });
    expect(r.warnings.some((w) => w.startsWith("does not fit"))).toBe(false);
  });
});
