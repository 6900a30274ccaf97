/**
 * SGD with momentum, Nesterov and weight decay, exactly as torch.optim.SGD (dampening 0):
 *   g = grad + wd * p;  buf = mu * buf + g  (buf = g on the first step);  g = g + mu * buf (Nesterov);  p -= lr * g.
 * Weight decay applies to every parameter, BN included, as in the authors' code.
 */
import * as tf from "@tensorflow/tfjs";
import { trainingOps } from "./ops.js";

export interface SgdConfig {
  lr: number;
  momentum: number;
  weightDecay: number;
  nesterov: boolean;
}

export class Sgd {
  /** momentum buffers by parameter name */
  readonly buffers = new Map<string, tf.Variable>();
  constructor(public cfg: SgdConfig) {}

  step(params: Map<string, tf.Variable>, grads: Record<string, tf.Tensor>, lr = this.cfg.lr): void {
    trainingOps().sgdStep(params, grads, this.buffers, { ...this.cfg, lr });
  }

  dispose(): void {
    for (const b of this.buffers.values()) b.dispose();
    this.buffers.clear();
  }
}
