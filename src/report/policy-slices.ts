/**
 * The exhaustive policy search cut into slices for threads, whatever runs them: Node's worker_threads
 * (policy-front-parallel.ts) or the cost explorer page's Web Workers (web/src/front-search.ts). The designs in prefix
 * order are cut into contiguous slices, one a thread, so that each thread's shared schedule reuses the longest common
 * prefixes; each slice is costed on its own; the costs are put back in policyDesigns' order. A design's cost does not
 * depend on what was costed before it (test/policy-front-fast.test.ts), so the result is policyCosts' on any number of
 * threads. No Node module here: the page bundles this file.
 */
import type { Hls4mlConfig } from "../hw/hls4ml/index.js";
import type { PeArrayConfig } from "../hw/pe-array/index.js";
import { costDesigns, policyDesigns, type PolicyCost, type PolicySource } from "./policy-front.js";

/** what one thread costs: designs[i] of policyDesigns(net) for each i of `indices` (a loaded network is sent whole) */
export interface PolicyWork {
  net: PolicySource;
  hls: Hls4mlConfig;
  pe: PeArrayConfig;
  indices: number[];
}

/** what a thread posts back: progress counts, then its slice's costs in the slice's order (or, in the page, an error) */
export type SliceMessage = { done: number } | { costs: PolicyCost[] } | { error: string };

/** the most threads a search uses unless told (one a core up to this): the machines it is built and run on have 2 cores */
export const MAX_POLICY_THREADS = 2;

/** a thread posts its progress every this many designs: a few times a second, and nothing next to the costing */
export const PROGRESS_EVERY = 128;

/** `order` (policyDesigns' prefix order) cut into at most `threads` contiguous slices, none empty */
export function policySlices(order: number[], threads: number): number[][] {
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`threads ${threads}: expected a whole number >= 1`);
  const size = Math.ceil(order.length / threads);
  return Array.from({ length: threads }, (_, k) => order.slice(k * size, (k + 1) * size)).filter((s) => s.length);
}

/** One thread's work: its slice costed through its own shared schedule, `onProgress` every PROGRESS_EVERY designs. */
export function costSlice(work: PolicyWork, onProgress?: (done: number) => void): PolicyCost[] {
  const { nets, designs } = policyDesigns(work.net);
  return costDesigns(nets, designs, work.indices, work.hls, work.pe, (done) => done % PROGRESS_EVERY === 0 && onProgress?.(done));
}

/** The slices' costs put back in policyDesigns' order; a design no slice costed is an error. */
export function assembleSlices(total: number, slices: number[][], costs: PolicyCost[][]): PolicyCost[] {
  const out: PolicyCost[] = new Array(total);
  slices.forEach((indices, k) => {
    if (costs[k]?.length !== indices.length) throw new Error(`policy costing thread ${k + 1}: ${costs[k]?.length ?? 0} costs for ${indices.length} designs`);
    indices.forEach((i, j) => (out[i] = costs[k][j]));
  });
  const missing = total - out.filter(Boolean).length;
  if (missing) throw new Error(`policy costing threads: ${missing} of ${total} designs were not costed`);
  return out;
}
