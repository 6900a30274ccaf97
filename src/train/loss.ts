/**
 * Tailor's knowledge-distillation loss (authors' code): alpha * MSE(teacher_logits, student_logits)
 * + beta * CE(student_logits, labels), on raw logits, no temperature. alpha = 0.35, beta = 0.65 by default.
 */
import * as tf from "@tensorflow/tfjs";
import { crossEntropy, meanSquaredError, trainingOps, type LossWeights } from "./ops.js";

export type KdWeights = LossWeights;

export const DEFAULT_KD: KdWeights = { mse: 0.35, ce: 0.65 };

export { crossEntropy, meanSquaredError as mse };

/** The training loss: CE alone without a teacher, the KD mix with one (one op of the backend's training ops). */
export function tailorLoss(student: tf.Tensor2D, labels: tf.Tensor1D, teacher?: tf.Tensor2D, w: KdWeights = DEFAULT_KD): tf.Scalar {
  return trainingOps().trainingLoss(student, labels, teacher, w);
}
