/**
 * Notebook 06's question as one call: for a hardware budget, the policies of the removal fronts that meet it (fewest
 * removed skips first: the accuracy risk the depth study found), each with its trained test top-1 where the policy
 * study trained it (figures/policy-study.csv of the last `npm run reproduce`).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { loadClaimSpecs, type ClaimSpecs } from "../experiment/index.js";
import type { SimCache } from "../hw/hls4ml/index.js";
import { markdownTable, parseCsv } from "../util/table.js";
import { CODESIGN_HLS_REFERENCE, CODESIGN_PE_REFERENCE } from "./codesign.js";
import { hlsReferenceConfig, peReferenceConfig } from "./hardware-claims.js";
import { additiveRemovalSearch, removalFront, removedSkips } from "./policy-choice.js";
import { formOfNet, meets, policyCosts, policyFront, type Budget, type Objective, type PolicyCost } from "./policy-front.js";
import { withAllSkips, type NetSpec } from "../net/index.js";

/** policy -> "top-1 % (run id)" for the network's trained runs in figures/policy-study.csv (seed 1 and up, all listed) */
function trained(figuresDir: string, net: string): Map<string, string[]> {
  const file = path.join(figuresDir, "policy-study.csv");
  const out = new Map<string, string[]>();
  if (!fs.existsSync(file)) return out;
  const [head, ...rows] = parseCsv(fs.readFileSync(file, "utf8"), file);
  const col = (name: string) => head.indexOf(name);
  for (const r of rows) {
    if (!r[col("run")]?.startsWith(`${net}/`)) continue;
    const top1 = r[col("test top-1 %")];
    const what = top1 ? `${top1} (${r[col("run")]})` : `${r[col("state")]} (${r[col("run")]})`;
    out.set(r[col("policy")], [...(out.get(r[col("policy")]) ?? []), what]);
  }
  return out;
}

/**
 * The policies of both removal fronts (BRAM18, LUT; the additive search, src/report/policy-choice.ts) of `net` at the
 * hls4ml reference configuration that meet `budget`, fewest removed skips first, with their trained accuracy.
 */
export function policyBudgetView(net: string, budget: Budget, figuresDir: string, specs: ClaimSpecs = loadClaimSpecs()): string {
  const hls = hlsReferenceConfig(CODESIGN_HLS_REFERENCE, specs.references[CODESIGN_HLS_REFERENCE]);
  const pe = peReferenceConfig(CODESIGN_PE_REFERENCE, specs.references[CODESIGN_PE_REFERENCE]);
  const seen = new Map<string, PolicyCost>();
  const cache: SimCache = new Map();
  for (const o of ["bram18", "lut"] as const) for (const c of removalFront(additiveRemovalSearch(net, o, hls, pe, undefined, cache), o)) seen.set(c.policy, c);
  const all = [...seen.values()].sort((a, b) => removedSkips(a.policy) - removedSkips(b.policy) || a.bram18 - b.bram18 || a.lut - b.lut);
  const ok = all.filter((c) => meets(c, budget));
  const runs = trained(figuresDir, net);
  const row = (c: PolicyCost) => [c.policy, removedSkips(c.policy), c.bram18, Math.round(c.lut), (runs.get(c.policy) ?? ["not trained"]).join("; ")];
  const head = ["policy", "removed skips", "BRAM18", "LUT", "test top-1 % (run)"];
  const limits = Object.entries(budget).map(([k, v]) => `${k} <= ${v}`).join(", ");
  if (!ok.length) {
    const cheapest = [...all].sort((a, b) => a.bram18 - b.bram18 || a.lut - b.lut)[0];
    return `No policy of the fronts meets ${limits}. The cheapest by BRAM18:\n\n${markdownTable(head, [row(cheapest)])}`;
  }
  return `Policies of the removal fronts meeting ${limits}, fewest removed skips first:\n\n${markdownTable(head, ok.map(row))}`;
}

/**
 * Notebook 05's front: every policy of a loaded network (yours, imported) in its own block form, costed at the
 * reference configurations, and the cheapest by `objective` for each number of altered skips, as
 * `npm run policy -- --checkpoint` prints it.
 */
export function loadedFrontView(net: NetSpec, objective: Objective, specs: ClaimSpecs = loadClaimSpecs()): string {
  const hls = hlsReferenceConfig(CODESIGN_HLS_REFERENCE, specs.references[CODESIGN_HLS_REFERENCE]);
  const pe = peReferenceConfig(CODESIGN_PE_REFERENCE, specs.references[CODESIGN_PE_REFERENCE]);
  const costs = policyCosts(withAllSkips(net, "long"), hls, pe);
  const head = ["policy", "altered skips", "BRAM18", "LUT", "FF", "latency (cycles)", "PE DRAM bytes", "PE cycles"];
  const rows = policyFront(costs, objective).map((c) => [c.policy, c.altered, c.bram18, Math.round(c.lut), Math.round(c.ff), c.latency, c.dram, c.cycles]);
  return `${costs.length} designs of ${net.name} in its ${formOfNet(net)} form; the cheapest by ${objective} for each number of altered skips:\n\n${markdownTable(head, rows)}`;
}
