/**
 * Per-skip codesign with the cost models: every skip policy of a network (a mode per skip, L long, S shortened,
 * R removed, from the input end), costed by hls4ml's and the PE array's models; the front of the cheapest policy per
 * number of altered skips; for a budget, the policies that meet it with the fewest altered skips.
 *   npm run policy -- --net resnet8 [--objective bram18] [--budget bram18=80,lut=30000] [--config reference|FILE.json]
 */
import { loadClaimSpecs, TRAINABLE_NETS } from "../src/experiment/index.js";
import { loadCostConfig } from "../src/handoff/cost-config.js";
import { peReferenceConfig } from "../src/report/hardware-claims.js";
import { OBJECTIVES, parseBudget, policyCosts, policyFront, withinBudget, type Objective, type PolicyCost } from "../src/report/policy-front.js";
import { markdownTable } from "../src/util/table.js";
import { ProgressLine } from "../src/util/progress.js";
import { parseCli } from "./cli.js";

const args = parseCli("Usage: npm run policy -- --net N [--objective bram18|lut|ff|dram|cycles] [--budget q=limit,...] [--config reference|FILE.json]", {
  net: { type: "string", help: `network: ${TRAINABLE_NETS.join(", ")} (at most 10 skips: resnet8, resnet20)` },
  objective: { type: "string", default: "bram18", help: `what the front minimises: ${OBJECTIVES.join(", ")} (dram, cycles: the PE array's)` },
  budget: { type: "string", help: "limits, e.g. bram18=80,lut=30000 (quantities: bram18, lut, ff, dsp, dram, cycles)" },
  config: { type: "string", default: "reference", help: 'hls4ml configuration: "reference" (data/claims.json) or a JSON file of fields over the defaults' },
});

const PE_REFERENCE = "pe-scalesim-cgra4ml";
const HEAD = ["policy", "form", "altered skips", "BRAM18", "LUT", "FF", "DSP", "fits", "PE DRAM bytes", "PE cycles"];
const row = (c: PolicyCost) => [c.policy, c.form, c.altered, c.bram18, Math.round(c.lut), Math.round(c.ff), c.dsp, c.fits ? "yes" : "no", c.dram, c.cycles];

function main(): number {
  if (!args.net) throw new Error("--net: give a network (resnet8, resnet20)");
  if (!OBJECTIVES.includes(args.objective as Objective)) throw new Error(`--objective ${args.objective}: expected one of ${OBJECTIVES.join(", ")}`);
  const objective = args.objective as Objective;
  const budget = args.budget ? parseBudget(args.budget) : null;
  const hls = loadCostConfig(args.config);
  const specs = loadClaimSpecs();
  const pe = peReferenceConfig(PE_REFERENCE, specs.references[PE_REFERENCE]);
  const progress = new ProgressLine();
  const t0 = performance.now();
  const costs = policyCosts(args.net, hls, pe, (done, total) => progress.update(`costing policies: ${done}/${total}`));
  progress.done(`${costs.length} policies of ${args.net} costed in ${((performance.now() - t0) / 1000).toFixed(1)} s (hls4ml: ${args.config}; PE array: ${PE_REFERENCE})`);
  console.log(`\nThe cheapest policy by ${objective} for each number of altered skips, kept where it saves more than fewer alterations do (a policy that shortens a skip runs in the shortenable form: read its saving against that form's teacher, ${costs[costs.length - 1].policy} shortenable, ${costs[costs.length - 1][objective]} ${objective}):\n`);
  console.log(markdownTable(HEAD, policyFront(costs, objective).map(row)));
  if (!budget) return 0;
  const ok = withinBudget(costs, budget, objective);
  if (!ok.length) {
    const cheapest = [...costs].sort((a, b) => a[objective] - b[objective])[0];
    console.log(`\nNo policy meets ${args.budget}. The cheapest by ${objective}:\n\n${markdownTable(HEAD, [row(cheapest)])}`);
    return 1;
  }
  console.log(`\nPolicies meeting ${args.budget} with the fewest altered skips (${ok[0].altered}), cheapest by ${objective} first:\n`);
  console.log(markdownTable(HEAD, ok.slice(0, 20).map(row)) + (ok.length > 20 ? `\n(${ok.length - 20} more)` : ""));
  return 0;
}

try {
  process.exitCode = main();
} catch (e) {
  console.error(`error: ${(e as Error).message}`);
  process.exitCode = 2;
}
