/**
 * The conv-BN unit of the tailor-native backend: y = [ReLU](BN(conv(x)) [+ skip]) in one kernel (UNIT_TRAIN) and its
 * gradient in another, so that the conv's output never becomes a tfjs tensor: it stays with y (attached to y's data)
 * until the backward pass, and the batch norm's input gradient is scratch. The conv and the batch norm are the
 * families' own (native-conv.ts, native-batchnorm.ts).
 */
import * as tf from "@tensorflow/tfjs";
import type { NativeAddon } from "./native-addon.js";
import { bnBackward, bnForward, type BnAttrs } from "./native-batchnorm.js";
import { NATIVE_BACKEND, values, type Info, type KernelFamily, type PooledCpuBackend } from "./native-backend.js";
import { convInfo, type ConvAttrs } from "./native-conv.js";
import { BN_EPS } from "./training-ops.js";

/** a whole unit, BN(conv(x)) [+ skip, ReLU], and its gradient, each one kernel */
export const UNIT_TRAIN = "TailorConvBatchNormTrain";
export const UNIT_TRAIN_GRAD = "TailorConvBatchNormTrainGrad";

/** attributes of UNIT_TRAIN: the conv's (NHWC, explicit padding) and the batch norm's, and whether x needs a gradient */
interface UnitAttrs extends BnAttrs, ConvAttrs {
  inputGrad: boolean;
}

/** UNIT_TRAIN and its gradient, and the op convBatchNormTrain */
export function unitFamily(addon: NativeAddon): KernelFamily {
  const kernels: tf.KernelConfig[] = [
    {
      // y = [ReLU](BN(conv(x)) [+ skip]): the conv's output z and then the batch norm as BN_TRAIN computes it.
      // Outputs y, mean and variance; z and [gamma | mean | invstd] (for the gradient) are attached to y's data.
      kernelName: UNIT_TRAIN,
      backendName: NATIVE_BACKEND,
      kernelFunc: ({ inputs, backend, attrs }) => {
        const b = backend as PooledCpuBackend;
        const { x, filter, scale, offset, skip } = inputs as { x: Info; filter: Info; scale: Info; offset: Info; skip?: Info };
        const a = attrs as unknown as UnitAttrs;
        const { info, geom } = convInfo(x.shape, filter.shape, a);
        const C = info.outChannels;
        const P = tf.util.sizeFromShape(info.outShape) / C;
        if (skip && !tf.util.arraysEqual(skip.shape, info.outShape)) throw new Error(`${UNIT_TRAIN}: skip of shape [${skip.shape}], expected [${info.outShape}]`);
        const z = b.alloc(P * C);
        addon.convForward(geom, values(b, x), values(b, filter), z);
        const { y, mean, variance, saved } = bnForward(addon, b, P, C, z, scale, offset, skip, a.relu, a.epsilon);
        const out = b.makeTensorInfo(info.outShape, "float32", y);
        b.attach(out.dataId, [z, saved]);
        return [out, b.makeTensorInfo([C], "float32", mean), b.makeTensorInfo([C], "float32", variance)];
      },
    },
    {
      // inputs dy, x, filter and y (with z and the statistics attached); outputs dfilter, dscale, doffset, then dskip
      // (with a skip) and dx (when x needs a gradient). The batch norm's input gradient dz is scratch, back in the
      // pool before we return.
      kernelName: UNIT_TRAIN_GRAD,
      backendName: NATIVE_BACKEND,
      kernelFunc: ({ inputs, backend, attrs }) => {
        const b = backend as PooledCpuBackend;
        const { dy, x, filter, y } = inputs as Record<string, Info>;
        const a = attrs as unknown as UnitAttrs;
        const { geom } = convInfo(x.shape, filter.shape, a);
        const [z, s] = b.attached(y.dataId);
        const C = y.shape[y.shape.length - 1];
        const P = tf.util.sizeFromShape(y.shape) / C;
        const dz = b.alloc(P * C);
        const { dscale, doffset, dskip } = bnBackward(addon, b, P, C, dy, z, y, s, a.relu, a.hasSkip, dz);
        const dfilter = b.alloc(tf.util.sizeFromShape(filter.shape));
        addon.convBackFilter(geom, values(b, x), dz, dfilter);
        const out = [b.makeTensorInfo(filter.shape, "float32", dfilter), b.makeTensorInfo([C], "float32", dscale), b.makeTensorInfo([C], "float32", doffset)];
        if (dskip) out.push(b.makeTensorInfo(y.shape, "float32", dskip));
        if (a.inputGrad) {
          const dx = b.alloc(tf.util.sizeFromShape(x.shape));
          addon.convBackInput(geom, dz, values(b, filter), dx);
          out.push(b.makeTensorInfo(x.shape, "float32", dx));
        }
        b.recycle(dz);
        return out;
      },
    },
  ];
  const gradients: tf.GradConfig[] = [
    {
      kernelName: UNIT_TRAIN,
      inputsToSave: ["x", "filter"],
      outputsToSave: [true, false, false],
      gradFunc: (dy, saved, attrs) => {
        const [x, filter, y] = saved;
        const a = attrs as unknown as UnitAttrs;
        const inputs = { dy: Array.isArray(dy) ? dy[0] : dy, x, filter, y };
        const out = tf.engine().runKernel(UNIT_TRAIN_GRAD, inputs, { ...a } as unknown as tf.NamedAttrMap) as tf.Tensor[];
        const [dfilter, dscale, doffset] = out;
        const dskip = a.hasSkip ? out[3] : undefined;
        const dx = a.inputGrad ? out[out.length - 1] : undefined;
        const grads: Record<string, () => tf.Tensor> = {
          filter: () => dfilter,
          scale: () => dscale,
          offset: () => doffset,
          x: () => {
            if (!dx) throw new Error(`${UNIT_TRAIN}: the gradient of x was asked for, but the unit was told x needs none (inputGrad false)`);
            return dx;
          },
        };
        if (dskip) grads.skip = () => dskip;
        return grads;
      },
    },
  ];
  return {
    kernels,
    gradients,
    ops: {
      convBatchNormTrain(x, w, gamma, beta, conv, relu, skip, inputGrad = true) {
        if (skip && !relu) throw new Error("convBatchNormTrain: a skip is added only before a ReLU");
        const inputs: tf.NamedTensorMap = { x, filter: w, scale: gamma, offset: beta };
        if (skip) inputs.skip = skip;
        const attrs: Omit<UnitAttrs, "inputShape" | "filterShape" | "dimRoundingMode"> = {
          strides: conv.stride,
          pad: [[0, 0], conv.pad[0], conv.pad[1], [0, 0]],
          dataFormat: "NHWC",
          dilations: conv.dilation,
          epsilon: BN_EPS,
          relu,
          hasSkip: !!skip,
          inputGrad,
        };
        const [y, mean, variance] = tf.engine().runKernel(UNIT_TRAIN, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
        return { y: y as tf.Tensor4D, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
      },
    },
  };
}
