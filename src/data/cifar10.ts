/**
 * CIFAR-10 in the official binary layout (cifar-10-batches-bin): data_batch_1..5.bin and test_batch.bin, each
 * 10,000 records of 1 label byte + 3,072 pixel bytes (1,024 red, 1,024 green, 1,024 blue, rows top to bottom).
 */
import * as fs from "node:fs";
import * as path from "node:path";

export const CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"] as const;
export const IMAGE_BYTES = 3072;
export const RECORD_BYTES = IMAGE_BYTES + 1;
export const RECORDS_PER_FILE = 10_000;
export const TRAIN_FILES = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`);
export const TEST_FILE = "test_batch.bin";

/** Images as CHW bytes, one after another, and their labels. */
export interface ImageSet {
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
}

export class DataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DataError";
  }
}

/** Parse one batch file; `expectRecords` is 10,000 for the real data set. */
export function parseBatch(buf: Uint8Array, file: string, expectRecords = RECORDS_PER_FILE): ImageSet {
  if (buf.length !== expectRecords * RECORD_BYTES) {
    throw new DataError(
      `${file}: expected ${expectRecords} records of ${RECORD_BYTES} bytes (${expectRecords * RECORD_BYTES} bytes), got ${buf.length} bytes` +
        (buf.length % RECORD_BYTES === 0 ? "" : " (not a whole number of records: truncated?)"),
    );
  }
  const count = expectRecords;
  const images = new Uint8Array(count * IMAGE_BYTES);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const label = buf[i * RECORD_BYTES];
    if (label > 9) throw new DataError(`${file}: record ${i} has label ${label}, expected 0..9`);
    labels[i] = label;
    images.set(buf.subarray(i * RECORD_BYTES + 1, (i + 1) * RECORD_BYTES), i * IMAGE_BYTES);
  }
  return { images, labels, count };
}

export function encodeBatch(set: ImageSet, from: number, count: number): Uint8Array {
  const out = new Uint8Array(count * RECORD_BYTES);
  for (let i = 0; i < count; i++) {
    out[i * RECORD_BYTES] = set.labels[from + i];
    out.set(set.images.subarray((from + i) * IMAGE_BYTES, (from + i + 1) * IMAGE_BYTES), i * RECORD_BYTES + 1);
  }
  return out;
}

export function concatSets(sets: ImageSet[]): ImageSet {
  const count = sets.reduce((s, x) => s + x.count, 0);
  const images = new Uint8Array(count * IMAGE_BYTES);
  const labels = new Uint8Array(count);
  let o = 0;
  for (const s of sets) {
    images.set(s.images, o * IMAGE_BYTES);
    labels.set(s.labels, o);
    o += s.count;
  }
  return { images, labels, count };
}

function readFile(dir: string, name: string, expectRecords: number): ImageSet {
  const file = path.join(dir, name);
  if (!fs.existsSync(file)) {
    throw new DataError(`${file}: missing. Run \`npm run prepare-data\` (converts ../shared/data) or \`npm run prepare-data -- --download\`.`);
  }
  if (fs.statSync(file).isDirectory()) throw new DataError(`${file}: is a directory, expected a CIFAR-10 batch file`);
  return parseBatch(fs.readFileSync(file), file, expectRecords);
}

export interface Cifar10 {
  train: ImageSet;
  test: ImageSet;
}

/** Load the six batch files from `dir`. */
export function loadCifar10(dir: string, expectRecords = RECORDS_PER_FILE): Cifar10 {
  if (fs.existsSync(dir) && !fs.statSync(dir).isDirectory()) {
    throw new DataError(`${dir}: is a file, expected the CIFAR-10 binary directory (data_batch_1.bin ... test_batch.bin)`);
  }
  return {
    train: concatSets(TRAIN_FILES.map((f) => readFile(dir, f, expectRecords))),
    test: readFile(dir, TEST_FILE, expectRecords),
  };
}

/** The data directory: TAILOR_DATA_DIR, else data/cifar10 under the project root. */
export function defaultDataDir(): string {
  return process.env.TAILOR_DATA_DIR || path.resolve(__dirname, "..", "..", "data", "cifar10");
}
