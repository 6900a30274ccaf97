/**
 * Whether a larger batch explains part of our recipe teachers' gap to the authors' (src/campaign/recipe-gap-plan.ts):
 * the depth study's 40-epoch ResNet-8 teacher at batch 32 (two seeds) against the same run at a larger batch, each
 * read at its best checkpoint's test top-1. Pure.
 */
import { parseRunId } from "../experiment/index.js";
import { percent2, toFixedNoNegZero, type Cell } from "../util/table.js";
import { signedPp } from "./claims.js";
import { stateLabel, type DepthRun } from "./depth.js";

export const GAP_HEADERS = ["run", "batch", "seed", "state", "best epoch", "val top-1 %", "test top-1 %"];

const batchOf = (r: DepthRun, base: number) => parseRunId(r.id)?.batch ?? base;
const seedOf = (r: DepthRun) => parseRunId(r.id)?.seed ?? 1;
const done = (r: DepthRun) => r.state === "done" && r.testTop1 !== undefined;

/** A row per run; `base`: the batch of the runs whose id names none (the depth study's). */
export const gapRows = (runs: DepthRun[], base: number): Cell[][] =>
  runs.map((r) => [r.id, batchOf(r, base), seedOf(r), stateLabel(r), r.state === "done" && r.bestEpoch !== undefined ? r.bestEpoch + 1 : "", percent2(r.valTop1), percent2(r.testTop1)]);

/**
 * The test's answer: the larger batch's test top-1 against the mean of the base batch's seeds, and whether the
 * difference exceeds what a seed alone moved (the two base seeds' difference). Says what is still training.
 */
export function gapAnswer(runs: DepthRun[], base: number): string {
  const atBase = runs.filter((r) => batchOf(r, base) === base);
  const larger = runs.filter((r) => batchOf(r, base) !== base);
  const waiting = runs.filter((r) => !done(r)).map((r) => `${r.id} ${stateLabel(r)}`);
  if (waiting.length) return `Not yet: ${waiting.join(", ")}.`;
  if (atBase.length < 2 || !larger.length) return `Not comparable: two seeds at batch ${base} and a run at another batch are needed (${runs.map((r) => r.id).join(", ")}).`;
  const t = atBase.map((r) => r.testTop1!);
  const mean = t.reduce((a, b) => a + b, 0) / t.length;
  const noise = Math.max(...t) - Math.min(...t);
  return larger
    .map((r) => {
      const d = 100 * (r.testTop1! - mean);
      const beyond = Math.abs(d) > 100 * noise;
      return (
        `At batch ${batchOf(r, base)}, ${percent2(r.testTop1)}% test top-1 against ${percent2(mean)}% at batch ${base} (mean of ${t.length} seeds, which differ by ${toFixedNoNegZero(100 * noise, 2)} pp): ` +
        `${signedPp(d)}, ${beyond ? "beyond" : "within"} what a seed alone moved${beyond ? (d > 0 ? ": the larger batch trains a better teacher at this schedule" : ": the larger batch trains a worse teacher at this schedule") : ""}.`
      );
    })
    .join(" ");
}
