/**
 * Splits, normalisation and augmented batches (authors' recipe: 4-pixel zero padding + random 32x32 crop,
 * horizontal flip, per-channel normalisation). Batches are NHWC float32, ready for a tfjs tensor.
 */
import { Rng } from "../util/random.js";
import { IMAGE_BYTES, type ImageSet } from "./cifar10.js";

export interface Split {
  train: Int32Array;
  val: Int32Array;
}

/** Hold `valSize` images out of the training set, chosen by a seeded permutation. */
export function splitTrainVal(count: number, valSize: number, seed: number): Split {
  if (!Number.isInteger(valSize) || valSize < 0 || valSize >= count) {
    throw new RangeError(`validation size ${valSize} must be an integer in [0, ${count})`);
  }
  const perm = Int32Array.from({ length: count }, (_, i) => i);
  new Rng(seed).shuffle(perm);
  return { val: perm.slice(0, valSize).sort(), train: perm.slice(valSize).sort() };
}

export interface Normalisation {
  mean: [number, number, number];
  std: [number, number, number];
}

/** "mean r,g,b, std r,g,b" to 4 decimals: how the CLIs print a normalisation */
export const normalisationText = (n: Normalisation): string => `mean ${n.mean.map((v) => v.toFixed(4)).join(",")}, std ${n.std.map((v) => v.toFixed(4)).join(",")}`;

/** Per-channel mean and standard deviation of pixel/255 over the given images (the training split). */
export function channelStats(set: ImageSet, indices: Int32Array): Normalisation {
  const sum = [0, 0, 0];
  const sq = [0, 0, 0];
  for (const i of indices) {
    const base = i * IMAGE_BYTES;
    for (let c = 0; c < 3; c++) {
      let s = 0;
      let q = 0;
      for (let p = 0; p < 1024; p++) {
        const v = set.images[base + c * 1024 + p] / 255;
        s += v;
        q += v * v;
      }
      sum[c] += s;
      sq[c] += q;
    }
  }
  const n = indices.length * 1024;
  const mean = sum.map((s) => s / n) as [number, number, number];
  const std = sq.map((q, c) => Math.sqrt(q / n - mean[c] * mean[c])) as [number, number, number];
  return { mean, std };
}

/**
 * Fill `out` (NHWC) with images `indices[start .. start+n)`. With `rng`, each image is shifted by a random crop of
 * its 4-pixel zero-padded version and flipped with probability 1/2 (rng draws per image: row offset, column
 * offset, flip), as torchvision's RandomCrop(32, padding=4) + RandomHorizontalFlip.
 */
export function fillBatch(set: ImageSet, indices: Int32Array, start: number, n: number, norm: Normalisation, rng: Rng | null, out: Float32Array): Int32Array {
  const labels = new Int32Array(n);
  const scale = norm.std.map((s) => 1 / (255 * s));
  const shift = norm.mean.map((m, c) => -m / norm.std[c]);
  for (let b = 0; b < n; b++) {
    const idx = indices[start + b];
    labels[b] = set.labels[idx];
    const src = idx * IMAGE_BYTES;
    let oy = 0;
    let ox = 0;
    let flip = false;
    if (rng) {
      oy = rng.int(9) - 4;
      ox = rng.int(9) - 4;
      flip = rng.next() < 0.5;
    }
    const dst = b * IMAGE_BYTES;
    for (let y = 0; y < 32; y++) {
      const sy = y + oy;
      for (let x = 0; x < 32; x++) {
        const sx = (flip ? 31 - x : x) + ox;
        const o = dst + (y * 32 + x) * 3;
        if (sy < 0 || sy > 31 || sx < 0 || sx > 31) {
          out[o] = shift[0];
          out[o + 1] = shift[1];
          out[o + 2] = shift[2];
        } else {
          const p = src + sy * 32 + sx;
          out[o] = set.images[p] * scale[0] + shift[0];
          out[o + 1] = set.images[p + 1024] * scale[1] + shift[1];
          out[o + 2] = set.images[p + 2048] * scale[2] + shift[2];
        }
      }
    }
  }
  return labels;
}

/** A batch as training and evaluation take it (src/train/step.ts: batchTensors). */
export interface Batch {
  /** NHWC images, normalised; epochBatches refills this array for the next batch of the same size */
  x: Float32Array;
  labels: Int32Array;
  n: number;
}

/** The batches of one epoch: shuffled and augmented when `rng` is given, in order otherwise; drops no image. */
export function* epochBatches(set: ImageSet, indices: Int32Array, batchSize: number, norm: Normalisation, rng: Rng | null): Generator<Batch> {
  const order = indices.slice();
  if (rng) rng.shuffle(order);
  const buf = new Float32Array(batchSize * IMAGE_BYTES);
  for (let s = 0; s < order.length; s += batchSize) {
    const n = Math.min(batchSize, order.length - s);
    const x = n === batchSize ? buf : new Float32Array(n * IMAGE_BYTES);
    const labels = fillBatch(set, order, s, n, norm, rng, x);
    yield { x, labels, n };
  }
}
