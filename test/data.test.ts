import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as jpeg from "jpeg-js";
import * as tar from "tar";
import { describe, expect, it } from "vitest";
import { CLASSES, IMAGE_BYTES, loadCifar10, parseBatch, RECORD_BYTES, TEST_FILE, TRAIN_FILES } from "../src/data/cifar10.js";
import { channelStats, epochBatches, fillBatch, splitTrainVal } from "../src/data/batches.js";
import { md5, prepareFromJpeg, prepareFromOfficial } from "../src/data/prepare.js";
import { Rng } from "../src/util/random.js";
import { syntheticImages } from "./helpers/synthetic-cifar.js";

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "tailor-data-"));

function records(n: number, label = (i: number) => i % 10): Uint8Array {
  const b = new Uint8Array(n * RECORD_BYTES);
  for (let i = 0; i < n; i++) {
    b[i * RECORD_BYTES] = label(i);
    b.fill(i % 256, i * RECORD_BYTES + 1, (i + 1) * RECORD_BYTES);
  }
  return b;
}

describe("binary batch files", () => {
  it("parse labels and channel-major pixels", () => {
    const s = parseBatch(records(3), "x.bin", 3);
    expect(Array.from(s.labels)).toEqual([0, 1, 2]);
    expect(s.images[IMAGE_BYTES + 5]).toBe(1);
  });
  it("name the file and what was expected on bad input", () => {
    expect(() => parseBatch(records(3).slice(0, 100), "data_batch_1.bin", 3)).toThrow(/data_batch_1.bin: expected 3 records of 3073 bytes .* got 100 bytes \(not a whole number of records: truncated\?\)/);
    expect(() => parseBatch(records(3, () => 12), "test_batch.bin", 3)).toThrow(/test_batch.bin: record 0 has label 12, expected 0..9/);
    expect(() => loadCifar10(tmp())).toThrow(/data_batch_1.bin: missing. Run `npm run prepare-data`/);
  });
});

describe("the official archive", () => {
  it("is unpacked after its md5 is checked (a small generated archive)", async () => {
    const dir = tmp();
    const src = path.join(dir, "cifar-10-batches-bin");
    fs.mkdirSync(src);
    for (const f of [...TRAIN_FILES, TEST_FILE]) fs.writeFileSync(path.join(src, f), records(4));
    const archive = path.join(dir, "cifar-10-binary.tar.gz");
    await tar.c({ gzip: true, file: archive, cwd: dir }, ["cifar-10-batches-bin"]);
    const out = path.join(dir, "cache");
    await prepareFromOfficial(archive, out, { expectMd5: md5(archive), expectRecords: 4 });
    const d = loadCifar10(out, 4);
    expect(d.train.count).toBe(20);
    expect(d.test.count).toBe(4);
    await expect(prepareFromOfficial(archive, path.join(dir, "c2"), { expectRecords: 4 })).rejects.toThrow(/md5 [0-9a-f]+, expected c32a1d4ab5d03f1284b67883e8d87530/);
    expect(fs.existsSync(path.join(dir, "c2"))).toBe(false);
  });
});

