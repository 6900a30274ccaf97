/**
 * The quantiser's ops on the tailor-native backend (native/src/quant.cc): the fake-quantisation forward and its
 * straight-through gradient as tfjs kernels, and max |x| read straight from the tensor's array (no tfjs op).
 * Registered by native-kernels.ts with the other kernels; the reference is src/backend/quant-ops.ts.
 */
import * as tf from "@tensorflow/tfjs";
import type { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import type { NativeAddon } from "./native-addon.js";
import { registerTrainingOps, type TrainingOps } from "./training-ops.js";

export const FAKE_QUANT = "TailorFakeQuant";
export const FAKE_QUANT_GRAD = "TailorFakeQuantGrad";

/** the addon's quantiser entry points (native/src/quant.cc: defineQuantExports) */
export interface QuantAddon {
  absMax(x: Float32Array): number;
  fakeQuant(x: Float32Array, scale: number, qmin: number, qmax: number, y: Float32Array): void;
  fakeQuantGrad(dy: Float32Array, x: Float32Array, scale: number, qmin: number, qmax: number, dx: Float32Array): void;
}

interface QuantAttrs {
  scale: number;
  qmin: number;
  qmax: number;
  steClamp: boolean;
}

type Backend = MathBackendCPU & { alloc?(n: number): Float32Array };

function floats(b: MathBackendCPU, t: tf.TensorInfo, who: string): Float32Array {
  const v = b.data.get(t.dataId).values;
  if (!(v instanceof Float32Array)) throw new Error(`${who}: expected float32 data, got ${t.dtype}`);
  return v;
}

const out = (b: Backend, n: number) => (b.alloc ? b.alloc(n) : new Float32Array(n));

export function registerNativeQuant(backendName: string, addon: NativeAddon): void {
  const q = addon as unknown as Partial<QuantAddon>;
  // an addon built before quant.cc existed: the reference ops stay in place
  if (typeof q.fakeQuant !== "function" || typeof q.fakeQuantGrad !== "function" || typeof q.absMax !== "function") return;
  const qa = q as QuantAddon;
  tf.registerKernel({
    kernelName: FAKE_QUANT,
    backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const b = backend as Backend;
      const { x } = inputs as { x: tf.TensorInfo };
      const { scale, qmin, qmax } = attrs as unknown as QuantAttrs;
      const y = out(b, tf.util.sizeFromShape(x.shape));
      qa.fakeQuant(floats(b, x, FAKE_QUANT), scale, qmin, qmax, y);
      return b.makeTensorInfo(x.shape, "float32", y);
    },
  });
  tf.registerKernel({
    kernelName: FAKE_QUANT_GRAD,
    backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const b = backend as Backend;
      const { dy, x } = inputs as { dy: tf.TensorInfo; x: tf.TensorInfo };
      const { scale, qmin, qmax } = attrs as unknown as QuantAttrs;
      const dx = out(b, tf.util.sizeFromShape(x.shape));
      qa.fakeQuantGrad(floats(b, dy, FAKE_QUANT_GRAD), floats(b, x, FAKE_QUANT_GRAD), scale, qmin, qmax, dx);
      return b.makeTensorInfo(x.shape, "float32", dx);
    },
  });
  tf.registerGradient({
    kernelName: FAKE_QUANT,
    inputsToSave: ["x"],
    gradFunc: (dy, saved, attrs) => {
      const a = attrs as unknown as QuantAttrs;
      const d = dy as tf.Tensor;
      // a straight-through clamp passes every gradient: no kernel needed
      if (a.steClamp) return { x: () => d.clone() };
      return { x: () => tf.engine().runKernel(FAKE_QUANT_GRAD, { dy: d, x: saved[0] }, { ...a } as unknown as tf.NamedAttrMap) as tf.Tensor };
    },
  });
  const ops: Partial<TrainingOps> = {
    absMax: (x) => {
      const b = tf.backend() as MathBackendCPU;
      return x.dtype === "float32" ? qa.absMax(floats(b, x, "absMax")) : tf.tidy(() => tf.max(tf.abs(x)).dataSync()[0]);
    },
    fakeQuant: (x, scale, qmin, qmax, steClamp) => {
      const attrs: QuantAttrs = { scale: Math.fround(scale), qmin, qmax, steClamp };
      return tf.engine().runKernel(FAKE_QUANT, { x }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
    },
  };
  registerTrainingOps(backendName, ops);
}
