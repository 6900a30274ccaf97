/**
 * policyCosts over worker threads (Node only: the cost explorer page keeps policy-front.ts). The designs in prefix
 * order are cut into contiguous slices, one a thread, each costed through the thread's own shared schedule; a
 * design's cost does not depend on what was costed before it (test/policy-front-fast.test.ts), so the result, put
 * back in allPolicies' order, is policyCosts' whatever the number of threads.
 */
import * as os from "node:os";
import * as path from "node:path";
import { Worker } from "node:worker_threads";
import type { Hls4mlConfig } from "../hw/hls4ml/index.js";
import type { PeArrayConfig } from "../hw/pe-array/index.js";
import { policyCosts, policyDesigns, type PolicyCost } from "./policy-front.js";

/** what one thread costs: designs[i] of policyDesigns(net) for each i of `indices` */
export interface PolicyWork {
  net: string;
  hls: Hls4mlConfig;
  pe: PeArrayConfig;
  indices: number[];
}

/** a thread running policy-front-worker, compiled (dist/) or as TypeScript under tsx or vitest (tsx's require hook) */
function startWorker(work: PolicyWork): Worker {
  const ext = path.extname(__filename);
  const file = path.join(__dirname, `policy-front-worker${ext}`);
  if (ext !== ".ts") return new Worker(file, { workerData: work });
  return new Worker(`require("tsx/cjs/api").register(); require(${JSON.stringify(file)});`, { eval: true, workerData: work });
}

/** threads a policy search uses unless told: one a core, at most 2 */
export const DEFAULT_POLICY_THREADS = Math.min(os.availableParallelism(), 2);

/** policyCosts on `threads` threads; 1 thread costs in this one */
export async function policyCostsParallel(net: string, hls: Hls4mlConfig, pe: PeArrayConfig, threads = DEFAULT_POLICY_THREADS, onProgress?: (done: number, total: number) => void): Promise<PolicyCost[]> {
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`threads ${threads}: expected a whole number >= 1`);
  if (threads === 1) return policyCosts(net, hls, pe, onProgress);
  const { designs, order } = policyDesigns(net);
  const size = Math.ceil(order.length / threads);
  const slices = Array.from({ length: threads }, (_, k) => order.slice(k * size, (k + 1) * size)).filter((s) => s.length);
  const done = slices.map(() => 0);
  const costs: PolicyCost[] = new Array(designs.length);
  const workers: Worker[] = [];
  // one thread failing ends the others: the error is the answer, and they would only keep the process busy
  const stopAll = () => workers.forEach((w) => void w.terminate());
  await Promise.all(
    slices.map(
      (indices, k) =>
        new Promise<void>((resolve, reject) => {
          const w = startWorker({ net, hls, pe, indices });
          workers.push(w);
          w.on("message", (m: { done?: number; costs?: PolicyCost[] }) => {
            if (m.done !== undefined) {
              done[k] = m.done;
              onProgress?.(done.reduce((a, b) => a + b, 0), designs.length);
            }
            if (m.costs) {
              m.costs.forEach((c, j) => (costs[indices[j]] = c));
              resolve();
            }
          });
          w.on("error", reject);
          w.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`policy costing thread ${k + 1}: exited with code ${code}`))));
        }),
    ),
  ).catch((e) => {
    stopAll();
    throw e;
  });
  const missing = costs.length - costs.filter(Boolean).length;
  if (missing) throw new Error(`policy costing threads: ${missing} of ${designs.length} designs were not costed`);
  onProgress?.(designs.length, designs.length);
  return costs;
}
