// A run's input normalisation (TrainConfig inputNorm) beyond an imported teacher: a teacher trained here with
// --input-norm hands it to its students (else the student and the KD targets see inputs unlike the teacher's
// training, silently), and what re-evaluates a checkpoint later (reproduce, bn-check) normalises as its run did.
// Tiny runs (64 training images): this checks which normalisation is applied, not accuracy.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../src/backend/index.js";
import { channelStats, splitTrainVal } from "../../src/data/batches.js";
import { defaultDataDir, loadCifar10, type Cifar10 } from "../../src/data/cifar10.js";
import { evaluateInfer } from "../../src/infer/index.js";
import { checkpointAccuracy } from "../../src/report/accuracy.js";
import { modelFromCheckpoint } from "../../src/train/checkpoint.js";
import { readCheckpointFile } from "../../src/train/checkpoint-file.js";
import { DEFAULT_CONFIG, splitSeedOf } from "../../src/train/config.js";
import { disposeModel } from "../../src/train/model.js";
import { recordedRunNormalisation } from "../../src/train/tailor.js";
import { cifarTestBytes } from "../helpers/cifar-nchw.js";
import { runScript } from "../helpers/spawn.js";

const ROOT = path.resolve(__dirname, "..", "..");
const TRAIN = path.join(ROOT, "scripts", "train.ts");
const TINY = ["--limit-train", "64", "--limit-eval", "32", "--val-size", "64", "--eval-batch-size", "32", "--log-every", "1000"];
const ENV = { env: { OMP_NUM_THREADS: "1", TAILOR_NO_REEXEC: "1" } };
// not the train split's statistics (about 0.49,0.48,0.45 / 0.25,0.24,0.26), so that taking those instead shows
const NORM = [0.5, 0.5, 0.5, 0.25, 0.25, 0.25];
let dir = "";
let teacher = "";
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "tailor-input-norm-"));
  await cifarTestBytes(); // builds the CIFAR-10 cache on a fresh clone
  const out = path.join(dir, "teacher");
  const r = await runScript(TRAIN, ["--method", "teacher", "--net", "resnet8", "--epochs", "1", "--input-norm", NORM.join(","), ...TINY, "--out", out], ENV);
  expect(r.status, r.stderr.slice(-2000)).toBe(0);
  teacher = path.join(out, "best.ckpt");
}, 600_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("a teacher trained here with --input-norm", () => {
  it("its student normalises as it did (recorded in config and results.json) and says so", async () => {
    expect(readCheckpointFile(teacher).config.inputNorm).toEqual(NORM);
    const out = path.join(dir, "remover");
    const r = await runScript(TRAIN, ["--method", "remover", "--teacher", teacher, "--epochs", "4", "--every-epochs", "1", ...TINY, "--out", out], ENV);
    expect(r.status, r.stderr.slice(-2000)).toBe(0);
    const results = JSON.parse(fs.readFileSync(path.join(out, "results.json"), "utf8"));
    expect(results.config.inputNorm).toEqual(NORM);
    expect(results.normalisation).toEqual({ mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] });
    expect(readCheckpointFile(path.join(out, "best.ckpt")).config.inputNorm).toEqual(NORM);
    expect(r.stdout).toContain("input normalisation: the teacher's, mean 0.5000,0.5000,0.5000, std 0.2500,0.2500,0.2500 (its checkpoint's config");
  }, 600_000);

  it('--input-norm "" still asks for the train split\'s statistics, with a note naming the teacher\'s', async () => {
    const out = path.join(dir, "remover-split");
    const r = await runScript(TRAIN, ["--method", "remover", "--teacher", teacher, "--input-norm", "", "--epochs", "4", "--every-epochs", "1", ...TINY, "--out", out], ENV);
    expect(r.status, r.stderr.slice(-2000)).toBe(0);
    const results = JSON.parse(fs.readFileSync(path.join(out, "results.json"), "utf8"));
    expect(results.config.inputNorm).toEqual([]);
    expect(results.normalisation.mean[0]).not.toBe(0.5);
    expect(r.stdout).toContain(`note: --input-norm "" given; the teacher ${teacher} was trained with mean 0.5000,0.5000,0.5000, std 0.2500,0.2500,0.2500 (its checkpoint's config: it was trained with --input-norm)`);
  }, 600_000);
});

describe("re-evaluating a checkpoint normalises as its run did", () => {
  let data: Cifar10;
  beforeAll(async () => {
    await initBackend({ quiet: true });
    const all = loadCifar10(defaultDataDir());
    // the first 500 test images: enough for the two normalisations to score apart, quick on one thread
    data = { train: all.train, test: { images: all.test.images.subarray(0, 500 * 3072), labels: all.test.labels.subarray(0, 500), count: 500 } };
  }, 600_000);

  it("recordedRunNormalisation: the run's inputNorm; without one (every run before it, [] or no field), the split's statistics", () => {
    expect(recordedRunNormalisation({ ...DEFAULT_CONFIG, valSize: 64, inputNorm: NORM }, data)).toEqual({ mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] });
    // the split's statistics computed here, from the split itself
    const c = { ...DEFAULT_CONFIG, valSize: 64, splitSeed: 1 };
    const own = channelStats(data.train, splitTrainVal(data.train.count, 64, splitSeedOf(c)).train);
    expect(recordedRunNormalisation(c, data)).toEqual(own);
    const { inputNorm: _, ...old } = c; // a config recorded before the field existed
    expect(recordedRunNormalisation(old, data)).toEqual(own);
  });

  it("checkpointAccuracy (reproduce's evaluation) scores an --input-norm run as it was trained, not on the split's statistics", () => {
    const ck = readCheckpointFile(teacher);
    const m = modelFromCheckpoint(ck, teacher);
    const testIdx = Int32Array.from({ length: 500 }, (_, i) => i);
    const valIdx = splitTrainVal(data.train.count, ck.config.valSize, splitSeedOf(ck.config)).val;
    const at = (norm: { mean: [number, number, number]; std: [number, number, number] }) => {
      const v = evaluateInfer(m, data.train, valIdx, norm);
      const t = evaluateInfer(m, data.test, testIdx, norm);
      return [v.top1, v.top5, t.top1, t.top5];
    };
    const trained = at({ mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] });
    const split = at(channelStats(data.train, splitTrainVal(data.train.count, ck.config.valSize, splitSeedOf(ck.config)).train));
    disposeModel(m);
    expect(split).not.toEqual(trained); // else this test could not tell them apart
    const a = checkpointAccuracy("teacher", ck, teacher, data);
    expect([a.valTop1, a.valTop5, a.testTop1, a.testTop5]).toEqual(trained);
  }, 600_000);
});
