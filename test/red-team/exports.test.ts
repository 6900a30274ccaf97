/**
 * Red team, issue 32: an export writes only regular files. `export:qonnx --out` replaced whatever was at the path by
 * rename (a device node, a link) and hung on a path under /proc (node's recursive mkdir loops there); export:hls4ml
 * and predict --out wrote the same way. Each probe spawns the real CLI and checks what is left on disk.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { resnet8 } from "../../src/net/index.js";
import { makeCheckpoint } from "../../src/train/checkpoint.js";
import { writeCheckpointFile } from "../../src/train/checkpoint-file.js";
import { DEFAULT_CONFIG } from "../../src/train/config.js";
import { createModel } from "../../src/train/model.js";
import { initBackend } from "../../src/backend/index.js";
import { makeDirs, writeFileAtomic, WriteTargetError } from "../../src/util/fs.js";
import { encodeNpy } from "../../src/util/npy.js";
import { runScript } from "../helpers/spawn.js";

const ROOT = path.resolve(__dirname, "..", "..");
const script = (name: string) => path.join(ROOT, "scripts", `${name}.ts`);
let dir = "";
let ckpt = "";

beforeAll(async () => {
  await initBackend({ quiet: true });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "tailor-red-exports-"));
  ckpt = path.join(dir, "best.ckpt");
  writeCheckpointFile(ckpt, makeCheckpoint(createModel(resnet8(), 1), null, { ...DEFAULT_CONFIG, epochs: 1 }, 0, [], null, {}), { optimizer: false });
});

describe("writeFileAtomic refuses what is not a regular file", () => {
  it("a symlink is left pointing where it pointed, its target unchanged", () => {
    const target = path.join(dir, "precious.txt");
    fs.writeFileSync(target, "keep");
    const link = path.join(dir, "link.txt");
    fs.symlinkSync(target, link);
    expect(() => writeFileAtomic(link, "new")).toThrow(WriteTargetError);
    expect(() => writeFileAtomic(link, "new")).toThrow(/link\.txt: is a symbolic link; expected a regular file/);
    expect(fs.readlinkSync(link)).toBe(target);
    expect(fs.readFileSync(target, "utf8")).toBe("keep");
  });

  it("a device node, a folder and a path under /proc are refused; a regular file is replaced", () => {
    expect(() => writeFileAtomic("/dev/null", "x")).toThrow(/\/dev\/null: is a device node/);
    expect(() => writeFileAtomic(dir, "x")).toThrow(/is a directory/);
    const t0 = Date.now();
    expect(() => writeFileAtomic("/proc/nope/x.onnx", "x")).toThrow(/lies under \/proc, a kernel file system/);
    expect(Date.now() - t0).toBeLessThan(2000);
    const f = path.join(dir, "plain.txt");
    writeFileAtomic(f, "one");
    writeFileAtomic(f, "two");
    expect(fs.readFileSync(f, "utf8")).toBe("two");
    expect(fs.readdirSync(dir).filter((n) => n.endsWith(".tmp"))).toEqual([]);
  });

  it("makeDirs under /proc fails at once (node's recursive mkdir never returns there)", () => {
    expect(() => makeDirs("/proc/nope/deeper")).toThrow(/ENOENT/);
    const d = path.join(dir, "a", "b", "c");
    makeDirs(d);
    expect(fs.statSync(d).isDirectory()).toBe(true);
  });
});

describe("export:qonnx --out", () => {
  it("a symlink: error naming --out, the link and its target untouched", async () => {
    const target = path.join(dir, "other.onnx");
    fs.writeFileSync(target, "someone else's file");
    const link = path.join(dir, "qonnx-link.onnx");
    fs.symlinkSync(target, link);
    const r = await runScript(script("export-qonnx"), ["--checkpoint", ckpt, "--out", link]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe(`error: --out ${link}: is a symbolic link; expected a regular file or a new name (nothing was written)`);
    expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
    expect(fs.readFileSync(target, "utf8")).toBe("someone else's file");
  });

  it("a device node is refused", async () => {
    const r = await runScript(script("export-qonnx"), ["--checkpoint", ckpt, "--out", "/dev/null"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--out \/dev\/null: is a device node/);
  });

  it("/proc/nope/x.onnx fails fast with one line", async () => {
    const t0 = Date.now();
    const r = await runScript(script("export-qonnx"), ["--checkpoint", ckpt, "--out", "/proc/nope/x.onnx"]);
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe("error: --out /proc/nope/x.onnx: lies under /proc, a kernel file system; expected a path on a disk (nothing was written)");
  });

  it("a new name is written as a regular file", async () => {
    const out = path.join(dir, "sub", "model.onnx");
    const r = await runScript(script("export-qonnx"), ["--checkpoint", ckpt, "--out", out]);
    expect(r.status, r.stderr).toBe(0);
    expect(fs.lstatSync(out).isFile()).toBe(true);
    expect(fs.readdirSync(path.dirname(out))).toEqual(["model.onnx"]);
  });
});

describe("export:hls4ml --out and predict --out", () => {
  it("export:hls4ml: a dangling symlink is something there (not replaced), /proc is refused", async () => {
    const link = path.join(dir, "handoff-link");
    fs.symlinkSync(path.join(dir, "nowhere"), link);
    const r = await runScript(script("export-hls4ml"), ["--checkpoint", ckpt, "--out", link]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--out .*handoff-link: already exists \(a symbolic link\)/);
    expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
    const p = await runScript(script("export-hls4ml"), ["--checkpoint", ckpt, "--out", "/proc/nope/handoff"]);
    expect(p.status).toBe(2);
    expect(p.stderr).toMatch(/--out \/proc\/nope\/handoff: lies under \/proc/);
  });

  it("predict: a symlink --out is refused before anything is computed", async () => {
    const x = path.join(dir, "x.npy");
    fs.writeFileSync(x, encodeNpy([1, 3, 32, 32], new Float32Array(3 * 32 * 32)));
    const target = path.join(dir, "y-target.npy");
    fs.writeFileSync(target, "keep");
    const link = path.join(dir, "y-link.npy");
    fs.symlinkSync(target, link);
    const r = await runScript(script("predict"), ["--checkpoint", ckpt, "--input", x, "--out", link]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--out .*y-link\.npy: is a symbolic link/);
    expect(fs.readFileSync(target, "utf8")).toBe("keep");
  });
});
