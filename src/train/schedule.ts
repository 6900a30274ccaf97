/** Tailor's schedules: which skip is altered after which epoch, and the step-decay learning rate. */

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
