// Verdicts on claims, worked by hand, and the reference configurations of data/claims.json.
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { checkClaim, CLAIM_STATUSES, distribution, signedPp, type ClaimResult, type ClaimSpec } from "../src/report/claims.js";
import { fixed2, markdownTable } from "../src/util/table.js";
import { claimsNotes, claimsTable, claimsTerminalTable } from "../src/report/claims-table.js";
import { carriedOverNote, parseClaimsFile } from "../src/report/claims-file.js";
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
  it("while runs of the range still train, a claim off at the reference is not called unattainable", () => {
    expect(checkClaim(spec, 10, "", why, distribution([1, 10, 20]), false)).toMatchObject({ attainable: null, status: "not at reference, range in progress" });
    // what is already in the range can show it attainable, and the reference can hold, whatever is still to come
    expect(checkClaim(spec, 10, "", why, distribution([5, 10, 60]), false).status).toBe("attainable, not at reference");
    expect(checkClaim(spec, 40, "", why, distribution([5, 40]), false).status).toBe("reproduced at reference");
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
  it("at exactly the bound, the check decides as its words say, whatever the floating-point noise of the gap", () => {
    // a gap is 100 * (student - teacher) of test top-1 values k/10,000 (src/report/depth.ts gap), so it can land
    // exactly on a bound; in floating point it comes out a few 1e-16 off, on either side depending on k
    const gapOf = (student: number, teacher: number) => 100 * (student / 1e4 - teacher / 1e4);
    const acc: ClaimSpec = { ...spec, paper: 0, tolerance: 1, check: "at-least" };
    const drop: ClaimSpec = { ...spec, paper: 0, tolerance: 1, check: "more-than" };
    const c8: ClaimSpec = { ...spec, paper: 0, tolerance: 0.5, check: "more-than" };
    const within: ClaimSpec = { ...spec, paper: 0, tolerance: 1, check: "within" };
    let noisy = 0;
    for (let t = 7800; t < 8800; t += 7) {
      const minus1 = gapOf(t - 100, t); // exactly -1.00 pp
      const plus1 = gapOf(t + 100, t); // exactly +1.00 pp
      const half = gapOf(t + 50, t); // exactly +0.50 pp
      if (minus1 !== -1 || plus1 !== 1 || half !== 0.5) noisy++;
      // at-least is inclusive: -1.00 >= 0 - 1 holds, -1.01 does not
      expect(checkClaim(acc, minus1, "", why).atReference, `${t}: ${minus1}`).toBe(true);
      expect(checkClaim(acc, gapOf(t - 101, t), "", why).atReference).toBe(false);
      // more-than is strict: a loss of exactly 1.00 is not more than 1; 1.01 is
      expect(checkClaim(drop, plus1, "", why).atReference, `${t}: ${plus1}`).toBe(false);
      expect(checkClaim(drop, gapOf(t + 101, t), "", why).atReference).toBe(true);
      // C8's bound: exactly 0.50 is not more than 0.5
      expect(checkClaim(c8, half, "", why).atReference, `${t}: ${half}`).toBe(false);
      expect(checkClaim(c8, gapOf(t + 51, t), "", why).atReference).toBe(true);
      // within is inclusive at both ends
      expect([minus1, plus1].map((g) => checkClaim(within, g, "", why).atReference)).toEqual([true, true]);
      // "attainable" (the range's end against the bound) decides the same way
      expect(checkClaim(acc, gapOf(t - 300, t), "", why, distribution([gapOf(t - 300, t), minus1])).attainable).toBe(true);
      expect(checkClaim(drop, 0, "", why, distribution([0, plus1])).attainable).toBe(false);
    }
    // the noise is there: without rounding, most of these verdicts would be wrong
    expect(noisy).toBeGreaterThan(100);
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
    expect(() => hlsReferenceConfig("x", { ...r, networks: ["resnet9" as never] })).toThrow(/unknown network "resnet9"/);
  });
});

