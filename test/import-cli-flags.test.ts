// scripts/import-onnx.ts on a wrong normalisation: a one-line error naming the flag, exit 2, nothing written. The train
// command it prints for a quantised network is one train.ts accepts.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { exportQonnx } from "../src/export/qonnx.js";
import { readCheckpointFile } from "../src/train/checkpoint-file.js";
import { runScript } from "./helpers/spawn.js";

const ROOT = path.resolve(__dirname, "..");
const MODEL = path.join(ROOT, "test", "fixtures", "onnx", "resnet8-plain.onnx");

describe("import:onnx --mean / --std", () => {
  it("a mean of 0-255 pixel values (ImageNet's 123.675 ...) is refused: the normalisation is (pixel / 255 - mean) / std", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "import-flags-"));
    const cases: [string[], RegExp][] = [
      [["--mean", "123.675,116.28,103.53", "--std", "58.395,57.12,57.375"], /^error: --mean 123.675,116.28,103.53: expected means of pixel \/ 255, each in \[0, 1\]/],
      [["--mean", "0.5,-0.1,0.5", "--std", "0.5,0.5,0.5"], /^error: --mean 0.5,-0.1,0.5: expected means of pixel \/ 255, each in \[0, 1\]/],
      [["--mean", "0.5,0.5", "--std", "0.5,0.5,0.5"], /^error: --mean 0.5,0.5: expected three numbers r,g,b/],
      [["--mean", "0.5,0.5,0.5", "--std", "0.5,0,0.5"], /^error: --std 0.5,0,0.5: expected three positive numbers r,g,b/],
      [["--mean", "0.5,0.5,0.5"], /^error: --mean and --std go together/],
    ];
    for (const [flags, expected] of cases) {
      const out = path.join(dir, "out");
      const r = await runScript(path.join(ROOT, "scripts", "import-onnx.ts"), ["--model", MODEL, "--out", out, ...flags]);
      expect(r.stderr.trim(), flags.join(" ")).toMatch(expected);
      expect(r.status, flags.join(" ")).toBe(2);
      expect(fs.existsSync(out), flags.join(" ")).toBe(false);
    }
    // the bounds themselves are accepted: mean 0 and std 1 leave pixel / 255 as it is
    const ok = await runScript(path.join(ROOT, "scripts", "import-onnx.ts"), ["--model", MODEL, "--out", path.join(dir, "ok"), "--mean", "0,0,1", "--std", "1,1,1"]);
    expect(ok.status, ok.stderr).toBe(0);
    expect(JSON.parse(fs.readFileSync(path.join(dir, "ok", "config.json"), "utf8")).imported.normalisation).toEqual({ mean: [0, 0, 1], std: [1, 1, 1] });
  }, 60_000);
});

describe("import:onnx's train command", () => {
  it("a quantised network: the command carries its --quant-* flags, and train.ts takes it (it refused the bare one)", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "import-train-"));
    const file = path.join(dir, "w4.qcdq.onnx");
    fs.writeFileSync(file, exportQonnx(readCheckpointFile(path.join(ROOT, "data", "runs", "depth", "resnet8", "qat4-teacher", "best.ckpt")), { format: "qcdq" }).bytes);
    const r = await runScript(path.join(ROOT, "scripts", "import-onnx.ts"), ["--model", file, "--out", path.join(dir, "imp")]);
    expect(r.status, r.stderr).toBe(0);
    const command = r.stdout.match(/npm run train -- .*$/m)![0];
    expect(command).toMatch(/ --quant-weight-bits 4 --quant-act-bits 4 --quant-edge-bits 8$/);
    // train.ts checks the teacher and the flags before it reads the data: a missing data file is the first error past them
    const noData = path.join(dir, "no-cifar");
    const flags = command.replace(/^npm run train -- /, "").split(" ");
    const t = await runScript(path.join(ROOT, "scripts", "train.ts"), [...flags, "--out", path.join(dir, "run"), "--data", noData], { env: { TAILOR_NO_REEXEC: "1" } });
    expect(t.stderr).toContain(`${path.join(noData, "data_batch_1.bin")}: missing`);
    const bare = command.replace(/ --quant-.*$/, "").replace(/^npm run train -- /, "").split(" ");
    const b = await runScript(path.join(ROOT, "scripts", "train.ts"), [...bare, "--out", path.join(dir, "run2"), "--data", noData], { env: { TAILOR_NO_REEXEC: "1" } });
    expect(b.stderr).toMatch(/the teacher was trained w4a4 \(edges 8\), this run is float/);
  }, 120_000);
});
