/**
 * The element-wise family of the tailor-native backend: Add, Multiply, Relu and Step (ReLU's gradient) on same-shape
 * float32 tensors in C++, and a Cast to float32 that always converts.
 */
import * as tf from "@tensorflow/tfjs";
import type { NativeAddon } from "./native-addon.js";
import { NATIVE_BACKEND, unaliased, values, type Info, type KernelFamily, type PooledCpuBackend } from "./native-backend.js";

/** below this many elements the JS kernel is as fast as a call into C++ */
const NATIVE_MIN_SIZE = 4096;

// Element-wise ops on same-shape float32 tensors (ReLU, its gradient, skip adds, gradient accumulation) go native;
// anything else (broadcasts, ints, small tensors) falls through to the CPU backend's kernel.
function elementwise(name: string, fn: (ins: Float32Array[], out: Float32Array) => void, accepts?: (attrs: object) => boolean): tf.KernelConfig {
  const cpu = tf.getKernel(name, "cpu");
  const fallback = cpu && { kernelFunc: unaliased(cpu.kernelFunc) };
  return {
    kernelName: name,
    backendName: NATIVE_BACKEND,
    kernelFunc: (args) => {
      const b = args.backend as PooledCpuBackend;
      const ins = Object.values(args.inputs) as Info[];
      const size = tf.util.sizeFromShape(ins[0].shape);
      const same = ins.every((t) => t.dtype === "float32" && tf.util.arraysEqual(t.shape, ins[0].shape));
      if (fallback && (!same || size < NATIVE_MIN_SIZE || (accepts && !accepts(args.attrs ?? {})))) return fallback.kernelFunc(args);
      if (!same) throw new Error(`${NATIVE_BACKEND} ${name}: expected float32 inputs of one shape`);
      const out = b.alloc(size);
      fn(
        ins.map((t) => values(b, t)),
        out,
      );
      return b.makeTensorInfo(ins[0].shape, "float32", out);
    },
  };
}

/**
 * tfjs's cpu Cast relabels a bool tensor as float32 without converting its Uint8Array (no loss of encoding); our
 * kernels read float32 tensors as Float32Arrays, so a cast to float32 here always converts.
 */
function cast(): tf.KernelConfig {
  const cpuCast = unaliased(tf.getKernel("Cast", "cpu")!.kernelFunc);
  return {
    kernelName: "Cast",
    backendName: NATIVE_BACKEND,
    kernelFunc: (args) => {
      const b = args.backend as PooledCpuBackend;
      const { x } = args.inputs as { x: Info };
      const v = b.data.get(x.dataId).values;
      if ((args.attrs as { dtype?: string }).dtype === "float32" && ArrayBuffer.isView(v) && !(v instanceof Float32Array)) {
        return b.makeTensorInfo(x.shape, "float32", Float32Array.from(v as Uint8Array | Int32Array));
      }
      return cpuCast(args);
    },
  };
}

/** Cast, Add, Multiply, Relu and Step (with alpha 0: ReLU's gradient mask) */
export function elementwiseFamily(addon: NativeAddon): KernelFamily {
  return {
    kernels: [
      cast(),
      elementwise("Add", ([a, c], o) => addon.add(a, c, o)),
      elementwise("Multiply", ([a, c], o) => addon.mul(a, c, o)),
      elementwise("Relu", ([a], o) => addon.relu(a, o)),
      elementwise("Step", ([a], o) => addon.step(a, o), (attrs) => ((attrs as { alpha?: number }).alpha ?? 0) === 0),
    ],
  };
}
