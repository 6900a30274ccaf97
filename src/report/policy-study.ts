/**
 * The per-skip policy study (issue 27, item 4): every trained policy of data/policy-choice.json beside the pure
 * policies (the depth study's SkipRemover and SkipShortener, both seeds where trained) and the teachers, each with its
 * hardware at the hls4ml reference configuration and its test top-1; and the answer to the study's question, computed:
 * does a mixed policy beat both pure ones (higher accuracy at no more BRAM18, or less BRAM18 at an accuracy no lower
 * by more than the seed noise), each policy read at the mean test top-1 of its finished seeds, where the seed noise is
 * the largest top-1 difference between two seeds of one student policy (pure or mixed) on the same network.
 */
import { formatRunId, parseRunId, policyTeacherRole, type Role } from "../experiment/index.js";
import type { Hls4mlConfig, SimCache } from "../hw/hls4ml/index.js";
import type { PeArrayConfig } from "../hw/pe-array/index.js";
import { paretoFront } from "./codesign.js";
import type { DepthRun } from "./depth.js";
import { BASE_LAYOUT, caption, FIGURE_WIDTH, METHOD_COLOR, netName, stackedDomain, type Figure, type Trace } from "./plot-style.js";
import { policyForm, skipCount } from "../net/index.js";
import { removedSkips } from "./policy-choice.js";
import { costPolicy, policyNets } from "./policy-front.js";
import { markdownTable, percent2 } from "../util/table.js";
import { designSymbol, seedOutline, splitLaterSeeds } from "./markers.js";

/** what a point of the study is: a teacher, one of the paper's two (pure) methods, or a mixed policy */
export type PolicyKind = "teacher" | "pure" | "mixed";

export interface PolicyPoint {
  net: string;
  /** the run id */
  id: string;
  policy: string;
  form: "plain" | "shortenable";
  kind: PolicyKind;
  seed: number;
  removed: number;
  bram18: number;
  lut: number;
  state: DepthRun["state"];
  note?: string;
  testTop1?: number;
}

/** The pure roles of the depth study with their policy letter (a teacher: every skip long). */
const PURE: { role: Role; letter: "L" | "R" | "S"; form: "plain" | "shortenable" }[] = [
  { role: "teacher", letter: "L", form: "plain" },
  { role: "teacher-shortenable", letter: "L", form: "shortenable" },
  { role: "remover", letter: "R", form: "plain" },
  { role: "shortener", letter: "S", form: "shortenable" },
];

/**
 * The study's points of one network: the depth study's runs of the pure roles (any seed) and the policy runs (any
 * seed; policy and seed read from the run id), each costed at `hls`. Runs not in `depth` / `policies` are left out.
 */
export function policyPoints(net: string, depth: DepthRun[], policies: DepthRun[], hls: Hls4mlConfig, pe: PeArrayConfig, cache: SimCache = new Map()): PolicyPoint[] {
  const nets = policyNets(net);
  const skips = skipCount(nets.plain);
  const point = (r: DepthRun, policy: string, form: "plain" | "shortenable", kind: PolicyKind, seed: number): PolicyPoint => {
    const c = costPolicy(nets, policy, hls, pe, cache, form);
    return { net, id: r.id, policy, form, kind, seed, removed: removedSkips(policy), bram18: c.bram18, lut: c.lut, state: r.state, note: r.note, testTop1: r.testTop1 };
  };
  const out: PolicyPoint[] = [];
  for (const p of PURE) {
    for (const seed of [1, 2, 3]) {
      const r = depth.find((x) => x.id === formatRunId({ net, role: p.role, seed }));
      if (r) out.push(point(r, p.letter.repeat(skips), p.form, p.letter === "L" ? "teacher" : "pure", seed));
    }
  }
  for (const r of policies.filter((x) => x.net === net)) {
    const id = parseRunId(r.id);
    if (id?.policy === undefined) throw new Error(`policy study: run ${r.id} is not a policy run (expected <net>/policy-<letters>[-seed<s>])`);
    // the study's points are float runs on the depth study's schedule; seeds of one policy are averaged, so a variant
    // (another precision or batch) must never pass for a seed
    if (id.precision !== "float" || id.batch !== undefined) throw new Error(`policy study: run ${r.id} is a ${id.precision !== "float" ? "quantised" : "batch"} variant; the study compares float runs at the depth study's batch`);
    out.push(point(r, id.policy, policyForm(id.policy), "mixed", id.seed));
  }
  return out;
}

