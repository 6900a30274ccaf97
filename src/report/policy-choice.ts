/**
 * The rule that chooses which per-skip policies to train (issue 27, item 3), fixed before any of them trains
 * (docs/policy-rule.md says it in words; data/policy-choice.json holds what it chose, committed before the runs).
 *
 * The accuracy risk of a policy is read as its number of removed skips: in the depth study SkipShortener kept its
 * teacher's accuracy at every depth and SkipRemover did not (ResNet-56), so removal is the risky alteration and
 * shortening the safe one. The hardware side is BRAM18 and LUT at the hls4ml reference configuration. A removal front
 * holds, for each number of removed skips, the policy of least BRAM18 (or LUT), where it needs less than every policy
 * with fewer removals; the mixed policies of the two fronts (not every skip in one mode) are the candidates, ordered
 * by removed skips, and `count` of them are chosen evenly along that order.
 */
import type { Hls4mlConfig, SimCache } from "../hw/hls4ml/index.js";
import type { PeArrayConfig } from "../hw/pe-array/index.js";
import { policyForm, skipCount } from "../net/index.js";
import { costPolicy, MAX_EXHAUSTIVE_SKIPS, policyCosts, policyNets, type PolicyCost } from "./policy-front.js";

/** how many mixed policies the rule trains per network (issue 27: at least 4 on ResNet-20 and 3 on ResNet-56) */
export const CHOSEN_COUNT: Record<string, number> = { resnet20: 4, resnet56: 3 };

export const removedSkips = (policy: string): number => [...policy].filter((c) => c === "R").length;

/** the two hardware quantities the rule reads */
export type FrontObjective = "bram18" | "lut";
const other = (o: FrontObjective): FrontObjective => (o === "bram18" ? "lut" : "bram18");

/** The order of the rule's ties: least of the objective, then of the other, then fewest altered skips (then first listed). */
function better(a: PolicyCost, b: PolicyCost, o: FrontObjective): boolean {
  if (a[o] !== b[o]) return a[o] < b[o];
  if (a[other(o)] !== b[other(o)]) return a[other(o)] < b[other(o)];
  return a.altered < b.altered;
}

const inOwnForm = (c: PolicyCost) => c.form === policyForm(c.policy);

/**
 * For each number of removed skips r = 0..S, the policy of least `o` with exactly r removed (ties: `better`, then
 * the order of `costs`), kept when it needs less `o` than every kept policy of fewer removals. Only policies in their
 * own form count (the shortenable teacher's all-long entry of policyCosts is not a policy of its own).
 */
export function removalFront(costs: PolicyCost[], o: FrontObjective): PolicyCost[] {
  const own = costs.filter(inOwnForm);
  const skips = own[0]?.policy.length ?? 0;
  const front: PolicyCost[] = [];
  for (let r = 0; r <= skips; r++) {
    let best: PolicyCost | null = null;
    for (const c of own) if (removedSkips(c.policy) === r && (best === null || better(c, best, o))) best = c;
    if (best && (!front.length || best[o] < front[front.length - 1][o])) front.push(best);
  }
  return front;
}

/** The candidates: the mixed policies of both fronts, once each, by removed skips, then BRAM18, then LUT. */
export function candidates(bramFront: PolicyCost[], lutFront: PolicyCost[]): PolicyCost[] {
  const seen = new Map<string, PolicyCost>();
  for (const c of [...bramFront, ...lutFront]) if (!isUniform(c.policy) && !seen.has(c.policy)) seen.set(c.policy, c);
  return [...seen.values()].sort((a, b) => removedSkips(a.policy) - removedSkips(b.policy) || a.bram18 - b.bram18 || a.lut - b.lut);
}

/** A policy that gives every skip the same mode: the teacher, or one of the paper's two methods. */
export const isUniform = (policy: string): boolean => new Set(policy).size === 1;

/** `count` of the candidates, evenly along their order: the first, the last and evenly between (all when fewer). */
export function chooseEvenly(mixed: PolicyCost[], count: number): PolicyCost[] {
  if (mixed.length <= count) return mixed;
  if (count === 1) return [mixed[0]];
  return Array.from({ length: count }, (_, i) => mixed[Math.round((i * (mixed.length - 1)) / (count - 1))]);
}

