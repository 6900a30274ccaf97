/**
 * Tailor's knowledge-distillation loss (authors' code): alpha * MSE(teacher_logits, student_logits)
 * + beta * CE(student_logits, labels), on raw logits, no temperature. alpha = 0.35, beta = 0.65 by default.
 */
import * as tf from "@tensorflow/tfjs";

export interface KdWeights {
  mse: number;
  ce: number;
}

export const DEFAULT_KD: KdWeights = { mse: 0.35, ce: 0.65 };

/** mean over the batch of softmax cross-entropy (PyTorch nn.CrossEntropyLoss) */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const onehot = tf.oneHot(labels, logits.shape[1]);
    return tf.neg(tf.mean(tf.sum(onehot.mul(tf.logSoftmax(logits)), 1))) as tf.Scalar;
  });
}

/** mean over all elements (PyTorch nn.MSELoss) */
export function mse(a: tf.Tensor, b: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.squaredDifference(a, b)));
}

/** The training loss: CE alone without a teacher, the KD mix with one. */
export function tailorLoss(student: tf.Tensor2D, labels: tf.Tensor1D, teacher?: tf.Tensor2D, w: KdWeights = DEFAULT_KD): tf.Scalar {
  if (!teacher) return crossEntropy(student, labels);
  return tf.tidy(() => mse(teacher, student).mul(w.mse).add(crossEntropy(student, labels).mul(w.ce)));
}
