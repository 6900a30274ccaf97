// scripts/import-onnx.ts on a wrong normalisation: a one-line error naming the flag, exit 2, nothing written.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
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
