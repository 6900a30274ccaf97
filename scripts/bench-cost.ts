/**
 * Speed of the cost models: the whole hls4ml sweep and the whole PE-array sweep, against the one-second budget of
 * issues 5 and 6 (printed as a ratio). Writes figures/bench-cost.json.
 */
import * as path from "node:path";
import { hls4mlSweep } from "../src/report/hls4ml-sweep.js";
import { peSweep } from "../src/report/pe-sweep.js";
import { runEnvironment } from "../src/backend/environment.js";
import { writeFileAtomic } from "../src/util/fs.js";
import { parseCli } from "./cli.js";

parseCli("Usage: npx tsx scripts/bench-cost.ts", {});
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
writeFileAtomic(path.resolve(__dirname, "..", "figures", "bench-cost.json"), JSON.stringify({ environment: runEnvironment(), hls4ml: hls, peArray: pe }, null, 2) + "\n");
