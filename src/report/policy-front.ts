/**
 * Per-skip codesign with the cost models in the loop (issue 27, item 2): every skip policy of a network (a mode per
 * skip: long, shortened, removed; src/net/policy.ts) costed by both hardware models, the front of the cheapest policy
 * for each number of altered skips, and for a budget the policies that meet it with the fewest altered skips. The
 * number of altered skips stands for the accuracy risk (each alteration may cost accuracy; which one costs how much is
 * what training the front answers). A policy that shortens a skip runs in the shortenable block form (it starts from
 * the shortenable teacher); one that only removes skips runs in the plain form, as SkipRemover does.
 * Exhaustive: 3^S policies of S skips (ResNet-8: 27; ResNet-20: 19,683), and the shortenable teacher; a deeper network
 * is refused here. Designs of the two forms differ in more than their skips: a saving is read against the teacher of
 * the same form (the table shows the form).
 */
import { network } from "../experiment/networks.js";
import { SharedSchedule, type Hls4mlConfig, type SimCache } from "../hw/hls4ml/index.js";
import type { PeArrayConfig } from "../hw/pe-array/index.js";
import { designHardware } from "./design-hardware.js";
import { lower, policyForm, skipCount, withPolicy, type NetSpec } from "../net/index.js";

export interface PolicyCost {
  policy: string;
  /** the block form it runs in: shortenable when it shortens a skip (and for the shortenable teacher), else plain */
  form: "plain" | "shortenable";
  /** skips not long */
  altered: number;
  bram18: number;
  lut: number;
  ff: number;
  dsp: number;
  /** the hls4ml design's latency, clock cycles */
  latency: number;
  fits: boolean;
  /** the PE array: DRAM bytes and cycles per inference */
  dram: number;
  cycles: number;
}

/** what a front minimises: hls4ml resources and latency, then the PE array's DRAM bytes and cycles */
export const OBJECTIVES = ["bram18", "lut", "ff", "latency", "dram", "cycles"] as const;
export type Objective = (typeof OBJECTIVES)[number];

/** the most skips an exhaustive search takes here (3^10 = 59,049 designs, minutes) */
export const MAX_EXHAUSTIVE_SKIPS = 10;

/** Every policy string of `skips` letters from `letters` (L, S, R; a plain network's own: L, R), all-long first. */
export function allPolicies(skips: number, letters = "LSR"): string[] {
  const b = letters.length;
  const out: string[] = [];
  for (let i = 0; i < b ** skips; i++) out.push(Array.from({ length: skips }, (_, k) => letters[Math.floor(i / b ** k) % b]).join(""));
  return out;
}

/** The networks a policy search costs: both block forms of `net`, built once. */
export interface PolicyNets {
  plain: NetSpec;
  shortenable: NetSpec;
}

export const policyNets = (net: string): PolicyNets => ({ plain: network(net).build({ form: "plain" }), shortenable: network(net).build({ form: "shortenable" }) });

export type Form = PolicyCost["form"];

/**
 * What a search is of: a built-in network by name (both block forms: every policy in the form it runs in, and the
 * shortenable teacher), or a loaded network (a checkpoint's, an imported model's: `npm run policy -- --checkpoint`)
 * with every skip long, which has one form, so its search takes the policies that run in that form: a plain
 * network's L and R policies, a shortenable network's policies that shorten a skip, and itself (all long).
 */
export type PolicySource = string | NetSpec;

/** the block form of every block of a loaded network; a network of both forms is an error */
export function formOfNet(net: NetSpec): Form {
  const forms = [...new Set(net.blocks.map((b) => b.form))];
  if (forms.length !== 1) throw new Error(`network "${net.name}": ${forms.length ? `blocks of both forms (${forms.join(", ")})` : "no blocks"}; a policy search takes a network of one block form`);
  return forms[0];
}

/** the most designs an exhaustive search costs: 3^MAX_EXHAUSTIVE_SKIPS (a plain loaded network of 15 skips: 2^15) */
export const MAX_EXHAUSTIVE_DESIGNS = 3 ** MAX_EXHAUSTIVE_SKIPS;

/** Both models' cost of one policy, in the form it runs in (`form` overrides: the shortenable teacher). */
export function costPolicy(nets: PolicyNets, policy: string, hls: Hls4mlConfig, pe: PeArrayConfig, cache: SimCache, form = policyForm(policy)): PolicyCost {
  return policyCost(policy, form, designHardware(lower(withPolicy(nets[form], policy)), hls, pe, cache));
}

