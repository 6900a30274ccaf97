/**
 * SGD with momentum, Nesterov and weight decay, exactly as torch.optim.SGD (dampening 0):
 *   g = grad + wd * p;  buf = mu * buf + g  (buf = g on the first step);  g = g + mu * buf (Nesterov);  p -= lr * g.
 * Weight decay applies to every parameter, BN included, as in the authors' code.
 */
import * as tf from "@tensorflow/tfjs";
import { NATIVE_BACKEND, SGD_STEP } from "../backend/native-kernels.js";

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
    const { momentum: mu, weightDecay: wd, nesterov } = this.cfg;
    if (tf.getBackend() === NATIVE_BACKEND && mu !== 0) return this.nativeStep(params, grads, lr);
    tf.tidy(() => {
      for (const [name, p] of params) {
        const grad = grads[p.name];
        if (!grad) continue;
        let g = wd !== 0 ? grad.add(p.mul(wd)) : grad;
        if (mu !== 0) {
          let buf = this.buffers.get(name);
          if (!buf) {
            buf = tf.variable(g, false);
            this.buffers.set(name, buf);
          } else {
            buf.assign(buf.mul(mu).add(g));
          }
          g = nesterov ? g.add(buf.mul(mu)) : buf;
        }
        p.assign(p.sub(g.mul(lr)));
      }
    });
  }

  /** the same update in one fused kernel per parameter */
  private nativeStep(params: Map<string, tf.Variable>, grads: Record<string, tf.Tensor>, lr: number): void {
    const { momentum, weightDecay, nesterov } = this.cfg;
    for (const [name, p] of params) {
      const grad = grads[p.name];
      if (!grad) continue;
      let buf = this.buffers.get(name);
      const first = !buf;
      if (!buf) {
        buf = tf.variable(tf.zerosLike(p), false);
        this.buffers.set(name, buf);
      }
      const attrs = { lr, momentum, weightDecay, nesterov, first };
      const [np, nb] = tf.engine().runKernel(SGD_STEP, { p, grad, buf }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
      p.assign(np);
      buf.assign(nb);
      np.dispose();
      nb.dispose();
    }
  }

  dispose(): void {
    for (const b of this.buffers.values()) b.dispose();
    this.buffers.clear();
  }
}
