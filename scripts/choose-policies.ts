/**
 * The rule of docs/policy-rule.md run once: which per-skip policies the policy campaign trains (issue 27, item 3),
 * written to data/policy-choice.json, which src/campaign/policy-plan.ts reads. The search's gap on the deeper network
 * is measured where the exhaustive front exists (ResNet-20) and written beside the choice.
 *   npm run policy:choose [-- --out data/policy-choice.json]
 */
import { loadClaimSpecs } from "../src/experiment/index.js";
import { loadCostConfig } from "../src/handoff/cost-config.js";
import { peReferenceConfig } from "../src/report/hardware-claims.js";
import { additiveRemovalSearch, CHOSEN_COUNT, choosePolicies, removedSkips, searchGap, type FrontObjective } from "../src/report/policy-choice.js";
import { policyCosts, type PolicyCost } from "../src/report/policy-front.js";
import { writeFileAtomic } from "../src/util/fs.js";
import { ProgressLine } from "../src/util/progress.js";
import { parseCli } from "./cli.js";

const args = parseCli("Usage: npm run policy:choose [-- --out FILE]", {
  out: { type: "string", default: "data/policy-choice.json", help: "where the choice is written (JSON)" },
});

const PE_REFERENCE = "pe-scalesim-cgra4ml";
const OBJECTIVES: FrontObjective[] = ["bram18", "lut"];
const point = (c: PolicyCost) => ({ policy: c.policy, form: c.form, removed: removedSkips(c.policy), bram18: c.bram18, lut: Math.round(c.lut) });

const hls = loadCostConfig("reference");
const pe = peReferenceConfig(PE_REFERENCE, loadClaimSpecs().references[PE_REFERENCE]);
const progress = new ProgressLine();
const networks = [];
let gap: Record<string, unknown> = {};
for (const net of Object.keys(CHOSEN_COUNT)) {
  const t0 = performance.now();
  const on = (done: number, total: number) => progress.update(`${net}: costing policies ${done}/${total}`);
  const exhaustive = net === "resnet20" ? policyCosts(net, hls, pe, on) : undefined;
  const c = choosePolicies(net, hls, pe, on, exhaustive);
  if (exhaustive) {
    // the additive search on a network whose exhaustive front is known: how far its policies are from the optimum
    const per = Object.fromEntries(OBJECTIVES.map((o) => [o, searchGap(exhaustive, additiveRemovalSearch(net, o, hls, pe), o).map((g) => ({ ...g, searched: Math.round(g.searched), optimum: Math.round(g.optimum) }))]));
    gap = { net, note: "per number of removed skips, the objective of the additive search's policy and the exhaustive optimum", ...per };
  }
  progress.done(`${net}: ${c.search} search, ${c.candidates.length} candidates, chose ${c.chosen.map((x) => x.policy).join(" ")} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  networks.push({ net, search: c.search, count: CHOSEN_COUNT[net], fronts: { bram18: c.fronts.bram18.map(point), lut: c.fronts.lut.map(point) }, candidates: c.candidates.map(point), chosen: c.chosen.map((x) => x.policy) });
}
const out = {
  rule: "docs/policy-rule.md; src/report/policy-choice.ts",
  costModel: { hls4ml: "reference (npm run cost -- --config reference)", config: hls },
  networks,
  searchGap: gap,
};
writeFileAtomic(args.out, JSON.stringify(out, null, 2) + "\n");
console.log(`wrote ${args.out}`);
