/** The native kernels as tfjs's backend, for tests that compare our forward pass with an outside runtime. */
import * as tf from "@tensorflow/tfjs";
import { loadNativeAddon } from "../../src/backend/native-addon.js";
import { NATIVE_BACKEND, registerNativeBackend } from "../../src/backend/native-kernels.js";

export async function useNativeBackend(): Promise<void> {
  const addon = loadNativeAddon();
  if (!addon) throw new Error("native addon not built: run npm run build:native");
  registerNativeBackend(addon);
  await tf.setBackend(NATIVE_BACKEND);
  await tf.ready();
}
