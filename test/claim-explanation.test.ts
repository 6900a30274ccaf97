// A claim explained in sentences (src/report/claim-explanation.ts): every number in the text is the result's or the
// sensitivity's, formatted; the margins and the verdict under another setting are worked here by hand.
import { describe, expect, it } from "vitest";
import { explainClaim, margin, passes } from "../src/report/claim-explanation.js";
import type { ClaimResult } from "../src/report/claims.js";

const base: ClaimResult = {
  id: "C1", claim: "saves BRAM", metric: "BRAM18 saving", quantity: "bram18", paper: 34, unit: "%", tolerance: 10, group: "hls4ml", check: "within",
  ours: 21.4, atReference: false, range: { min: -38.9, median: 8.6, max: 51, count: 90, excluded: 195 }, attainable: true,
  status: "attainable, not at reference", configuration: "resnet8 remover, flow; each pair at the reference: resnet8 remover 21.4%", reason: "at the reference our value 21.4% is below the paper's 34.0%",
} as ClaimResult;

describe("claim explanation", () => {
  it("margins and checks, by hand", () => {
    // within 34 ± 10: 21.4 misses by 34 - 10 - 21.4 = 2.6; 30 passes by 10 - 4 = 6
    expect(margin(base, 21.4)).toBeCloseTo(-2.6, 9);
    expect(margin(base, 30)).toBeCloseTo(6, 9);
    // at least 0 - 1: -0.96 passes by 0.04; more than 0 + 0.5: -0.53 fails by 1.03
    expect(margin({ check: "at-least", paper: 0, tolerance: 1 }, -0.96)).toBeCloseTo(0.04, 9);
    expect(passes({ check: "more-than", paper: 0, tolerance: 0.5 }, -0.53)).toBe(false);
    expect(passes({ check: "more-than", paper: 0, tolerance: 0.5 }, 0.5)).toBe(false);
  });

  it("a claim that misses: its reason, the sweep, and the setting that would change the verdict", () => {
    const text = explainClaim({
      result: base,
      sensitivity: [{ setting: "DRAM bandwidth", reference: "64 bytes/cycle", alternatives: [{ setting: "8 bytes/cycle", value: 35 }, { setting: "32 bytes/cycle", value: 13.2 }] }],
    });
    expect(text).toContain("ours 21.4%, the paper 34.0% (our tolerance ± 10%): **attainable, not at reference**");
    expect(text).toContain("the sweep spans -38.9% to 51.0%");
    // 35 is within 34 ± 10 (the verdict flips), 13.2 is not
    expect(text).toContain("8 bytes/cycle: 35.0%, 32 bytes/cycle: 13.2%, so the verdict would change at 8 bytes/cycle.");
  });

  it("a setting where nothing fits is shown, never counted", () => {
    const text = explainClaim({ result: base, sensitivity: [{ setting: "FIFO depth rule", reference: "optimised", alternatives: [{ setting: "default", value: 43.3, unfit: true }] }] });
    expect(text).toContain("default: 43.3% (within the tolerance, but no design fits the part: it would not count), so no other FIFO depth rule tried changes the verdict.");
  });

  it("a claim that holds: by how much, and the published check's error with its direction", () => {
    const c2 = { ...base, id: "C2", paper: 13, ours: 21.7, atReference: true, status: "reproduced at reference", configuration: "resnet8 remover, flow; each pair at the reference: resnet8 remover 21.7%, resnet8 shortener 18.4%" } as ClaimResult;
    const check = [
      { design: "a", quantity: "FF of conv (HLS estimate)", observed: 100, model: 272, errorPct: 172, note: "" },
      { design: "b", quantity: "FF of conv (HLS estimate)", observed: 100, model: 341, errorPct: 241, note: "" },
    ];
    const text = explainClaim({ result: c2, publishedCheck: check });
    // 13 + 10 - 21.7 = 1.3 points to spare; the value's pair named
    expect(text).toContain("It holds by 1.3 points, at resnet8 remover 21.7%.");
    expect(text).toContain("FF of conv is off by +172% on a, +241% on b");
    // both over: the saving is understated, and ours is already above the paper's
    expect(text).toContain("the true saving would be larger: further from the paper's");
  });
});
