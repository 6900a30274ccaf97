/**
 * The "tailor-native" tfjs backend: tfjs's own CPU backend (every kernel it has) with the heavy training kernels
 * replaced by the project's C++ ones (native/): Conv2D and both of its gradients (oneDNN, or im2col + GEMM), batch
 * norm in training mode fused with the ReLU and skip add after it, the element-wise ops and max pooling; plus its
 * implementations of the training ops (src/backend/training-ops.ts). Tensors stay plain Float32Arrays in JS memory,
 * which the C++ code reads and writes in place.
 * Each family of kernels is its own module (native-conv.ts, native-batchnorm.ts, native-unit.ts,
 * native-elementwise.ts, native-pool.ts, native-head.ts, native-loss.ts, native-optimizer.ts, native-quant.ts); this
 * one registers them.
 */
import * as tf from "@tensorflow/tfjs";
import type { NativeAddon } from "./native-addon.js";
import { NATIVE_BACKEND, PooledCpuBackend, unaliased, type KernelFamily } from "./native-backend.js";
import { batchNormFamily } from "./native-batchnorm.js";
import { convFamily } from "./native-conv.js";
import { elementwiseFamily } from "./native-elementwise.js";
import { headFamily } from "./native-head.js";
import { lossFamily } from "./native-loss.js";
import { optimizerFamily } from "./native-optimizer.js";
import { poolFamily } from "./native-pool.js";
import { registerNativeInference } from "./native-infer.js";
import { registerNativeQuant } from "./native-quant.js";
import { unitFamily } from "./native-unit.js";
import { registerTrainingOps } from "./training-ops.js";

export { NATIVE_BACKEND, PooledCpuBackend } from "./native-backend.js";
export { BN_TRAIN, BN_TRAIN_GRAD } from "./native-batchnorm.js";
export { UNIT_TRAIN, UNIT_TRAIN_GRAD } from "./native-unit.js";
export { DENSE, DENSE_GRAD, GAP, GAP_GRAD } from "./native-head.js";
export { LOSS } from "./native-loss.js";

/** Register the backend once (later calls do nothing): tfjs's CPU kernels, ours in place of some, their gradients and ops. */
export function registerNativeBackend(addon: NativeAddon): void {
  if (tf.findBackend(NATIVE_BACKEND)) return;
  tf.registerBackend(NATIVE_BACKEND, () => new PooledCpuBackend(), 1);
  const families: KernelFamily[] = [convFamily(addon), batchNormFamily(addon), unitFamily(addon), elementwiseFamily(addon), poolFamily(addon), headFamily(addon), lossFamily(), optimizerFamily(addon)];
  const ours = families.flatMap((f) => f.kernels);
  // every CPU kernel we do not replace, registered under our name (tfjs warns when a kernel is registered twice)
  const replaced = new Set(ours.map((k) => k.kernelName));
  for (const k of tf.getKernelsForBackend("cpu")) {
    if (!replaced.has(k.kernelName)) tf.registerKernel({ ...k, backendName: NATIVE_BACKEND, kernelFunc: unaliased(k.kernelFunc) });
  }
  for (const k of ours) tf.registerKernel(k);
  for (const g of families.flatMap((f) => f.gradients ?? [])) tf.registerGradient(g);
  for (const f of families) if (f.ops) registerTrainingOps(NATIVE_BACKEND, f.ops);
  // on its own: an addon built before the quantisers existed has none, and the reference ops then stay
  registerNativeQuant(NATIVE_BACKEND, addon);
  registerNativeInference(NATIVE_BACKEND, addon);
}
