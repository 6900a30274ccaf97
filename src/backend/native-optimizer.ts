/**
 * The SGD step and the batch norm's running-statistics update on the tailor-native backend: training ops, no kernels.
 */
import * as tf from "@tensorflow/tfjs";
import type { NativeAddon } from "./native-addon.js";
import { values, type KernelFamily, type PooledCpuBackend } from "./native-backend.js";
import { referenceOps } from "./training-ops.js";

/** the ops sgdStep (SGD with momentum in C++) and updateRunningStats */
export function optimizerFamily(addon: NativeAddon): KernelFamily {
  return {
    kernels: [],
    ops: {
      // The optimiser and the running statistics update their variables' arrays in place, in one call each per step:
      // no tensor is created, so a step costs no tfjs bookkeeping for them. Safe because no other tensor shares these
      // arrays: the tensors saved for the backward pass are gone by the update, checkpoints copy on write (dataSync) and
      // models built from a checkpoint copy on read (modelFromCheckpoint, restoreOptimizer).
      sgdStep(params, grads, buffers, h) {
        if (h.momentum === 0) return referenceOps.sgdStep(params, grads, buffers, h);
        const b = tf.backend() as PooledCpuBackend;
        const ps: Float32Array[] = [], gs: Float32Array[] = [], bs: Float32Array[] = [], first: number[] = [];
        for (const [name, p] of params) {
          const grad = grads[p.name];
          if (!grad) continue;
          let buf = buffers.get(name);
          first.push(buf ? 0 : 1);
          if (!buf) buffers.set(name, (buf = tf.variable(tf.zerosLike(p), false)));
          ps.push(values(b, p));
          gs.push(values(b, grad));
          bs.push(values(b, buf));
        }
        addon.sgdStepMany(ps, gs, bs, Int32Array.from(first), h.lr, h.momentum, h.weightDecay, h.nesterov ? 1 : 0);
      },
      updateRunningStats(updates, momentum) {
        // the float32 arithmetic of the reference ops, value by value (fround), so both give the same statistics
        const b = tf.backend() as PooledCpuBackend;
        const f = Math.fround;
        const keep = f(1 - momentum), take = f(momentum);
        for (const u of updates) {
          const rm = values(b, u.mean), rv = values(b, u.variance), bm = values(b, u.batchMean), bv = values(b, u.batchVariance);
          const takeVar = f(momentum * u.unbias);
          for (let c = 0; c < rm.length; c++) {
            rm[c] = f(f(rm[c] * keep) + f(bm[c] * take));
            rv[c] = f(f(rv[c] * keep) + f(bv[c] * takeVar));
          }
        }
      },
    },
  };
}
