// Verdicts on claims, worked by hand, and the reference configurations of data/claims.json.
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { checkClaim, CLAIM_STATUSES, distribution, type ClaimSpec } from "../src/report/claims.js";
import { hlsReferenceConfig, peReferenceConfig, ReferenceError, type ReferenceSpec } from "../src/report/hardware-claims.js";

const spec: ClaimSpec = { id: "X", claim: "", metric: "", paper: 34, unit: "%", tolerance: 10, group: "hls4ml", check: "within" };
const why = () => "off";

describe("claim verdicts", () => {
  it("reproduced at reference: |40 - 34| <= 10", () => {
    const r = checkClaim(spec, 40, "", why, distribution([5, 40, 60]));
    expect(r).toMatchObject({ atReference: true, attainable: true, status: "reproduced at reference" });
    expect(r.range).toEqual({ min: 5, median: 40, max: 60, count: 3, excluded: 0 });
  });
  it("attainable, not at reference: 10 is 24 off, but 34 lies in [5, 60]", () => {
    expect(checkClaim(spec, 10, "", why, distribution([5, 10, 60]))).toMatchObject({ atReference: false, attainable: true, status: "attainable, not at reference", reason: "off" });
  });
  it("attainable within the tolerance of the range's end: max 25 >= 34 - 10", () => {
    expect(checkClaim(spec, 10, "", why, distribution([5, 10, 25])).status).toBe("attainable, not at reference");
  });
  it("not attainable: the whole range [1, 20] is more than 10 below 34", () => {
    expect(checkClaim(spec, 10, "", why, distribution([1, 10, 20]))).toMatchObject({ attainable: false, status: "not attainable" });
  });
  it("at-least: -0.5 >= 0 - 1 holds; -3 does not", () => {
    const acc: ClaimSpec = { ...spec, paper: 0, tolerance: 1, check: "at-least" };
    expect(checkClaim(acc, -0.5, "", why).status).toBe("reproduced at reference");
    expect(checkClaim(acc, -3, "", why, distribution([-3, -2])).status).toBe("not attainable");
  });
  it("more-than: 1.5 > 0 + 1 holds; 1.0 does not (the bound is strict)", () => {
    const drop: ClaimSpec = { ...spec, paper: 0, tolerance: 1, check: "more-than" };
    expect(checkClaim(drop, 1.5, "", why).status).toBe("reproduced at reference");
    expect(checkClaim(drop, 1.0, "", why).status).toBe("not attainable");
  });
  it("no value: not computed", () => {
    expect(checkClaim(spec, null, "checkpoints missing", why).status).toBe("not computed");
  });
  it("the statuses of data/claims.json are the code's vocabulary", () => {
    const d = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "data", "claims.json"), "utf8"));
    expect(Object.keys(d.statuses)).toEqual([...CLAIM_STATUSES]);
  });
});

describe("reference configurations", () => {
  const d = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "data", "claims.json"), "utf8"));
  const refs = d.references as Record<string, ReferenceSpec>;
  it("every claim with a reference names one that loads, and says how it was chosen", () => {
    for (const c of d.claims as ClaimSpec[]) {
      if (!c.reference) continue;
      const r = refs[c.reference];
      expect(r, c.id).toBeDefined();
      expect(r.chosenBy.length, c.id).toBeGreaterThan(50);
      expect(r.sources.length, c.id).toBeGreaterThan(0);
      if (r.model === "hls4ml") expect(hlsReferenceConfig(c.reference, r).part).toBe(r.config.part);
      else expect(peReferenceConfig(c.reference, r).rows).toBe(r.config.rows);
    }
  });
  it("a misspelt field or a bad value names the reference and the field", () => {
    const r = refs["hls4ml-mlperf-tiny"];
    expect(() => hlsReferenceConfig("x", { ...r, config: { ...r.config, reuse: 4 } })).toThrow(/references\.x\.config\.reuse: unknown field/);
    expect(() => hlsReferenceConfig("x", { ...r, config: { ...r.config, weightBits: 1000 } })).toThrow(ReferenceError);
    expect(() => hlsReferenceConfig("x", { ...r, networks: ["resnet9"] })).toThrow(/unknown network "resnet9"/);
  });
});