/**
 * costPolicy with the hls4ml schedule taken from `shared`, which simulates the part of the design a policy shares
 * with those costed before it once (hw/hls4ml/shared-schedule.ts); the same cost, bit for bit.
 */
export function costPolicyShared(nets: PolicyNets, policy: string, hls: Hls4mlConfig, pe: PeArrayConfig, shared: SharedSchedule, form = policyForm(policy)): PolicyCost {
  return policyCost(policy, form, designHardware(lower(withPolicy(nets[form], policy)), hls, pe, undefined, (d) => shared.simulate(d)));
}

function policyCost(policy: string, form: Form, hw: ReturnType<typeof designHardware>): PolicyCost {
  return {
    policy,
    form,
    altered: [...policy].filter((c) => c !== "L").length,
    bram18: hw.bram18,
    lut: hw.lut,
    ff: hw.ff,
    dsp: hw.dsp,
    latency: hw.latencyCycles,
    fits: hw.fits,
    dram: hw.peDramBytes,
    cycles: hw.peCycles,
  };
}

/**
 * The designs an exhaustive search costs: of a built-in network, every policy in its form, then the shortenable teacher
 * (all long, the other form); of a loaded network, the policies of its form (PolicySource).
 */
export function policyDesigns(source: PolicySource): { nets: PolicyNets; designs: [string, Form][]; order: number[] } {
  if (typeof source !== "string") return loadedDesigns(source);
  const net = source;
  const nets = policyNets(net);
  const skips = skipCount(nets.plain);
  if (skips > MAX_EXHAUSTIVE_SKIPS) throw new Error(`${net}: ${skips} skips, 3^${skips} policies; the exhaustive search takes at most ${MAX_EXHAUSTIVE_SKIPS} skips (src/report/policy-choice.ts searches deeper ones on an additive model)`);
  const designs: [string, Form][] = [...allPolicies(skips).map((p) => [p, policyForm(p)] as [string, Form]), ["L".repeat(skips), "shortenable"]];
  // costed in prefix order (the skip nearest the input changing slowest), so that consecutive policies share the
  // longest part of their designs
  return { nets, designs, order: [...prefixOrder(skips), designs.length - 1] };
}

/** how many designs policyDesigns gives a loaded network: plain 2^S; shortenable 3^S - 2^S policies and itself */
export function loadedDesignCount(net: NetSpec): number {
  const skips = skipCount(net);
  return formOfNet(net) === "plain" ? 2 ** skips : 3 ** skips - 2 ** skips + 1;
}

/** policyDesigns of a loaded network: its own form's policies, costed in it (both entries of `nets` are the network). */
function loadedDesigns(net: NetSpec): { nets: PolicyNets; designs: [string, Form][]; order: number[] } {
  const form = formOfNet(net);
  const skips = skipCount(net);
  const count = form === "plain" ? `2^${skips} policies` : `3^${skips} - 2^${skips} policies and itself`;
  if (loadedDesignCount(net) > MAX_EXHAUSTIVE_DESIGNS) throw new Error(`network "${net.name}": ${skips} skips, ${count}; the exhaustive search takes at most ${MAX_EXHAUSTIVE_DESIGNS} designs`);
  if (form === "plain") return { nets: { plain: net, shortenable: net }, designs: allPolicies(skips, "LR").map((p) => [p, form]), order: prefixOrder(skips, 2) };
  // the policies that shorten a skip, then the network itself (every skip long), in prefix order
  const all = allPolicies(skips);
  const index = new Map<number, number>();
  const designs: [string, Form][] = [];
  all.forEach((p, i) => {
    if (policyForm(p) !== "shortenable") return;
    index.set(i, designs.length);
    designs.push([p, form]);
  });
  designs.push(["L".repeat(skips), form]);
  const order = prefixOrder(skips).flatMap((i) => (index.has(i) ? [index.get(i)!] : []));
  return { nets: { plain: net, shortenable: net }, designs, order: [...order, designs.length - 1] };
}

