import { describe, expect, it } from "vitest";
import {
  countMacs,
  countParams,
  cifarResNet,
  imagenetResNet,
  quartznet5x5,
  layerParams,
  lower,
  resnet8,
  skipAdds,
  withAllSkips,
  withSkip,
  NetSpecError,
  type NetSpec,
} from "../src/net/index.js";

describe("NetSpec parameter and MAC counts", () => {
  it("ResNet-8 matches a count worked by hand", () => {
    // convs: stem 3*16*9; block 16: 2 * 16*16*9; block 32: 16*32*9 + 32*32*9 + proj 16*32;
    // block 64: 32*64*9 + 64*64*9 + proj 32*64; BN: 2 * (16 + 2*16 + 3*32 + 3*64); dense 64*10 + 10
    const convs = 3 * 16 * 9 + 2 * 16 * 16 * 9 + (16 * 32 * 9 + 32 * 32 * 9 + 16 * 32) + (32 * 64 * 9 + 64 * 64 * 9 + 32 * 64);
    const bn = 2 * (16 + 2 * 16 + 3 * 32 + 3 * 64);
    expect(countParams(lower(resnet8()))).toBe(convs + bn + 650);
    // MACs: 32x32 maps for stem and block 16, 16x16 for block 32, 8x8 for block 64
    const macs =
      1024 * (3 * 16 * 9 + 2 * 16 * 16 * 9) + 256 * (16 * 32 * 9 + 32 * 32 * 9 + 16 * 32) + 64 * (32 * 64 * 9 + 64 * 64 * 9 + 32 * 64) + 640;
    expect(countMacs(lower(resnet8()))).toBe(macs);
  });

  it("CIFAR ResNet-20/56 match He et al. (0.27M, 0.85M parameters)", () => {
    // He et al. count their CIFAR nets with parameter-free (zero-padding, option A) shortcuts; ours project
    // (option B, as the Tailor authors' code), so leave the projections out to compare.
    const noProj = (depth: number) =>
      lower(cifarResNet(depth)).layers.filter((l) => l.role !== "skip").reduce((s, l) => s + layerParams(l), 0) / 1e6;
    expect(noProj(20)).toBeCloseTo(0.27, 2);
    expect(noProj(56)).toBeCloseTo(0.85, 2);
    // the two projections add 1x1 convs 16->32 and 32->64 with their BNs
    expect(countParams(lower(cifarResNet(20))) - noProj(20) * 1e6).toBeCloseTo(16 * 32 + 32 * 64 + 2 * (32 + 64), 3);
  });

  it("ImageNet ResNets match torchvision parameter counts and published GMACs", () => {
    const cases: [18 | 34 | 50, number, number][] = [
      [18, 11_689_512, 1.8],
      [34, 21_797_672, 3.6],
      [50, 25_557_032, 4.1],
    ];
    for (const [d, params, gmacs] of cases) {
      const g = lower(imagenetResNet(d));
      expect(countParams(g)).toBe(params);
      expect(Math.abs(countMacs(g) / 1e9 - gmacs)).toBeLessThan(0.1);
    }
  });

  it("QuartzNet 5x5 matches Kriman et al. (6.7M parameters)", () => {
    expect(countParams(lower(quartznet5x5())) / 1e6).toBeCloseTo(6.7, 1);
  });
});

describe("skip modes", () => {
  it("removing a skip drops its add and projection; shortening gives one add per unit", () => {
    const long = lower(resnet8({ form: "shortenable" }));
    const removed = lower(withAllSkips(resnet8({ form: "shortenable" }), "removed"));
    const shortened = lower(withAllSkips(resnet8({ form: "shortenable" }), "shortened"));
    expect(skipAdds(long)).toHaveLength(3);
    expect(skipAdds(removed)).toHaveLength(0);
    expect(removed.layers.some((l) => l.name.includes("proj"))).toBe(false);
    expect(skipAdds(shortened)).toHaveLength(6);
    // shortened basic blocks reuse the long projection: same parameters
    expect(countParams(shortened)).toBe(countParams(long));
  });

  it("a shortened bottleneck has three short skips, projections where the shape changes", () => {
    const net = withAllSkips(imagenetResNet(50, { form: "shortenable" }), "shortened");
    const g = lower(net);
    const first = g.layers.filter((l) => l.block === "s0b0");
    expect(first.filter((l) => l.op === "add")).toHaveLength(3);
    // s0b0: 64 -> 64 (identity), 64 -> 64 (identity), 64 -> 256 (projection)
    expect(first.filter((l) => l.op === "conv" && l.role === "skip").map((l) => l.name)).toEqual(["s0b0.u2.proj.conv"]);
  });

  it("parameter names do not depend on the skip mode", () => {
    const names = (n: NetSpec) => new Set(lower(n).layers.filter((l) => l.op === "conv" || l.op === "bn").map((l) => l.name));
    const long = names(resnet8({ form: "shortenable" }));
    const short = names(withAllSkips(resnet8({ form: "shortenable" }), "shortened"));
    expect([...short].every((n) => long.has(n))).toBe(true);
  });

  it("a tensor read twice is the skip's fan-out", () => {
    const g = lower(resnet8());
    const fanOut = g.layers.filter((l) => g.consumers[l.id].length > 1);
    expect(fanOut.map((l) => l.name)).toEqual(["s0b0.relu_in", "s1b0.relu_in", "s2b0.relu_in"]);
  });
});

describe("invalid specs are rejected with the block named", () => {
  const bad = (f: (n: NetSpec) => void) => {
    const n = structuredClone(resnet8());
    f(n);
    return () => lower(n);
  };
  it("rejects", () => {
    expect(bad((n) => (n.blocks[1].units[0].out = 0))).toThrow(/block "s1b0"\.units\[0\]\.out: expected a positive integer/);
    expect(bad((n) => (n.blocks[1].shortcut = "identity"))).toThrow(/block "s1b0": identity shortcut but the block changes shape/);
    expect(bad((n) => Object.assign(n.blocks[2], { hasSkip: false }))).toThrow(/block "s2b0": skip mode "long" on a block that has no skip/);
    expect(bad((n) => ((n.blocks[0] as { form: string }).form = "dense"))).toThrow(/block "s0b0": unknown block form "dense"/);
    expect(bad((n) => (n.blocks[0].skip = "shortened"))).toThrow(/block "s0b0": skip mode "shortened" needs the "shortenable" block form/);
    expect(bad((n) => ((n.blocks[0].units[0] as { kind: string }).kind = "winograd"))).toThrow(NetSpecError);
    expect(() => withSkip(resnet8(), 3, "removed")).toThrow(/skip index 3 out of range/);
  });
});
