/**
 * The quantiser's training ops in composed tfjs ops (the reference every backend's own kernels are tested against;
 * src/train/quant.ts says what is quantised and cites Brevitas). The scale is a plain number: it is computed from a
 * statistic outside the gradient (Brevitas passes gradients into its scales; ours are constants to the gradient,
 * see quant.ts), so the op has one differentiable input.
 */
import * as tf from "@tensorflow/tfjs";

/** max |x| over the whole tensor: the per-tensor statistic of a scale (not differentiated) */
export function refAbsMax(x: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(x)).dataSync()[0]);
}

/**
 * y = clamp(round(x / scale), qmin, qmax) * scale (round half to even, as torch.round). Gradient, straight-through
 * for the rounding; for the clamp either straight-through too (`steClamp`: dx = dy everywhere, Brevitas's
 * TensorClampSte) or masked (dx = dy where qmin <= round(x / scale) <= qmax, else 0: Brevitas's TensorClamp).
 */
export function refFakeQuant(x: tf.Tensor, scale: number, qmin: number, qmax: number, steClamp: boolean): tf.Tensor {
  const s = Math.fround(scale);
  const op = tf.customGrad(((xi: tf.Tensor, save: tf.GradSaveFunc) => {
    save([xi]);
    const value = tf.tidy(() => tf.clipByValue(tf.round(tf.div(xi, s)), qmin, qmax).mul(s));
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
      if (steClamp) return dy.clone();
      return tf.tidy(() => {
        const q = tf.round(tf.div(saved[0], s));
        return tf.where(tf.logicalAnd(q.greaterEqual(qmin), q.lessEqual(qmax)), dy, tf.zerosLike(dy));
      });
    };
    return { value, gradFunc };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(x);
}