/** a trained student policy: its points' network, kind, form and policy string (every seed of one policy shares it) */
const policyKey = (p: PolicyPoint) => `${p.net} ${p.kind} ${p.form} ${p.policy}`;

/** the finished points of `points`, grouped by policy (seeds together), in first-seen order */
function finishedBySeeds(points: PolicyPoint[]): PolicyPoint[][] {
  const groups = new Map<string, PolicyPoint[]>();
  for (const p of points) {
    if (p.state !== "done" || p.testTop1 === undefined) continue;
    groups.set(policyKey(p), [...(groups.get(policyKey(p)) ?? []), p]);
  }
  return [...groups.values()];
}

const meanTop1 = (ps: PolicyPoint[]) => ps.reduce((a, p) => a + p.testTop1!, 0) / ps.length;

/**
 * The largest test top-1 difference between two seeds of the same student policy (pure or mixed) of the same network
 * (null: none has two finished seeds).
 */
export function seedNoise(points: PolicyPoint[]): number | null {
  let noise: number | null = null;
  for (const seeds of finishedBySeeds(points.filter((p) => p.kind !== "teacher"))) {
    if (seeds.length < 2) continue;
    const t = seeds.map((p) => p.testTop1!);
    noise = Math.max(noise ?? 0, Math.max(...t) - Math.min(...t));
  }
  return noise;
}

export interface PolicyVerdict {
  policy: string;
  /** the run ids of its finished seeds */
  ids: string[];
  /** mean test top-1 of those seeds */
  top1: number;
  /** per pure policy (by its letter): does the mixed one beat it */
  beats: Record<"R" | "S", boolean>;
  /**
   * The policies with one finished seed whose result decides whether this one beats both pure ones: moving the mean
   * top-1 of each one-seed policy of a comparison by the seed noise, up or down, changes that. Empty when no such move
   * changes it (the verdict stands on the seeds trained). The pure ones named by their letter.
   */
  undecided: ("mixed" | "R" | "S")[];
}

/** the mixed policy beats a pure one `d` more accurate (a fraction), needing `mine` BRAM18 against the pure one's `theirs` */
const beatsAt = (mine: number, theirs: number, d: number, noise: number) => (mine <= theirs && d > noise) || (mine < theirs && d >= -noise);

/**
 * For each finished mixed policy: does it beat each pure policy? Both read at the mean test top-1 of their finished
 * seeds. It beats one when it needs no more BRAM18 and is more accurate by more than the noise, or needs less BRAM18
 * and is no less accurate than the noise allows. Null when a pure policy or the noise is missing (nothing to compare with).
 * A verdict rests on one seed when a policy compared has only one and the verdict on beating both flips if that seed's
 * top-1 moves by the noise: the issue's "a second seed for any policy whose result decides the conclusion" (`undecided`).
 */
export function policyVerdicts(points: PolicyPoint[], noise: number | null): PolicyVerdict[] | null {
  const groups = finishedBySeeds(points);
  const pure = (l: "R" | "S") => groups.find((g) => g[0].kind === "pure" && g[0].policy[0] === l);
  const ref = { R: pure("R"), S: pure("S") };
  if (!ref.R || !ref.S || noise === null) return null;
  return groups
    .filter((g) => g[0].kind === "mixed")
    .map((m) => {
      // the mean of a one-seed policy moved by `shift` times the noise (-1, 0 or 1); two seeds or more stay where they are
      const top1 = (g: PolicyPoint[], shift: number) => meanTop1(g) + (g.length === 1 ? shift * noise : 0);
      const against = (l: "R" | "S", mine: number, theirs: number) => beatsAt(m[0].bram18, ref[l]![0].bram18, top1(m, mine) - top1(ref[l]!, theirs), noise);
      const both = (mine: number, r: number, s: number) => against("R", mine, r) && against("S", mine, s);
      // the most and the least favourable moves for the mixed policy: it up and the pure ones down, and the reverse
      const open = both(1, -1, -1) !== both(-1, 1, 1);
      const undecided: PolicyVerdict["undecided"] = [];
      if (open) {
        if (m.length === 1) undecided.push("mixed");
        for (const l of ["R", "S"] as const) if (ref[l]!.length === 1 && against(l, 1, -1) !== against(l, -1, 1)) undecided.push(l);
      }
      return { policy: m[0].policy, ids: m.map((p) => p.id), top1: meanTop1(m), beats: { R: against("R", 0, 0), S: against("S", 0, 0) }, undecided };
    });
}

export const POLICY_HEADERS = ["network", "run", "kind", "policy", "removed skips", "BRAM18", "LUT", "test top-1 %", "state"];

