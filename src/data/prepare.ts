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
import { processAlive } from "../util/process.js";
import { Rng } from "../util/random.js";
import { CLASSES, DataError, encodeBatch, IMAGE_BYTES, parseBatch, RECORDS_PER_FILE, TEST_FILE, TRAIN_FILES, type ImageSet } from "./cifar10.js";

export const OFFICIAL_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz";
export const OFFICIAL_MD5 = "c32a1d4ab5d03f1284b67883e8d87530";

/**
 * The largest archive read: both CIFAR-10 sources are far smaller (the official archive about 170 MB, the shared
 * JPEG copy 20 MB: ../shared/data/README.md); and node reads no file above 2 GiB whole (md5 did, with an error that
 * named no file: issue 32).
 */
export const MAX_ARCHIVE_BYTES = 2 ** 31;
/** The largest JPEG entry read: a 32x32 CIFAR-10 JPEG is about 1 KB (the shared copy: 60,000 in 92.7 MB of tar) */
export const MAX_JPEG_BYTES = 1 << 20;
/** An official batch file: RECORDS_PER_FILE records of a label byte and 3,072 pixel bytes */
const batchBytes = (records: number) => records * (IMAGE_BYTES + 1);

/** The archive `file`, checked to be a regular file of at most MAX_ARCHIVE_BYTES; its size. */
function checkArchive(file: string): number {
  if (!fs.existsSync(file)) throw new DataError(`${file}: archive not found`);
  const st = fs.statSync(file);
  if (st.isDirectory()) throw new DataError(`${file}: is a directory, expected a .tar.gz archive`);
  if (st.size > MAX_ARCHIVE_BYTES) throw new DataError(`${file}: ${st.size} bytes, more than the ${MAX_ARCHIVE_BYTES} bytes read (a CIFAR-10 archive is under 200 MB): not a CIFAR-10 archive`);
  return st.size;
}

/**
 * Read the regular files of a .tar.gz that `filter` keeps into memory (the CIFAR archives are ~100 MB unpacked). An
 * entry's size is checked from its tar header before a byte of it is read: one larger than `maxEntryBytes` stops the
 * reading at once (issue 32: a small archive holding one 1 GiB entry reached 2.2 GB of memory before any check).
 */
