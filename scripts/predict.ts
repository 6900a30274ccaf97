/**
 * Logits of a batch of images: npm run predict -- --checkpoint C --input X.npy --out Y.npy. X is an N x C x H x W
 * float32 .npy, already normalised as the network was trained (an imported network's config.json records how); Y is
 * N x classes float32. The inference path runs it (src/infer/: the eval forward pass, BN running statistics, folded
 * into the convolutions), as evaluation does.
 */
import * as fs from "node:fs";
import { initBackend } from "../src/backend/index.js";
import { readCheckpointFile } from "../src/train/checkpoint-file.js";
import { modelFromCheckpoint } from "../src/train/checkpoint.js";
import { predictInferNchw } from "../src/infer/index.js";
import { writeFileAtomic, writeTargetProblem } from "../src/util/fs.js";
import { decodeNpy, encodeNpy } from "../src/util/npy.js";
import { parseCli, shareCoresWithCampaign } from "./cli.js";

shareCoresWithCampaign();

const args = parseCli("Usage: npm run predict -- --checkpoint C --input X.npy --out Y.npy", {
  checkpoint: { type: "string", help: "checkpoint (best.ckpt of a run, or of an import:onnx folder)" },
  input: { type: "string", help: "N x C x H x W float32 .npy, normalised as in training" },
  out: { type: "string", help: ".npy file to write: N x classes float32 logits" },
});

class UsageError extends Error {}

async function main(): Promise<void> {
  for (const k of ["checkpoint", "input", "out"] as const) if (!args[k]) throw new UsageError(`--${k}: required (npm run predict -- --help)`);
  const outProblem = writeTargetProblem(args.out);
  if (outProblem) throw new UsageError(`--out ${outProblem}`);
  // the logits would replace the images they were computed from
  const sameFile = (a: fs.Stats, b: fs.Stats) => a.dev === b.dev && a.ino === b.ino; // a path, ./path or a hard link
  if (fs.existsSync(args.out) && fs.existsSync(args.input) && sameFile(fs.statSync(args.out), fs.statSync(args.input))) {
    throw new UsageError(`--out ${args.out}: is the --input file; give another file for the logits (the input is kept)`);
  }
  const ck = readCheckpointFile(args.checkpoint);
  const { channels: c, height: h, width: w } = ck.net.input;
  let buf: Buffer;
  try {
    buf = fs.readFileSync(args.input);
  } catch (e) {
    throw new UsageError(`--input ${args.input}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "file not found" : (e as Error).message}`);
  }
  const x = decodeNpy(buf, args.input);
  const expected = `(N, ${c}, ${h}, ${w}) float32 NCHW (${ck.net.name}'s input)`;
  if (x.shape.length !== 4 || x.shape[1] !== c || x.shape[2] !== h || x.shape[3] !== w) throw new UsageError(`${args.input}: shape (${x.shape.join(", ")}), expected ${expected}`);
  const bad = x.data.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new UsageError(`${args.input}: value ${x.data[bad]} at index ${bad}; expected finite inputs`);
  await initBackend({ quiet: true });
  const m = modelFromCheckpoint(ck, args.checkpoint);
  const n = x.shape[0];
  const logits = predictInferNchw(m, x.data, n);
  writeFileAtomic(args.out, encodeNpy([n, ck.net.head.classes], logits));
  console.log(`wrote ${args.out}: logits of ${n} images, ${ck.net.head.classes} classes (${ck.net.name}, skips ${ck.net.blocks.map((b) => b.skip).join(",")})`);
}

main().catch((e) => {
  console.error(`error: ${(e as Error).message}`);
  process.exit(e instanceof UsageError ? 2 : 1);
});