export const policyRows = (points: PolicyPoint[]) =>
  points.map((p) => [netName(p.net), p.id, p.kind, p.policy, p.removed, p.bram18, Math.round(p.lut), percent2(p.testTop1), p.state + (p.note ? `: ${p.note}` : "")]);

export const policyTable = (points: PolicyPoint[]): string => markdownTable(POLICY_HEADERS, policyRows(points));

/**
 * The answer in plain sentences, from the verdicts (what is not trained yet is said so). `noise`: the seed noise to
 * read differences against; by default this network's own (the study passes the largest over its networks).
 */
export function policyAnswer(net: string, points: PolicyPoint[], noise: number | null = seedNoise(points)): string {
  const mixed = points.filter((p) => p.kind === "mixed");
  const done = mixed.filter((p) => p.state === "done");
  const v = policyVerdicts(points, noise);
  const name = netName(net);
  if (!mixed.length) return `${name}: no mixed policy is planned.`;
  if (!v) return `${name}: ${done.length} of ${mixed.length} mixed policy runs trained; the pure runs or their seed noise are missing, so nothing is compared yet.`;
  const both = v.filter((x) => x.beats.R && x.beats.S);
  const head = `${name}: ${done.length} of ${mixed.length} mixed policy runs trained (seed noise ${(100 * noise!).toFixed(2)} pp, the largest top-1 difference between two seeds of one student policy; each policy read at the mean of its seeds).`;
  if (!done.length) return `${head} Nothing to compare yet.`;
  const seeds = (x: PolicyVerdict) => (x.ids.length > 1 ? `, ${x.ids.length} seeds` : "");
  const list = (xs: PolicyVerdict[]) => xs.map((x) => `${x.policy} (${(100 * x.top1).toFixed(2)}%${seeds(x)})`).join(", ");
  const answer = both.length
    ? `${head} Beats both pure policies: ${list(both)}.`
    : `${head} None beats both pure policies${v.some((x) => x.beats.R || x.beats.S) ? `; beats one: ${v.filter((x) => x.beats.R || x.beats.S).map((x) => `${x.policy} (${(100 * x.top1).toFixed(2)}%${seeds(x)}: ${x.beats.R ? "SkipRemover" : "SkipShortener"})`).join(", ")}` : ""}.`;
  // the answer stands unless a verdict that could change it rests on one seed: a policy that beats both on one seed
  // when no other beats both on every move, or one that would on a move when none does
  const settled = both.some((x) => !x.undecided.length);
  const open = settled ? [] : v.filter((x) => x.undecided.length);
  if (!open.length) return answer;
  const who = (x: PolicyVerdict) => x.undecided.map((u) => (u === "mixed" ? x.policy : u === "R" ? "SkipRemover" : "SkipShortener"));
  // the seeds that decide it and are planned already (training or waiting), named with their state
  const planned = (x: PolicyVerdict) =>
    x.undecided.flatMap((u) => points.filter((p) => p.state !== "done" && (u === "mixed" ? p.kind === "mixed" && p.policy === x.policy : p.kind === "pure" && p.policy[0] === u)));
  const plannedText = (x: PolicyVerdict) => {
    const ps = planned(x);
    return ps.length ? `; planned: ${ps.map((p) => `${p.id} ${p.state}`).join(", ")}` : "";
  };
  const why = (x: PolicyVerdict) => (x.beats.R && x.beats.S ? `${x.policy} beats both, but would not if a one-seed result moved by the seed noise` : `${x.policy} would beat both if a one-seed result moved by the seed noise`);
  return `${answer} Not settled: ${open.map((x) => `${why(x)} (a second seed of ${who(x).join(" and of ")} decides${plannedText(x)})`).join("; ")}.`;
}

const KIND_STYLE: Record<string, { color: string; symbol: string; name: string }> = {
  teacher: { color: METHOD_COLOR.teacher, symbol: designSymbol("teacher"), name: "teacher (every skip kept)" },
  "teacher-shortenable": { color: METHOD_COLOR["teacher-shortenable"], symbol: designSymbol("teacher-shortenable"), name: "shortenable teacher (every skip kept)" },
  R: { color: METHOD_COLOR.remover, symbol: designSymbol("remover"), name: "SkipRemover (all removed)" },
  S: { color: METHOD_COLOR.shortener, symbol: designSymbol("shortener"), name: "SkipShortener (all shortened)" },
  mixed: { color: "#2ca02c", symbol: designSymbol("policy"), name: "mixed policy" },
};

