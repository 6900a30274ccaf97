/**
 * policyCosts over Node's worker threads (the cost explorer page runs the same slices in Web Workers:
 * web/src/front-search.ts). Slicing and reassembly are policy-slices.ts's, shared with the page; here only the
 * threads' mechanics.
 */
import * as os from "node:os";
import * as path from "node:path";
import { Worker } from "node:worker_threads";
import type { Hls4mlConfig } from "../hw/hls4ml/index.js";
import type { PeArrayConfig } from "../hw/pe-array/index.js";
import { policyCosts, policyDesigns, type PolicyCost, type PolicySource } from "./policy-front.js";
import { assembleSlices, MAX_POLICY_THREADS, policySlices, type PolicyWork, type SliceMessage } from "./policy-slices.js";

/** a thread running policy-front-worker, compiled (dist/) or as TypeScript under tsx or vitest (tsx's require hook) */
function startWorker(work: PolicyWork): Worker {
  const ext = path.extname(__filename);
  const file = path.join(__dirname, `policy-front-worker${ext}`);
  if (ext !== ".ts") return new Worker(file, { workerData: work });
  return new Worker(`require("tsx/cjs/api").register(); require(${JSON.stringify(file)});`, { eval: true, workerData: work });
}

/** threads a policy search uses unless told: one a core, at most MAX_POLICY_THREADS */
export const DEFAULT_POLICY_THREADS = Math.min(os.availableParallelism(), MAX_POLICY_THREADS);

/** policyCosts on `threads` threads; 1 thread costs in this one */
export async function policyCostsParallel(net: PolicySource, hls: Hls4mlConfig, pe: PeArrayConfig, threads = DEFAULT_POLICY_THREADS, onProgress?: (done: number, total: number) => void): Promise<PolicyCost[]> {
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`threads ${threads}: expected a whole number >= 1`);
  if (threads === 1) return policyCosts(net, hls, pe, onProgress);
  const { designs, order } = policyDesigns(net);
  const slices = policySlices(order, threads);
  const done = slices.map(() => 0);
  const results: PolicyCost[][] = slices.map(() => []);
  const workers: Worker[] = [];
  // one thread failing ends the others: the error is the answer, and they would only keep the process busy
  const stopAll = () => workers.forEach((w) => void w.terminate());
  await Promise.all(
    slices.map(
      (indices, k) =>
        new Promise<void>((resolve, reject) => {
          const w = startWorker({ net, hls, pe, indices });
          workers.push(w);
          w.on("message", (m: SliceMessage) => {
            if ("done" in m) {
              done[k] = m.done;
              onProgress?.(done.reduce((a, b) => a + b, 0), designs.length);
            } else if ("costs" in m) {
              results[k] = m.costs;
              resolve();
            } else reject(new Error(`policy costing thread ${k + 1}: ${m.error}`));
          });
          w.on("error", reject);
          w.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`policy costing thread ${k + 1}: exited with code ${code}`))));
        }),
    ),
  ).catch((e) => {
    stopAll();
    throw e;
  });
  const costs = assembleSlices(designs.length, slices, results);
  onProgress?.(designs.length, designs.length);
  return costs;
}
