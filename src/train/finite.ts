/**
 * The divergence stop. The training loss alone does not show every divergence: a kernel that maps NaN to a number
 * (a ReLU computing `a > 0 ? a : 0`) keeps the loss finite while weights and batch-norm statistics become NaN or
 * infinite. So every parameter, running statistic and momentum buffer is checked before a checkpoint is written;
 * a running variance must also be >= 0. One pass over the values: for ResNet-8 (~80k parameters, 3 x that with the
 * buffers) it costs a fraction of a millisecond, once per epoch.
 */
import type * as tf from "@tensorflow/tfjs";

export class DivergedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DivergedError";
  }
}

export interface BadTensor {
  /** "parameter", "BN statistic" or "momentum buffer" */
  kind: string;
  name: string;
  nan: number;
  inf: number;
  negative: number;
  size: number;
}

/** Count NaN, +-Inf (and negative values, when they are impossible) in one array. */
export function countNonFinite(v: ArrayLike<number>, negativeAllowed = true): { nan: number; inf: number; negative: number } {
  // x * 0 is 0 for every finite x and NaN for NaN and +-Inf: one multiply-add per value on the common path
  let acc = 0;
  for (let i = 0; i < v.length; i++) acc += v[i] * 0;
  let nan = 0;
  let inf = 0;
  let negative = 0;
  if (acc === 0 && negativeAllowed) return { nan, inf, negative };
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (x !== x) nan++;
    else if (x === Infinity || x === -Infinity) inf++;
    else if (!negativeAllowed && x < 0) negative++;
  }
  return { nan, inf, negative };
}

export interface FiniteCheckInput {
  params: Map<string, tf.Tensor>;
  stats: Map<string, tf.Tensor>;
  buffers?: Map<string, tf.Tensor>;
}

/** Every tensor holding a NaN or an infinity (or a negative running variance). */
export function findNonFinite(m: FiniteCheckInput): BadTensor[] {
  const out: BadTensor[] = [];
  const groups: [string, Map<string, tf.Tensor> | undefined][] = [
    ["parameter", m.params],
    ["BN statistic", m.stats],
    ["momentum buffer", m.buffers],
  ];
  for (const [kind, map] of groups) {
    for (const [name, t] of map ?? []) {
      const c = countNonFinite(t.dataSync(), !(kind === "BN statistic" && name.endsWith(".variance")));
      if (c.nan + c.inf + c.negative > 0) out.push({ kind, name, ...c, size: t.size });
    }
  }
  return out;
}

/** Throw a DivergedError naming the tensors that are not finite; `when` says where in the run we are. */
export function assertFinite(m: FiniteCheckInput, when: string): void {
  const bad = findNonFinite(m);
  if (bad.length === 0) return;
  const shown = bad
    .slice(0, 4)
    .map((b) => `${b.kind} ${b.name}: ${[b.nan && `${b.nan} NaN`, b.inf && `${b.inf} infinite`, b.negative && `${b.negative} negative`].filter(Boolean).join(", ")} of ${b.size}`)
    .join("; ");
  throw new DivergedError(
    `training diverged ${when}: ${bad.length} tensor(s) hold NaN, infinite or impossible values (${shown}${bad.length > 4 ? "; ..." : ""}). ` +
      `Nothing of this epoch was written; the last checkpoint is kept. Lower --lr or check the input.`,
  );
}
