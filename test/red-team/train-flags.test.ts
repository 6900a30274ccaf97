/**
 * Red team, issue 32: every training flag is checked before anything is written. --val-size 50000 failed only after
 * files were written, --val-size 0 read as divergence, a huge --batch-size ended in "Invalid typed array length",
 * SkipRemover with too few epochs exited 0 with long skips left, --kd-ce/--kd-mse were accepted and ignored for a
 * teacher, and the temp files of a killed run stayed forever. The CLI probes need no CIFAR-10: they stop before it.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../src/backend/index.js";
import { resnet8 } from "../../src/net/index.js";
import { makeCheckpoint } from "../../src/train/checkpoint.js";
import { writeCheckpointFile } from "../../src/train/checkpoint-file.js";
import { ConfigError, DEFAULT_CONFIG, tailorEpochsNeeded, TRAIN_IMAGES, validateConfig } from "../../src/train/config.js";
import { createModel } from "../../src/train/model.js";
import { runScript } from "../helpers/spawn.js";

const ROOT = path.resolve(__dirname, "..", "..");
const NO_DATA = path.join(os.tmpdir(), "tailor-red-no-cifar");
const train = (...a: string[]) => runScript(path.join(ROOT, "scripts", "train.ts"), [...a, "--data", NO_DATA], { env: { TAILOR_NO_REEXEC: "1" } });
let tmp = "";
let teacher = "";

beforeAll(async () => {
  await initBackend({ quiet: true });
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tailor-red-flags-"));
  teacher = path.join(tmp, "teacher.ckpt");
  writeCheckpointFile(teacher, makeCheckpoint(createModel(resnet8(), 1), null, { ...DEFAULT_CONFIG, epochs: 1 }, 0, [], null, {}), { optimizer: false });
});

/** a one-line error (no stack trace) naming `flag`; the --out folder was not created */
async function refused(flag: string, args: string[], pattern: RegExp): Promise<string> {
  const out = path.join(tmp, `out-${Math.random().toString(36).slice(2)}`);
  const r = await train(...args, "--out", out);
  // a usage error exits 2, as in the other scripts (a run that failed exits 1)
  expect(r.status, r.stderr).toBe(2);
  const lines = r.stderr.trim().split("\n");
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0].startsWith(`error: ${flag}`), lines[0]).toBe(true);
  expect(lines[0]).toMatch(pattern);
  expect(fs.existsSync(out)).toBe(false);
  return lines[0];
}

