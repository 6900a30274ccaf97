/**
 * The claim registry: each claim of the paper, C1-C8, is one entry here, with the group of evidence it reads and the
 * function that computes its verdict. The specs (the paper's value, our tolerance, the reference configuration or
 * the scope) come from data/claims.json (src/experiment/claim-spec.ts); the evidence of each group is gathered once
 * (the cost-model sweeps; the evaluated runs); each group writes its tables and figures from the same evidence.
 *
 *   claim        group      verdict computed by
 *   C1 BRAM      hls4ml     hlsClaim (hardware-claims.ts): the saving at the reference, and over the sweep
 *   C2 FF        hls4ml     hlsClaim
 *   C3 LUT       hls4ml     hlsClaim
 *   C4 perf      pe-array   peClaim (hardware-claims.ts)
 *   C5 DRAM      pe-array   peClaim
 *   C6 latency   hls4ml     hlsClaim
 *   C7a          accuracy   checkC7a (accuracy-report.ts): the worst Tailor student against its teacher
 *   C7b          accuracy   checkC7b (depth.ts): SkipRemover loses with depth, SkipShortener does not
 *   C8           accuracy   checkC8 (codesign.ts): under QAT, SkipShortener against SkipRemover
 *
 * A claim is added by an entry here and its spec in data/claims.json (the registry refuses one without the other).
 */
import type { AccuracyScope, ClaimGroup, ClaimSpec, ClaimSpecs } from "../experiment/index.js";
import { accuracyOutputs, checkC7a } from "./accuracy-report.js";
import type { ClaimResult } from "./claims.js";
import { checkC8 } from "./codesign.js";
import { checkC7b } from "./depth.js";
import { hlsClaim, peClaim } from "./hardware-claims.js";
import { hlsEvidence, hlsOutputs, hlsReferenceOf, type HlsEvidence } from "./hls4ml-report.js";
import type { Outputs, Step } from "./outputs.js";
import { peEvidence, peOutputs, type PeEvidence } from "./pe-array-report.js";
import type { PublishedSet } from "./published-hls4ml.js";
import { accuracyEvidence, type AccuracyEvidence, type RunSources } from "./run-evaluation.js";

/** What the claims are computed from: one part per group, present when that group was gathered. */
export interface Evidence {
  hls4ml?: HlsEvidence;
  "pe-array"?: PeEvidence;
  accuracy?: AccuracyEvidence;
}

export interface ClaimEntry {
  group: ClaimGroup;
  compute: (spec: ClaimSpec, ev: Evidence) => ClaimResult;
  /** the figures (names under figures/) that show what decides the claim */
  figures: (spec: ClaimSpec) => string[];
  /** the fields its spec's scope must give (an accuracy claim's runs) */
  scope?: (keyof AccuracyScope)[];
}

export class RegistryError extends Error {}

function part<G extends ClaimGroup>(ev: Evidence, group: G, id: string): NonNullable<Evidence[G]> {
  const p = ev[group];
  if (!p) throw new RegistryError(`${id}: the evidence of group "${group}" was not gathered`);
  return p as NonNullable<Evidence[G]>;
}

/** C1-C3, C6: an hls4ml saving (or latency change) at the reference configuration, and over the sweep. */
const hls4ml: ClaimEntry = {
  group: "hls4ml",
  figures: (s) => [`claim-${s.id}`],
  compute: (s, ev) => {
    const e = part(ev, "hls4ml", s.id);
    return hlsClaim(s, e.rows, hlsReferenceOf(e, s));
  },
};

/** C4, C5: a PE-array gain at the reference configuration, and over the sweep. */
const peArray: ClaimEntry = {
  group: "pe-array",
  figures: (s) => [`claim-${s.id}`],
  compute: (s, ev) => {
    const e = part(ev, "pe-array", s.id);
    return peClaim(s, e.rows, e.refs[s.reference!]);
  },
};

