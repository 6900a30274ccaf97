/**
 * The classifier head of the tailor-native backend: global average pooling (C++) and the dense layer (plain JS: the
 * heads here are small), each a kernel with its gradient in one more.
 */
import * as tf from "@tensorflow/tfjs";
import type { NativeAddon } from "./native-addon.js";
import { NATIVE_BACKEND, values, type Info, type KernelFamily, type PooledCpuBackend } from "./native-backend.js";

/** global average pooling over H and W of an NHWC tensor, and its gradient */
export const GAP = "TailorGlobalAvgPool";
export const GAP_GRAD = "TailorGlobalAvgPoolGrad";
/** a fully connected layer (x w + b) and its gradient, each one kernel */
export const DENSE = "TailorDense";
export const DENSE_GRAD = "TailorDenseGrad";

/** DENSE, GAP and their gradients, and the ops dense and globalAvgPool */
export function headFamily(addon: NativeAddon): KernelFamily {
  const kernels: tf.KernelConfig[] = [
    {
      // y = x w + b. The classifier heads here are small (64 x 10 at batch 32: 20k multiply-adds), where a JS loop
      // beats tfjs's BatchMatMul, its bias Add and the transposes and reductions of their gradients.
      kernelName: DENSE,
      backendName: NATIVE_BACKEND,
      kernelFunc: ({ inputs, backend }) => {
        const b = backend as PooledCpuBackend;
        const { x, w, bias } = inputs as Record<string, Info>;
        const [n, k] = x.shape, m = w.shape[1];
        if (w.shape[0] !== k || bias.shape[0] !== m) throw new Error(`${DENSE}: x [${x.shape}], w [${w.shape}] and bias [${bias.shape}] do not fit`);
        const X = values(b, x), W = values(b, w), B = values(b, bias);
        const y = new Float32Array(n * m);
        for (let i = 0; i < n; i++)
          for (let j = 0; j < m; j++) {
            let acc = B[j];
            for (let t = 0; t < k; t++) acc += X[i * k + t] * W[t * m + j];
            y[i * m + j] = acc;
          }
        return b.makeTensorInfo([n, m], "float32", y);
      },
    },
    {
      // dx = dy w^T, dw = x^T dy, db = column sums of dy
      kernelName: DENSE_GRAD,
      backendName: NATIVE_BACKEND,
      kernelFunc: ({ inputs, backend }) => {
        const b = backend as PooledCpuBackend;
        const { dy, x, w } = inputs as Record<string, Info>;
        const [n, k] = x.shape, m = w.shape[1];
        const D = values(b, dy), X = values(b, x), W = values(b, w);
        const dx = new Float32Array(n * k), dw = new Float32Array(k * m), db = new Float32Array(m);
        for (let i = 0; i < n; i++)
          for (let t = 0; t < k; t++) {
            let acc = 0;
            for (let j = 0; j < m; j++) acc += D[i * m + j] * W[t * m + j];
            dx[i * k + t] = acc;
          }
        for (let t = 0; t < k; t++)
          for (let j = 0; j < m; j++) {
            let acc = 0;
            for (let i = 0; i < n; i++) acc += X[i * k + t] * D[i * m + j];
            dw[t * m + j] = acc;
          }
        for (let j = 0; j < m; j++) {
          let acc = 0;
          for (let i = 0; i < n; i++) acc += D[i * m + j];
          db[j] = acc;
        }
        return [b.makeTensorInfo([n, k], "float32", dx), b.makeTensorInfo([k, m], "float32", dw), b.makeTensorInfo([m], "float32", db)];
      },
    },
    {
      kernelName: GAP,
      backendName: NATIVE_BACKEND,
      kernelFunc: ({ inputs, backend }) => {
        const b = backend as PooledCpuBackend;
        const { x } = inputs as { x: Info };
        const [n, h, w, c] = x.shape;
        const out = new Float32Array(n * c);
        addon.gapForward(n, h * w, c, values(b, x), out);
        return b.makeTensorInfo([n, c], "float32", out);
      },
    },
    {
      kernelName: GAP_GRAD,
      backendName: NATIVE_BACKEND,
      kernelFunc: ({ inputs, backend, attrs }) => {
        const b = backend as PooledCpuBackend;
        const { dy } = inputs as { dy: Info };
        const shape = (attrs as { inputShape: number[] }).inputShape;
        const [n, h, w, c] = shape;
        const out = b.alloc(n * h * w * c);
        addon.gapBackward(n, h * w, c, values(b, dy), out);
        return b.makeTensorInfo(shape, "float32", out);
      },
    },
  ];
  const gradients: tf.GradConfig[] = [
    {
      kernelName: DENSE,
      inputsToSave: ["x", "w"],
      gradFunc: (dy, saved) => {
        const [x, w] = saved;
        const [dx, dw, db] = tf.engine().runKernel(DENSE_GRAD, { dy: Array.isArray(dy) ? dy[0] : dy, x, w }, {}) as tf.Tensor[];
        return { x: () => dx, w: () => dw, bias: () => db };
      },
    },
    {
      kernelName: GAP,
      inputsToSave: ["x"],
      gradFunc: (dy, saved) => {
        const inputShape = saved[0].shape;
        return { x: () => tf.engine().runKernel(GAP_GRAD, { dy: dy as tf.Tensor }, { inputShape }) as tf.Tensor };
      },
    },
  ];
  return {
    kernels,
    gradients,
    ops: {
      globalAvgPool: (x) => tf.engine().runKernel(GAP, { x }, {}) as tf.Tensor2D,
      dense: (x, w, bias) => tf.engine().runKernel(DENSE, { x, w, bias }, {}) as tf.Tensor2D,
    },
  };
}
