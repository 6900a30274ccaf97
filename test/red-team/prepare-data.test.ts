/**
 * Red team, issue 32, prepare-data: a kill between removing the old cache and renaming the new one in left no cache;
 * a small archive holding one 1 GiB entry reached 2.2 GB of memory before any check; an archive above 2 GiB failed
 * with an error that named no file.
 */
import { createRequire, syncBuiltinESMExports } from "node:module";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { pipeline } from "node:stream/promises";
import { Readable } from "node:stream";
import * as zlib from "node:zlib";
import * as tar from "tar";
import { describe, expect, it } from "vitest";
import { loadCifar10, RECORD_BYTES, TEST_FILE, TRAIN_FILES } from "../../src/data/cifar10.js";
import { md5, prepareFromOfficial, removeLeftovers } from "../../src/data/prepare.js";
import { runCommand, TSX } from "../helpers/spawn.js";

const ROOT = path.resolve(__dirname, "..", "..");
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "tailor-red-prepare-"));

/** a ustar header (POSIX.1-1988) of a regular file `name` of `size` bytes */
function tarHeader(name: string, size: number): Buffer {
  const h = Buffer.alloc(512);
  const put = (s: string, at: number, len: number) => h.write(s.slice(0, len), at, "ascii");
  put(name, 0, 100);
  put("0000644\0", 100, 8);
  put("0000000\0", 108, 8);
  put("0000000\0", 116, 8);
  put(size.toString(8).padStart(11, "0") + "\0", 124, 12);
  put("00000000000\0", 136, 12);
  put("        ", 148, 8);
  put("0", 156, 1);
  put("ustar\0", 257, 6);
  put("00", 263, 2);
  let sum = 0;
  for (const b of h) sum += b;
  put(sum.toString(8).padStart(6, "0") + "\0 ", 148, 8);
  return h;
}

/** a gzipped tar holding one entry of `size` zero bytes (a few MB on disk for 1 GiB), streamed, never in memory */
async function zeroEntryArchive(file: string, name: string, size: number): Promise<void> {
  async function* parts() {
    yield tarHeader(name, size);
    const chunk = Buffer.alloc(1 << 20);
    for (let left = size; left > 0; left -= chunk.length) yield left >= chunk.length ? chunk : chunk.subarray(0, left);
    yield Buffer.alloc((512 - (size % 512)) % 512 + 1024);
  }
  await pipeline(Readable.from(parts()), zlib.createGzip({ level: 1 }), fs.createWriteStream(file));
}

function records(n: number, fill: number): Uint8Array {
  const b = new Uint8Array(n * RECORD_BYTES).fill(fill);
  for (let i = 0; i < n; i++) b[i * RECORD_BYTES] = i % 10;
  return b;
}

async function officialArchive(dir: string, fill: number): Promise<string> {
  const src = path.join(dir, `src-${fill}`, "cifar-10-batches-bin");
  fs.mkdirSync(src, { recursive: true });
  for (const f of [...TRAIN_FILES, TEST_FILE]) fs.writeFileSync(path.join(src, f), records(4, fill));
  const archive = path.join(dir, `official-${fill}.tar.gz`);
  await tar.c({ gzip: true, file: archive, cwd: path.dirname(src) }, ["cifar-10-batches-bin"]);
  return archive;
}

