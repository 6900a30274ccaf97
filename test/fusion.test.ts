// The fusion plan of training (src/train/fusion.ts) on ResNet-8's layer graph, checked against the graph worked
// out by hand (ids as lower() numbers the layers: stem 1-3, block 0 4-10, block 1 11-19, block 2 20-28, head 29-31).
import { describe, expect, it } from "vitest";
import { lower, resnet8 } from "../src/net/index.js";
import { fusionPlan } from "../src/train/fusion.js";

describe("fusionPlan on ResNet-8", () => {
  const g = lower(resnet8());
  const plan = fusionPlan(g);
  const name = (id: number) => g.layers[id].name;

  it("makes one unit of every conv-BN pair, with the ReLU and skip add after it where they follow", () => {
    const units = [...plan.byOutput].sort((a, b) => a[0] - b[0]).map(([out, u]) => ({ out: name(out), conv: u.conv !== undefined ? name(u.conv) : undefined, bn: name(u.bn), add: u.add && name(u.add.id), skip: u.add && name(u.add.skip), relu: u.relu !== undefined ? name(u.relu) : undefined }));
    expect(units).toEqual([
      { out: "stem0.relu", conv: "stem0.conv", bn: "stem0.bn", add: undefined, skip: undefined, relu: "stem0.relu" },
      { out: "s0b0.u0.relu", conv: "s0b0.u0.conv", bn: "s0b0.u0.bn", add: undefined, skip: undefined, relu: "s0b0.u0.relu" },
      // identity skip: the block's input (its input ReLU, itself the stem's ReLU output)
      { out: "s1b0.relu_in", conv: "s0b0.u1.conv", bn: "s0b0.u1.bn", add: "s0b0.add", skip: "s0b0.relu_in", relu: "s1b0.relu_in" },
      { out: "s1b0.u0.relu", conv: "s1b0.u0.conv", bn: "s1b0.u0.bn", add: undefined, skip: undefined, relu: "s1b0.u0.relu" },
      // the projection's BN has no ReLU after it: a unit of its own, read by the add as the skip
      { out: "s1b0.proj.bn", conv: "s1b0.proj.conv", bn: "s1b0.proj.bn", add: undefined, skip: undefined, relu: undefined },
      { out: "s2b0.relu_in", conv: "s1b0.u1.conv", bn: "s1b0.u1.bn", add: "s1b0.add", skip: "s1b0.proj.bn", relu: "s2b0.relu_in" },
      { out: "s2b0.u0.relu", conv: "s2b0.u0.conv", bn: "s2b0.u0.bn", add: undefined, skip: undefined, relu: "s2b0.u0.relu" },
      { out: "s2b0.proj.bn", conv: "s2b0.proj.conv", bn: "s2b0.proj.bn", add: undefined, skip: undefined, relu: undefined },
      { out: "head.relu", conv: "s2b0.u1.conv", bn: "s2b0.u1.bn", add: "s2b0.add", skip: "s2b0.proj.bn", relu: "head.relu" },
    ].sort((a, b) => g.layers.findIndex((l) => l.name === a.out) - g.layers.findIndex((l) => l.name === b.out)));
  });

  it("treats the ReLU of a ReLU as the same tensor", () => {
    expect([...plan.same].map(([a, b]) => [name(a), name(b)])).toEqual([["s0b0.relu_in", "stem0.relu"]]);
  });

  it("absorbs only layers read by nothing outside their unit", () => {
    const inUnit = new Map<number, number>();
    for (const [out, u] of plan.byOutput) for (const id of [u.conv, u.bn, u.add?.id, u.relu]) if (id !== undefined) inUnit.set(id, out);
    for (const id of plan.absorbed) {
      expect(inUnit.has(id)).toBe(true);
      for (const reader of g.consumers[id]) expect(inUnit.get(reader)).toBe(inUnit.get(id));
    }
    // 9 convs, 9 BNs, 3 adds and 7 closing ReLUs in 9 units: all but the 9 outputs absorbed
    expect(plan.absorbed.size).toBe(9 + 9 + 3 + 7 - 9);
  });
});