export const CLAIMS: Record<string, ClaimEntry> = {
  C1: hls4ml,
  C2: hls4ml,
  C3: hls4ml,
  C4: peArray,
  C5: peArray,
  C6: hls4ml,
  // its students: the short-schedule ResNet-8 runs and the depth study's
  C7a: { group: "accuracy", compute: (s, ev) => checkC7a(s, part(ev, "accuracy", s.id)), figures: (s) => [...(s.scope?.shortRuns ? ["accuracy-resnet8"] : []), "accuracy-depth"], scope: ["nets"] },
  C7b: { group: "accuracy", compute: (s, ev) => checkC7b(s, part(ev, "accuracy", s.id).depth.runs), figures: () => ["accuracy-depth"], scope: ["shallow", "deep"] },
  C8: { group: "accuracy", compute: (s, ev) => checkC8(s, part(ev, "accuracy", s.id).codesign), figures: (s) => [`codesign-${s.scope?.net}`], scope: ["net", "bits", "seeds"] },
};

/** Every spec has an entry of its group, and every entry a spec; an error names the claim. */
export function checkRegistry(specs: ClaimSpecs): void {
  for (const s of specs.claims) {
    const e = CLAIMS[s.id];
    if (!e) throw new RegistryError(`data/claims.json: claim ${s.id} has no entry in the claim registry (src/report/claim-registry.ts)`);
    if (e.group !== s.group) throw new RegistryError(`data/claims.json: claim ${s.id}: group "${s.group}", but the registry computes it from group "${e.group}"`);
    const missing = (e.scope ?? []).filter((k) => s.scope?.[k] === undefined);
    if (missing.length) throw new RegistryError(`data/claims.json: claim ${s.id}: its scope needs ${missing.join(", ")}`);
  }
  for (const id of Object.keys(CLAIMS)) if (!specs.claims.some((s) => s.id === id)) throw new RegistryError(`claim registry: ${id} has no spec in data/claims.json`);
}

/** The groups a run computes: every group, or the group of the claim asked for. */
export function groupsFor(specs: ClaimSpecs, only?: string): ClaimGroup[] {
  checkRegistry(specs);
  const all: ClaimGroup[] = ["hls4ml", "pe-array", "accuracy"];
  if (!only) return all;
  const s = specs.claims.find((c) => c.id === only);
  if (!s) throw new RegistryError(`--only ${only}: expected one of ${specs.claims.map((c) => c.id).join(", ")}`);
  return [s.group];
}

export interface EvidenceSources {
  /** data/published/hls4ml-tutorial-cnn.json, parsed */
  published: () => PublishedSet;
  runs: RunSources;
  step: Step;
}

/** The evidence of `groups`, each gathered once. */
export async function gatherEvidence(specs: ClaimSpecs, groups: ClaimGroup[], src: EvidenceSources): Promise<Evidence> {
  const ev: Evidence = {};
  if (groups.includes("hls4ml")) ev.hls4ml = await hlsEvidence(specs, src.published(), src.step);
  if (groups.includes("pe-array")) ev["pe-array"] = await peEvidence(specs, src.step);
  if (groups.includes("accuracy")) ev.accuracy = await accuracyEvidence(src.runs, specs);
  return ev;
}

const withoutScope = ({ scope: _scope, ...r }: ClaimResult & { scope?: unknown }): ClaimResult => r;

const OUTPUTS: Record<ClaimGroup, (ev: Evidence, specs: ClaimSpecs, results: ClaimResult[]) => Outputs> = {
  hls4ml: (ev, specs, results) => hlsOutputs(part(ev, "hls4ml", "hls4ml"), specs, results),
  "pe-array": (ev, specs, results) => peOutputs(part(ev, "pe-array", "pe-array"), specs, results),
  accuracy: (ev, specs) => accuracyOutputs(part(ev, "accuracy", "accuracy"), specs),
};

/** The verdicts of every claim of `groups`, in the specs' order, and the groups' tables and figures. */
export function computeClaims(specs: ClaimSpecs, ev: Evidence, groups: ClaimGroup[]): { results: ClaimResult[]; outputs: Outputs } {
  checkRegistry(specs);
  // the scope chose the runs; the result repeats the rest of the spec (figures/claims.json), as before scopes existed
  const results = specs.claims.filter((s) => groups.includes(s.group)).map((s) => withoutScope(CLAIMS[s.id].compute(s, ev)));
  const outputs: Outputs = { tables: {}, figures: {} };
  for (const g of groups) {
    const o = OUTPUTS[g](ev, specs, results.filter((r) => r.group === g));
    Object.assign(outputs.tables, o.tables);
    Object.assign(outputs.figures, o.figures);
  }
  return { results, outputs };
}
