// Tailor on an imported teacher: the PyTorch-made fixtures (test/fixtures/onnx/, scripts/make_onnx_fixtures.py) are
// imported with import:onnx and handed to `train --teacher` for a short SkipRemover and SkipShortener run on
// CIFAR-10 (the training set here; a network of another input shape would need its own data). Few images and epochs:
// this checks the path (import -> teacher check -> KD schedule -> every skip altered -> checkpoint and results), not
// accuracy.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readCheckpointFile } from "../src/train/checkpoint-file.js";
import { cifarTestBytes } from "./helpers/cifar-nchw.js";
import { runScript } from "./helpers/spawn.js";

const ROOT = path.resolve(__dirname, "..");
const FIXTURES = path.join(ROOT, "test", "fixtures", "onnx");
let dir = "";
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "tailor-imported-"));
  await cifarTestBytes(); // builds the CIFAR-10 cache on a fresh clone
}, 600_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const CASES = [
  { fixture: "resnet8-plain", method: "remover", mode: "removed", skips: 3 },
  { fixture: "resnet8-shortenable", method: "shortener", mode: "shortened", skips: 3 },
  { fixture: "resnet20", method: "remover", mode: "removed", skips: 9 },
];

describe("Tailor from an imported PyTorch teacher", () => {
  for (const c of CASES) {
    it(`${c.fixture}: import:onnx, then train --method ${c.method} --teacher: every skip ${c.mode}`, async () => {
      const imported = path.join(dir, `${c.fixture}-teacher`);
      const imp = await runScript(path.join(ROOT, "scripts", "import-onnx.ts"), ["--model", path.join(FIXTURES, `${c.fixture}.onnx`), "--out", imported, "--mean", "0.4914,0.4822,0.4465", "--std", "0.247,0.2435,0.2616"]);
      expect(imp.status, imp.stderr).toBe(0);
      const out = path.join(dir, `${c.fixture}-${c.method}`);
      // one skip altered per epoch, then one epoch of fine-tuning
      const epochs = String(c.skips + 1);
      const r = await runScript(
        path.join(ROOT, "scripts", "train.ts"),
        ["--method", c.method, "--teacher", path.join(imported, "best.ckpt"), "--epochs", epochs, "--every-epochs", "1", "--limit-train", "64", "--limit-eval", "32", "--val-size", "64", "--eval-batch-size", "32", "--log-every", "1000", "--out", out],
        { env: { OMP_NUM_THREADS: "1", TAILOR_NO_REEXEC: "1" } },
      );
      expect(r.status, r.stderr.slice(-2000)).toBe(0);
      const results = JSON.parse(fs.readFileSync(path.join(out, "results.json"), "utf8"));
      expect(results.skipModes).toEqual(Array(c.skips).fill(c.mode));
      const student = readCheckpointFile(path.join(out, "best.ckpt"));
      const teacher = readCheckpointFile(path.join(imported, "best.ckpt"));
      expect(student.net.blocks.map((b) => b.skip)).toEqual(Array(c.skips).fill(c.mode));
      expect(student.net.blocks.map((b) => b.form)).toEqual(teacher.net.blocks.map((b) => b.form));
      expect(student.config.teacher).toBe(path.join(imported, "best.ckpt"));
      // the run normalises as the teacher was trained (the import's --mean/--std above), records it in its config
      // and results.json (what the exports read), and says so
      expect(results.normalisation).toEqual({ mean: [0.4914, 0.4822, 0.4465], std: [0.247, 0.2435, 0.2616] });
      expect(student.config.inputNorm).toEqual([0.4914, 0.4822, 0.4465, 0.247, 0.2435, 0.2616]);
      expect(r.stdout).toContain("input normalisation: the teacher's, mean 0.4914,0.4822,0.4465, std 0.2470,0.2435,0.2616 (its checkpoint's config, as its import recorded (--mean/--std)");
      if (c.fixture !== "resnet8-plain") return;
      // --input-norm "" asks for the train split's own statistics instead: applied, and the difference said
      const own = path.join(dir, `${c.fixture}-${c.method}-split-norm`);
      const r2 = await runScript(
        path.join(ROOT, "scripts", "train.ts"),
        ["--method", c.method, "--teacher", path.join(imported, "best.ckpt"), "--input-norm", "", "--epochs", epochs, "--every-epochs", "1", "--limit-train", "64", "--limit-eval", "32", "--val-size", "64", "--eval-batch-size", "32", "--log-every", "1000", "--out", own],
        { env: { OMP_NUM_THREADS: "1", TAILOR_NO_REEXEC: "1" } },
      );
      expect(r2.status, r2.stderr.slice(-2000)).toBe(0);
      const results2 = JSON.parse(fs.readFileSync(path.join(own, "results.json"), "utf8"));
      expect(results2.normalisation.mean).not.toEqual(results.normalisation.mean);
      expect(r2.stdout).toContain(`note: --input-norm "" given; the teacher ${path.join(imported, "best.ckpt")} was imported with mean 0.4914,0.4822,0.4465, std 0.2470,0.2435,0.2616`);
      // the import's best.ckpt copied out of its folder (away from config.json) carries the normalisation itself
      expect(teacher.config.inputNorm).toEqual([0.4914, 0.4822, 0.4465, 0.247, 0.2435, 0.2616]);
      const alone = path.join(dir, `${c.fixture}-alone.ckpt`);
      fs.copyFileSync(path.join(imported, "best.ckpt"), alone);
      const fromAlone = path.join(dir, `${c.fixture}-${c.method}-alone`);
      const r3 = await runScript(
        path.join(ROOT, "scripts", "train.ts"),
        ["--method", c.method, "--teacher", alone, "--epochs", epochs, "--every-epochs", "1", "--limit-train", "64", "--limit-eval", "32", "--val-size", "64", "--eval-batch-size", "32", "--log-every", "1000", "--out", fromAlone],
        { env: { OMP_NUM_THREADS: "1", TAILOR_NO_REEXEC: "1" } },
      );
      expect(r3.status, r3.stderr.slice(-2000)).toBe(0);
      expect(JSON.parse(fs.readFileSync(path.join(fromAlone, "results.json"), "utf8")).normalisation).toEqual(results.normalisation);
      expect(r3.stdout).toContain("input normalisation: the teacher's, mean 0.4914,0.4822,0.4465, std 0.2470,0.2435,0.2616 (its checkpoint's config, as its import recorded (--mean/--std)");
    }, 600_000);
  }
});
