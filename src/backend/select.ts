/**
 * Picks the training backend, fastest first:
 *   "tensorflow"   tfjs-node (libtensorflow), when its native binding loads (a user's connected machine);
 *   "tailor-native" tfjs's CPU backend with the project's C++ kernels (native/, built by npm ci): convolutions
 *                  through oneDNN when the addon was built with it, else im2col + GEMM;
 *   "wasm"         tfjs's wasm backend (XNNPACK, SIMD) with our missing gradient kernel;
 *   "cpu"          tfjs's pure-JS backend: only when forced (it trains ResNet-8 at under 1 image/s).
 * TAILOR_BACKEND forces one of these names; TAILOR_NATIVE_CONV=gemm|onednn picks tailor-native's convolution path,
 * TAILOR_NATIVE_WINOGRAD=0 keeps oneDNN on its direct kernels for every layer (1, the default: Winograd where it is
 * used, native/src/dnnl_conv.cc).
 */
import * as tf from "@tensorflow/tfjs";
import { DNNL_INSTALL_HINT, loadNativeAddon, nativeConvPath, nativeLoadError, type ConvPath } from "./native-addon.js";
import { NATIVE_BACKEND, registerNativeBackend } from "./native-kernels.js";
import { registerWasmKernels } from "./wasm-kernels.js";

export const BACKENDS = ["tensorflow", NATIVE_BACKEND, "wasm", "cpu"] as const;
export type BackendName = (typeof BACKENDS)[number];

export interface BackendInfo {
  name: BackendName;
  tfjsVersion: string;
  /** threads the backend computes on (0: the backend decides) */
  threads: number;
  /** which kernels do the heavy work, e.g. "onednn 2.6.3" or "gemm (addon built without oneDNN)" */
  kernels: string;
  /** why faster backends were not used */
  skipped: string[];
}

/** A wrong setting (an environment variable): an error to stop on, never a reason to try the next backend. */
export class BackendConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BackendConfigError";
  }
}

/** How to bring up one backend: load and register it (an error message, or null), then describe it. */
interface Provider {
  load(): string | null;
  threads(): number;
  kernels(): string;
}

const providers: Record<BackendName, Provider> = {
  tensorflow: {
    load: () => (require("@tensorflow/tfjs-node"), null),
    threads: () => 0,
    kernels: () => "libtensorflow",
  },
  [NATIVE_BACKEND]: {
    load() {
      const addon = loadNativeAddon();
      if (!addon) return `native kernels not loaded: ${nativeLoadError()}`;
      const want = process.env.TAILOR_NATIVE_CONV;
      if (want !== undefined && want !== "") {
        if (want !== "onednn" && want !== "gemm") throw new BackendConfigError(`TAILOR_NATIVE_CONV=${want}: expected onednn or gemm`);
        if (!addon.setConvPath(want as ConvPath)) throw new BackendConfigError(`TAILOR_NATIVE_CONV=onednn: the addon was built without oneDNN (${DNNL_INSTALL_HINT})`);
      }
      const wino = process.env.TAILOR_NATIVE_WINOGRAD;
      if (wino !== undefined && wino !== "") {
        if (wino !== "0" && wino !== "1") throw new BackendConfigError(`TAILOR_NATIVE_WINOGRAD=${wino}: expected 0 or 1`);
        addon.setWinograd(wino === "1");
      }
      registerNativeBackend(addon);
      return null;
    },
    threads: () => loadNativeAddon()!.threads(),
    kernels: () => nativeConvPath(loadNativeAddon()!),
  },
  wasm: {
    load: () => (require("@tensorflow/tfjs-backend-wasm"), registerWasmKernels(), null),
    threads: () => 1,
    kernels: () => "XNNPACK (wasm SIMD)",
  },
  cpu: { load: () => null, threads: () => 1, kernels: () => "tfjs JavaScript kernels" },
};

let current: BackendInfo | undefined;

async function tryBackend(name: BackendName): Promise<string | null> {
  try {
    const err = providers[name].load();
    if (err) return err;
    if (!(await tf.setBackend(name))) return `tf.setBackend("${name}") failed`;
    await tf.ready();
    return null;
  } catch (e) {
    if (e instanceof BackendConfigError) throw e;
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
      const p = providers[name];
      current = { name, tfjsVersion: tf.version.tfjs, threads: p.threads(), kernels: p.kernels(), skipped };
      if (!opts.quiet) {
        // a faster backend that did not load says why (tfjs-node is an optional dependency: its absence is the rule)
        for (const s of skipped) if (!s.startsWith("tensorflow:")) console.error(`[tailor] not using ${s}`);
        console.error(`[tailor] backend: ${name} (tfjs ${tf.version.tfjs}, ${current.threads || "auto"} threads, ${current.kernels})`);
        if (current.kernels.includes("built without oneDNN")) {
          console.error(`[tailor] oneDNN not found when the kernels were built: convolutions run on the slower im2col + GEMM path. To install it: ${DNNL_INSTALL_HINT}`);
        }
      }
      return current;
    }
    skipped.push(`${name}: ${err}`);
  }
  throw new Error(`no training backend could be initialised:\n  ${skipped.join("\n  ")}`);
}

export function backendInfo(): BackendInfo | undefined {
  return current;
}
