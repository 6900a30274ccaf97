// scripts/predict.ts: --out naming the --input file (another spelling, a hard link) is refused and the input kept; another
// --out works. (A symbolic link as --out is refused by writeTargetProblem already.) --cifar10-test against the run's own
// recorded test accuracy, --onnx against ONNX Runtime run here.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import * as ort from "onnxruntime-node";
import { decodeNpy, encodeNpy } from "../src/util/npy.js";
import { cifarNchw, cifarTestBytes } from "./helpers/cifar-nchw.js";
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

const PREDICT = path.join(ROOT, "scripts", "predict.ts");

describe("predict --cifar10-test and --onnx", () => {
  it("a committed run: top-1 and top-5 on the 10,000 test images are the ones its training recorded (within 5 images)", async () => {
    await cifarTestBytes();
    const r = await runScript(PREDICT, ["--checkpoint", CKPT, "--cifar10-test"], { env: { OMP_NUM_THREADS: "1" } });
    expect(r.status, r.stderr).toBe(0);
    const test = JSON.parse(fs.readFileSync(path.join(path.dirname(CKPT), "results.json"), "utf8")).best.test;
    const m = r.stdout.match(/CIFAR-10 test, first 10000 images, normalised with .*results.json\): top-1 ([\d.]+)%, top-5 ([\d.]+)%/);
    expect(m, r.stdout).not.toBeNull();
    // the project's rule for a re-evaluation (reproduce): within 5 of the 10,000 images of training's record
    expect(Math.abs(Number(m![1]) * 100 - test.top1 * 10_000)).toBeLessThanOrEqual(5);
    expect(Math.abs(Number(m![2]) * 100 - test.top5 * 10_000)).toBeLessThanOrEqual(5);
  }, 120_000);

  it("an imported PyTorch file: the logits it writes and the difference it prints agree with ONNX Runtime run here", async () => {
    const bytes = await cifarTestBytes();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "predict-onnx-"));
    const model = path.join(ROOT, "test", "fixtures", "onnx", "resnet8-plain.onnx");
    const norm = { mean: [0.4914, 0.4822, 0.4465] as [number, number, number], std: [0.247, 0.2435, 0.2616] as [number, number, number] };
    const imp = await runScript(path.join(ROOT, "scripts", "import-onnx.ts"), ["--model", model, "--out", path.join(dir, "imp"), "--mean", norm.mean.join(","), "--std", norm.std.join(",")]);
    expect(imp.status, imp.stderr).toBe(0);
    const ckpt = path.join(dir, "imp", "best.ckpt");
    const n = 300;
    const y = path.join(dir, "y.npy");
    const r = await runScript(PREDICT, ["--checkpoint", ckpt, "--cifar10-test", "--images", String(n), "--onnx", model, "--out", y], { env: { OMP_NUM_THREADS: "1" } });
    expect(r.status, r.stderr).toBe(0);
    // ONNX Runtime here, on the images normalised by the test helper (not the script's code)
    const { x, labels } = cifarNchw(bytes, n, norm);
    // as the script runs it: graph optimisations off (each op as the file says; fused ops round differently)
    const s = await ort.InferenceSession.create(model, { graphOptimizationLevel: "disabled" });
    const theirs = (await s.run({ [s.inputNames[0]]: new ort.Tensor("float32", x, [n, 3, 32, 32]) }))[s.outputNames[0]].data as Float32Array;
    const ours = decodeNpy(fs.readFileSync(y), y).data;
    const maxAbs = ours.reduce((a, v, i) => Math.max(a, Math.abs(v - theirs[i])), 0);
    expect(maxAbs).toBeLessThan(1e-4);
    const argmax = (v: Float32Array, i: number) => Array.from(v.subarray(i * 10, i * 10 + 10)).reduce((b, u, c, a) => (u > a[b] ? c : b), 0);
    const agree = Array.from({ length: n }, (_, i) => argmax(ours, i) === argmax(theirs, i)).filter(Boolean).length;
    const ortTop1 = Array.from({ length: n }, (_, i) => argmax(theirs, i) === labels[i]).filter(Boolean).length;
    expect(r.stdout).toContain(`largest |logit difference| ${maxAbs.toExponential(2)}, top-1 class the same on ${agree} of ${n} images; ONNX Runtime's top-1 ${((100 * ortTop1) / n).toFixed(2)}%`);
  }, 120_000);

  it("a best.ckpt copied away from its folder still normalises as it was trained: a run's from its train split, an import's from its own config", async () => {
    await cifarTestBytes();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "predict-alone-"));
    const alone = path.join(dir, "run.ckpt");
    fs.copyFileSync(CKPT, alone);
    const r = await runScript(PREDICT, ["--checkpoint", alone, "--cifar10-test"], { env: { OMP_NUM_THREADS: "1" } });
    expect(r.status, r.stderr).toBe(0);
    const recorded = JSON.parse(fs.readFileSync(path.join(path.dirname(CKPT), "results.json"), "utf8"));
    const norm = recorded.normalisation as { mean: number[]; std: number[] };
    // the statistics printed are the ones results.json recorded (4 decimals), and so is the top-1 (within 5 images)
    const text = `mean ${norm.mean.map((v) => v.toFixed(4)).join(",")}, std ${norm.std.map((v) => v.toFixed(4)).join(",")}`;
    expect(r.stdout).toContain(`normalised with ${text} (no results.json beside the checkpoint: its train split's statistics, computed again from`);
    const m = r.stdout.match(/top-1 ([\d.]+)%/);
    expect(Math.abs(Number(m![1]) * 100 - recorded.best.test.top1 * 10_000)).toBeLessThanOrEqual(5);

    // an import's best.ckpt carries the --mean/--std it was imported with
    const model = path.join(ROOT, "test", "fixtures", "onnx", "resnet8-plain.onnx");
    const imp = await runScript(path.join(ROOT, "scripts", "import-onnx.ts"), ["--model", model, "--out", path.join(dir, "imp"), "--mean", "0.5,0.5,0.5", "--std", "0.25,0.25,0.25"]);
    expect(imp.status, imp.stderr).toBe(0);
    const inFolder = await runScript(PREDICT, ["--checkpoint", path.join(dir, "imp", "best.ckpt"), "--cifar10-test", "--images", "200"], { env: { OMP_NUM_THREADS: "1" } });
    fs.copyFileSync(path.join(dir, "imp", "best.ckpt"), path.join(dir, "imp.ckpt"));
    const out = await runScript(PREDICT, ["--checkpoint", path.join(dir, "imp.ckpt"), "--cifar10-test", "--images", "200"], { env: { OMP_NUM_THREADS: "1" } });
    expect(out.status, out.stderr).toBe(0);
    expect(out.stdout).toContain(`normalised with mean 0.5000,0.5000,0.5000, std 0.2500,0.2500,0.2500 (${path.join(dir, "imp.ckpt")}'s config)`);
    expect(out.stdout.match(/top-1 [\d.]+%, top-5 [\d.]+%/)![0]).toBe(inFolder.stdout.match(/top-1 [\d.]+%, top-5 [\d.]+%/)![0]);
  }, 180_000);

  it("--onnx with another network of the same shapes: the disagreement is an error, exit 1", async () => {
    await cifarTestBytes();
    const other = path.join(ROOT, "test", "fixtures", "onnx", "resnet8-plain.onnx");
    const r = await runScript(PREDICT, ["--checkpoint", CKPT, "--cifar10-test", "--images", "200", "--onnx", other], { env: { OMP_NUM_THREADS: "1" } });
    expect(r.stderr.trim()).toMatch(/^error: --onnx .*resnet8-plain.onnx: the top-1 class differs from the checkpoint's on \d+ of 200 images \(at most 1% may, from quantiser rounding ties\): not the same network, or not the same weights\?$/);
    expect(r.status).toBe(1);
  }, 120_000);

  it("bad input: a clear error naming the flag or file, exit 2, nothing written", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "predict-bad-"));
    const noNorm = path.join(dir, "imp");
    fs.mkdirSync(noNorm);
    fs.copyFileSync(CKPT, path.join(noNorm, "best.ckpt"));
    fs.writeFileSync(path.join(noNorm, "config.json"), JSON.stringify({ imported: { normalisation: null } }));
    const y = path.join(dir, "y.npy");
    const cases: [string[], RegExp][] = [
      [["--checkpoint", path.join(noNorm, "best.ckpt"), "--cifar10-test", "--out", y], /^error: --cifar10-test: the input normalisation of .*imp\/best.ckpt is not recorded \(.*imp\/config.json: imported without --mean\/--std\); import it again with --mean and --std$/],
      [["--checkpoint", CKPT, "--cifar10-test", "--input", y], /^error: --input and --cifar10-test: give one of them$/],
      [["--checkpoint", CKPT, "--cifar10-test", "--images", "10001", "--out", y], /^error: --images expects an integer from 1 to 10000, got "10001"$/],
      [["--checkpoint", CKPT, "--cifar10-test", "--onnx", path.join(dir, "none.onnx"), "--out", y], /^error: --onnx .*none.onnx: file not found$/],
      [["--checkpoint", CKPT, "--cifar10-test", "--data", dir, "--out", y], /^error: --data .*: no test_batch.bin \(npm run prepare-data writes it\)$/],
      [["--checkpoint", CKPT, "--out", y], /^error: --input: required \(or --cifar10-test; npm run predict -- --help\)$/],
    ];
    for (const [a, expected] of cases) {
      const r = await runScript(PREDICT, a);
      expect(r.stderr.trim(), a.join(" ")).toMatch(expected);
      expect(r.status, a.join(" ")).toBe(2);
      expect(fs.existsSync(y), a.join(" ")).toBe(false);
    }
  }, 120_000);
});
