/**
 * The checkpoint header under a digest (issue 32, silent class 3): before it, one flipped bit in "epoch" of
 * last.ckpt made --resume retrain or skip epochs and exit 0, and swapped tensor names of one shape or edited skip
 * modes loaded without error. Every such edit is now an error naming the file; a header written before the digest
 * existed (format tailor-checkpoint-v2, no headerDigest field) still loads, as every committed checkpoint does.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../src/backend/index.js";
import { resnet8 } from "../src/net/index.js";
import { makeCheckpoint, type Checkpoint } from "../src/train/checkpoint.js";
import { readCheckpointFile, readCheckpointMeta, writeCheckpointFile } from "../src/train/checkpoint-file.js";
import { DEFAULT_CONFIG } from "../src/train/config.js";
import { createModel } from "../src/train/model.js";

const ROOT = path.resolve(__dirname, "..");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tailor-ckpt-header-"));
let ck: Checkpoint;

beforeAll(async () => {
  await initBackend({ quiet: true });
  const history = [0, 1].map((epoch) => ({ epoch, trainLoss: 2, valLoss: 1.5 - epoch / 10, valTop1: 0.3, valTop5: 0.8, skipModes: ["long", "long", "long"], lr: 0.1, seconds: 1, imagesPerSecond: 100 }));
  ck = makeCheckpoint(createModel(resnet8(), 1), null, { ...DEFAULT_CONFIG, epochs: 4 }, 1, history, { epoch: 1, valLoss: 1.4 }, { test: 1 });
});

/** the header's bytes and where they sit (bytes 8-11: their length; the data starts at the next multiple of 4) */
function splitFile(buf: Buffer): { json: string; data: Buffer } {
  const n = buf.readUInt32LE(8);
  return { json: buf.subarray(12, 12 + n).toString("utf8"), data: buf.subarray(Math.ceil((12 + n) / 4) * 4) };
}

/** Rewrite a checkpoint's header as an editor (or a bad merge) would: the data and every digest left as they are. */
function editHeader(file: string, edit: (h: Record<string, unknown>) => void): void {
  const { json, data } = splitFile(fs.readFileSync(file));
  const h = JSON.parse(json);
  edit(h);
  const text = Buffer.from(JSON.stringify(h), "utf8");
  const start = Math.ceil((12 + text.length) / 4) * 4;
  const out = Buffer.alloc(start + data.length);
  out.write("TAILORCK", 0, "latin1");
  out.writeUInt32LE(text.length, 8);
  text.copy(out, 12);
  data.copy(out, start);
  fs.writeFileSync(file, out);
}

function written(name: string): string {
  const file = path.join(tmp, name);
  writeCheckpointFile(file, ck);
  return file;
}

const loads = (file: string) => {
  readCheckpointMeta(file);
  return readCheckpointFile(file);
};

describe("the checkpoint header's digest", () => {
  it("a written checkpoint carries it and reads back to the same checkpoint", () => {
    const file = written("round-trip.ckpt");
    const header = JSON.parse(splitFile(fs.readFileSync(file)).json);
    expect(header.format).toBe("tailor-checkpoint-v3");
    expect(header.headerDigest).toMatch(/^[0-9a-f]{64}$/);
    const back = loads(file);
    expect(back.epoch).toBe(1);
    expect(back.net).toEqual(ck.net);
    expect(back.history).toEqual(ck.history);
    expect(Object.keys(back.params)).toEqual(Object.keys(ck.params));
    for (const k of Object.keys(ck.params)) expect(back.params[k].values).toEqual(ck.params[k].values);
    expect(Object.keys(readCheckpointMeta(file))).not.toContain("headerDigest");
  });

  it("one flipped bit in the epoch is an error naming the file (before: --resume retrained or skipped epochs)", () => {
    const file = written("flipped-epoch.ckpt");
    const buf = fs.readFileSync(file);
    const at = buf.indexOf('"epoch":1,"partial"') + '"epoch":'.length;
    expect(buf[at]).toBe("1".charCodeAt(0));
    buf[at] ^= 0x02; // "1" -> "3": still a valid header
    fs.writeFileSync(file, buf);
    expect(() => readCheckpointFile(file)).toThrow(new RegExp(`^${file}: header digest .*edited or corrupt checkpoint header`));
    expect(() => readCheckpointMeta(file)).toThrow(new RegExp(`^${file}: header digest`));
  });

  it("two tensor names of the same shape swapped in the tensor table are an error naming the file", () => {
    const file = written("swapped.ckpt");
    const a = "s0b0.u0.conv.weight";
    const b = "s0b0.u1.conv.weight";
    expect(ck.params[a].shape).toEqual(ck.params[b].shape);
    editHeader(file, (h) => {
      for (const t of h.tensors as { name: string }[]) t.name = t.name === a ? b : t.name === b ? a : t.name;
    });
    expect(() => loads(file)).toThrow(new RegExp(`^${file}: header digest`));
  });

  it("an edited skip mode is an error naming the file", () => {
    const file = written("skip-mode.ckpt");
    editHeader(file, (h) => {
      const blocks = (h.net as { blocks: { skip: string }[] }).blocks;
      expect(blocks[0].skip).toBe("long");
      blocks[0].skip = "removed";
    });
    expect(() => loads(file)).toThrow(new RegExp(`^${file}: header digest`));
  });

  it("a header of the new format without its digest is an error, not read as a legacy header", () => {
    const file = written("no-digest.ckpt");
    editHeader(file, (h) => {
      delete h.headerDigest;
    });
    expect(() => loads(file)).toThrow(new RegExp(`^${file}: .*no headerDigest`));
  });

  it("a header written before the digest existed (format v2, no headerDigest field) still loads", () => {
    const file = written("legacy.ckpt");
    editHeader(file, (h) => {
      h.format = "tailor-checkpoint-v2";
      delete h.headerDigest;
    });
    expect(loads(file).epoch).toBe(1);
    // but a v2 header with a headerDigest field is no header this project ever wrote
    editHeader(file, (h) => {
      h.headerDigest = "0".repeat(64);
    });
    expect(() => loads(file)).toThrow(new RegExp(`^${file}: `));
  });

  it("every committed checkpoint still loads (data/runs: binary best.ckpt and last.ckpt, the JSON format of resnet8-short)", () => {
    const files = execFileSync("git", ["ls-files", "data/runs"], { cwd: ROOT, encoding: "utf8" })
      .split("\n")
      .filter((f) => /\.ckpt(\.json)?$/.test(f));
    expect(files.some((f) => f.endsWith("best.ckpt.json"))).toBe(true);
    expect(files.some((f) => f.startsWith("data/runs/depth/") && f.endsWith("best.ckpt"))).toBe(true);
    for (const f of files) expect(() => loads(path.join(ROOT, f)), f).not.toThrow();
  }, 120_000);
});
