/** A CIFAR-10 folder of random images in the official binary layout: lets scripts run on real file sizes in tests. */
import * as fs from "node:fs";
import * as path from "node:path";
import { IMAGE_BYTES, RECORD_BYTES, RECORDS_PER_FILE, TEST_FILE, TRAIN_FILES, type ImageSet } from "../../src/data/cifar10.js";
import { Rng } from "../../src/util/random.js";

export function writeSyntheticCifar(dir: string, seed = 1): string {
  fs.mkdirSync(dir, { recursive: true });
  const r = new Rng(seed);
  for (const [i, f] of [...TRAIN_FILES, TEST_FILE].entries()) {
    const buf = Buffer.alloc(RECORDS_PER_FILE * RECORD_BYTES);
    const words = new Uint32Array(buf.buffer, buf.byteOffset, buf.length >> 2);
    for (let k = 0; k < words.length; k++) words[k] = (r.next() * 4294967296) >>> 0;
    for (let k = 0; k < RECORDS_PER_FILE; k++) buf[k * RECORD_BYTES] = (k * 7 + i) % 10;
    fs.writeFileSync(path.join(dir, f), buf);
  }
  return dir;
}

/** n random images in memory, labels cycling through the ten classes. */
export function syntheticImages(n: number, seed: number): ImageSet {
  const r = new Rng(seed);
  const images = new Uint8Array(n * IMAGE_BYTES);
  for (let i = 0; i < images.length; i++) images[i] = r.int(256);
  return { images, labels: Uint8Array.from({ length: n }, (_, i) => i % 10), count: n };
}
