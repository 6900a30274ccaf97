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
