/**
 * Logits of a batch of images: npm run predict -- --checkpoint C --input X.npy --out Y.npy. X is an N x C x H x W
 * float32 .npy, already normalised as the network was trained (an imported network's config.json records how); Y is
 * N x classes float32. The inference path runs it (src/infer/: the eval forward pass, BN running statistics, folded
 * into the convolutions), as evaluation does.
 *
 * --cifar10-test takes CIFAR-10's test images instead, normalised as the checkpoint's network was trained (its config,
 * a run's results.json, an import's config.json; a run's train split's statistics computed again), and prints top-1
 * and top-5; --onnx FILE also runs FILE in ONNX Runtime on the same inputs and prints how far its logits are from
 * ours: the check of an imported network against its file (an error when the top-1 classes differ on over 1%).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { initBackend } from "../src/backend/index.js";
import { fillBatch, normalisationText, type Normalisation } from "../src/data/batches.js";
import { defaultDataDir, loadCifar10, parseBatch, TEST_FILE } from "../src/data/cifar10.js";
import { readCheckpointFile } from "../src/train/checkpoint-file.js";
import { modelFromCheckpoint, type Checkpoint } from "../src/train/checkpoint.js";
import { recordedRunNormalisation } from "../src/train/tailor.js";
import { importedNormalisation } from "../src/import/onnx-import.js";
import { predictInferNchw, scoreLogits } from "../src/infer/index.js";
import { writeFileAtomic, writeTargetProblem } from "../src/util/fs.js";
import { decodeNpy, encodeNpy } from "../src/util/npy.js";
import { num, parseCli, shareCoresWithCampaign } from "./cli.js";
import { checkpointNormalisation, NormalisationFileError } from "./normalisation-file.js";
import { compareLogits, disagreement, OnnxRunError, ortLogits } from "./onnx-runtime-check.js";

shareCoresWithCampaign();

const args = parseCli("Usage: npm run predict -- --checkpoint C (--input X.npy --out Y.npy | --cifar10-test [--images N] [--out Y.npy]) [--onnx M.onnx]", {
  checkpoint: { type: "string", help: "checkpoint (best.ckpt of a run, or of an import:onnx folder)" },
  input: { type: "string", help: "N x C x H x W float32 .npy, normalised as in training" },
  out: { type: "string", help: ".npy file to write: N x classes float32 logits (optional with --cifar10-test)" },
  "cifar10-test": { type: "boolean", help: "instead of --input: CIFAR-10's test images, normalised as the network was trained (its checkpoint's config, results.json or an import's config.json beside it, else a run's train split's statistics); prints top-1 and top-5" },
  images: { type: "string", default: "10000", help: "with --cifar10-test: the first N test images" },
  data: { type: "string", help: `with --cifar10-test: CIFAR-10 binary directory (default: ${defaultDataDir()})` },
  onnx: { type: "string", help: "an ONNX file to run in ONNX Runtime (graph optimisations off) on the same inputs (the one imported): prints the largest logit difference and the top-1 agreement" },
});

class UsageError extends Error {}

/**
 * How the checkpoint's network normalises its inputs: as recorded (its config, results.json, an import's config.json),
 * else, for a run trained here, its train split's statistics, computed again as the run did (a best.ckpt copied away
 * from its results.json). An import that recorded none cannot be guessed.
 */
function normalisationOf(ck: Checkpoint, dir: string): { norm: Normalisation; from: string } {
  const { normalisation, from } = checkpointNormalisation(args.checkpoint, ck.config);
  if (normalisation) return { norm: normalisation, from };
  const isImport = ck.env.importedFrom !== undefined || importedNormalisation(args.checkpoint) !== undefined;
  if (isImport) throw new UsageError(`--cifar10-test: the input normalisation of ${args.checkpoint} is not recorded (${from}); import it again with --mean and --std`);
  const norm = recordedRunNormalisation(ck.config, { train: loadCifar10(dir).train });
  return { norm, from: `${from}: its train split's statistics, computed again from ${dir} as the run did` };
}

/** CIFAR-10's first n test images, NCHW float32, normalised as the checkpoint's network was trained; and their labels */
function cifarTest(ck: Checkpoint, n: number): { x: Float32Array; labels: Int32Array; how: string } {
  const dir = args.data ?? defaultDataDir();
  const file = path.join(dir, TEST_FILE);
  if (!fs.existsSync(file)) throw new UsageError(`--data ${dir}: no ${TEST_FILE} (npm run prepare-data writes it)`);
  const { norm, from } = normalisationOf(ck, dir);
  const set = parseBatch(new Uint8Array(fs.readFileSync(file)), file);
  const nhwc = new Float32Array(n * 3072);
  const labels = fillBatch(set, Int32Array.from({ length: n }, (_, i) => i), 0, n, norm, null, nhwc);
  const x = new Float32Array(n * 3072);
  for (let b = 0; b < n; b++) for (let p = 0; p < 1024; p++) for (let c = 0; c < 3; c++) x[b * 3072 + c * 1024 + p] = nhwc[b * 3072 + p * 3 + c];
  return { x, labels, how: `normalised with ${normalisationText(norm)} (${from})` };
}

