/**
 * How far the additive search's removal front (policy-choice.ts) is from the optimum can be measured only where the
 * exhaustive front exists (ResNet-20). On deeper networks this check gives a lower bound instead: every policy one
 * swap away from a front point, with the same number of removed skips, is costed in full; a cheaper one shows the
 * search missed at least that much, and none cheaper shows the point is a local optimum of the swap neighbourhood (not
 * a certificate: a policy two swaps away may still be cheaper).
 */
import type { Hls4mlConfig, SimCache } from "../hw/hls4ml/index.js";
import type { PeArrayConfig } from "../hw/pe-array/index.js";
import { costPolicy, policyNets, type PolicyCost } from "./policy-front.js";
import type { FrontObjective } from "./policy-choice.js";

/**
 * The policies one swap from `policy` that remove as many skips: a removed skip kept (long or shortened) while a kept
 * one is removed, or a kept skip switched between long and shortened.
 */
export function swapNeighbours(policy: string): string[] {
  const out: string[] = [];
  const at = (p: string, i: number, c: string) => p.slice(0, i) + c + p.slice(i + 1);
  for (let j = 0; j < policy.length; j++) {
    if (policy[j] === "R") continue;
    out.push(at(policy, j, policy[j] === "L" ? "S" : "L"));
    for (let i = 0; i < policy.length; i++) if (policy[i] === "R") for (const keep of "LS") out.push(at(at(policy, i, keep), j, "R"));
  }
  return out;
}

/** One front point and the cheapest of its swap neighbours. */
export interface SwapCheck {
  point: PolicyCost;
  neighbours: number;
  /** the cheapest neighbour in the objective (ties: the first), null when the point has none (all removed) */
  best: PolicyCost | null;
  /** how much less the best neighbour needs: > 0 means the search missed at least this much at this removal count */
  missed: number;
}

/** The swap check of each point of `front` in objective `o`, every neighbour costed in its own form. */
export function frontSwapCheck(net: string, front: PolicyCost[], o: FrontObjective, hls: Hls4mlConfig, pe: PeArrayConfig, onProgress?: (done: number, total: number) => void, cache: SimCache = new Map()): SwapCheck[] {
  const nets = policyNets(net);
  const lists = front.map((c) => swapNeighbours(c.policy));
  const total = lists.reduce((a, l) => a + l.length, 0);
  let done = 0;
  return front.map((point, k) => {
    let best: PolicyCost | null = null;
    for (const q of lists[k]) {
      const c = costPolicy(nets, q, hls, pe, cache);
      if (best === null || c[o] < best[o]) best = c;
      onProgress?.(++done, total);
    }
    return { point, neighbours: lists[k].length, best, missed: best ? Math.max(0, point[o] - best[o]) : 0 };
  });
}
