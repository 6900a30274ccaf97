// A run's input normalisation (TrainConfig inputNorm) beyond an imported teacher: a teacher trained here with
// --input-norm hands it to its students (else the student and the KD targets see inputs unlike the teacher's
// training, silently), and what re-evaluates a checkpoint later (reproduce, bn-check) normalises as its run did.
// Tiny runs (64 training images): this checks which normalisation is applied, not accuracy.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readCheckpointFile } from "../../src/train/checkpoint-file.js";
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
    expect(r.stdout).toContain(`note: --input-norm "" given; the teacher ${teacher} was trained with mean 0.5000,0.5000,0.5000, std 0.2500,0.2500,0.2500 (its checkpoint's config)`);
  }, 600_000);
});