/**
 * A search where 3^S policies are too many, on a model that adds each skip's own effect: from the all-long network
 * (shortenable form), every skip's change to shortened and to removed is simulated alone (2S designs); the policy
 * predicted cheapest in `o` for each number r of removed skips removes the r skips whose removal saves most against
 * their best other mode (long, or shortened where that saves; ties by the other objective, then the skip nearest the
 * input) and
 * gives every other skip that best mode. Each predicted policy is then simulated in full (S + 1 designs), and those
 * costs, not the predictions, make the front. FIFO depths interact across skips, so it is not exact: its gap is
 * measured where the exhaustive front exists (searchGap).
 */
/** the designs the additive search costs: the shortenable teacher, each skip shortened and removed alone, each predicted policy, the plain teacher */
export const additiveDesignCount = (skips: number): number => 1 + 2 * skips + skips + 1;

export function additiveRemovalSearch(net: string, o: FrontObjective, hls: Hls4mlConfig, pe: PeArrayConfig, onProgress?: (done: number, total: number) => void, cache: SimCache = new Map()): PolicyCost[] {
  const nets = policyNets(net);
  const skips = skipCount(nets.plain);
  const total = additiveDesignCount(skips);
  let done = 0;
  const cost = (p: string, form?: "plain" | "shortenable") => {
    const c = costPolicy(nets, p, hls, pe, cache, form);
    onProgress?.(++done, total);
    return c;
  };
  const base = cost("L".repeat(skips), "shortenable");
  const delta = (letter: "S" | "R", k: number) => {
    const c = cost("L".repeat(k) + letter + "L".repeat(skips - k - 1), "shortenable");
    return { bram18: c.bram18 - base.bram18, lut: c.lut - base.lut };
  };
  const less = (a: { bram18: number; lut: number }, b: { bram18: number; lut: number }) => a[o] - b[o] || a[other(o)] - b[other(o)];
  const per = Array.from({ length: skips }, (_, k) => {
    const s = delta("S", k);
    const r = delta("R", k);
    // the best mode that keeps the skip: shortened only where it saves (the objective, then the other); else long
    const keep = less(s, { bram18: 0, lut: 0 }) < 0 ? { letter: "S", ...s } : { letter: "L", bram18: 0, lut: 0 };
    return { k, keep, gain: { bram18: r.bram18 - keep.bram18, lut: r.lut - keep.lut } };
  });
  const order = [...per].sort((a, b) => less(a.gain, b.gain) || a.k - b.k);
  const out: PolicyCost[] = [];
  for (let r = 0; r <= skips; r++) {
    const removed = new Set(order.slice(0, r).map((x) => x.k));
    out.push(cost(per.map((x) => (removed.has(x.k) ? "R" : x.keep.letter)).join("")));
  }
  return out;
}

/** Per number of removed skips, `o` of the search's policy and of the exhaustive optimum (equal: the search found it). */
export function searchGap(exhaustive: PolicyCost[], searched: PolicyCost[], o: FrontObjective): { removed: number; searched: number; optimum: number }[] {
  const own = exhaustive.filter(inOwnForm);
  return searched.map((c) => {
    const r = removedSkips(c.policy);
    const optimum = Math.min(...own.filter((e) => removedSkips(e.policy) === r).map((e) => e[o]));
    return { removed: r, searched: c[o], optimum };
  });
}

/** What the rule chose for one network, and how its front was found. */
export interface PolicyChoice {
  net: string;
  search: "exhaustive" | "additive";
  fronts: Record<FrontObjective, PolicyCost[]>;
  candidates: PolicyCost[];
  chosen: PolicyCost[];
}

/** `costs`: every policy's cost (policyCosts), when the caller has them already. */
export function choosePolicies(net: string, hls: Hls4mlConfig, pe: PeArrayConfig, onProgress?: (done: number, total: number) => void, costs?: PolicyCost[]): PolicyChoice {
  const count = CHOSEN_COUNT[net];
  if (!count) throw new Error(`${net}: the rule chooses policies for ${Object.keys(CHOSEN_COUNT).join(", ")} only`);
  const exhaustive = skipCount(policyNets(net).plain) <= MAX_EXHAUSTIVE_SKIPS;
  const all = exhaustive ? (costs ?? policyCosts(net, hls, pe, onProgress)) : null;
  // the two objectives' searches simulate the same single-skip designs: one cache serves both
  const cache: SimCache = new Map();
  const front = (o: FrontObjective) => removalFront(all ?? additiveRemovalSearch(net, o, hls, pe, onProgress, cache), o);
  const fronts = { bram18: front("bram18"), lut: front("lut") };
  const mixed = candidates(fronts.bram18, fronts.lut);
  return { net, search: exhaustive ? "exhaustive" : "additive", fronts, candidates: mixed, chosen: chooseEvenly(mixed, count) };
}
