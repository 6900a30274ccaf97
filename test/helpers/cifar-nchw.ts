/** Real CIFAR-10 test images for the ONNX checks: the cache (built as reproduce builds it when absent), NCHW, normalised. */
import * as fs from "node:fs";
import * as path from "node:path";
import { fillBatch, type Normalisation } from "../../src/data/batches.js";
import { cifarCacheComplete } from "../../scripts/cifar-cache.js";
import { defaultDataDir, parseBatch, TEST_FILE } from "../../src/data/cifar10.js";
import { runScript } from "./spawn.js";

const ROOT = path.resolve(__dirname, "..", "..");
const DATA = defaultDataDir();

/**
 * Builds the CIFAR-10 cache from ../shared/data when a fresh clone lacks any of its files, as scripts/cifar-cache.ts
 * does for reproduce, but without blocking: the conversion takes 30 s on a slow core, and a vitest worker that does
 * not turn its event loop for 60 s fails the run (test/helpers/yield-between-tests.ts).
 */
export async function ensureCifarCacheAsync(): Promise<string> {
  if (!cifarCacheComplete(DATA)) {
    const r = await runScript(path.join(ROOT, "scripts", "prepare-data.ts"), ["--out", DATA]);
    if (r.status !== 0) throw new Error(`npm run prepare-data failed: ${r.stderr}`);
  }
  return DATA;
}

/** the test batch's bytes; builds the cache from ../shared/data first when a fresh clone lacks it */
export async function cifarTestBytes(): Promise<Uint8Array> {
  await ensureCifarCacheAsync();
  return new Uint8Array(fs.readFileSync(path.join(DATA, TEST_FILE)));
}

/** the first n test images, normalised per channel, NCHW float32; and their labels */
export function cifarNchw(bytes: Uint8Array, n: number, norm: Normalisation): { x: Float32Array; labels: Int32Array } {
  const set = parseBatch(bytes, TEST_FILE);
  const nhwc = new Float32Array(n * 3072);
  fillBatch(set, Int32Array.from({ length: n }, (_, i) => i), 0, n, norm, null, nhwc);
  const x = new Float32Array(n * 3072);
  for (let b = 0; b < n; b++) for (let p = 0; p < 1024; p++) for (let c = 0; c < 3; c++) x[b * 3072 + c * 1024 + p] = nhwc[b * 3072 + p * 3 + c];
  return { x, labels: Int32Array.from(set.labels.subarray(0, n)) };
}
