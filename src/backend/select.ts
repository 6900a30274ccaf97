/**
 * Picks the training backend, fastest first:
 *   "tensorflow"   tfjs-node (libtensorflow), when its native binding loads (a user's connected machine);
 *   "tailor-native" tfjs's CPU backend with the project's C++ conv and batch-norm kernels (native/, built by npm ci);
 *   "wasm"         tfjs's wasm backend (XNNPACK, SIMD) with our missing gradient kernel;
 *   "cpu"          tfjs's pure-JS backend: only when forced (it trains ResNet-8 at under 1 image/s).
 * TAILOR_BACKEND forces one of these names.
 */
import * as tf from "@tensorflow/tfjs";
import { loadNativeAddon, nativeLoadError } from "./native-addon.js";
import { NATIVE_BACKEND, registerNativeBackend } from "./native-kernels.js";
import { registerWasmKernels } from "./wasm-kernels.js";

export const BACKENDS = ["tensorflow", NATIVE_BACKEND, "wasm", "cpu"] as const;
export type BackendName = (typeof BACKENDS)[number];

export interface BackendInfo {
  name: BackendName;
  tfjsVersion: string;
  /** threads the backend computes on */
  threads: number;
  /** why faster backends were not used */
  skipped: string[];
}

let current: BackendInfo | undefined;

async function tryBackend(name: BackendName): Promise<string | null> {
  try {
    if (name === "tensorflow") {
      require("@tensorflow/tfjs-node");
    } else if (name === NATIVE_BACKEND) {
      const addon = loadNativeAddon();
      if (!addon) return `native kernels not loaded: ${nativeLoadError()}`;
      registerNativeBackend(addon);
    } else if (name === "wasm") {
      require("@tensorflow/tfjs-backend-wasm");
      registerWasmKernels();
    }
    if (!(await tf.setBackend(name))) return `tf.setBackend("${name}") failed`;
    await tf.ready();
    return null;
  } catch (e) {
    return (e as Error).message.split("\n")[0];
  }
}

/** Initialise the backend once; later calls return the same choice. */
export async function initBackend(opts: { force?: string; quiet?: boolean } = {}): Promise<BackendInfo> {
  if (current) return current;
  const force = opts.force ?? process.env.TAILOR_BACKEND;
  if (force !== undefined && force !== "" && !BACKENDS.includes(force as BackendName)) {
    throw new Error(`TAILOR_BACKEND=${force}: expected one of ${BACKENDS.join(", ")}`);
  }
  const order: BackendName[] = force ? [force as BackendName] : ["tensorflow", NATIVE_BACKEND, "wasm"];
  const skipped: string[] = [];
  for (const name of order) {
    const err = await tryBackend(name);
    if (err === null) {
      const threads = name === NATIVE_BACKEND ? loadNativeAddon()!.threads() : name === "tensorflow" ? 0 : 1;
      current = { name, tfjsVersion: tf.version.tfjs, threads, skipped };
      if (!opts.quiet) console.error(`[tailor] backend: ${name} (tfjs ${tf.version.tfjs}, ${threads || "auto"} threads)`);
      return current;
    }
    skipped.push(`${name}: ${err}`);
  }
  throw new Error(`no training backend could be initialised:\n  ${skipped.join("\n  ")}`);
}

export function backendInfo(): BackendInfo | undefined {
  return current;
}
