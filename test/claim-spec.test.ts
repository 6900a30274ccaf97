// data/claims.json through its typed loader: the committed file loads; every malformed field is an error naming the
// file and the JSON path (before, a tolerance given as the string "5" flipped C1 to "reproduced", an unknown check
// counted as within, duplicate ids and negative tolerances were accepted).
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { claimSpec, loadClaimSpecs, parseClaimSpecs } from "../src/experiment/index.js";
import { checkRegistry, CLAIMS, groupsFor } from "../src/report/claim-registry.js";

const FILE = path.join(__dirname, "..", "data", "claims.json");
const text = fs.readFileSync(FILE, "utf8");
/** the committed file with one change made to its parsed JSON */
const edited = (f: (d: any) => void) => {
  const d = JSON.parse(text);
  f(d);
  return JSON.stringify(d);
};
const parse = (t: string) => () => parseClaimSpecs(t, "claims.json");

describe("data/claims.json", () => {
  it("loads, typed: C1-C8 with their quantities, references and scopes, each claim's fields in the file's order", () => {
    const s = loadClaimSpecs();
    expect(s.claims.map((c) => c.id)).toEqual(["C1", "C2", "C3", "C4", "C5", "C6", "C7a", "C7b", "C8"]);
    expect(claimSpec(s, "C1")).toMatchObject({ quantity: "bram18", reference: "hls4ml-mlperf-tiny", tolerance: 10, check: "within" });
    expect(claimSpec(s, "C8").scope).toEqual({ net: "resnet20", bits: 4, seeds: [1, 2] });
    expect(claimSpec(s, "C7b").scope).toEqual({ shallow: "resnet8", deep: "resnet56" });
    expect(s.references["pe-scalesim-cgra4ml"].networks).toContain("resnet50");
    const raw = JSON.parse(text).claims;
    s.claims.forEach((c, i) => expect(Object.keys(c), c.id).toEqual(Object.keys(raw[i])));
    expect(() => claimSpec(s, "C9")).toThrow(/unknown claim "C9" \(known: C1, .*C8\)/);
  });
  it("every claim has an entry in the registry, of its group, and the registry no claim without a spec", () => {
    const s = loadClaimSpecs();
    expect(() => checkRegistry(s)).not.toThrow();
    expect(Object.keys(CLAIMS).sort()).toEqual(s.claims.map((c) => c.id).sort());
    expect(() => checkRegistry({ ...s, claims: s.claims.filter((c) => c.id !== "C4") })).toThrow(/registry: C4 has no spec in data\/claims.json/);
    expect(() => checkRegistry({ ...s, claims: s.claims.map((c) => (c.id === "C4" ? { ...c, group: "hls4ml" } : c)) })).toThrow(/claim C4: group "hls4ml", but the registry computes it from group "pe-array"/);
    const c8 = s.claims.findIndex((c) => c.id === "C8");
    expect(() => checkRegistry({ ...s, claims: s.claims.map((c, i) => (i === c8 ? { ...c, scope: { net: "resnet20" as const } } : c)) })).toThrow(/claim C8: its scope needs bits, seeds/);
    expect(groupsFor(s, "C7b")).toEqual(["accuracy"]);
    expect(groupsFor(s)).toEqual(["hls4ml", "pe-array", "accuracy"]);
    expect(() => groupsFor(s, "C10")).toThrow(/--only C10: expected one of C1, /);
  });
  it("a malformed field is an error naming the file and its path", () => {
    expect(parse("{ not json")).toThrow(/^claims.json: not valid JSON/);
    expect(parse(edited((d) => (d.claims[0].tolerance = "5")))).toThrow('claims.json: claims[0] (C1).tolerance: expected a finite number >= 0, got "5"');
    expect(parse(edited((d) => (d.claims[0].tolerance = -1)))).toThrow(/claims\[0\] \(C1\)\.tolerance: expected a finite number >= 0, got -1/);
    expect(parse(edited((d) => delete d.claims[1].tolerance))).toThrow(/claims\[1\] \(C2\)\.tolerance: expected a finite number >= 0/);
    expect(parse(edited((d) => (d.claims[0].check = "roughly")))).toThrow(/claims\[0\] \(C1\)\.check: expected one of within, at-least, more-than, got "roughly"/);
    expect(parse(edited((d) => (d.claims[1].id = "C1")))).toThrow(/claims\[1\] \(C1\)\.id: expected an id used once/);
    expect(parse(edited((d) => (d.claims[0].reference = "nope")))).toThrow(/claims\[0\] \(C1\)\.reference: expected one of references \(hls4ml-mlperf-tiny, pe-scalesim-cgra4ml\), got "nope"/);
    expect(parse(edited((d) => (d.claims[0].reference = "pe-scalesim-cgra4ml")))).toThrow(/a reference of model "hls4ml"/);
    expect(parse(edited((d) => (d.claims[0].quantity = "perf")))).toThrow(/claims\[0\] \(C1\)\.quantity: expected one of bram18, ff, lut, latency/);
    expect(parse(edited((d) => (d.claims[0].paper = null)))).toThrow(/\.paper: expected a finite number, got null/);
    expect(parse(edited((d) => (d.claims[0].tolrance = 3)))).toThrow(/claims\[0\] \(C1\)\.tolrance: expected no such field/);
    expect(parse(edited((d) => (d.claims[8].scope.net = "resnet9")))).toThrow(/claims\[8\] \(C8\)\.scope\.net: expected a known network/);
    expect(parse(edited((d) => (d.claims[8].scope.seeds = [0])))).toThrow(/\.scope\.seeds: expected an array of positive integer seeds, the first 1/);
    expect(parse(edited((d) => (d.claims[8].scope.seeds = [2, 1])))).toThrow(/\.scope\.seeds: expected an array of positive integer seeds, the first 1, got \[2,1\]/);
    expect(parse(edited((d) => (d.claims[7].and.tolerence = 1)))).toThrow(/claims\[7\] \(C7b\)\.and\.tolerence: expected no such field/);
    expect(parse(edited((d) => (d.references["hls4ml-mlperf-tiny"].cfg = {})))).toThrow(/references\.hls4ml-mlperf-tiny\.cfg: expected no such field/);
    expect(parse(edited((d) => (d.claim = [])))).toThrow(/the file\.claim: expected no such field/);
    expect(parse(edited((d) => (d.claims[0].scope = { nets: ["resnet8"] })))).toThrow(/claims\[0\] \(C1\)\.scope: expected no such field/);
    expect(parse(edited((d) => delete d.claims[6].scope))).toThrow(/claims\[6\] \(C7a\)\.scope: expected an object/);
    expect(parse(edited((d) => (d.references["hls4ml-mlperf-tiny"].networks = ["resnet9"])))).toThrow(/references\.hls4ml-mlperf-tiny\.networks\[0\]: expected a known network/);
    expect(parse(edited((d) => (d.claims[7].and.check = "within!")))).toThrow(/claims\[7\] \(C7b\)\.and\.check/);
  });
});

