/**
 * The "tailor-native" tfjs backend: tfjs's own CPU backend (every kernel it has) with the heavy training kernels
 * replaced by the project's C++ ones (native/): Conv2D and both of its gradients, and batch norm in training mode
 * with its gradient. Tensors stay plain Float32Arrays in JS memory, which the C++ code reads and writes in place.
 */
import * as tf from "@tensorflow/tfjs";
import { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import type { NativeAddon } from "./native-addon.js";

export const NATIVE_BACKEND = "tailor-native";
/** kernel names of our batch norm in training mode (not a tfjs kernel: tfjs composes it from moments) */
export const BN_TRAIN = "TailorBatchNormTrain";
export const BN_TRAIN_GRAD = "TailorBatchNormTrainGrad";

type Info = tf.TensorInfo;

function values(backend: MathBackendCPU, t: Info): Float32Array {
  const v = backend.data.get(t.dataId).values;
  if (!(v instanceof Float32Array)) throw new Error(`${NATIVE_BACKEND}: expected float32 data, got ${t.dtype}`);
  return v;
}

function geometry(info: tf.backend_util.Conv2DInfo): Int32Array {
  return Int32Array.from([
    info.batchSize,
    info.inHeight,
    info.inWidth,
    info.inChannels,
    info.filterHeight,
    info.filterWidth,
    info.outChannels,
    info.outHeight,
    info.outWidth,
    info.strideHeight,
    info.strideWidth,
    info.padInfo.top,
    info.padInfo.left,
    info.dilationHeight,
    info.dilationWidth,
  ]);
}

interface ConvAttrs {
  strides: [number, number] | number;
  pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding;
  dataFormat: "NHWC" | "NCHW";
  dilations?: [number, number] | number;
  dimRoundingMode?: "floor" | "round" | "ceil";
  inputShape?: [number, number, number, number];
  filterShape?: [number, number, number, number];
}

function convInfo(xShape: number[], fShape: number[], a: ConvAttrs): tf.backend_util.Conv2DInfo {
  if (a.dataFormat !== "NHWC") throw new Error(`${NATIVE_BACKEND}: only NHWC convolutions are supported, got ${a.dataFormat}`);
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    fShape as [number, number, number, number],
    a.strides,
    a.dilations ?? 1,
    a.pad,
    a.dimRoundingMode,
    false,
    "channelsLast",
  );
}

export function registerNativeBackend(addon: NativeAddon): void {
  if (tf.findBackend(NATIVE_BACKEND)) return;
  tf.registerBackend(NATIVE_BACKEND, () => new MathBackendCPU(), 1);
  const ours: tf.KernelConfig[] = [
    {
      kernelName: "Conv2D",
      backendName: NATIVE_BACKEND,
      kernelFunc: ({ inputs, backend, attrs }) => {
        const b = backend as MathBackendCPU;
        const { x, filter } = inputs as { x: Info; filter: Info };
        const info = convInfo(x.shape, filter.shape, attrs as unknown as ConvAttrs);
        const out = new Float32Array(tf.util.sizeFromShape(info.outShape));
        addon.convForward(geometry(info), values(b, x), values(b, filter), out);
        return b.makeTensorInfo(info.outShape, "float32", out);
      },
    },
    {
      kernelName: "Conv2DBackpropInput",
      backendName: NATIVE_BACKEND,
      kernelFunc: ({ inputs, backend, attrs }) => {
        const b = backend as MathBackendCPU;
        const { dy, filter } = inputs as { dy: Info; filter: Info };
        const a = attrs as unknown as ConvAttrs;
        const info = convInfo(a.inputShape!, filter.shape, a);
        const out = new Float32Array(tf.util.sizeFromShape(info.inShape));
        addon.convBackInput(geometry(info), values(b, dy), values(b, filter), out);
        return b.makeTensorInfo(info.inShape, "float32", out);
      },
    },
    {
      kernelName: "Conv2DBackpropFilter",
      backendName: NATIVE_BACKEND,
      kernelFunc: ({ inputs, backend, attrs }) => {
        const b = backend as MathBackendCPU;
        const { x, dy } = inputs as { x: Info; dy: Info };
        const a = attrs as unknown as ConvAttrs;
        const info = convInfo(x.shape, a.filterShape!, a);
        const out = new Float32Array(tf.util.sizeFromShape(a.filterShape!));
        addon.convBackFilter(geometry(info), values(b, x), values(b, dy), out);
        return b.makeTensorInfo(a.filterShape!, "float32", out);
      },
    },
    {
      kernelName: BN_TRAIN,
      backendName: NATIVE_BACKEND,
      kernelFunc: ({ inputs, backend, attrs }) => {
        const b = backend as MathBackendCPU;
        const { x, scale, offset } = inputs as { x: Info; scale: Info; offset: Info };
        const C = x.shape[x.shape.length - 1];
        const P = tf.util.sizeFromShape(x.shape) / C;
        const y = new Float32Array(P * C);
        const mean = new Float32Array(C);
        const invstd = new Float32Array(C);
        const eps = (attrs as { epsilon: number }).epsilon;
        addon.bnForwardTrain(P, C, values(b, x), values(b, scale), values(b, offset), eps, y, mean, invstd);
        return [
          b.makeTensorInfo(x.shape, "float32", y),
          b.makeTensorInfo([C], "float32", mean),
          b.makeTensorInfo([C], "float32", invstd),
        ];
      },
    },
    {
      kernelName: BN_TRAIN_GRAD,
      backendName: NATIVE_BACKEND,
      kernelFunc: ({ inputs, backend }) => {
        const b = backend as MathBackendCPU;
        const { dy, x, scale, mean, invstd } = inputs as Record<string, Info>;
        const C = x.shape[x.shape.length - 1];
        const P = tf.util.sizeFromShape(x.shape) / C;
        const dx = new Float32Array(P * C);
        const dscale = new Float32Array(C);
        const doffset = new Float32Array(C);
        addon.bnBackward(P, C, values(b, dy), values(b, x), values(b, scale), values(b, mean), values(b, invstd), dx, dscale, doffset);
        return [
          b.makeTensorInfo(x.shape, "float32", dx),
          b.makeTensorInfo([C], "float32", dscale),
          b.makeTensorInfo([C], "float32", doffset),
        ];
      },
    },
  ];
  const replaced = new Set(ours.map((k) => k.kernelName));
  for (const k of tf.getKernelsForBackend("cpu")) {
    if (!replaced.has(k.kernelName)) tf.registerKernel({ ...k, backendName: NATIVE_BACKEND });
  }
  for (const k of ours) tf.registerKernel(k);
  tf.registerGradient({
    kernelName: BN_TRAIN,
    inputsToSave: ["x", "scale"],
    outputsToSave: [false, true, true],
    // tfjs calls gradFunc once, outside the per-input tidy scopes, so computing all three gradients here (one
    // kernel, two passes over x) and handing them out through the closures neither leaks nor frees them early.
    gradFunc: (dy, saved) => {
      const [x, scale, mean, invstd] = saved;
      const dyY = Array.isArray(dy) ? dy[0] : dy;
      const [dx, dscale, doffset] = tf.engine().runKernel(BN_TRAIN_GRAD, { dy: dyY, x, scale, mean, invstd }, {}) as tf.Tensor[];
      return { x: () => dx, scale: () => dscale, offset: () => doffset };
    },
  });
}