describe("validateConfig: the validation split, the batch, Tailor's schedule", () => {
  it("valSize must leave training images and hold at least one", () => {
    expect(() => validateConfig({ ...DEFAULT_CONFIG, valSize: TRAIN_IMAGES })).toThrow(/^valSize: expected an integer from 1 to 49999/);
    expect(() => validateConfig({ ...DEFAULT_CONFIG, valSize: 0 })).toThrow(ConfigError);
    expect(() => validateConfig({ ...DEFAULT_CONFIG, valSize: TRAIN_IMAGES - 1, batchSize: 1 })).not.toThrow();
  });

  it("inputNorm: nothing (the split's statistics) or 6 numbers, means of pixel / 255 in [0, 1], stds above 0", () => {
    expect(() => validateConfig({ ...DEFAULT_CONFIG, inputNorm: [] })).not.toThrow();
    expect(() => validateConfig({ ...DEFAULT_CONFIG, inputNorm: [0.5, 0.5, 0.5, 0.5, 0.5, 0.5] })).not.toThrow();
    for (const bad of [[0.5, 0.5, 0.5], [123.7, 116.3, 103.5, 58.4, 57.1, 57.4], [0.5, 0.5, 0.5, 0.5, 0, 0.5], [0.5, 0.5, NaN, 0.5, 0.5, 0.5]]) {
      expect(() => validateConfig({ ...DEFAULT_CONFIG, inputNorm: bad })).toThrow(/^inputNorm: expected nothing \(the train split's statistics\) or 6 numbers/);
    }
  });

  it("batchSize at most the training images after the split and the limit", () => {
    expect(() => validateConfig({ ...DEFAULT_CONFIG, valSize: 10_000, batchSize: 40_000 })).not.toThrow();
    expect(() => validateConfig({ ...DEFAULT_CONFIG, valSize: 10_000, batchSize: 40_001 })).toThrow(/^batchSize: expected an integer from 1 to 40000/);
    expect(() => validateConfig({ ...DEFAULT_CONFIG, limitTrain: 64, batchSize: 65 })).toThrow(/^batchSize: expected an integer from 1 to 64 .*limitTrain 64/);
  });

  it("a Tailor run needs everyEpochs x skips + 1 epochs (ResNet-8: 3 skips; ResNet-20: 9)", () => {
    const remover = { ...DEFAULT_CONFIG, method: "remover" as const, teacher: "t" };
    // by hand: skip k is altered after epoch every*(k+1); the last of 3 skips at every 3 after epoch 9 (0-indexed),
    // so epochs 0..9 are needed: 10
    expect(tailorEpochsNeeded({ ...remover, everyEpochs: 3 })).toBe(10);
    expect(tailorEpochsNeeded({ ...remover, net: "resnet20", everyEpochs: 2 })).toBe(19);
    expect(tailorEpochsNeeded({ ...DEFAULT_CONFIG })).toBeNull();
    expect(() => validateConfig({ ...remover, epochs: 10 })).not.toThrow();
    expect(() => validateConfig({ ...remover, epochs: 9 })).toThrow(/^epochs: SkipRemover alters the 3 skips of resnet8 one every 3 epochs \(everyEpochs\), the last after epoch 9: it needs at least 10 epochs, got 9 \(give 10 epochs or more, or everyEpochs 2 or less\)/);
    expect(() => validateConfig({ ...remover, method: "shortener", form: "shortenable", net: "resnet20", epochs: 5, everyEpochs: 1 })).toThrow(/SkipShortener alters the 9 skips of resnet20 .* at least 10 epochs, got 5 .*at least 10 even with everyEpochs 1/);
    // the baselines alter nothing
    expect(() => validateConfig({ ...DEFAULT_CONFIG, method: "noskip", epochs: 1 })).not.toThrow();
  });
});

describe("train CLI: refused before anything is written", () => {
  it("--val-size 50000 and --val-size 0", async () => {
    await refused("--val-size", ["--val-size", "50000"], /expected an integer from 1 to 49999/);
    await refused("--val-size", ["--val-size", "0"], /got 0$/);
  });

  it("a huge --batch-size", async () => {
    await refused("--batch-size", ["--batch-size", "1000000000"], /expected an integer from 1 to 40000 .*got 1000000000/);
    await refused("--batch-size", ["--limit-train", "100", "--batch-size", "101"], /from 1 to 100 .*--limit-train 100/);
  });

  it("SkipRemover too short to alter every skip: names --epochs, the skips and --every-epochs", async () => {
    const line = await refused("--epochs", ["--method", "remover", "--teacher", teacher, "--epochs", "4"], /SkipRemover alters the 3 skips of resnet8 one every 3 epochs/);
    expect(line).toMatch(/it needs at least 10 epochs, got 4 \(give 10 epochs or more, or --every-epochs 1 or less\)/);
  });

  it("--kd-ce / --kd-mse for a teacher run name the flags", async () => {
    await refused("--kd-mse", ["--method", "teacher", "--kd-ce", "0.5", "--kd-mse", "0.5"], /^error: --kd-mse: method teacher trains without knowledge distillation, so --kd-mse 0\.5 and --kd-ce 0\.5 would be ignored \(the KD loss weights are for methods remover, shortener, policy, noskip-kd\)/);
    await refused("--kd-ce", ["--method", "noskip", "--kd-ce", "1"], /method noskip trains without knowledge distillation, so --kd-ce 1 would be ignored/);
  });
});

describe("validateConfig: KD weights", () => {
  it("a method without KD takes only the default weights (a campaign passes every field, a teacher's included)", () => {
    expect(() => validateConfig({ ...DEFAULT_CONFIG, method: "teacher" })).not.toThrow();
    expect(() => validateConfig({ ...DEFAULT_CONFIG, method: "teacher", kdMse: 0 })).toThrow(/^kdMse: method teacher trains without knowledge distillation, so kdMse 0 would be ignored/);
    expect(() => validateConfig({ ...DEFAULT_CONFIG, method: "noskip-kd", teacher: "t", kdMse: 0.5, kdCe: 0.5 })).not.toThrow();
  });
});

describe("temp files of a killed run", () => {
  it("are removed when the run restarts, and only the run's own", async () => {
    const out = path.join(tmp, "killed");
    fs.mkdirSync(out);
    const own = ["last.ckpt.4242.tmp", "best.ckpt.77.tmp", "results.json.9.tmp", "config.json.123.tmp"];
    const others = ["notes.4242.tmp", "last.ckpt.tmp", "mine.txt"];
    for (const f of [...own, ...others]) fs.writeFileSync(path.join(out, f), "half");
    const r = await train("--epochs", "1", "--out", out);
    // it got past the checks and the lock, then failed on the missing data
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/tailor-red-no-cifar/);
    for (const f of own) expect(r.stdout).toContain(`removed ${path.join(out, f)}`);
    expect(fs.readdirSync(out).sort()).toEqual([...others, "failed.json"].sort());
  });
});
