/**
 * Export a trained checkpoint as ONNX in the QONNX dialect (src/export/qonnx.ts): the network with its current
 * (final) skip modes, Quant nodes where the run was trained quantised, plain ONNX for a float run. The input is
 * normalised outside the graph; its mean and std are recorded when a results.json is found (--results, or the one
 * beside the checkpoint), or an import:onnx folder's config.json recorded them. `--format qcdq` writes the quantisers as standard QuantizeLinear -> Clip -> DequantizeLinear
 * instead (src/export/qcdq-quant.ts), which ONNX Runtime runs. Check a QONNX file with:
 * /usr/bin/python3 test/helpers/qonnx_check.py F.onnx
 */
import { parseCli } from "./cli.js";
import { checkpointNormalisation, normalisationLine, NormalisationFileError } from "./normalisation-file.js";
import { exportQonnx, QUANT_FORMATS, type QuantFormat } from "../src/export/qonnx.js";
import { readCheckpointFile } from "../src/train/checkpoint-file.js";
import { writeFileAtomic, writeTargetProblem } from "../src/util/fs.js";

const args = parseCli("Usage: npm run export:qonnx -- --checkpoint <run>/best.ckpt --out <file>.onnx [--format qonnx|qcdq] [--results <run>/results.json]", {
  checkpoint: { type: "string", help: "checkpoint to export (best.ckpt, last.ckpt, or the first JSON format)" },
  out: { type: "string", help: "ONNX file to write (QONNX dialect when the run was quantised)" },
  format: { type: "string", default: "qonnx", help: "quantisers of a quantised run as QONNX Quant nodes (qonnx: hls4ml, FINN) or standard QuantizeLinear -> Clip -> DequantizeLinear (qcdq: ONNX Runtime); a float run is plain ONNX either way" },
  results: { type: "string", help: "results.json whose input normalisation to record (default: results.json beside the checkpoint, else an imported folder's config.json, if any)" },
});

class UsageError extends Error {}

function main(): void {
  if (!args.checkpoint) throw new UsageError("--checkpoint: give the checkpoint file to export (e.g. data/runs/<run>/best.ckpt)");
  if (!args.out) throw new UsageError("--out: give the ONNX file to write (e.g. resnet8.onnx)");
  // a device node, a link, a folder or a path under /proc is refused before the checkpoint is read
  const outProblem = writeTargetProblem(args.out);
  if (outProblem) throw new UsageError(`--out ${outProblem}`);
  if (!QUANT_FORMATS.includes(args.format as QuantFormat)) throw new UsageError(`--format ${args.format}: expected ${QUANT_FORMATS.join(" or ")}`);
  const ck = readCheckpointFile(args.checkpoint);
  const recorded = checkpointNormalisation(args.checkpoint, ck.config, args.results);
  const normalisation = recorded.normalisation;
  const { bytes, summary } = exportQonnx(ck, { source: args.checkpoint, normalisation, format: args.format as QuantFormat });
  writeFileAtomic(args.out, bytes);
  const ops = Object.entries(summary.ops).map(([k, n]) => `${k} ${n}`).join(", ");
  console.log(`wrote ${args.out} (${bytes.length} bytes): ${ck.net.name}, skips ${summary.skipModes.join(",")}, ${summary.quant}`);
  console.log(`  nodes: ${ops}`);
  if (summary.weightQuants + summary.activationQuants > 0) console.log(`  ${summary.format === "qcdq" ? "QCDQ quantisers (QuantizeLinear/Clip/DequantizeLinear)" : "QONNX Quant nodes"}: ${summary.weightQuants} on weights, ${summary.activationQuants} on ReLU outputs`);
  console.log(normalisationLine(recorded, "; pass --results"));
}

try {
  main();
} catch (e) {
  console.error(`error: ${(e as Error).message}`);
  process.exit(e instanceof UsageError || e instanceof NormalisationFileError ? 2 : 1);
}