describe("prepare-data: entry and archive size bounds", () => {
  it("a small archive with one 1 GiB JPEG entry fails at its header, fast and with low memory, naming archive and entry", async () => {
    const dir = tmp();
    const archive = path.join(dir, "bomb.tar.gz");
    await zeroEntryArchive(archive, "cifar10-jpeg/train/cat/0000.jpg", 2 ** 30);
    expect(fs.statSync(archive).size).toBeLessThan(10 << 20);
    const out = path.join(dir, "cache");
    const t0 = Date.now();
    // /usr/bin/time -f %M: the child's peak resident memory in KiB, on the last line of stderr
    const r = await runCommand("/usr/bin/time", ["-f", "%M", process.execPath, ...TSX, path.join(ROOT, "scripts", "prepare-data.ts"), "--jpeg", archive, "--out", out]);
    const seconds = (Date.now() - t0) / 1000;
    const lines = r.stderr.trim().split("\n");
    const peakMiB = Number(lines.at(-1)) / 1024;
    expect(r.status).toBe(1);
    expect(lines.filter((l) => l.startsWith("error:"))).toEqual([
      `error: ${archive}: entry cifar10-jpeg/train/cat/0000.jpg is ${2 ** 30} bytes by its tar header, more than the ${1 << 20} expected; not reading it (not a CIFAR-10 archive)`,
    ]);
    // tsx and node alone take ~100-150 MiB; reading the entry took over 1 GiB
    expect(peakMiB).toBeLessThan(400);
    expect(seconds).toBeLessThan(30);
    expect(fs.existsSync(out)).toBe(false);
    expect(fs.readdirSync(dir)).toEqual(["bomb.tar.gz"]);
  });

  it("a .bin entry larger than a batch file is refused at its header too", async () => {
    const dir = tmp();
    const archive = path.join(dir, "big-bin.tar.gz");
    await zeroEntryArchive(archive, "cifar-10-batches-bin/data_batch_1.bin", 4 * RECORD_BYTES + 1);
    await expect(prepareFromOfficial(archive, path.join(dir, "cache"), { expectMd5: null, expectRecords: 4 })).rejects.toThrow(
      `${archive}: entry cifar-10-batches-bin/data_batch_1.bin is ${4 * RECORD_BYTES + 1} bytes by its tar header, more than the ${4 * RECORD_BYTES} expected`,
    );
  });

  it("an archive above 2 GiB: the error names the file (a sparse file: no disk used)", async () => {
    const dir = tmp();
    const archive = path.join(dir, "huge.tar.gz");
    fs.writeFileSync(archive, "");
    fs.truncateSync(archive, 2 ** 31 + 1);
    const r = await runCommand(process.execPath, [...TSX, path.join(ROOT, "scripts", "prepare-data.ts"), "--archive", archive, "--out", path.join(dir, "cache")]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe(`error: ${archive}: ${2 ** 31 + 1} bytes, more than the ${2 ** 31} bytes read (a CIFAR-10 archive is under 200 MB): not a CIFAR-10 archive`);
  });

  it("md5 reads a file in pieces (same digest as the whole)", () => {
    const dir = tmp();
    const f = path.join(dir, "x");
    fs.writeFileSync(f, Buffer.alloc((16 << 20) + 5, 7));
    const { createHash } = createRequire(__filename)("node:crypto") as typeof import("node:crypto");
    expect(md5(f)).toBe(createHash("md5").update(fs.readFileSync(f)).digest("hex"));
  });
});

describe("prepare-data: the old cache stays until the new one is in place", () => {
  it("a kill just before the new cache is renamed in leaves the old cache (in place, or restored by the next run)", async () => {
    const dir = tmp();
    const out = path.join(dir, "cache");
    await prepareFromOfficial(await officialArchive(dir, 1), out, { expectMd5: null, expectRecords: 4 });
    const newer = await officialArchive(dir, 2);
    // the process "dies" at the rename of the new cache into place: every later step is skipped
    const realFs = createRequire(__filename)("node:fs") as typeof fs;
    const rename = realFs.renameSync;
    realFs.renameSync = ((from: fs.PathLike, to: fs.PathLike) => {
      if (String(to) === out && path.basename(String(from)).startsWith(".cifar10-tmp-")) throw new Error("killed");
      return rename(from, to);
    }) as typeof fs.renameSync;
    syncBuiltinESMExports();
    try {
      await expect(prepareFromOfficial(newer, out, { expectMd5: null, expectRecords: 4 })).rejects.toThrow("killed");
    } finally {
      realFs.renameSync = rename;
      syncBuiltinESMExports();
    }
    removeLeftovers(dir);
    const d = loadCifar10(out, 4);
    expect(d.train.images[0]).toBe(1);
    // and a replacement that completes leaves the new cache and nothing aside
    await prepareFromOfficial(newer, out, { expectMd5: null, expectRecords: 4 });
    expect(loadCifar10(out, 4).train.images[0]).toBe(2);
    expect(fs.readdirSync(dir).filter((n) => n.startsWith(".cifar10-"))).toEqual([]);
  });

  it("an old cache left aside by a killed run is put back when the cache is missing, removed when a new one is there", () => {
    const dir = tmp();
    const deadPid = 2 ** 22 + 12345; // above the default pid_max of 4,194,304: no process has it
    const aside = path.join(dir, `.cifar10-old-${deadPid}-cifar10`);
    fs.mkdirSync(aside);
    fs.writeFileSync(path.join(aside, TEST_FILE), "old");
    const logs: string[] = [];
    removeLeftovers(dir, (s) => logs.push(s));
    expect(fs.readFileSync(path.join(dir, "cifar10", TEST_FILE), "utf8")).toBe("old");
    expect(logs[0]).toMatch(/restored .*cifar10 from .*\.cifar10-old-/);
    fs.mkdirSync(aside);
    removeLeftovers(dir);
    expect(fs.readdirSync(dir)).toEqual(["cifar10"]);
  });
});