/** The costs of `designs[i]` for each i of `indices`, in that order, through one shared schedule. */
export function costDesigns(nets: PolicyNets, designs: [string, Form][], indices: number[], hls: Hls4mlConfig, pe: PeArrayConfig, onProgress?: (done: number) => void): PolicyCost[] {
  const shared = new SharedSchedule();
  return indices.map((i, done) => {
    const c = costPolicyShared(nets, designs[i][0], hls, pe, shared, designs[i][1]);
    onProgress?.(done + 1);
    return c;
  });
}

/**
 * Both models' cost of every policy of `net`, in allPolicies' order and then the shortenable teacher
 * (`onProgress(done, total)` for a progress line). policy-front-parallel.ts splits the same work over threads.
 */
export function policyCosts(net: PolicySource, hls: Hls4mlConfig, pe: PeArrayConfig, onProgress?: (done: number, total: number) => void): PolicyCost[] {
  const { nets, designs, order } = policyDesigns(net);
  const costs: PolicyCost[] = new Array(designs.length);
  costDesigns(nets, designs, order, hls, pe, (done) => onProgress?.(done, designs.length)).forEach((c, k) => (costs[order[k]] = c));
  return costs;
}

/** The indices into allPolicies(skips) (of `base` letters) of its policies sorted by their letters from the input end. */
export function prefixOrder(skips: number, base = 3): number[] {
  const out: number[] = [];
  for (let j = 0; j < base ** skips; j++) {
    // letter k of the j-th policy in prefix order is digit (skips - 1 - k) of j; allPolicies puts it at digit k
    let i = 0;
    for (let k = 0; k < skips; k++) i += (Math.floor(j / base ** (skips - 1 - k)) % base) * base ** k;
    out.push(i);
  }
  return out;
}

/**
 * The front over (objective, altered skips): for each number of altered skips the cheapest policy, kept only when it
 * is cheaper than every policy with fewer alterations (none of the front is dominated by another policy).
 * Ties on cost go to the policy listed first (all-long first, then the input end's skips altered first).
 */
export function policyFront(costs: PolicyCost[], objective: Objective): PolicyCost[] {
  const front: PolicyCost[] = [];
  const maxAltered = Math.max(...costs.map((c) => c.altered));
  for (let k = 0; k <= maxAltered; k++) {
    const best = costs.filter((c) => c.altered === k).reduce<PolicyCost | null>((m, c) => (m === null || c[objective] < m[objective] ? c : m), null);
    if (best && (!front.length || best[objective] < front[front.length - 1][objective])) front.push(best);
  }
  return front;
}

export type Budget = Partial<Record<Objective | "dsp", number>>;

/** Parse "bram18=120,lut=50000"; an unknown quantity or a bad number names the flag. */
export function parseBudget(text: string, flag = "--budget"): Budget {
  const out: Budget = {};
  for (const part of text.split(",").map((s) => s.trim()).filter(Boolean)) {
    const [k, v, ...rest] = part.split("=");
    const keys = [...OBJECTIVES, "dsp"];
    if (!keys.includes(k)) throw new Error(`${flag} ${text}: "${k}" is not one of ${keys.join(", ")}`);
    // a quantity given twice would keep the last limit silently, and the answer would name both ("meeting bram18=80,bram18=90")
    if (k in out) throw new Error(`${flag} ${text}: ${k} is given twice; give each quantity one limit`);
    const n = Number(v);
    if (v === undefined || v.trim() === "" || rest.length || !Number.isFinite(n) || n < 0) throw new Error(`${flag} ${text}: ${k} needs a number >= 0, got "${[v ?? "", ...rest].join("=")}"`);
    out[k as keyof Budget] = n;
  }
  if (!Object.keys(out).length) throw new Error(`${flag}: expected quantity=limit pairs, e.g. bram18=120,lut=50000`);
  return out;
}

export const meets = (c: PolicyCost, b: Budget) => (Object.keys(b) as (keyof Budget)[]).every((k) => c[k] <= b[k]!);

/**
 * The policies that meet the budget at the least accuracy risk, cheapest by the objective first; [] when none does.
 * The risk is the number of altered skips unless told (the additive search reads it as removed skips).
 */
export function withinBudget(costs: PolicyCost[], budget: Budget, objective: Objective, risk: (c: PolicyCost) => number = (c) => c.altered): PolicyCost[] {
  const ok = costs.filter((c) => meets(c, budget));
  if (!ok.length) return [];
  const least = Math.min(...ok.map(risk));
  return ok.filter((c) => risk(c) === least).sort((a, b) => a[objective] - b[objective]);
}
