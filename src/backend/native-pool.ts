/**
 * The pooling family of the tailor-native backend: MaxPool's forward in C++ (native/src/pool.cc), multithreaded and
 * vectorised over channels, in place of tfjs-backend-cpu's single-threaded JS loop (a quarter of ResNet-50's
 * inference time at batch 32 before it). Its gradient stays tfjs's MaxPoolGrad, which recomputes the winning
 * positions from the input: it needs nothing from this kernel but an output equal to the cpu kernel's, bit for bit
 * (a max is exact, so it is).
 */
import * as tf from "@tensorflow/tfjs";
import type { NativeAddon } from "./native-addon.js";
import { NATIVE_BACKEND, unaliased, values, type Info, type KernelFamily, type PooledCpuBackend } from "./native-backend.js";

/** tfjs's MaxPool attributes (tfjs-core kernel_names.ts MaxPoolAttrs); a MaxPool has no dilation of its own */
interface MaxPoolAttrs {
  filterSize: [number, number] | number;
  strides: [number, number] | number;
  pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: "floor" | "round" | "ceil";
}

/** the addon's geometry array (native/src/pool.h PoolGeom): top and left padding; the far side follows from the output size */
function geometry(i: tf.backend_util.Conv2DInfo): Int32Array {
  return Int32Array.from([i.batchSize, i.inHeight, i.inWidth, i.inChannels, i.filterHeight, i.filterWidth, i.outHeight, i.outWidth, i.strideHeight, i.strideWidth, i.padInfo.top, i.padInfo.left]);
}

/** MaxPool on float32 NHWC input; none when the addon was built before pool.cc (the cpu kernel then stays) */
export function poolFamily(addon: NativeAddon): KernelFamily {
  const maxPool = addon.maxPool?.bind(addon);
  const cpu = tf.getKernel("MaxPool", "cpu");
  if (!maxPool || !cpu) return { kernels: [] };
  const fallback = unaliased(cpu.kernelFunc);
  const kernel: tf.KernelConfig = {
    kernelName: "MaxPool",
    backendName: NATIVE_BACKEND,
    kernelFunc: (args) => {
      const b = args.backend as PooledCpuBackend;
      const { x } = args.inputs as { x: Info };
      if (x.dtype !== "float32" || x.shape.length !== 4) return fallback(args);
      const a = args.attrs as unknown as MaxPoolAttrs;
      const info = tf.backend_util.computePool2DInfo(x.shape as [number, number, number, number], a.filterSize, a.strides, 1, a.pad, a.dimRoundingMode);
      // the cpu kernel returns its input unchanged here (a 1x1 window that moves by one): NaN passes through, where
      // a pool would drop it, so the cpu kernel keeps this case
      if (info.filterHeight === 1 && info.filterWidth === 1 && tf.util.arraysEqual(info.inShape, info.outShape)) return fallback(args);
      const out = b.alloc(tf.util.sizeFromShape(info.outShape));
      maxPool(geometry(info), values(b, x), out);
      return b.makeTensorInfo(info.outShape, "float32", out);
    },
  };
  return { kernels: [kernel] };
}
