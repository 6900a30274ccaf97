/**
 * Whether a larger batch explains part of our recipe teachers' gap to the authors' (src/campaign/recipe-gap-plan.ts):
 * the depth study's 40-epoch ResNet-8 teacher at its batch (two seeds) against the same run at a larger batch, each
 * read at its best checkpoint's test top-1. Batch and seed are what each run's config trained at. Pure.
 */
import { percent2, toFixedNoNegZero, type Cell } from "../util/table.js";
import { signedPp } from "./claims.js";
import { stateLabel, type DepthRun } from "./depth.js";

/** a run of the test, with the batch and seed its config trained at */
export interface GapRun extends DepthRun {
  batch: number;
  seed: number;
}

export const GAP_HEADERS = ["run", "batch", "seed", "state", "best epoch", "val top-1 %", "test top-1 %"];

const done = (r: GapRun) => r.state === "done" && r.testTop1 !== undefined;

export const gapRows = (runs: GapRun[]): Cell[][] =>
  runs.map((r) => [r.id, r.batch, r.seed, stateLabel(r), r.state === "done" && r.bestEpoch !== undefined ? r.bestEpoch + 1 : "", percent2(r.valTop1), percent2(r.testTop1)]);

/**
 * The test's answer: each larger-batch run's test top-1 against the mean of the base batch's seeds, and whether the
 * difference exceeds the spread of those seeds. `base`: the study's batch; `epochs`: the schedule's length, said
 * because at one schedule a larger batch also takes fewer steps. Says what is still training or went wrong.
 */
export function gapAnswer(runs: GapRun[], base: number, epochs: number): string {
  const broken = runs.filter((r) => r.state === "failed" || r.state === "invalid");
  if (broken.length) return `Not computed: ${broken.map((r) => `${r.id} ${r.state}${r.note ? ` (${r.note})` : ""}`).join(", ")}.`;
  const waiting = runs.filter((r) => !done(r));
  if (waiting.length) return `Not yet: ${waiting.map((r) => `${r.id} ${stateLabel(r)}`).join(", ")}.`;
  const atBase = runs.filter((r) => r.batch === base);
  const larger = runs.filter((r) => r.batch !== base);
  if (atBase.length < 2 || !larger.length) return `Not comparable: two seeds at batch ${base} and a run at another batch are needed (${runs.map((r) => r.id).join(", ")}).`;
  const t = atBase.map((r) => r.testTop1!);
  const mean = t.reduce((a, b) => a + b, 0) / t.length;
  const spread = Math.max(...t) - Math.min(...t);
  return larger
    .map((r) => {
      const d = 100 * (r.testTop1! - mean);
      const beyond = Math.abs(d) > 100 * spread;
      return (
        `At batch ${r.batch} (one run; ${epochs} epochs, so ${r.batch > base ? `${r.batch / base}x fewer` : `${base / r.batch}x more`} steps than at batch ${base}, at the same learning-rate milestones), ${percent2(r.testTop1)}% test top-1 ` +
        `against ${percent2(mean)}% at batch ${base} (mean of ${t.length} seeds, which differ by ${toFixedNoNegZero(100 * spread, 2)} pp): ${signedPp(d)}, ` +
        `${beyond ? "beyond" : "within"} the spread of the seeds at batch ${base}.` +
        (beyond ? ` At this schedule the larger batch gave a ${d > 0 ? "better" : "worse"} teacher; whether it would at the recipe's 200 epochs is not tested.` : "")
      );
    })
    .join(" ");
}
