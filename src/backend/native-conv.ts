/**
 * The convolution family of the tailor-native backend: Conv2D and both of its gradients in C++ (oneDNN, or im2col +
 * GEMM; native/), NHWC only; and the conv geometry the conv-BN unit (native-unit.ts) shares.
 */
import * as tf from "@tensorflow/tfjs";
import type { NativeAddon } from "./native-addon.js";
import { NATIVE_BACKEND, values, type Info, type KernelFamily, type PooledCpuBackend } from "./native-backend.js";

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

/** a Conv2D kernel's attributes (tfjs conv2d and its gradients; the conv-BN unit's as well) */
export interface ConvAttrs {
  strides: [number, number] | number;
  pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding;
  dataFormat: "NHWC" | "NCHW";
  dilations?: [number, number] | number;
  dimRoundingMode?: "floor" | "round" | "ceil";
  inputShape?: [number, number, number, number];
  filterShape?: [number, number, number, number];
}

// A network has a few dozen conv geometries, each computed three times a step: computing one costs ~11 us.
const convInfos = new Map<string, { info: tf.backend_util.Conv2DInfo; geom: Int32Array }>();

export function convInfo(xShape: number[], fShape: number[], a: ConvAttrs): { info: tf.backend_util.Conv2DInfo; geom: Int32Array } {
  if (a.dataFormat !== "NHWC") throw new Error(`${NATIVE_BACKEND}: only NHWC convolutions are supported, got ${a.dataFormat}`);
  const key = JSON.stringify([xShape, fShape, a.strides, a.dilations ?? 1, a.pad, a.dimRoundingMode ?? null]);
  let hit = convInfos.get(key);
  if (!hit) {
    const info = computeInfo(xShape, fShape, a);
    convInfos.set(key, (hit = { info, geom: geometry(info) }));
  }
  return hit;
}

function computeInfo(xShape: number[], fShape: number[], a: ConvAttrs): tf.backend_util.Conv2DInfo {
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

/** Conv2D, Conv2DBackpropInput and Conv2DBackpropFilter on the addon's convolutions */
export function convFamily(addon: NativeAddon): KernelFamily {
  const kernels: tf.KernelConfig[] = [
    {
      kernelName: "Conv2D",
      backendName: NATIVE_BACKEND,
      kernelFunc: ({ inputs, backend, attrs }) => {
        const b = backend as PooledCpuBackend;
        const { x, filter } = inputs as { x: Info; filter: Info };
        const { info, geom } = convInfo(x.shape, filter.shape, attrs as unknown as ConvAttrs);
        const out = b.alloc(tf.util.sizeFromShape(info.outShape));
        addon.convForward(geom, values(b, x), values(b, filter), out);
        return b.makeTensorInfo(info.outShape, "float32", out);
      },
    },
    {
      kernelName: "Conv2DBackpropInput",
      backendName: NATIVE_BACKEND,
      kernelFunc: ({ inputs, backend, attrs }) => {
        const b = backend as PooledCpuBackend;
        const { dy, filter } = inputs as { dy: Info; filter: Info };
        const a = attrs as unknown as ConvAttrs;
        const { info, geom } = convInfo(a.inputShape!, filter.shape, a);
        const out = b.alloc(tf.util.sizeFromShape(info.inShape));
        addon.convBackInput(geom, values(b, dy), values(b, filter), out);
        return b.makeTensorInfo(info.inShape, "float32", out);
      },
    },
    {
      kernelName: "Conv2DBackpropFilter",
      backendName: NATIVE_BACKEND,
      kernelFunc: ({ inputs, backend, attrs }) => {
        const b = backend as PooledCpuBackend;
        const { x, dy } = inputs as { x: Info; dy: Info };
        const a = attrs as unknown as ConvAttrs;
        const { geom } = convInfo(x.shape, a.filterShape!, a);
        const out = b.alloc(tf.util.sizeFromShape(a.filterShape!));
        addon.convBackFilter(geom, values(b, x), values(b, dy), out);
        return b.makeTensorInfo(a.filterShape!, "float32", out);
      },
    },
  ];
  return { kernels };
}