describe("a claim in a notebook", () => {
  it("splits where its value comes from at the top-level semicolons only", async () => {
    const { topLevelParts } = await import("../src/report/notebook-views.js");
    expect(topLevelParts("SkipRemover gap ResNet-8 -0.31 pp, ResNet-56 -2.54 pp (loss 2.23 pp); SkipShortener gap ResNet-56 +0.28 pp (test top-1 vs own teacher; data/runs/depth)")).toEqual([
      "SkipRemover gap ResNet-8 -0.31 pp, ResNet-56 -2.54 pp (loss 2.23 pp)",
      "SkipShortener gap ResNet-56 +0.28 pp (test top-1 vs own teacher; data/runs/depth)",
    ]);
    expect(topLevelParts("a; b")).toEqual(["a", "b"]);
  });
  it("shows each claim's verdict from figures/claims.json and the figures of what decides it", async () => {
    const { claimView } = await import("../src/report/notebook-views.js");
    const figures = path.join(__dirname, "..", "figures");
    const c8 = claimView("C8", figures);
    expect(c8.verdict).toMatch(/^C8: (reproduced at reference|attainable, not at reference|not attainable|in progress|not computed|not at reference, range in progress) \(expected > 0.5pp; ours /);
    expect(c8.figures).toHaveLength(1);
    expect(claimView("C7a", figures).figures).toHaveLength(2);
    expect(() => claimView("C9", figures)).toThrow(/unknown claim "C9"/);
  });
});
