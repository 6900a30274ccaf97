/**
 * The exhaustive policy search of the page in Web Workers: policyCosts' list, costed in slices of the prefix order
 * (src/report/policy-slices.ts, the slicing Node's threads use) by up to MAX_POLICY_THREADS dedicated workers, so that
 * the page stays responsive. The worker's script (front-worker.ts) is bundled apart and carried in this bundle as
 * text (scripts/web-build.ts): started from a Blob URL, it also runs from file://, where a worker from a file: URL is
 * refused, and nothing is fetched.
 */
import type { Hls4mlConfig } from "../../src/hw/hls4ml/index.js";
import type { PeArrayConfig } from "../../src/hw/pe-array/index.js";
import { policyDesigns, type PolicyCost, type PolicySource } from "../../src/report/policy-front.js";
import { assembleSlices, MAX_POLICY_THREADS, policySlices, type SliceMessage } from "../../src/report/policy-slices.js";

declare const __FRONT_WORKER_JS__: string;

export interface FrontSearch {
  /** designs to cost (every policy and the shortenable teacher) */
  total: number;
  threads: number;
  /** policyCosts' list; null once cancelled; rejects with a worker's error (the other workers are then ended) */
  costs: Promise<PolicyCost[] | null>;
  /** end the workers now; the promise settles with null */
  cancel(): void;
}

let workerUrl: string | null = null;
/** one Blob URL for the page's lifetime: every search starts its workers from it */
const scriptUrl = () => (workerUrl ??= URL.createObjectURL(new Blob([__FRONT_WORKER_JS__], { type: "text/javascript" })));

/** workers a search uses: one a core the browser reports, at most MAX_POLICY_THREADS (the CLI's default) */
export const searchThreads = () => Math.max(1, Math.min(navigator.hardwareConcurrency || 1, MAX_POLICY_THREADS));

/** Start costing every policy of `net` (a built-in's name or an imported network) at (hls, pe); `onProgress(done, total)` as the workers report. */
export function searchCosts(net: PolicySource, hls: Hls4mlConfig, pe: PeArrayConfig, onProgress: (done: number, total: number) => void, threads = searchThreads()): FrontSearch {
  const { designs, order } = policyDesigns(net);
  const slices = policySlices(order, threads);
  const workers: Worker[] = [];
  let settle: (v: PolicyCost[] | null) => void = () => {};
  const stop = () => {
    workers.forEach((w) => w.terminate());
    settle(null);
  };
  const costs = new Promise<PolicyCost[] | null>((resolve, reject) => {
    const done = slices.map(() => 0);
    const results: PolicyCost[][] = slices.map(() => []);
    let left = slices.length;
    let over = false;
    settle = (v) => {
      over = true;
      resolve(v);
    };
    const fail = (k: number, message: string) => {
      if (over) return;
      over = true;
      workers.forEach((w) => w.terminate());
      reject(new Error(`policy costing worker ${k + 1} of ${slices.length}: ${message}`));
    };
    slices.forEach((indices, k) => {
      if (over) return;
      let w: Worker;
      try {
        w = new Worker(scriptUrl());
      } catch (err) {
        // refused by the browser: the workers started before it are ended with the search
        return fail(k, (err as Error).message);
      }
      workers.push(w);
      w.onmessage = (e: MessageEvent<SliceMessage>) => {
        if (over) return;
        const m = e.data;
        if ("done" in m) {
          done[k] = m.done;
          onProgress(done.reduce((a, b) => a + b, 0), designs.length);
        } else if ("error" in m) fail(k, m.error);
        else {
          results[k] = m.costs;
          done[k] = indices.length;
          onProgress(done.reduce((a, b) => a + b, 0), designs.length);
          w.terminate();
          if (--left > 0) return;
          try {
            settle(assembleSlices(designs.length, slices, results));
          } catch (err) {
            fail(k, (err as Error).message);
          }
        }
      };
      // an error the worker did not catch (its script failed to load or to run)
      w.onerror = (e) => {
        e.preventDefault();
        fail(k, e.message || "the worker's script failed");
      };
      w.onmessageerror = () => fail(k, "a message from the worker could not be read");
      w.postMessage({ net, hls, pe, indices });
    });
  });
  return { total: designs.length, threads: slices.length, costs, cancel: stop };
}
