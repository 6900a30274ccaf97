/**
 * A finished campaign run counts as a result only when its files agree with one another and with the plan. Each check
 * stands for a real way to report a wrong number without noticing:
 * - results.json ran with another config: the plan was edited after the run finished;
 * - best.ckpt is missing, of another epoch or another config: a partial commit or a merge left an older file;
 * - a student's skips are not all altered: a teacher's (or another run's) checkpoint in the student's folder;
 * - a student's teacher is not the network it learned from: the teacher was retrained after it, so its gap would be
 *   measured against a network it never saw;
 * - the test accuracy of best.ckpt now is not the one training recorded for it (checked after evaluation).
 * A run that fails one is shown as "invalid" with the reason and is never a result; the runner does not retrain it.
 */
import { configDifferences } from "../train/config-compare.js";
import type { TrainConfig } from "../train/config.js";
import { finalSkipModes } from "../experiment/index.js";
import { skipBlocks, type NetSpec } from "../net/index.js";

/** what verification reads of results.json */
export interface FinishedResults {
  config: Partial<TrainConfig>;
  bestEpoch: number | null;
  best?: { test?: { top1: number; count?: number } };
}

/** what verification reads of best.ckpt's header */
export interface BestHeader {
  config: Partial<TrainConfig>;
  epoch: number;
  net: NetSpec;
  teacherDigest?: string;
}

export interface FinishedRunFiles {
  results: FinishedResults;
  resultsFile: string;
  /** null: best.ckpt is missing */
  best: BestHeader | null;
  bestFile: string;
  /** modelDigest of the teacher checkpoint the plan names; null when the run has no teacher or it is not readable */
  teacherDigest: string | null;
}

const show = (v: unknown) => (Array.isArray(v) ? v.join(",") || "(none)" : JSON.stringify(v));
const diffText = (d: [string, unknown, unknown][]) => d.map(([k, a, b]) => `${k} ${show(a)} (the plan: ${show(b)})`).join(", ");

/** Why the run's files cannot be trusted as its result, or null. Header reads only: no weights are decoded. */
export function finishedRunProblem(planned: TrainConfig, f: FinishedRunFiles): string | null {
  const planDiff = configDifferences(f.results.config, planned);
  if (planDiff.length) return `${f.resultsFile} ran with ${diffText(planDiff)}: the plan changed after the run finished (restore the plan, or move the folder away to train the run again)`;
  if (!f.best) return `${f.bestFile} is missing beside ${f.resultsFile} (restore it from git)`;
  if (f.results.bestEpoch !== null && f.best.epoch !== f.results.bestEpoch) {
    return `${f.bestFile} is of epoch ${f.best.epoch + 1}, ${f.resultsFile} names epoch ${f.results.bestEpoch + 1} as the best (an older best.ckpt?)`;
  }
  const bestDiff = configDifferences(f.best.config, planned);
  if (bestDiff.length) return `${f.bestFile} was trained with ${diffText(bestDiff)}: not this run's checkpoint`;
  const skips = skipBlocks(f.best.net).map((i) => f.best!.net.blocks[i]);
  const want = finalSkipModes(planned.method, skips.length, planned.policy);
  const off = skips.filter((b, k) => b.skip !== want[k]);
  if (off.length) {
    const wanted = new Set(want).size === 1 ? want[0] : `as policy ${planned.policy} sets them`;
    return `${f.bestFile}: ${off.length} of its ${skips.length} skips are not ${wanted} (${off.map((b) => `${b.name} ${b.skip}`).join(", ")}), as --method ${planned.method} leaves them: not this run's checkpoint`;
  }
  if (f.best.teacherDigest && f.teacherDigest && f.best.teacherDigest !== f.teacherDigest) {
    return `${f.bestFile} learned from a teacher other than today's ${planned.teacher} (model ${f.best.teacherDigest.slice(0, 12)}..., now ${f.teacherDigest.slice(0, 12)}...): the teacher was retrained after it, so its gap would be measured against another network`;
  }
  return null;
}

/** Images by which a re-evaluation may differ from training's record (other kernels round differently), as data/claims.json's regressionTolerance. */
export const REEVALUATION_IMAGES = 5;

/** Why best.ckpt's test top-1 now contradicts results.json's record of it, or null. */
export function testRecordProblem(results: FinishedResults, resultsFile: string, top1: number, count: number): string | null {
  const recorded = results.best?.test?.top1;
  if (recorded === undefined) return null;
  const images = Math.round(Math.abs(top1 - recorded) * count);
  return images > REEVALUATION_IMAGES
    ? `best.ckpt's test top-1 is ${(100 * top1).toFixed(2)}% now, ${resultsFile} recorded ${(100 * recorded).toFixed(2)}% for it (${images} images apart, more than ${REEVALUATION_IMAGES}): not the checkpoint that training evaluated`
    : null;
}
