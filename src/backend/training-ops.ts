/**
 * The backend seam of training. Training code calls these ops by name only; each has a reference implementation
 * in composed tfjs ops (right on every backend, differentiated by tfjs's autodiff), and a backend may register
 * its own faster implementation of any of them (src/backend/native-*.ts does for tailor-native). Adding a backend
 * touches src/backend/ and native/ only: no training code asks which backend is running.
 */
import * as tf from "@tensorflow/tfjs";
import { refAbsMax, refFakeQuant } from "./quant-ops.js";

export const BN_EPS = 1e-5; // PyTorch BatchNorm2d default

export interface BatchNormResult {
  y: tf.Tensor4D;
  /** batch mean and biased batch variance per channel (for the running statistics) */
  mean: tf.Tensor1D;
  variance: tf.Tensor1D;
}

/** a convolution's geometry: NHWC input, HWIO filter, one group */
export interface ConvGeometry {
  stride: [number, number];
  /** zeros before and after, along height and along width */
  pad: [[number, number], [number, number]];
  dilation: [number, number];
}

/** torch.optim.SGD's hyper-parameters (dampening 0) */
export interface SgdHyper {
  lr: number;
  momentum: number;
  weightDecay: number;
  nesterov: boolean;
}

/** One batch norm's running statistics and the batch statistics to fold into them. */
export interface RunningStatsUpdate {
  mean: tf.Variable;
  variance: tf.Variable;
  batchMean: tf.Tensor1D;
  /** biased batch variance; multiplied by `unbias` (n / (n - 1)) before it is folded in, as PyTorch does */
  batchVariance: tf.Tensor1D;
  unbias: number;
}

/** the weights of Tailor's training loss: mse * MSE(teacher, student) + ce * CE(student, labels) */
export interface LossWeights {
  mse: number;
  ce: number;
}

/** mean over the batch of softmax cross-entropy (PyTorch nn.CrossEntropyLoss) */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const onehot = tf.oneHot(labels, logits.shape[1]);
    return tf.neg(tf.mean(tf.sum(onehot.mul(tf.logSoftmax(logits)), 1))) as tf.Scalar;
  });
}

/** mean over all elements (PyTorch nn.MSELoss) */
export function meanSquaredError(a: tf.Tensor, b: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.squaredDifference(a, b)));
}

