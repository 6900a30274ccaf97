/**
 * The training loss on the tailor-native backend, mse * MSE(teacher, student) + ce * CE(student, labels) (CE alone
 * without a teacher), and its gradient with respect to the student's logits, in one kernel (training-ops.ts has the
 * reference).
 */
import * as tf from "@tensorflow/tfjs";
import { NATIVE_BACKEND, values, type Info, type KernelFamily, type PooledCpuBackend } from "./native-backend.js";
import type { LossWeights } from "./training-ops.js";

/** the training loss and its gradient with respect to the student's logits, in one kernel */
export const LOSS = "TailorTrainingLoss";

/** LOSS, its gradient (a scaling of the gradient LOSS computed) and the op trainingLoss */
export function lossFamily(): KernelFamily {
  const kernels: tf.KernelConfig[] = [
    {
      // [N, K] logits: 320 values at batch 32, so plain JS (in double precision) beats a call into C++. Outputs the
      // loss and d loss / d student, which the gradient only scales.
      kernelName: LOSS,
      backendName: NATIVE_BACKEND,
      kernelFunc: ({ inputs, backend, attrs }) => {
        const b = backend as PooledCpuBackend;
        const { student, labels, teacher } = inputs as Record<string, Info | undefined>;
        const { mse, ce } = attrs as unknown as LossWeights;
        const [n, k] = student!.shape;
        const s = values(b, student!);
        const t = teacher ? values(b, teacher) : undefined;
        const y = b.data.get(labels!.dataId).values as Int32Array;
        const grad = new Float32Array(n * k);
        let ceSum = 0, seSum = 0;
        for (let i = 0; i < n; i++) {
          const label = y[i];
          if (!(label >= 0 && label < k)) throw new Error(`${LOSS}: label ${label} of example ${i} is outside 0..${k - 1}`);
          const row = i * k;
          let max = -Infinity;
          for (let j = 0; j < k; j++) max = Math.max(max, s[row + j]);
          let z = 0;
          for (let j = 0; j < k; j++) z += Math.exp(s[row + j] - max);
          ceSum += Math.log(z) + max - s[row + label];
          for (let j = 0; j < k; j++) {
            const softmax = Math.exp(s[row + j] - max) / z;
            let g = ((t ? ce : 1) * (softmax - (j === label ? 1 : 0))) / n;
            if (t) {
              const d = s[row + j] - t[row + j];
              seSum += d * d;
              g += (2 * mse * d) / (n * k);
            }
            grad[row + j] = g;
          }
        }
        const loss = t ? mse * (seSum / (n * k)) + ce * (ceSum / n) : ceSum / n;
        return [b.makeTensorInfo([], "float32", Float32Array.of(loss)), b.makeTensorInfo([n, k], "float32", grad)];
      },
    },
  ];
  const gradients: tf.GradConfig[] = [
    {
      kernelName: LOSS,
      outputsToSave: [false, true],
      gradFunc: (dy, saved) => ({
        student: () => tf.mul(Array.isArray(dy) ? dy[0] : dy, saved[0]),
        teacher: () => {
          throw new Error(`${LOSS}: the teacher's logits are constants and have no gradient`);
        },
      }),
    },
  ];
  return {
    kernels,
    gradients,
    ops: {
      trainingLoss(student, labels, teacher, w) {
        const inputs: tf.NamedTensorMap = teacher ? { student, labels, teacher } : { student, labels };
        return (tf.engine().runKernel(LOSS, inputs, { ...w } as unknown as tf.NamedAttrMap) as tf.Tensor[])[0] as tf.Scalar;
      },
    },
  };
}
