/**
 * Batch norm folded into the convolution before it (eval mode: running statistics are constants). With
 * s = gamma / sqrt(variance + eps): BN(conv(x, W) + b) = conv(x, W s) + (b - mean) s + beta, s applied per output
 * channel. Computed in double, stored as float32: the folded network differs from the unfolded one by rounding only.
 */
import { BN_EPS } from "../backend/training-ops.js";

export interface BnStats {
  gamma: Float32Array;
  beta: Float32Array;
  mean: Float32Array;
  variance: Float32Array;
}

/**
 * `filter` HWIO (its last axis the output channel), `bias` the conv's own or null; returns the folded pair. Without
 * `bn` the filter is returned as it is and the bias as given (zeros when none).
 */
export function foldBatchNorm(filter: Float32Array, bias: Float32Array | null, cout: number, bn: BnStats | null): { filter: Float32Array; bias: Float32Array } {
  if (filter.length % cout !== 0) throw new Error(`foldBatchNorm: ${filter.length} filter values are not a multiple of ${cout} output channels`);
  if (!bn) return { filter, bias: bias ?? new Float32Array(cout) };
  for (const [k, v] of Object.entries(bn)) if ((v as Float32Array).length !== cout) throw new Error(`foldBatchNorm: ${k} has ${(v as Float32Array).length} values for ${cout} channels`);
  const s = new Float64Array(cout);
  for (let o = 0; o < cout; o++) s[o] = bn.gamma[o] / Math.sqrt(bn.variance[o] + BN_EPS);
  const w = new Float32Array(filter.length);
  for (let i = 0; i < filter.length; i++) w[i] = filter[i] * s[i % cout];
  const b = new Float32Array(cout);
  for (let o = 0; o < cout; o++) b[o] = ((bias ? bias[o] : 0) - bn.mean[o]) * s[o] + bn.beta[o];
  return { filter: w, bias: b };
}
