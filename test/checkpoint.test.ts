/**
 * Checkpoint files (issues 15 and 16): the binary format against the first JSON format, the checks of values on load
 * and before writing, the commit routine of last and best (a crash between the two writes, a stale best), and the
 * comparison of a resumed run's config with the checkpoint's.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../src/backend/index.js";
import { modelFromCheckpoint, type Checkpoint } from "../src/train/checkpoint.js";
import { decodeCheckpoint, encodeCheckpoint, modelDigest, readCheckpointFile, readCheckpointMeta, writeCheckpointFile } from "../src/train/checkpoint-file.js";
import { DEFAULT_CONFIG, type TrainConfig } from "../src/train/config.js";
import { describeConfigMismatch } from "../src/train/config-compare.js";
import { CheckpointCommitter, verifyBestOnResume } from "../src/train/run-folder.js";
import { runToEndAsync, startTailor, type TailorData } from "../src/train/tailor.js";
import { Rng } from "../src/util/random.js";
import { syntheticImages } from "./helpers/synthetic-cifar.js";

const ROOT = path.resolve(__dirname, "..");
const COMMITTED = path.join(ROOT, "data", "runs", "resnet8-short", "teacher", "best.ckpt.json");

const data: TailorData = { train: syntheticImages(64, 1), test: syntheticImages(16, 2) };
const config: TrainConfig = { ...DEFAULT_CONFIG, epochs: 3, batchSize: 16, valSize: 16, logEvery: 1000, lrMilestones: [2] };
const tmpdir = () => fs.mkdtempSync(path.join(os.tmpdir(), "tailor-ckpt-"));

/** the checkpoints of a 3-epoch run, in memory, with whether each epoch was the best */
let epochs: { c: Checkpoint; isBest: boolean }[] = [];

beforeAll(async () => {
  await initBackend({ quiet: true });
  await runToEndAsync(startTailor({ config, data, env: { test: 1 }, onEpoch: (_r, c, isBest) => epochs.push({ c: c(), isBest }) }));
  // make the last epoch not the best and an earlier one the best, whatever the random data did
  epochs = epochs.map((e, i) => ({ c: { ...e.c, best: { epoch: i === 2 ? 1 : i, valLoss: 1 } }, isBest: i < 2 }));
}, 120_000);