export async function readTarGz(file: string, filter: (p: string) => boolean, maxEntryBytes: number): Promise<Map<string, Buffer>> {
  checkArchive(file);
  const out = new Map<string, Buffer>();
  try {
    // synchronous: an error thrown for an entry's header ends the reading there. Each read is inflated whole before
    // the parser sees it, and deflate packs up to ~1,032 bytes in one: 64 KiB reads bound that to ~66 MB
    tar.t({
      file,
      sync: true,
      maxReadSize: 1 << 16,
      onReadEntry: (entry) => {
        if (entry.type !== "File" || !filter(entry.path)) {
          entry.resume();
          return;
        }
        const size = entry.size ?? 0;
        if (size > maxEntryBytes) throw new DataError(`${file}: entry ${entry.path} is ${size} bytes by its tar header, more than the ${maxEntryBytes} expected; not reading it (not a CIFAR-10 archive)`);
        const chunks: Buffer[] = [];
        entry.on("data", (c: Buffer) => chunks.push(c));
        entry.on("end", () => out.set(entry.path, Buffer.concat(chunks)));
      },
    });
  } catch (e) {
    if (e instanceof DataError) throw e;
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

const TMP_PREFIX = ".cifar10-tmp-";
/** an old cache renamed aside while the new one is renamed in: `.cifar10-old-<pid>-<cache folder name>` */
const OLD_PREFIX = ".cifar10-old-";

/**
 * Remove temporary folders that interrupted conversions left next to the cache (up to 180 MB each). A folder is
 * named `.cifar10-tmp-<pid>-*` after the process writing it and removed only when that process is gone; older
 * unnamed ones (`.cifar10-tmp-XXXXXX`) only when last written before this process started.
 */
export function removeLeftovers(parent: string, log: (s: string) => void = () => {}): string[] {
  const removed: string[] = [];
  const started = Date.now() - process.uptime() * 1000;
  let names: string[] = [];
  try {
    names = fs.readdirSync(parent).filter((n) => n.startsWith(TMP_PREFIX));
  } catch {
    return removed;
  }
  for (const n of fs.readdirSync(parent).filter((f) => f.startsWith(OLD_PREFIX))) {
    const m = /^\.cifar10-old-(\d+)-(.+)$/.exec(n);
    if (!m || Number(m[1]) === process.pid || processAlive(Number(m[1]))) continue;
    const full = path.join(parent, n);
    const cache = path.join(parent, m[2]);
    try {
      if (fs.existsSync(cache)) {
        fs.rmSync(full, { recursive: true, force: true });
        removed.push(full);
        log(`removed ${full}, an old cache already replaced by ${cache}`);
      } else {
        fs.renameSync(full, cache);
        log(`restored ${cache} from ${full} (a replacement was interrupted before the new cache was in place)`);
      }
    } catch {
      // gone meanwhile, or not ours
    }
  }
  for (const n of names) {
    const full = path.join(parent, n);
    const pid = /^\.cifar10-tmp-(\d+)-/.exec(n)?.[1];
    try {
      const st = fs.statSync(full);
      if (!st.isDirectory()) continue;
      if (pid ? Number(pid) === process.pid || processAlive(Number(pid)) : st.mtimeMs >= started) continue;
      fs.rmSync(full, { recursive: true, force: true });
      removed.push(full);
      log(`removed ${full}, left by an interrupted conversion`);
    } catch {
      // gone meanwhile, or not ours to remove
    }
  }
  return removed;
}

const CACHE_FILES = new Set([...TRAIN_FILES, TEST_FILE, "batches.meta.txt", "SOURCE.json"]);

/**
 * Before anything is read or decoded: check that the cache can be written (its folder creatable and writable) and
 * that what it would replace is a cache; create the temporary folder the cache is written to, then renamed.
 */
function beginCache(dir: string, log: (s: string) => void): string {
  const out = path.resolve(dir);
  if (fs.existsSync(out)) {
    if (!fs.statSync(out).isDirectory()) throw new DataError(`${out}: exists and is not a directory (the cache is a directory)`);
    const other = fs.readdirSync(out).filter((n) => !CACHE_FILES.has(n));
    if (other.length) throw new DataError(`${out}: exists and holds files that are not the CIFAR-10 cache (${other.slice(0, 3).join(", ")}${other.length > 3 ? ", ..." : ""}); not replacing it`);
  }
  const parent = path.dirname(out);
  try {
    fs.mkdirSync(parent, { recursive: true });
    removeLeftovers(parent, log);
    return fs.mkdtempSync(path.join(parent, `${TMP_PREFIX}${process.pid}-`));
  } catch (e) {
    throw new DataError(
      `cannot write the cache ${out}: ${parent} is not writable (${(e as Error).message}); set TAILOR_DATA_DIR (or --out) to a writable directory`,
    );
  }
}

/** Fill the temporary folder and rename it into place; on failure nothing is left behind. */
function commitCache(tmp: string, dir: string, files: Map<string, Uint8Array>, meta: object): void {
  try {
    for (const [name, data] of files) fs.writeFileSync(path.join(tmp, name), data);
    fs.writeFileSync(path.join(tmp, "batches.meta.txt"), CLASSES.join("\n") + "\n");
    fs.writeFileSync(path.join(tmp, "SOURCE.json"), JSON.stringify(meta, null, 2) + "\n");
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  // issue 32: removing the old cache before the rename left no cache when killed between the two. The old one is
  // renamed aside, the new one renamed in, then the old one removed; a kill between the renames leaves the old one
  // aside, and the next run puts it back (removeLeftovers)
  const aside = fs.existsSync(dir) ? path.join(path.dirname(dir), `${OLD_PREFIX}${process.pid}-${path.basename(dir)}`) : null;
  if (aside) fs.renameSync(dir, aside);
  try {
    fs.renameSync(tmp, dir);
  } catch (e) {
    if (aside) fs.renameSync(aside, dir);
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  if (aside) fs.rmSync(aside, { recursive: true, force: true });
}

/** Run `body` with a fresh temporary cache folder; the folder is removed if `body` fails. */
async function withCache<T>(dir: string, log: (s: string) => void, body: (tmp: string) => Promise<T>): Promise<T> {
  const tmp = beginCache(dir, log);
  try {
    return await body(tmp);
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
  return withCache(outDir, log, async (tmp) => {
    log(`reading ${archive}`);
    const entries = await readTarGz(archive, (p) => p.endsWith(".jpg"), MAX_JPEG_BYTES);
    if (entries.size === 0) throw new DataError(`${archive}: not a CIFAR-10 archive (no <root>/{train,test}/<class>/NNNN.jpg entries in it as a .tar.gz)`);
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
    commitCache(tmp, outDir, files, { source: "jpeg", archive: path.resolve(archive), seed: opts.seed ?? 2009, counts });
    return counts;
  });
}

/** The md5 of a file, read 16 MB at a time (readFileSync refuses files above 2 GiB). */
export function md5(file: string): string {
  const h = createHash("md5");
  const fd = fs.openSync(file, "r");
  try {
    const buf = Buffer.alloc(16 << 20);
    for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0; ) h.update(buf.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  return h.digest("hex");
}

/** Unpack the official archive (cifar-10-batches-bin/*.bin), checking its md5 and every file's size. */
export async function prepareFromOfficial(
  archive: string,
  outDir: string,
  opts: { expectMd5?: string | null; expectRecords?: number; log?: (s: string) => void } = {},
): Promise<void> {
  return withCache(outDir, opts.log ?? (() => {}), async (tmp) => {
    checkArchive(archive);
    const expect = opts.expectMd5 === undefined ? OFFICIAL_MD5 : opts.expectMd5;
    if (expect) {
      const got = md5(archive);
      if (got !== expect) throw new DataError(`${archive}: md5 ${got}, expected ${expect} (cifar-10-binary.tar.gz): wrong or corrupt archive`);
    }
    const entries = await readTarGz(archive, (p) => p.endsWith(".bin"), batchBytes(opts.expectRecords ?? RECORDS_PER_FILE));
    if (![...entries.keys()].some((k) => k.includes("cifar-10-batches-bin/"))) {
      throw new DataError(`${archive}: not a CIFAR-10 archive (no cifar-10-batches-bin/*.bin entries in it as a .tar.gz)`);
    }
    const files = new Map<string, Uint8Array>();
    for (const name of [...TRAIN_FILES, TEST_FILE]) {
      const hit = [...entries.keys()].find((k) => k.endsWith(`cifar-10-batches-bin/${name}`));
      if (!hit) throw new DataError(`${archive}: missing cifar-10-batches-bin/${name}`);
      parseBatch(entries.get(hit)!, `${archive}:${hit}`, opts.expectRecords ?? RECORDS_PER_FILE);
      files.set(name, entries.get(hit)!);
    }
    commitCache(tmp, outDir, files, { source: "official", archive: path.resolve(archive) });
  });
}

/** Download the official archive to `dest` (users with internet; this machine has no route to it). */
export async function downloadOfficial(dest: string): Promise<void> {
  const res = await fetch(OFFICIAL_URL);
  if (!res.ok || !res.body) throw new DataError(`${OFFICIAL_URL}: HTTP ${res.status}`);
  const tmp = `${dest}.part`;
  fs.writeFileSync(tmp, Buffer.from(await res.arrayBuffer()));
  fs.renameSync(tmp, dest);
}
