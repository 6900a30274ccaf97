/**
 * One-off preparation of the binary CIFAR-10 cache, from either source:
 * - the shared JPEG copy (cifar10-jpeg/{train,test}/<class>/NNNN.jpg), decoded and written in the official layout;
 * - the official archive (cifar-10-binary.tar.gz, md5-checked), unpacked.
 * Either way the cache is written to a temporary directory and renamed into place only when complete.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as tar from "tar";
import * as jpeg from "jpeg-js";
import { Rng } from "../util/random.js";
import { CLASSES, DataError, encodeBatch, IMAGE_BYTES, parseBatch, RECORDS_PER_FILE, TEST_FILE, TRAIN_FILES, type ImageSet } from "./cifar10.js";

export const OFFICIAL_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz";
export const OFFICIAL_MD5 = "c32a1d4ab5d03f1284b67883e8d87530";

/** Read every regular file of a .tar.gz into memory (the CIFAR archives are ~100 MB unpacked). */
export async function readTarGz(file: string, filter: (p: string) => boolean): Promise<Map<string, Buffer>> {
  if (!fs.existsSync(file)) throw new DataError(`${file}: archive not found`);
  const out = new Map<string, Buffer>();
  try {
    await tar.t({
      file,
      onReadEntry: (entry) => {
        if (entry.type !== "File" || !filter(entry.path)) {
          entry.resume();
          return;
        }
        const chunks: Buffer[] = [];
        entry.on("data", (c: Buffer) => chunks.push(c));
        entry.on("end", () => out.set(entry.path, Buffer.concat(chunks)));
      },
    });
  } catch (e) {
    throw new DataError(`${file}: not a readable .tar.gz archive (${(e as Error).message})`);
  }
  return out;
}

/** Decode a 32x32 RGB JPEG to CHW bytes. */
export function decodeJpeg(buf: Buffer, name: string): Uint8Array {
  let img: { width: number; height: number; data: Uint8Array };
  try {
    img = jpeg.decode(buf, { useTArray: true, formatAsRGBA: true });
  } catch (e) {
    throw new DataError(`${name}: corrupt JPEG (${(e as Error).message})`);
  }
  if (img.width !== 32 || img.height !== 32) throw new DataError(`${name}: expected a 32x32 image, got ${img.width}x${img.height}`);
  const out = new Uint8Array(IMAGE_BYTES);
  for (let p = 0; p < 1024; p++) {
    out[p] = img.data[4 * p];
    out[1024 + p] = img.data[4 * p + 1];
    out[2048 + p] = img.data[4 * p + 2];
  }
  return out;
}

