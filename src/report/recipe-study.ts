/**
 * The authors' 200-epoch ResNet-8 recipe (issue 28, src/campaign/recipe-plan.ts): its runs beside the authors'
 * released checkpoints (data/published/tailor-released-checkpoints.json) and C7a at this schedule, each student
 * against its own teacher, beside the same students of the depth study's 40-epoch schedule. Pure, but for the loader.
 */
import * as fs from "node:fs";
import { methodLabel, type ClaimSpec } from "../experiment/index.js";
import { fixed2, percent2, type Cell } from "../util/table.js";
import type { Curve } from "./accuracy-figures.js";
import { signedPp, within } from "./claims.js";
import { gap, stateLabel, type DepthRun } from "./depth.js";

export const RELEASED_CHECKPOINTS_FILE = "data/published/tailor-released-checkpoints.json";

/** one released checkpoint: its run role, network, the epoch in its file name (from 0) and its validation top-1 */
export interface ReleasedCheckpoint {
  role: string;
  net: string;
  epoch: number;
  valTop1: number;
}

/** The released checkpoints of `file`; a malformed entry is an error naming the file, the entry and the field. */
export function loadReleasedCheckpoints(file: string): ReleasedCheckpoint[] {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`);
  }
  const list = (raw as { checkpoints?: unknown })?.checkpoints;
  if (!Array.isArray(list)) throw new Error(`${file}: expected an object with a "checkpoints" array`);
  return list.map((c, i) => {
    const at = `${file}: checkpoints[${i}]`;
    const o = c as Record<string, unknown>;
    for (const k of ["role", "net"]) if (typeof o?.[k] !== "string" || !o[k]) throw new Error(`${at}.${k}: expected a non-empty string, got ${JSON.stringify(o?.[k])}`);
    if (!Number.isInteger(o.epoch) || (o.epoch as number) < 0) throw new Error(`${at}.epoch: expected an integer >= 0, got ${JSON.stringify(o.epoch)}`);
    if (typeof o.valTop1 !== "number" || !(o.valTop1 > 0 && o.valTop1 <= 1)) throw new Error(`${at}.valTop1: expected a fraction in (0, 1], got ${JSON.stringify(o.valTop1)}`);
    // the file names round to two digits, and the report shows the range that rounding leaves (releasedSentence)
    if (Math.abs(100 * o.valTop1 - Math.round(100 * o.valTop1)) > 1e-9) throw new Error(`${at}.valTop1: expected two digits, as a checkpoint's file name gives them (0.87), got ${o.valTop1}`);
    return { role: o.role as string, net: o.net as string, epoch: o.epoch as number, valTop1: o.valTop1 as number };
  });
}

/** The epoch (from 0) and validation top-1 of the lowest validation loss so far: the checkpoint a run would keep now. */
export function bestSoFar(c: Curve | undefined): { epoch: number; valTop1: number } | null {
  const h = c?.history ?? [];
  if (!h.length) return null;
  const b = h.reduce((m, r) => (r.valLoss < m.valLoss ? r : m));
  return { epoch: b.epoch, valTop1: b.valTop1 };
}


export const RECIPE_HEADERS = ["run", "state", "best epoch", "val top-1 %", "test top-1 %", "gap to its teacher (pp)", "authors' released: val top-1 % as named, whole (epoch, from 1)"];

/**
 * A released checkpoint as its file name states it, in this table's conventions: epochs counted from 1 as ours are
 * (Lightning's name counts from 0), top-1 in whole percent (the name rounds to two digits: 0.87 is 86.5-87.5%).
 */
const releasedCell = (c: ReleasedCheckpoint) => `${(100 * c.valTop1).toFixed(0)} (${c.epoch + 1})`;
const releasedSentence = (c: ReleasedCheckpoint) =>
  `the authors' released checkpoint: ${(100 * c.valTop1).toFixed(0)}% (rounded to two digits in its file name: ${(100 * c.valTop1 - 0.5).toFixed(1)}-${(100 * c.valTop1 + 0.5).toFixed(1)}%) at epoch ${c.epoch + 1} (${c.epoch} in its file name, which counts from 0)`;

/** A row per recipe run; an unfinished run shows the checkpoint it would keep so far (lowest validation loss), marked so. */
export function recipeRows(runs: DepthRun[], curves: Map<string, Curve>, released: ReleasedCheckpoint[]): Cell[][] {
  return runs.map((r) => {
    const rel = released.find((c) => c.net === r.net && c.role === r.run);
    const so = r.state === "done" ? null : bestSoFar(curves.get(r.id));
    const epoch = r.state === "done" && r.bestEpoch !== undefined ? String(r.bestEpoch + 1) : so ? `${so.epoch + 1} so far` : "";
    const val = r.state === "done" ? percent2(r.valTop1) : so ? `${percent2(so.valTop1)} so far` : "";
    return [r.id, stateLabel(r), epoch, val, percent2(r.testTop1), fixed2(gap(r, runs)), rel ? releasedCell(rel) : ""];
  });
}

/**
 * The answer in sentences: each teacher against the authors' checkpoint (their validation split is theirs: the same
 * size, other images), and C7a at this schedule (the worst student against its own teacher, checked as the claim
 * checks it: claims.ts within) beside the depth study's students of the same network. Says what is still training.
 */
export function recipeAnswer(runs: DepthRun[], curves: Map<string, Curve>, released: ReleasedCheckpoint[], depth: DepthRun[], c7a: ClaimSpec): string[] {
  const out: string[] = [];
  for (const r of runs.filter((x) => x.method === "teacher")) {
    const rel = released.find((c) => c.net === r.net && c.role === r.run);
    const authors = rel ? `; ${releasedSentence(rel)}` : "";
    if (r.state === "done") out.push(`${r.id}: validation top-1 ${percent2(r.valTop1)}% at epoch ${r.bestEpoch! + 1} of ${r.epochs}, test top-1 ${percent2(r.testTop1)}%${authors}.`);
    else {
      const so = bestSoFar(curves.get(r.id));
      out.push(`${r.id}: ${stateLabel(r)}${so ? `, best so far ${percent2(so.valTop1)}% validation top-1 at epoch ${so.epoch + 1}` : ""}${authors}.`);
    }
  }
  const students = runs.filter((x) => x.reference && x.method !== "teacher");
  const gaps = students.map((s) => ({ s, g: gap(s, runs) }));
  const depthGaps = depth
    .filter((d) => students.some((s) => s.net === d.net && s.run === d.run))
    .map((d) => `${methodLabel(d.method)} ${signed(gap(d, depth))}`)
    .join(", ");
  const beside = depthGaps ? ` The depth study's 40-epoch students of the same network: ${depthGaps}.` : "";
  if (gaps.some((x) => x.g === null)) {
    const waiting = gaps.filter((x) => x.g === null).map((x) => `${x.s.id} ${stateLabel(x.s)}`);
    out.push(`C7a at this schedule: not yet (${waiting.join(", ")}).${beside}`);
    return out;
  }
  const worst = gaps.reduce((m, x) => (x.g! < m.g! ? x : m));
  const holds = within(c7a, worst.g!);
  out.push(
    `C7a at this schedule: ${gaps.map((x) => `${methodLabel(x.s.method)} ${signed(x.g)}`).join(", ")} against their own teachers (test top-1); the worst, ${signed(worst.g)}, ` +
      `${holds ? "holds" : "fails"} the claim's ${c7a.paper} pp with our tolerance of ${c7a.tolerance} pp.${beside}`,
  );
  return out;
}

const signed = (g: number | null) => (g === null ? "not done" : signedPp(g));
