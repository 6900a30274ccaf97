/**
 * The policy searches of the page in Web Workers, so that the page stays responsive: the exhaustive search
 * (policyCosts' list, costed in slices of the prefix order, src/report/policy-slices.ts, the slicing Node's threads
 * use, by up to MAX_POLICY_THREADS dedicated workers) and the additive search of a deeper network (one worker). The worker's script (front-worker.ts) is bundled apart and carried in this bundle as
 * text (scripts/web-build.ts): started from a Blob URL, it also runs from file://, where a worker from a file: URL is
 * refused, and nothing is fetched.
 */
import type { Hls4mlConfig } from "../../src/hw/hls4ml/index.js";
import type { PeArrayConfig } from "../../src/hw/pe-array/index.js";
import { network } from "../../src/experiment/networks.js";
import { skipCount } from "../../src/net/index.js";
import { additiveDesignCount, type FrontObjective } from "../../src/report/policy-choice.js";
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

/** what the additive search's worker is sent: a built-in network deeper than the exhaustive search takes */
export interface AdditiveWork {
  net: string;
  objective: FrontObjective;
  hls: Hls4mlConfig;
  pe: PeArrayConfig;
}

/** Start costing every policy of `net` (a built-in's name or an imported network) at (hls, pe); `onProgress(done, total)` as the workers report. */
export function searchCosts(net: PolicySource, hls: Hls4mlConfig, pe: PeArrayConfig, onProgress: (done: number, total: number) => void, threads = searchThreads()): FrontSearch {
  const { designs, order } = policyDesigns(net);
  const slices = policySlices(order, threads);
  return runWorkers(
    slices.map((indices) => ({ net, hls, pe, indices })),
    slices.map((s) => s.length),
    onProgress,
    (results) => assembleSlices(designs.length, slices, results),
  );
}

/**
 * Start the additive search of `net` by `objective` (src/report/policy-choice.ts) in one worker, so that the page
 * stays usable while a deep network's designs are costed; its costs are additiveRemovalSearch's.
 */
export function searchAdditive(net: string, objective: FrontObjective, hls: Hls4mlConfig, pe: PeArrayConfig, onProgress: (done: number, total: number) => void): FrontSearch {
  const total = additiveDesignCount(skipCount(network(net).build({ form: "plain" })));
  return runWorkers([{ net, objective, hls, pe } satisfies AdditiveWork], [total], onProgress, (results) => results[0]);
}

/**
 * One worker per message, each posting progress counts and then its costs; `sizes[k]` is what message k costs, and
 * `assemble` puts the workers' costs together once every one has answered.
 */
function runWorkers(messages: unknown[], sizes: number[], onProgress: (done: number, total: number) => void, assemble: (results: PolicyCost[][]) => PolicyCost[]): FrontSearch {
  const total = sizes.reduce((a, b) => a + b, 0);
  const workers: Worker[] = [];
  let settle: (v: PolicyCost[] | null) => void = () => {};
  const stop = () => {
    workers.forEach((w) => w.terminate());
    settle(null);
  };
  const costs = new Promise<PolicyCost[] | null>((resolve, reject) => {
    const done = messages.map(() => 0);
    const results: PolicyCost[][] = messages.map(() => []);
    let left = messages.length;
    let over = false;
    settle = (v) => {
      over = true;
      resolve(v);
    };
    const fail = (k: number, message: string) => {
      if (over) return;
      over = true;
      workers.forEach((w) => w.terminate());
      reject(new Error(`policy costing worker ${k + 1} of ${messages.length}: ${message}`));
    };
    messages.forEach((message, k) => {
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
          onProgress(done.reduce((a, b) => a + b, 0), total);
        } else if ("error" in m) fail(k, m.error);
        else {
          results[k] = m.costs;
          done[k] = sizes[k];
          onProgress(done.reduce((a, b) => a + b, 0), total);
          w.terminate();
          if (--left > 0) return;
          try {
            settle(assemble(results));
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
      w.postMessage(message);
    });
  });
  return { total, threads: messages.length, costs, cancel: stop };
}