function readInput(c: number, h: number, w: number, name: string): { x: Float32Array; n: number } {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(args.input);
  } catch (e) {
    throw new UsageError(`--input ${args.input}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "file not found" : (e as Error).message}`);
  }
  const x = decodeNpy(buf, args.input);
  const expected = `(N, ${c}, ${h}, ${w}) float32 NCHW (${name}'s input)`;
  if (x.shape.length !== 4 || x.shape[1] !== c || x.shape[2] !== h || x.shape[3] !== w) throw new UsageError(`${args.input}: shape (${x.shape.join(", ")}), expected ${expected}`);
  const bad = x.data.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new UsageError(`${args.input}: value ${x.data[bad]} at index ${bad}; expected finite inputs`);
  return { x: x.data, n: x.shape[0] };
}

async function main(): Promise<void> {
  const cifar = args["cifar10-test"];
  if (!args.checkpoint) throw new UsageError("--checkpoint: required (npm run predict -- --help)");
  if (cifar && args.input) throw new UsageError("--input and --cifar10-test: give one of them");
  if (!cifar && (!args.input || !args.out)) throw new UsageError(`--${args.input ? "out" : "input"}: required (or --cifar10-test; npm run predict -- --help)`);
  const images = num("images", args.images, { int: true, min: 1, max: 10_000 });
  if (args.out) {
    const outProblem = writeTargetProblem(args.out);
    if (outProblem) throw new UsageError(`--out ${outProblem}`);
    // the logits would replace the images they were computed from
    const sameFile = (a: fs.Stats, b: fs.Stats) => a.dev === b.dev && a.ino === b.ino; // a path, ./path or a hard link
    if (args.input && fs.existsSync(args.out) && fs.existsSync(args.input) && sameFile(fs.statSync(args.out), fs.statSync(args.input))) {
      throw new UsageError(`--out ${args.out}: is the --input file; give another file for the logits (the input is kept)`);
    }
  }
  if (args.onnx && !fs.existsSync(args.onnx)) throw new UsageError(`--onnx ${args.onnx}: file not found`);
  const ck = readCheckpointFile(args.checkpoint);
  const { channels: c, height: h, width: w } = ck.net.input;
  const classes = ck.net.head.classes;
  if (cifar && (c !== 3 || h !== 32 || w !== 32 || classes !== 10)) {
    throw new UsageError(`--cifar10-test: ${ck.net.name} takes ${c}x${h}x${w} inputs into ${classes} classes; CIFAR-10 is 3x32x32 into 10`);
  }
  const input = cifar ? cifarTest(ck, images) : { ...readInput(c, h, w, ck.net.name), labels: null, how: "" };
  const n = cifar ? images : input.x.length / (c * h * w);
  await initBackend({ quiet: true });
  const m = modelFromCheckpoint(ck, args.checkpoint);
  const logits = predictInferNchw(m, input.x, n);
  const skips = `${ck.net.name}, skips ${ck.net.blocks.map((b) => b.skip).join(",")}`;
  if (input.labels) {
    const [, top1, top5] = scoreLogits(logits, input.labels, n, classes);
    console.log(`CIFAR-10 test, first ${n} images, ${input.how}: top-1 ${((100 * top1) / n).toFixed(2)}%, top-5 ${((100 * top5) / n).toFixed(2)}% (${skips})`);
  }
  if (args.out) {
    writeFileAtomic(args.out, encodeNpy([n, classes], logits));
    console.log(`wrote ${args.out}: logits of ${n} images, ${classes} classes (${skips})`);
  }
  if (args.onnx) {
    const theirs = await ortLogits(args.onnx, input.x, n, [c, h, w], classes);
    const d = compareLogits(logits, theirs, n, classes);
    const ortTop1 = input.labels ? `; ONNX Runtime's top-1 ${((100 * scoreLogits(theirs, input.labels, n, classes)[1]) / n).toFixed(2)}%` : "";
    console.log(`ONNX Runtime on ${args.onnx}: largest |logit difference| ${d.maxAbs.toExponential(2)}, top-1 class the same on ${d.top1Agree} of ${n} images${ortTop1}`);
    const wrong = disagreement(d, n, args.onnx);
    // a check that failed, not a usage error: exit 1
    if (wrong) throw new Error(wrong);
  }
}

main().catch((e) => {
  console.error(`error: ${(e as Error).message}`);
  process.exit(e instanceof UsageError || e instanceof OnnxRunError || e instanceof NormalisationFileError ? 2 : 1);
});