describe("binary checkpoints", () => {
  it("the committed JSON checkpoints still load, and the binary form holds exactly the same values in fewer bytes", () => {
    const json = readCheckpointFile(COMMITTED);
    expect(json.net.name).toBe("resnet8");
    const { bytes } = encodeCheckpoint(json);
    const bin = decodeCheckpoint(bytes, "x.ckpt");
    for (const g of ["params", "stats", "optimizer"] as const) {
      expect(Object.keys(bin[g])).toEqual(Object.keys(json[g]));
      for (const k of Object.keys(json[g])) expect(Array.from(bin[g][k].values)).toEqual(Array.from(json[g][k].values));
    }
    expect(bin.history).toEqual(json.history);
    expect(modelDigest(bin)).toBe(modelDigest(json));
    expect(bytes.length).toBeLessThan(0.8 * fs.statSync(COMMITTED).size);
    // a model built from either form computes the same
    const a = modelFromCheckpoint(json, COMMITTED);
    const b = modelFromCheckpoint(bin, "x.ckpt");
    expect(Array.from(b.params.get("head.fc.weight")!.dataSync())).toEqual(Array.from(a.params.get("head.fc.weight")!.dataSync()));
  });

  it("a corrupt or truncated file is an error naming it", () => {
    const { bytes } = encodeCheckpoint(epochs[0].c);
    const flipped = Buffer.from(bytes);
    flipped[flipped.length - 5] ^= 0x40;
    expect(() => decodeCheckpoint(flipped, "run/last.ckpt")).toThrow(/run\/last.ckpt: data digest .* differs .*corrupt checkpoint/);
    expect(() => decodeCheckpoint(bytes.subarray(0, bytes.length - 8), "run/last.ckpt")).toThrow(/run\/last.ckpt: .* data bytes, the header lists .*truncated or corrupt/);
    expect(() => decodeCheckpoint(bytes.subarray(0, 40), "run/last.ckpt")).toThrow(/run\/last.ckpt: header of \d+ bytes runs past the end/);
    expect(() => readCheckpointFile(path.join(ROOT, "data"))).toThrow(/data: is a directory, expected a checkpoint file/);
    // the header-only reader (cost, policy) said "EISDIR: illegal operation on a directory, read", naming nothing
    expect(() => readCheckpointMeta(path.join(ROOT, "data"))).toThrow(/data: is a directory, expected a checkpoint file/);
    expect(() => readCheckpointMeta(path.join(ROOT, "no-such.ckpt"))).toThrow(/no-such.ckpt: checkpoint not found/);
  });

  it("an ONNX file given as a checkpoint says to import it first (it said: not valid JSON)", () => {
    const onnx = path.join(ROOT, "test", "fixtures", "onnx", "resnet8-plain.onnx");
    const importFirst = /resnet8-plain.onnx: an ONNX model, not a tailor-ts checkpoint; import it first \(npm run import:onnx -- --model .*resnet8-plain.onnx --out DIR\)/;
    expect(() => readCheckpointFile(onnx)).toThrow(importFirst);
    expect(() => readCheckpointMeta(onnx)).toThrow(importFirst);
    // recognised by its bytes under another name too; a JSON text that is no checkpoint keeps the JSON error
    expect(() => decodeCheckpoint(fs.readFileSync(onnx), "teacher.ckpt")).toThrow(/teacher.ckpt: an ONNX model, not a tailor-ts checkpoint/);
    expect(() => decodeCheckpoint(Buffer.from("[1, 2"), "teacher.ckpt")).toThrow(/teacher.ckpt: not valid JSON .*corrupt or truncated checkpoint/);
  });

  it("NaN, Inf or a negative BN variance is an error naming the file and tensor, on load and before writing (the old file stays)", () => {
    const dir = tmpdir();
    const file = path.join(dir, "last.ckpt");
    writeCheckpointFile(file, epochs[0].c);
    const before = fs.readFileSync(file);
    const withValue = (group: "params" | "stats" | "optimizer", name: string, v: number): Checkpoint => {
      const c = decodeCheckpoint(before, "copy");
      const values = c[group][name].values.slice();
      values[3] = v;
      return { ...c, [group]: { ...c[group], [name]: { shape: c[group][name].shape, values } } };
    };
    const nan = withValue("params", "stem0.conv.weight", NaN);
    expect(() => writeCheckpointFile(file, nan)).toThrow(new RegExp(`${file}: weight "stem0\\.conv\\.weight" holds NaN at index 3`));
    expect(fs.readFileSync(file).equals(before)).toBe(true);
    // a file that holds one (written by an older version, or damaged in memory before its digest was taken)
    expect(() => decodeCheckpoint(encodeCheckpoint(nan).bytes, "teacher/best.ckpt")).toThrow(/teacher\/best.ckpt: weight "stem0\.conv\.weight" holds NaN at index 3/);
    const inf = withValue("optimizer", Object.keys(epochs[0].c.optimizer)[0], Infinity);
    expect(() => decodeCheckpoint(encodeCheckpoint(inf).bytes, "f")).toThrow(/f: optimiser buffer ".*" holds Infinity at index 3/);
    const variance = Object.keys(epochs[0].c.stats).find((k) => k.endsWith(".variance"))!;
    expect(() => decodeCheckpoint(encodeCheckpoint(withValue("stats", variance, -0.5)).bytes, "f")).toThrow(new RegExp(`f: BN statistic "${variance.replace(/\./g, "\\.")}" holds a negative variance \\(-0.5\\)`));
  });
});

describe("the checkpoint-commit routine", () => {
  function commitAll(dir: string, upTo = epochs.length) {
    const k = new CheckpointCommitter(dir);
    for (const e of epochs.slice(0, upTo)) k.commit(structuredClone(e.c), e.isBest);
    return k;
  }

  it("writes last (with optimiser state) and best (without), and last records the best's epoch and model digest", () => {
    const dir = tmpdir();
    const k = commitAll(dir);
    const last = readCheckpointFile(path.join(dir, "last.ckpt"));
    const best = readCheckpointFile(path.join(dir, "best.ckpt"));
    expect(last.epoch).toBe(2);
    expect(best.epoch).toBe(1);
    expect(Object.keys(best.optimizer)).toHaveLength(0);
    expect(last.best).toEqual({ epoch: 1, valLoss: 1, digest: modelDigest(epochs[1].c) });
    expect(readCheckpointMeta(path.join(dir, "best.ckpt")).modelDigest).toBe(modelDigest(epochs[1].c));
    expect(k.bestFile(last.best)).toBe(path.join(dir, "best.ckpt"));
    expect(verifyBestOnResume(dir, last)).toBeNull();
  });

  it("a crash between the writes of a best epoch (last new, best old) is repaired on resume from the last checkpoint", () => {
    const dir = tmpdir();
    commitAll(dir, 1);
    const oldBest = fs.readFileSync(path.join(dir, "best.ckpt"));
    commitAll(dir, 2); // epoch 1 is a new best ...
    fs.writeFileSync(path.join(dir, "best.ckpt"), oldBest); // ... but the process died before best.ckpt was renamed
    const last = readCheckpointFile(path.join(dir, "last.ckpt"));
    expect(verifyBestOnResume(dir, last)).toMatch(/holds epoch 1 .* recorded its best as epoch 2 .*rebuilt .*best.ckpt from the last checkpoint/);
    expect(modelDigest(readCheckpointFile(path.join(dir, "best.ckpt")))).toBe(modelDigest(epochs[1].c));
  });

  it("a stale best checkpoint (issue 16: an older best copied over) is an error naming the file, never used", () => {
    const dir = tmpdir();
    commitAll(dir, 1);
    const oldBest = fs.readFileSync(path.join(dir, "best.ckpt"));
    const k = commitAll(dir, 3);
    fs.writeFileSync(path.join(dir, "best.ckpt"), oldBest);
    const last = readCheckpointFile(path.join(dir, "last.ckpt"));
    expect(() => verifyBestOnResume(dir, last)).toThrow(new RegExp(`${dir}/best.ckpt: holds epoch 1 .* recorded its best as epoch 2 .*stale or foreign best checkpoint`));
    expect(() => k.bestFile(last.best)).toThrow(/stale or foreign best checkpoint/);
  });
});

