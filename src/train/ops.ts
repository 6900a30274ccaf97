/** Ops with a native kernel on the tailor-native backend and tfjs's composed ops elsewhere. */
import * as tf from "@tensorflow/tfjs";
import { BN_TRAIN, GAP, NATIVE_BACKEND } from "../backend/native-kernels.js";

export const BN_EPS = 1e-5; // PyTorch BatchNorm2d default

/** Normalise with batch statistics; returns the output and the batch mean and (biased) variance. */
export function batchNormTrain(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D): { y: tf.Tensor4D; mean: tf.Tensor1D; variance: tf.Tensor1D } {
  if (tf.getBackend() === NATIVE_BACKEND) {
    const [y, mean, invstd] = tf.engine().runKernel(BN_TRAIN, { x, scale: gamma, offset: beta }, { epsilon: BN_EPS }) as tf.Tensor[];
    const variance = tf.tidy(() => tf.reciprocal(invstd.square()).sub(BN_EPS)) as tf.Tensor1D;
    return { y: y as tf.Tensor4D, mean: mean as tf.Tensor1D, variance };
  }
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  const y = x.sub(mean).mul(tf.rsqrt(variance.add(BN_EPS))).mul(gamma).add(beta) as tf.Tensor4D;
  return { y, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
}

/** Global average pooling of an NHWC tensor to [N, C]. */
export function globalAvgPool(x: tf.Tensor4D): tf.Tensor2D {
  if (tf.getBackend() === NATIVE_BACKEND) return tf.engine().runKernel(GAP, { x }, {}) as tf.Tensor2D;
  return tf.mean(x, [1, 2]) as tf.Tensor2D;
}
