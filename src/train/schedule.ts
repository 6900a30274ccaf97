/** Tailor's schedules: which skip is altered after which epoch, and the step-decay learning rate. */
import type { SkipMode } from "../net/index.js";

/** One step of Tailor: skip `skip` (0 = nearest the input) becomes `mode` at the end of (0-indexed) epoch `epoch`. */
export interface Alteration {
  skip: number;
  mode: SkipMode;
  epoch: number;
}

/**
 * Tailor's steps toward per-skip targets: the skips whose target is not long, from the input end, one every `every`
 * epochs (the j-th altered after epoch every*(j+1)). A kept skip is not a step, so a policy that alters A skips is
 * final after epoch every*A, as SkipRemover on a network of A skips is; the paper's two methods (every target the
 * same) get the schedule of skipsAlteredAfterEpoch.
 */
export function alterationSchedule(targets: readonly SkipMode[], every: number): Alteration[] {
  const out: Alteration[] = [];
  targets.forEach((mode, skip) => {
    if (mode !== "long") out.push({ skip, mode, epoch: every * (out.length + 1) });
  });
  return out;
}

/**
 * Skips are numbered from the input end, 0..S-1; skip k is altered at the end of (0-indexed) epoch every*(k+1).
 * With every = 3, ResNet-8's three skips change after epochs 3, 6 and 9 (authors' code).
 */
export function skipsAlteredAfterEpoch(epoch: number, skipCount: number, every: number): number[] {
  if (every <= 0 || epoch <= 0 || epoch % every !== 0) return [];
  const k = epoch / every - 1;
  return k < skipCount ? [k] : [];
}

/** The first epoch after which every skip has been altered (training after it is pure fine-tuning). */
export function lastAlterationEpoch(skipCount: number, every: number): number {
  return skipCount === 0 ? -1 : every * skipCount;
}

export interface LrSchedule {
  lr: number;
  gamma: number;
  /** decay every `stepEvery` epochs (authors: 30) ... */
  stepEvery?: number;
  /** ... or at these epochs */
  milestones?: number[];
}

export function learningRate(s: LrSchedule, epoch: number): number {
  const decays = s.milestones ? s.milestones.filter((m) => epoch >= m).length : s.stepEvery ? Math.floor(epoch / s.stepEvery) : 0;
  return s.lr * Math.pow(s.gamma, decays);
}