export interface TrainingOps {
  /** y = BN(x) in training mode: normalised with the batch's own statistics */
  batchNormTrain(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D): BatchNormResult;
  /** y = ReLU(BN(x) + skip) (skip optional): the batch norm, skip add and ReLU that close most ResNet units */
  batchNormReluTrain(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, skip?: tf.Tensor4D): BatchNormResult;
  /**
   * A whole unit: BN(conv(x, w)) in training mode, then with `relu` ReLU(. + skip) (skip optional; only with relu).
   * `inputGrad` false says x needs no gradient (the network's input), which an implementation may use to skip it.
   */
  convBatchNormTrain(
    x: tf.Tensor4D,
    w: tf.Tensor4D,
    gamma: tf.Tensor1D,
    beta: tf.Tensor1D,
    conv: ConvGeometry,
    relu: boolean,
    skip?: tf.Tensor4D,
    inputGrad?: boolean,
  ): BatchNormResult;
  /**
   * The training loss of a batch: CE(student, labels) without a teacher, w.mse MSE(teacher, student) + w.ce
   * CE(student, labels) with one. The teacher's logits are constants (the teacher is frozen): an implementation
   * need not give them a gradient.
   */
  trainingLoss(student: tf.Tensor2D, labels: tf.Tensor1D, teacher: tf.Tensor2D | undefined, w: LossWeights): tf.Scalar;
  /** global average pooling of an NHWC tensor to [N, C] */
  globalAvgPool(x: tf.Tensor4D): tf.Tensor2D;
  /** a fully connected layer: x [N, in] times w [in, out] plus b [out] */
  dense(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor2D;
  /**
   * One torch.optim.SGD step of every parameter that has a gradient: g = grad + wd p; buf = mu buf + g (buf = g at
   * first); g = g + mu buf (Nesterov) or buf; p -= lr g. Momentum buffers are created on first use, keyed by name.
   */
  sgdStep(params: Map<string, tf.Variable>, grads: Record<string, tf.Tensor>, buffers: Map<string, tf.Variable>, h: SgdHyper): void;
  /** running = (1 - momentum) running + momentum batch, for every batch norm of a step */
  updateRunningStats(updates: RunningStatsUpdate[], momentum: number): void;
  /** max |x| of a whole tensor, as a number (a quantiser's statistic; quant-ops.ts) */
  absMax(x: tf.Tensor): number;
  /** y = clamp(round(x / scale), qmin, qmax) * scale with a straight-through gradient (quant-ops.ts) */
  fakeQuant(x: tf.Tensor, scale: number, qmin: number, qmax: number, steClamp: boolean): tf.Tensor;
}

/** Composed tfjs ops: the definition every registered implementation is tested against. */
export const referenceOps: TrainingOps = {
  batchNormTrain(x, gamma, beta) {
    const { mean, variance } = tf.moments(x, [0, 1, 2]);
    const y = x.sub(mean).mul(tf.rsqrt(variance.add(BN_EPS))).mul(gamma).add(beta) as tf.Tensor4D;
    return { y, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
  },
  batchNormReluTrain(x, gamma, beta, skip) {
    const r = this.batchNormTrain(x, gamma, beta);
    return { ...r, y: tf.relu(skip ? r.y.add(skip) : r.y) as tf.Tensor4D };
  },
  convBatchNormTrain(x, w, gamma, beta, conv, relu, skip) {
    if (skip && !relu) throw new Error("convBatchNormTrain: a skip is added only before a ReLU");
    const z = tf.conv2d(x, w, conv.stride, [[0, 0], conv.pad[0], conv.pad[1], [0, 0]], "NHWC", conv.dilation);
    return relu ? this.batchNormReluTrain(z, gamma, beta, skip) : this.batchNormTrain(z, gamma, beta);
  },
  trainingLoss(student, labels, teacher, w) {
    if (!teacher) return crossEntropy(student, labels);
    return tf.tidy(() => meanSquaredError(teacher, student).mul(w.mse).add(crossEntropy(student, labels).mul(w.ce)));
  },
  globalAvgPool: (x) => tf.mean(x, [1, 2]) as tf.Tensor2D,
  dense: (x, w, b) => tf.matMul(x, w).add(b),
  sgdStep(params, grads, buffers, { lr, momentum: mu, weightDecay: wd, nesterov }) {
    tf.tidy(() => {
      for (const [name, p] of params) {
        const grad = grads[p.name];
        if (!grad) continue;
        let g = wd !== 0 ? grad.add(p.mul(wd)) : grad;
        if (mu !== 0) {
          let buf = buffers.get(name);
          if (!buf) {
            buf = tf.variable(g, false);
            buffers.set(name, buf);
          } else {
            buf.assign(buf.mul(mu).add(g));
          }
          g = nesterov ? g.add(buf.mul(mu)) : buf;
        }
        p.assign(p.sub(g.mul(lr)));
      }
    });
  },
  updateRunningStats(updates, momentum) {
    tf.tidy(() => {
      for (const u of updates) {
        u.mean.assign(u.mean.mul(1 - momentum).add(u.batchMean.mul(momentum)));
        u.variance.assign(u.variance.mul(1 - momentum).add(u.batchVariance.mul(momentum * u.unbias)));
      }
    });
  },
  absMax: refAbsMax,
  fakeQuant: refFakeQuant,
};

const registered = new Map<string, Partial<TrainingOps>>();
const resolved = new Map<string, TrainingOps>();

/** A backend's own implementations; the ops it leaves out keep the reference. */
export function registerTrainingOps(backend: string, ops: Partial<TrainingOps>): void {
  registered.set(backend, { ...registered.get(backend), ...ops });
  resolved.delete(backend);
}

/** The ops of the backend tfjs is running now. */
export function trainingOps(backend = tf.getBackend()): TrainingOps {
  let ops = resolved.get(backend);
  if (!ops) {
    ops = Object.assign(Object.create(referenceOps) as TrainingOps, registered.get(backend) ?? {});
    resolved.set(backend, ops);
  }
  return ops;
}
