/**
 * A diagnostic: a checkpoint's validation top-1 with batch norm's running statistics (eval mode, what training
 * records and reproduce reports) against each batch's own statistics. While a student trains at lr 0.1 its weights
 * move faster than the running averages follow, and a deep network without skips amplifies the mismatch: its
 * validation accuracy can read near chance although the network has not forgotten (ARTIFACT.md, the depth study).
 * Run it on a run in progress (last.ckpt) to tell the two apart. It reads the checkpoint only; nothing is written.
 */
import * as fs from "node:fs";
import { initBackend } from "../src/backend/index.js";
import { defaultDataDir, loadCifar10 } from "../src/data/cifar10.js";
import { splitTrainVal } from "../src/data/batches.js";
import { recordedRunNormalisation } from "../src/train/tailor.js";
import { readCheckpointFile } from "../src/train/checkpoint-file.js";
import { modelFromCheckpoint } from "../src/train/checkpoint.js";
import { splitSeedOf } from "../src/train/config.js";
import { evaluate } from "../src/train/evaluate.js";
import { disposeModel } from "../src/train/model.js";
import { num, parseCli } from "./cli.js";

const args = parseCli("Usage: npm run bn-check -- --checkpoint <run>/last.ckpt[,<run2>/last.ckpt...] [--images N] [--batch-size B]", {
  checkpoint: { type: "string", help: "checkpoints to evaluate, comma-separated (last.ckpt, best.ckpt)" },
  images: { type: "string", default: "2000", help: "validation images (the first N of the run's own validation split)" },
  "batch-size": { type: "string", default: "100", help: "images per batch; with batch statistics each batch is normalised by its own, so keep it large" },
  data: { type: "string", help: `CIFAR-10 binary directory (default: ${defaultDataDir()})` },
});

async function main(): Promise<void> {
  if (!args.checkpoint) throw new Error("--checkpoint: give one or more checkpoints, e.g. data/runs/depth/resnet56/remover/last.ckpt");
  // an empty item ("a.ckpt,", ",") is a typo, not a request to evaluate nothing and exit 0 (issue 32)
  const files = args.checkpoint.split(",").map((f) => f.trim());
  if (files.some((f) => f === "")) throw new Error(`--checkpoint "${args.checkpoint}": an empty item in the comma-separated list; expected checkpoint files, e.g. a/last.ckpt,b/last.ckpt`);
  for (const f of files) if (!fs.existsSync(f)) throw new Error(`--checkpoint ${f}: file not found`);
  const images = num("images", args.images, { int: true, min: 1 });
  const batch = num("batch-size", args["batch-size"], { int: true, min: 2 });
  await initBackend({ quiet: true });
  const data = loadCifar10(args.data ?? defaultDataDir());
  console.log("checkpoint | epoch | images | val top-1, running statistics (%) | val top-1, batch statistics (%)");
  for (const file of files) {
    const ck = readCheckpointFile(file);
    const split = splitTrainVal(data.train.count, ck.config.valSize, splitSeedOf(ck.config));
    // as the run normalised (its inputNorm, else its train split's statistics)
    const norm = recordedRunNormalisation(ck.config, data);
    // whole batches only: a short last batch would be normalised by a handful of images
    const wanted = Math.min(images, split.val.length);
    const n = wanted - (wanted % batch);
    if (n === 0) throw new Error(`--images ${images} and --batch-size ${batch}: no whole batch of the ${split.val.length} validation images`);
    const val = split.val.slice(0, n);
    const m = modelFromCheckpoint(ck, file);
    const running = evaluate(m, data.train, val, norm, batch);
    const own = evaluate(m, data.train, val, norm, batch, undefined, "batch");
    disposeModel(m);
    console.log(`${file} | ${ck.epoch} | ${n} | ${(100 * running.top1).toFixed(1)} | ${(100 * own.top1).toFixed(1)}`);
  }
}

main().catch((e) => {
  console.error(`error: ${(e as Error).message}`);
  process.exit(1);
});