describe("resume config check", () => {
  const saved = { ...config, method: "remover" as const, teacher: "runs/t/best.ckpt", teacherBn: "batch" as const };

  it("names every field that changes the result, with its flag", () => {
    expect(describeConfigMismatch(saved, saved, "f")).toBeNull();
    expect(describeConfigMismatch(saved, { ...saved, logEvery: 7 }, "f")).toBeNull();
    for (const [k, v] of [
      ["lr", 0.2],
      ["limitTrain", 100],
      ["limitEval", 100],
      ["epochs", 9],
      ["teacherBn", "running"],
      ["teacher", "runs/other/best.ckpt"],
      ["kdMse", 0.5],
      ["lrMilestones", [3]],
      ["valSize", 10000],
      ["net", "resnet20"],
    ] as const) {
      const msg = describeConfigMismatch(saved, { ...saved, [k]: v }, "run/last.ckpt");
      expect(msg).toMatch(new RegExp(`^run/last.ckpt: the checkpoint was trained with a different config: ${k} \\(--[a-z-]+\\) was `));
    }
    expect(describeConfigMismatch(saved, { ...saved, lr: 0.2, epochs: 9 }, "f")).toMatch(/epochs \(--epochs\) was 3, this run has 9; lr \(--lr\) was 0.1, this run has 0.2/);
  });

  it("a checkpoint from before teacherBn existed ran with running statistics", () => {
    const { teacherBn: _t, ...old } = saved;
    expect(describeConfigMismatch(old, { ...saved, teacherBn: "running" }, "f")).toBeNull();
    expect(describeConfigMismatch(old, saved, "f")).toMatch(/teacherBn \(--teacher-bn\) was running, this run has batch/);
  });
});

describe("a model built from a checkpoint owns its arrays", () => {
  it("training one model (the native optimiser updates in place) changes neither the checkpoint nor a second model built from it", async () => {
    const { createModel } = await import("../src/train/model.js");
    const { makeCheckpoint, restoreOptimizer } = await import("../src/train/checkpoint.js");
    const { Sgd } = await import("../src/train/optimizer.js");
    const { trainStep } = await import("../src/train/step.js");
    const { resnet8 } = await import("../src/net/index.js");
    const src = createModel(resnet8(), 3);
    const warm = new Sgd({ lr: 0.1, momentum: 0.9, weightDecay: 1e-4, nesterov: true });
    const r = new Rng(4);
    const batch = { x: Float32Array.from({ length: 8 * 3072 }, () => r.normal()), labels: Int32Array.from({ length: 8 }, (_, i) => i), n: 8 };
    trainStep(src, warm, batch, 0.1); // momentum buffers to restore
    const ck = makeCheckpoint(src, warm, config, 0, [], null, {});
    const name = "stem0.conv.weight";
    const before = { w: ck.params[name].values.slice(), m: ck.optimizer[name].values.slice(), s: ck.stats["stem0.bn.mean"].values.slice() };
    const a = modelFromCheckpoint(ck, "ck");
    const b = modelFromCheckpoint(ck, "ck");
    const opt = new Sgd({ lr: 0.1, momentum: 0.9, weightDecay: 1e-4, nesterov: true });
    restoreOptimizer(opt, ck, "ck");
    trainStep(a, opt, batch, 0.1);
    expect(Array.from(a.params.get(name)!.dataSync())).not.toEqual(Array.from(before.w));
    expect(ck.params[name].values).toEqual(before.w);
    expect(ck.optimizer[name].values).toEqual(before.m);
    expect(ck.stats["stem0.bn.mean"].values).toEqual(before.s);
    expect(Float32Array.from(b.params.get(name)!.dataSync())).toEqual(before.w);
  });
});