function writeCacheAtomically(dir: string, files: Map<string, Uint8Array>, meta: object): void {
  const parent = path.dirname(path.resolve(dir));
  fs.mkdirSync(parent, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(parent, ".cifar10-tmp-"));
  try {
    for (const [name, data] of files) fs.writeFileSync(path.join(tmp, name), data);
    fs.writeFileSync(path.join(tmp, "batches.meta.txt"), CLASSES.join("\n") + "\n");
    fs.writeFileSync(path.join(tmp, "SOURCE.json"), JSON.stringify(meta, null, 2) + "\n");
    if (fs.existsSync(dir)) fs.rmSync(dir, { recursive: true });
    fs.renameSync(tmp, dir);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

export interface JpegCounts {
  train: number;
  test: number;
  perClass: { train: number[]; test: number[] };
}

/**
 * Convert the shared JPEG copy. Training images are shuffled (seeded) across the five batch files, as the official
 * files mix classes; the expected counts (5,000 / 1,000 per class) are checked first.
 */
export async function prepareFromJpeg(
  archive: string,
  outDir: string,
  opts: { seed?: number; perClass?: { train: number; test: number }; log?: (s: string) => void } = {},
): Promise<JpegCounts> {
  const want = opts.perClass ?? { train: 5000, test: 1000 };
  const log = opts.log ?? (() => {});
  log(`reading ${archive}`);
  const entries = await readTarGz(archive, (p) => p.endsWith(".jpg"));
  const split: Record<"train" | "test", { name: string; label: number }[]> = { train: [], test: [] };
  for (const name of entries.keys()) {
    const m = /(?:^|\/)(train|test)\/([a-z]+)\/[^/]+\.jpg$/.exec(name);
    if (!m) throw new DataError(`${archive}: unexpected entry ${name} (expected <root>/{train,test}/<class>/NNNN.jpg)`);
    const label = CLASSES.indexOf(m[2] as (typeof CLASSES)[number]);
    if (label < 0) throw new DataError(`${archive}: ${name}: unknown class "${m[2]}" (expected one of ${CLASSES.join(", ")})`);
    split[m[1] as "train" | "test"].push({ name, label });
  }
  const counts: JpegCounts = { train: split.train.length, test: split.test.length, perClass: { train: [], test: [] } };
  for (const s of ["train", "test"] as const) {
    const per = CLASSES.map((_, c) => split[s].filter((e) => e.label === c).length);
    counts.perClass[s] = per;
    per.forEach((n, c) => {
      if (n !== want[s]) throw new DataError(`${archive}: ${s}/${CLASSES[c]} has ${n} images, expected ${want[s]}`);
    });
    // sort for a deterministic order whatever the archive's order
    split[s].sort((a, b) => (a.name < b.name ? -1 : 1));
  }
  // the official files mix classes in both splits; so do ours (seeded)
  const rng = new Rng(opts.seed ?? 2009);
  rng.shuffle(split.train);
  rng.shuffle(split.test);
  const decode = (list: { name: string; label: number }[]): ImageSet => {
    const images = new Uint8Array(list.length * IMAGE_BYTES);
    const labels = new Uint8Array(list.length);
    list.forEach((e, i) => {
      images.set(decodeJpeg(entries.get(e.name)!, e.name), i * IMAGE_BYTES);
      labels[i] = e.label;
      if (i % 10000 === 9999) log(`decoded ${i + 1}/${list.length}`);
    });
    return { images, labels, count: list.length };
  };
  const train = decode(split.train);
  const test = decode(split.test);
  const perFile = train.count / TRAIN_FILES.length;
  const files = new Map<string, Uint8Array>();
  TRAIN_FILES.forEach((f, i) => files.set(f, encodeBatch(train, i * perFile, perFile)));
  files.set(TEST_FILE, encodeBatch(test, 0, test.count));
  writeCacheAtomically(outDir, files, { source: "jpeg", archive: path.resolve(archive), seed: opts.seed ?? 2009, counts });
  return counts;
}

export function md5(file: string): string {
  return createHash("md5").update(fs.readFileSync(file)).digest("hex");
}

/** Unpack the official archive (cifar-10-batches-bin/*.bin), checking its md5 and every file's size. */
export async function prepareFromOfficial(
  archive: string,
  outDir: string,
  opts: { expectMd5?: string | null; expectRecords?: number } = {},
): Promise<void> {
  const expect = opts.expectMd5 === undefined ? OFFICIAL_MD5 : opts.expectMd5;
  if (expect) {
    const got = md5(archive);
    if (got !== expect) throw new DataError(`${archive}: md5 ${got}, expected ${expect} (cifar-10-binary.tar.gz): wrong or corrupt archive`);
  }
  const entries = await readTarGz(archive, (p) => p.endsWith(".bin"));
  const files = new Map<string, Uint8Array>();
  for (const name of [...TRAIN_FILES, TEST_FILE]) {
    const hit = [...entries.keys()].find((k) => k.endsWith(`cifar-10-batches-bin/${name}`));
    if (!hit) throw new DataError(`${archive}: missing cifar-10-batches-bin/${name}`);
    parseBatch(entries.get(hit)!, `${archive}:${hit}`, opts.expectRecords ?? RECORDS_PER_FILE);
    files.set(name, entries.get(hit)!);
  }
  writeCacheAtomically(outDir, files, { source: "official", archive: path.resolve(archive) });
}

/** Download the official archive to `dest` (users with internet; this machine has no route to it). */
export async function downloadOfficial(dest: string): Promise<void> {
  const res = await fetch(OFFICIAL_URL);
  if (!res.ok || !res.body) throw new DataError(`${OFFICIAL_URL}: HTTP ${res.status}`);
  const tmp = `${dest}.part`;
  fs.writeFileSync(tmp, Buffer.from(await res.arrayBuffer()));
  fs.renameSync(tmp, dest);
}
