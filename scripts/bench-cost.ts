/**
 * Speed of the cost models: the whole hls4ml sweep and the whole PE-array sweep, against the one-second budget of
 * issues 5 and 6 (printed as a ratio), and the exhaustive ResNet-20 policy front (issue 27, item 2: under 10 s) the
 * fast way (policyCosts: shared schedule, prefix order; on one thread and as `npm run policy` runs it, on
 * --threads) against the straightforward way (costPolicy per policy, every design simulated on its own) timed on
 * every `--old-every`-th policy and extrapolated per policy. Writes figures/bench-cost.json. The machine may be
 * shared (a training campaign): compare the ratios, not the seconds.
 */
import * as path from "node:path";
import { hls4mlSweep } from "../src/report/hls4ml-sweep.js";
import { peSweep } from "../src/report/pe-sweep.js";
import { allPolicies, costPolicy, policyCosts, policyNets } from "../src/report/policy-front.js";
import { DEFAULT_POLICY_THREADS, policyCostsParallel } from "../src/report/policy-front-parallel.js";
import { peReferenceConfig } from "../src/report/hardware-claims.js";
import { loadClaimSpecs } from "../src/experiment/index.js";
import { loadCostConfig } from "../src/handoff/cost-config.js";
import { policyForm, skipCount } from "../src/net/index.js";
import type { SimCache } from "../src/hw/hls4ml/index.js";
import { runEnvironment } from "../src/backend/environment.js";
import { writeFileAtomic } from "../src/util/fs.js";
import { num, parseCli } from "./cli.js";

const args = parseCli("Usage: npx tsx scripts/bench-cost.ts [--old-every N] [--threads N]", {
  "old-every": { type: "string", default: "40", help: "time the straightforward policy costing on every N-th ResNet-20 policy (1: all of them, minutes)" },
  threads: { type: "string", default: String(DEFAULT_POLICY_THREADS), help: "threads of the parallel policy costing (npm run policy's default)" },
});
const oldEvery = num("old-every", args["old-every"], { int: true, min: 1 });
const threads = num("threads", args.threads, { int: true, min: 1 });

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

async function policyFrontBench(): Promise<void> {
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
  t0 = performance.now();
  const parallel = await policyCostsParallel(NET, hlsRef, peRef, threads);
  const parallelSeconds = (performance.now() - t0) / 1000;
  if (parallel.length !== fast.length) throw new Error(`policyCostsParallel: ${parallel.length} designs, policyCosts ${fast.length}`);
  // the straightforward way as policyCosts did it before: one SimCache, costPolicy per policy in allPolicies order
  const sampled = [...allPolicies(skips).filter((_, i) => i % oldEvery === 0), "L".repeat(skips)];
  const cache: SimCache = new Map();
  t0 = performance.now();
  sampled.forEach((p, i) => costPolicy(nets, p, hlsRef, peRef, cache, i === sampled.length - 1 ? "shortenable" : policyForm(p)));
  const oldSampledSeconds = (performance.now() - t0) / 1000;
  const oldSeconds = (oldSampledSeconds / sampled.length) * fast.length;
  const ratio = oldSeconds / fastSeconds;
  const parallelRatio = oldSeconds / parallelSeconds;
  console.log(
    `${NET} policy front: ${fast.length} designs; one thread ${fastSeconds.toFixed(1)} s (${((1000 * fastSeconds) / fast.length).toFixed(2)} ms each), ${threads} threads ${parallelSeconds.toFixed(1)} s (the 10 s target ${parallelSeconds <= 10 ? "met" : "not met"} in this run); ` +
      `costPolicy per policy: ${sampled.length} designs in ${oldSampledSeconds.toFixed(1)} s, extrapolated to ${oldSeconds.toFixed(0)} s for all; ${ratio.toFixed(1)}x faster on one thread, ${parallelRatio.toFixed(1)}x on ${threads} (the machine may be loaded: the ratios are the measure)`,
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
          parallel: { threads, seconds: parallelSeconds, ratio: parallelRatio },
          targetSeconds: 10,
          straightforward: { designs: sampled.length, every: oldEvery, seconds: oldSampledSeconds, extrapolatedSeconds: oldSeconds, note: "costPolicy per policy on a subset, extrapolated per policy; it runs the same (faster) lowering and optimizer passes as the fast way, so the ratio is the shared schedule's and the threads' gain alone" },
          ratio,
        },
      },
      null,
      2,
    ) + "\n",
  );
}

policyFrontBench().catch((e) => {
  console.error(`error: ${(e as Error).message}`);
  process.exitCode = 2;
});