/** a point's style: a teacher by its form, a pure student by its letter */
const kindOf = (p: PolicyPoint): string => (p.kind === "pure" ? p.policy[0] : p.kind === "teacher" && p.form === "shortenable" ? "teacher-shortenable" : p.kind);

/** Test top-1 against BRAM18 (top) and LUT (bottom) for every finished point; the front of the finished points drawn. */
export function policyFigure(net: string, points: PolicyPoint[], note = ""): Figure {
  const done = points.filter((p) => p.state === "done" && p.testTop1 !== undefined);
  const data: Trace[] = [];
  const panels = [
    { key: "bram18" as const, axis: "", title: "BRAM18 (hls4ml reference configuration)" },
    { key: "lut" as const, axis: "2", title: "LUT (hls4ml reference configuration)" },
  ];
  for (const [i, panel] of panels.entries()) {
    for (const [kind, s] of Object.entries(KIND_STYLE)) {
      const ps = done.filter((p) => kindOf(p) === kind);
      if (!ps.length) continue;
      // a mixed point is labelled with its policy (in a static image the colour alone does not say which it is),
      // below it: the front of the trained points leaves a point to its right
      const labelled = kind === "mixed";
      const trace: Trace = {
        type: "scatter",
        mode: labelled ? "markers+text" : "markers",
        name: s.name,
        legendgroup: kind,
        showlegend: i === 0,
        x: ps.map((p) => p[panel.key]),
        y: ps.map((p) => 100 * p.testTop1!),
        xaxis: `x${panel.axis}`,
        yaxis: `y${panel.axis}`,
        marker: { color: s.color, symbol: s.symbol, size: 10, line: seedOutline(ps.map((p) => p.seed)) },
        // one label a policy: its second seed sits at the same BRAM18 and LUT, a few tenths of a point away
        ...(labelled ? { text: ps.map((p, i) => (ps.findIndex((q) => q.policy === p.policy) === i ? p.policy : "")), textposition: "bottom right", textfont: { size: 10, color: s.color } } : {}),
        hovertext: ps.map((p) => `${p.id}<br>policy ${p.policy}<br>${p.removed} removed<br>seed ${p.seed}`),
        hovertemplate: "%{hovertext}<br>%{x} " + panel.key + ", %{y:.2f}%<extra></extra>",
      };
      data.push(...splitLaterSeeds(trace, ps.map((p) => p.seed)));
    }
    const front = paretoFront(done.map((p) => ({ cost: p[panel.key], acc: p.testTop1! })));
    if (front.length > 1) {
      data.push({
        type: "scatter",
        mode: "lines",
        name: "front of the trained points",
        legendgroup: "front",
        showlegend: i === 0,
        x: front.map((k) => done[k][panel.key]),
        y: front.map((k) => 100 * done[k].testTop1!),
        xaxis: `x${panel.axis}`,
        yaxis: `y${panel.axis}`,
        line: { color: "#999", dash: "dot", shape: "hv" },
        hoverinfo: "skip",
      });
    }
  }
  const text = `Each point a trained network of ${netName(net)} (test top-1 of its best checkpoint; a black outline: a second seed). Hardware by the hls4ml model at the reference configuration. Not shown: runs not finished (${points.length - done.length}).${note ? ` ${note}` : ""}`;
  return {
    data,
    layout: {
      ...BASE_LAYOUT,
      width: FIGURE_WIDTH,
      height: 760,
      title: { text: `${netName(net)}: per-skip policies, accuracy against hardware` },
      // the legend between the title and the top panel (inside a panel it covers the teachers, top right), in up
      // to two rows
      margin: { t: 150, b: 130, l: 70, r: 20 },
      legend: { orientation: "h", x: 0, xanchor: "left", y: 1.02, yanchor: "bottom", font: { size: 12 } },
      xaxis: { ...BASE_LAYOUT.xaxis, title: { text: panels[0].title }, anchor: "y" },
      yaxis: { ...BASE_LAYOUT.yaxis, title: { text: "test top-1 %" }, domain: stackedDomain(0, 2, 0.16) },
      xaxis2: { ...BASE_LAYOUT.xaxis, title: { text: panels[1].title }, anchor: "y2" },
      yaxis2: { ...BASE_LAYOUT.yaxis, title: { text: "test top-1 %" }, domain: stackedDomain(1, 2, 0.16) },
      annotations: [caption(text)],
    },
  };
}

/** the teacher a policy run is measured against, as a run id */
export const policyTeacherRun = (net: string, policy: string): string => formatRunId({ net, role: policyTeacherRole(policy) });
