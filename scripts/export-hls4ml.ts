/**
 * Hand a trained checkpoint to hls4ml: a folder with the network (model.onnx, QONNX where quantised, and then also
 * model.qcdq.onnx in standard ops for ONNX Runtime), its hls4ml
 * configuration keyed by the ONNX node names, our simulated FIFO depths in hls4ml's max_depth.json format, the
 * Python that applies them without co-simulation, and the predicted cost with the model's measured error bands
 * (src/handoff/). The folder is written whole or not at all: a temp folder beside it, then one rename.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseCli } from "./cli.js";
import { checkpointNormalisation, normalisationLine, NormalisationFileError } from "./normalisation-file.js";
import { handoffFolder, HANDOFF_FILES } from "../src/handoff/handoff.js";
import { loadCostConfig, trainedWidthNote } from "../src/handoff/cost-config.js";
import type { PublishedSet } from "../src/report/published-hls4ml.js";
import { readCheckpointFile } from "../src/train/checkpoint-file.js";
import { makeDirs, nonRegularKind, writeTargetProblem } from "../src/util/fs.js";

const PUBLISHED = "data/published/hls4ml-tutorial-cnn.json";

const args = parseCli("Usage: npm run export:hls4ml -- --checkpoint <run>/best.ckpt [--config reference|FILE.json] --out DIR", {
  checkpoint: { type: "string", help: "checkpoint to hand off (best.ckpt, last.ckpt, or an imported one)" },
  config: { type: "string", default: "reference", help: 'hls4ml cost configuration: "reference" (data/claims.json, hls4ml-mlperf-tiny) or a JSON file of fields over the defaults (src/hw/hls4ml/config.ts); the FIFO policy is always "optimised" here (the depth file is that optimisation\'s output)' },
  out: { type: "string", help: "folder to create (must not exist)" },
});

class UsageError extends Error {}

function main(): void {
  if (!args.checkpoint) throw new UsageError("--checkpoint: give the checkpoint file (e.g. data/runs/depth/resnet8/teacher/best.ckpt)");
  if (!args.out) throw new UsageError("--out: give the folder to create");
  // lstat, not existsSync: a dangling link is something there too (a rename would replace it)
  const there = fs.existsSync(args.out) || nonRegularKind(args.out) !== null;
  if (there) throw new UsageError(`--out ${args.out}: already exists (${nonRegularKind(args.out) ?? "a file"}); give a new folder name, nothing is overwritten`);
  const outProblem = writeTargetProblem(args.out);
  if (outProblem) throw new UsageError(`--out ${outProblem}`);
  if (!fs.existsSync(args.checkpoint)) throw new UsageError(`--checkpoint ${args.checkpoint}: file not found`);
  const config = loadCostConfig(args.config);
  const ck = readCheckpointFile(args.checkpoint);
  const published = JSON.parse(fs.readFileSync(PUBLISHED, "utf8")) as PublishedSet;
  // model.onnx takes normalised inputs: record how (a run's results.json, an import's config.json), as export:qonnx does
  const recorded = checkpointNormalisation(args.checkpoint, ck.config);
  const files = handoffFolder(ck, { ...config, fifoDepth: "optimised" }, published, { source: args.checkpoint, normalisation: recorded.normalisation });
  const tmp = path.join(path.dirname(path.resolve(args.out)), `.${path.basename(args.out)}.${process.pid}.tmp`);
  makeDirs(path.dirname(tmp));
  fs.mkdirSync(tmp);
  try {
    for (const [f, v] of Object.entries(files)) fs.writeFileSync(path.join(tmp, f), v);
    fs.renameSync(tmp, args.out);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  const depths = JSON.parse(files["max_depth.json"] as string) as unknown[];
  console.log(`wrote ${path.join(args.out, "/")}: ${Object.keys(files).join(", ")}`);
  console.log(`  ${ck.net.name}, skips ${ck.net.blocks.map((b) => b.skip).join(",")}; ${depths.length} FIFO depths; configuration ${args.config}`);
  console.log(normalisationLine(recorded, ""));
  console.log(`  then, where hls4ml and qonnx are installed: python3 ${path.join(args.out, "apply_fifo_depths.py")} --out prj --write`);
  const note = trainedWidthNote(config, ck.config, args.checkpoint);
  if (note) console.error(note);
}

try {
  main();
} catch (e) {
  console.error(`error: ${(e as Error).message}`);
  process.exit(e instanceof UsageError || e instanceof NormalisationFileError ? 2 : 1);
}
