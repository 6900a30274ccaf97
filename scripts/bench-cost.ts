/**
 * Speed of the cost models: the whole hls4ml sweep and the whole PE-array sweep, against the one-second budget of
 * issues 5 and 6 (printed as a ratio), and the exhaustive ResNet-20 policy front (issue 27, item 2: under 10 s) the
 * fast way (policyCosts: shared schedule, prefix order) against the straightforward way (costPolicy per policy, every
 * design simulated on its own) timed on every `--old-every`-th policy and extrapolated per policy. Writes
 * figures/bench-cost.json. The machine may be shared (a training campaign): compare the ratios, not the seconds.
 */
import * as path from "node:path";
import { hls4mlSweep } from "../src/report/hls4ml-sweep.js";
import { peSweep } from "../src/report/pe-sweep.js";
import { allPolicies, costPolicy, policyCosts, policyNets } from "../src/report/policy-front.js";
import { peReferenceConfig } from "../src/report/hardware-claims.js";
import { loadClaimSpecs } from "../src/experiment/index.js";
import { loadCostConfig } from "../src/handoff/cost-config.js";
import { policyForm, skipCount } from "../src/net/index.js";
import type { SimCache } from "../src/hw/hls4ml/index.js";
import { runEnvironment } from "../src/backend/environment.js";
import { writeFileAtomic } from "../src/util/fs.js";
import { parseCli } from "./cli.js";

const args = parseCli("Usage: npx tsx scripts/bench-cost.ts [--old-every N]", {
  "old-every": { type: "string", default: "40", help: "time the straightforward policy costing on every N-th ResNet-20 policy (1: all of them, minutes)" },
});
const oldEvery = Number(args["old-every"]);
if (!Number.isInteger(oldEvery) || oldEvery < 1) {
  console.error(`error: --old-every ${args["old-every"]}: expected a whole number >= 1`);
  process.exit(2);
}

const time = (f: () => unknown[]) => {
  f(); // warm-up (JIT)
  const t0 = performance.now();
  const n = f().length;
  return { rows: n, seconds: (performance.now() - t0) / 1000 };
};
const hls = time(hls4mlSweep);
const pe = time(peSweep);
console.log(`hls4ml sweep: ${hls.rows} configurations x 2 designs in ${hls.seconds.toFixed(2)} s (${(hls.seconds / 1).toFixed(2)}x the 1 s budget)`);
console.log(`PE-array sweep: ${pe.rows} configurations x 2 networks in ${pe.seconds.toFixed(2)} s (${(pe.seconds / 1).toFixed(2)}x the 1 s budget)`);

// the policy front as `npm run policy -- --net resnet20` costs it (its default configurations)
const NET = "resnet20";
const hlsRef = loadCostConfig("reference");
const peRef = peReferenceConfig("pe-scalesim-cgra4ml", loadClaimSpecs().references["pe-scalesim-cgra4ml"]);
// warm-up (JIT), both ways, on ResNet-8
policyCosts("resnet8", hlsRef, peRef);
for (const p of allPolicies(3)) costPolicy(policyNets("resnet8"), p, hlsRef, peRef, new Map());
const nets = policyNets(NET);
const skips = skipCount(nets.plain);
let t0 = performance.now();
const fast = policyCosts(NET, hlsRef, peRef);
const fastSeconds = (performance.now() - t0) / 1000;
// the straightforward way as policyCosts did it before: one SimCache, costPolicy per policy in allPolicies order
const sampled = [...allPolicies(skips).filter((_, i) => i % oldEvery === 0), "L".repeat(skips)];
const cache: SimCache = new Map();
t0 = performance.now();
sampled.forEach((p, i) => costPolicy(nets, p, hlsRef, peRef, cache, i === sampled.length - 1 ? "shortenable" : policyForm(p)));
const oldSampledSeconds = (performance.now() - t0) / 1000;
const oldSeconds = (oldSampledSeconds / sampled.length) * fast.length;
const ratio = oldSeconds / fastSeconds;
console.log(
  `${NET} policy front: ${fast.length} designs in ${fastSeconds.toFixed(1)} s (${((1000 * fastSeconds) / fast.length).toFixed(2)} ms each; the 10 s target ${fastSeconds <= 10 ? "met" : "not met"} in this run); ` +
    `costPolicy per policy: ${sampled.length} designs in ${oldSampledSeconds.toFixed(1)} s, extrapolated to ${oldSeconds.toFixed(0)} s for all; ${ratio.toFixed(1)}x faster (the machine may be loaded: the ratio is the measure)`,
);
writeFileAtomic(
  path.resolve(__dirname, "..", "figures", "bench-cost.json"),
  JSON.stringify(
    {
      environment: runEnvironment(),
      hls4ml: hls,
      peArray: pe,
      policyFront: {
        net: NET,
        designs: fast.length,
        seconds: fastSeconds,
        targetSeconds: 10,
        straightforward: { designs: sampled.length, every: oldEvery, seconds: oldSampledSeconds, extrapolatedSeconds: oldSeconds, note: "costPolicy per policy on a subset, extrapolated per policy" },
        ratio,
      },
    },
    null,
    2,
  ) + "\n",
);