describe("the claims table", () => {
  const ROOT = path.join(__dirname, "..");
  const accuracy = (over: Partial<ClaimResult>): ClaimResult => ({ ...spec, id: "A", paper: 0, unit: "pp", tolerance: 1, check: "more-than", ours: null, atReference: null, range: null, attainable: null, status: "not computed", configuration: "", reason: "", ...over });

  it("points (pp) with 2 decimals: a loss of 0.96 and one of 1.04 do not both read 1.0pp; percentages keep 1", () => {
    const lo = checkClaim({ ...spec, paper: 0, unit: "pp", tolerance: 1, check: "more-than" }, 0.96, "", why);
    const hi = checkClaim({ ...spec, paper: 0, unit: "pp", tolerance: 1, check: "more-than" }, 1.04, "", why);
    const t = claimsTable([lo, hi, checkClaim(spec, 21.428571, "", why)]);
    expect(t).toContain("| X | `npm run reproduce -- --only X` | > 1pp | 0.96pp | no | 0.96pp / 0.96pp / 0.96pp (1 design) | no | not attainable |");
    expect(t).toContain("| X | `npm run reproduce -- --only X` | > 1pp | 1.04pp | yes | 1.04pp / 1.04pp / 1.04pp (1 design) | yes | reproduced at reference |");
    expect(t).toContain("| 21.4% |");
    expect(claimsTerminalTable([lo])).toContain("0.96pp");
  });

  it("a two-part claim (C7b) shows both values, never one part beside the verdict on both", () => {
    const and = { metric: "", paper: 0, tolerance: 1, check: "at-least" as const };
    const r = accuracy({ id: "C7b", and, ours: 2, andOurs: -2, atReference: false, range: distribution([2]), attainable: false, status: "not attainable" });
    const row = claimsTable([r]).split("\n")[2];
    expect(row).toBe("| C7b | `npm run reproduce -- --only C7b` | > 1pp, and >= 0 (± 1)pp | 2.00pp, and -2.00pp | no | 2.00pp, and -2.00pp (1 design) | no | not attainable |");
    expect(claimsTerminalTable([r])).toContain("2.00pp, and -2.00pp");
    // in progress: no value, no half
    expect(claimsTable([accuracy({ id: "C7b", and, status: "in progress" })]).split("\n")[2]).toBe("| C7b | `npm run reproduce -- --only C7b` | > 1pp, and >= 0 (± 1)pp | - | - | - | - | in progress |");
  });

  it("ARTIFACT.md's claims table and figures/claims.md are the table of the committed figures/claims.json", () => {
    const file = parseClaimsFile(fs.readFileSync(path.join(ROOT, "figures", "claims.json"), "utf8"), "figures/claims.json");
    const claims = file.claims;
    const table = claimsTable(claims);
    const artifact = fs.readFileSync(path.join(ROOT, "ARTIFACT.md"), "utf8");
    const m = /\n## Claims\n\n((?:\|.*\n)+)/.exec(artifact);
    expect(m, "ARTIFACT.md: a table right under '## Claims'").not.toBeNull();
    expect(m![1], "ARTIFACT.md's claims table: copy it from figures/claims.md").toBe(table);
    // as scripts/reproduce.ts writes it (after a partial run, with the line naming the claims it carried over)
    expect(fs.readFileSync(path.join(ROOT, "figures", "claims.md"), "utf8")).toBe("# Claims: the paper's values, ours at the reference configuration, and the sweep's range\n\n" + table + "\n" + claimsNotes(claims) + carriedOverNote(file));
  });
});

describe("numbers as the reports write them", () => {
  it("never a negative zero: two equal gaps subtracted in floating point read 0.00", () => {
    // -0.36 - (-0.36) computed from test top-1 values: 100 * (0.8249 - 0.8285) - 100 * (0.8292 - 0.8328)
    const d = 100 * (0.8249 - 0.8285) - 100 * (0.8292 - 0.8328);
    expect(d).not.toBe(0);
    expect(signedPp(d)).toBe("+0.00 pp");
    expect(signedPp(-0.004)).toBe("+0.00 pp");
    expect(signedPp(-0.006)).toBe("-0.01 pp");
    expect(fixed2(-1e-15)).toBe("0.00");
    // a bare number cell of a table goes through the same rule
    expect(markdownTable(["gap"], [[-1e-15]]).split("\n")[2]).toBe("| 0.00 |");
    expect(claimsTable([{ ...({} as ClaimResult), id: "C8", paper: 0, tolerance: 0.5, unit: "pp", check: "more-than", ours: -1e-15, atReference: false, range: distribution([-1e-15, -0.88]), attainable: false, status: "not attainable" }]).split("\n")[2]).toBe(
      "| C8 | `npm run reproduce -- --only C8` | > 0.5pp | 0.00pp | no | -0.88pp / -0.44pp / 0.00pp (2 designs) | no | not attainable |",
    );
  });
});
