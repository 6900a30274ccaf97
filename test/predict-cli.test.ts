// scripts/predict.ts: --out naming the --input file (another spelling, a hard link) is refused and the input kept; another
// --out works. (A symbolic link as --out is refused by writeTargetProblem already.)
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { decodeNpy, encodeNpy } from "../src/util/npy.js";
import { runScript } from "./helpers/spawn.js";

const ROOT = path.resolve(__dirname, "..");
const CKPT = path.join(ROOT, "data", "runs", "depth", "resnet8", "teacher", "best.ckpt");

describe("predict --out", () => {
  it("the --input file itself, by name or through a hard link: an error, the images kept", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "predict-cli-"));
    const x = path.join(dir, "x.npy");
    const bytes = encodeNpy([2, 3, 32, 32], Float32Array.from({ length: 2 * 3072 }, (_, i) => Math.sin(i)));
    fs.writeFileSync(x, bytes);
    fs.linkSync(x, path.join(dir, "link.npy"));
    for (const out of [x, path.join(dir, "link.npy"), path.join(dir, ".", "x.npy")]) {
      const r = await runScript(path.join(ROOT, "scripts", "predict.ts"), ["--checkpoint", CKPT, "--input", x, "--out", out]);
      expect(r.stderr.trim(), out).toBe(`error: --out ${out}: is the --input file; give another file for the logits (the input is kept)`);
      expect(r.status, out).toBe(2);
      expect(Buffer.compare(fs.readFileSync(x), bytes), out).toBe(0);
    }
    const y = path.join(dir, "y.npy");
    const ok = await runScript(path.join(ROOT, "scripts", "predict.ts"), ["--checkpoint", CKPT, "--input", x, "--out", y]);
    expect(ok.status, ok.stderr).toBe(0);
    expect(decodeNpy(fs.readFileSync(y), y).shape).toEqual([2, 10]);
  }, 60_000);
});