describe("the JPEG copy", () => {
  async function jpegArchive(dir: string, opts: { corrupt?: boolean; perTrain?: number } = {}) {
    const root = path.join(dir, "cifar10-jpeg");
    for (const split of ["train", "test"]) {
      CLASSES.forEach((cls, c) => {
        const d = path.join(root, split, cls);
        fs.mkdirSync(d, { recursive: true });
        const n = split === "train" ? (opts.perTrain ?? 5) : 1;
        for (let i = 0; i < n; i++) {
          const rgba = Buffer.alloc(32 * 32 * 4, 255);
          for (let p = 0; p < 1024; p++) rgba[4 * p] = c * 20; // red channel encodes the class
          const jpg = jpeg.encode({ data: rgba, width: 32, height: 32 }, 100).data;
          fs.writeFileSync(path.join(d, `${String(i).padStart(4, "0")}.jpg`), opts.corrupt && c === 3 && i === 0 ? jpg.subarray(0, 20) : jpg);
        }
      });
    }
    const archive = path.join(dir, "jpeg.tar.gz");
    await tar.c({ gzip: true, file: archive, cwd: dir }, ["cifar10-jpeg"]);
    return archive;
  }
  it("converts to the binary layout, classes by folder, counts checked", async () => {
    const dir = tmp();
    const out = path.join(dir, "cache");
    // 5 train images per class: 10 per batch file, as many as the test file holds
    const counts = await prepareFromJpeg(await jpegArchive(dir), out, { perClass: { train: 5, test: 1 } });
    expect(counts.perClass.train).toEqual(new Array(10).fill(5));
    const d = loadCifar10(out, 10);
    for (let i = 0; i < d.train.count; i++) expect(Math.abs(d.train.images[i * IMAGE_BYTES] - d.train.labels[i] * 20)).toBeLessThan(6);
  });
  it("rejects a wrong count and a corrupt JPEG, naming them, and writes nothing", async () => {
    const dir = tmp();
    await expect(prepareFromJpeg(await jpegArchive(dir), path.join(dir, "a"), { perClass: { train: 6, test: 1 } })).rejects.toThrow(/train\/airplane has 5 images, expected 6/);
    const dir2 = tmp();
    await expect(prepareFromJpeg(await jpegArchive(dir2, { corrupt: true }), path.join(dir2, "b"), { perClass: { train: 5, test: 1 } })).rejects.toThrow(/cat\/0000.jpg: corrupt JPEG/);
    expect(fs.existsSync(path.join(dir2, "b"))).toBe(false);
    await expect(prepareFromJpeg(path.join(dir2, "nope.tar.gz"), path.join(dir2, "c"))).rejects.toThrow(/nope.tar.gz: archive not found/);
  });
});

describe("splits, normalisation and augmentation", () => {
  const set = syntheticImages(20, 3);
  it("the validation split is seeded and disjoint from training", () => {
    const a = splitTrainVal(100, 10, 1);
    expect(a).toEqual(splitTrainVal(100, 10, 1));
    expect(a.val.length).toBe(10);
    expect(new Set([...a.train, ...a.val]).size).toBe(100);
    expect(splitTrainVal(100, 10, 2).val).not.toEqual(a.val);
  });
  it("channel statistics match a direct computation", () => {
    const idx = Int32Array.from({ length: 20 }, (_, i) => i);
    const s = channelStats(set, idx);
    let sum = 0;
    for (let i = 0; i < 20; i++) for (let p = 0; p < 1024; p++) sum += set.images[i * IMAGE_BYTES + 1024 + p] / 255;
    expect(s.mean[1]).toBeCloseTo(sum / 20480, 10);
  });
  it("without augmentation, a batch is the normalised image in NHWC order", () => {
    const norm = { mean: [0.5, 0.4, 0.3] as [number, number, number], std: [0.2, 0.25, 0.3] as [number, number, number] };
    const out = new Float32Array(IMAGE_BYTES);
    fillBatch(set, Int32Array.from([7]), 0, 1, norm, null, out);
    // pixel (2, 5), channel 2
    const v = set.images[7 * IMAGE_BYTES + 2048 + 2 * 32 + 5];
    expect(out[(2 * 32 + 5) * 3 + 2]).toBeCloseTo((v / 255 - 0.3) / 0.3, 5);
  });
  it("augmentation shifts within 4 pixels with zero padding and flips", () => {
    const norm = { mean: [0, 0, 0] as [number, number, number], std: [1, 1, 1] as [number, number, number] };
    const out = new Float32Array(IMAGE_BYTES);
    const rng = new Rng(11);
    const probe = new Rng(11);
    fillBatch(set, Int32Array.from([4]), 0, 1, norm, rng, out);
    const oy = probe.int(9) - 4;
    const ox = probe.int(9) - 4;
    const flip = probe.next() < 0.5;
    for (let y = 0; y < 32; y++)
      for (let x = 0; x < 32; x++) {
        const sy = y + oy;
        const sx = (flip ? 31 - x : x) + ox;
        const want = sy < 0 || sy > 31 || sx < 0 || sx > 31 ? 0 : set.images[4 * IMAGE_BYTES + sy * 32 + sx] / 255;
        expect(out[(y * 32 + x) * 3]).toBeCloseTo(want, 5);
      }
  });
  it("an epoch yields every image once", () => {
    const seen: number[] = [];
    const norm = { mean: [0, 0, 0] as [number, number, number], std: [1, 1, 1] as [number, number, number] };
    for (const b of epochBatches(set, Int32Array.from({ length: 20 }, (_, i) => i), 8, norm, new Rng(1))) seen.push(...b.labels);
    expect(seen.length).toBe(20);
    expect(seen.sort()).toEqual(Array.from(set.labels).sort());
  });
});
