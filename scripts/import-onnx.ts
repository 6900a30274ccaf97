/**
 * Import an ONNX file of a ResNet-style CNN, float or quantised as our QAT quantises (QONNX Quant, or QCDQ:
 * src/import/onnx-quant.ts), into a folder of our own (src/import/onnx-import.ts): best.ckpt (the network as a NetSpec,
 * with its weights, and a quantised network's widths and activation scales) and config.json (where it came from, its input normalisation). The folder
 * is then a teacher like any other: npm run train -- --method remover --teacher DIR/best.ckpt ...
 *
 *   npm run import:onnx -- --model resnet20.onnx --out runs/my-resnet20 --mean 0.49,0.48,0.45 --std 0.25,0.24,0.26
 */
import * as fs from "node:fs";
import { parseCli } from "./cli.js";
import type { Normalisation } from "../src/data/batches.js";
import { ImportError, importOnnx, writeImport } from "../src/import/onnx-import.js";
import { MAX_ONNX_BYTES } from "../src/import/onnx-decode.js";
import { quantLabel, quantSpecOf } from "../src/train/quant-spec.js";

const args = parseCli(
  "Usage: npm run import:onnx -- --model M.onnx --out DIR [--mean r,g,b --std r,g,b] [--name N]\n\n" +
    "Reads a ResNet-style CNN (Conv [+ BatchNormalization], Relu, a MaxPool ending the stem, Add skips with identity or 1x1 projections,\n" +
    "GlobalAveragePool or ReduceMean, MatMul + Add or Gemm) and writes DIR/best.ckpt and DIR/config.json.\n" +
    "Quantised networks are read as our QAT quantises: QONNX Quant or QuantizeLinear -> [Clip] -> DequantizeLinear\n" +
    "(int8 weight initializers too) with one per-tensor scale and zero point 0, on every conv's and dense layer's weight\n" +
    "(signed, narrow range, one width; the first conv and last dense layer may have their own) and every Relu's output\n" +
    "(unsigned, one width).\n" +
    "A graph outside that family is an error naming the node; nothing is written then.",
  {
    model: { type: "string", help: "the ONNX file" },
    out: { type: "string", help: "folder to create (or an empty one): best.ckpt, config.json" },
    mean: { type: "string", help: "per-channel mean of the input normalisation, (pixel / 255 - mean) / std (recorded in config.json)" },
    std: { type: "string", help: "per-channel standard deviation of the input normalisation" },
    name: { type: "string", help: "the network's name (default: the built-in network it equals, else the file's own name)" },
  },
);

class UsageError extends Error {}

function triple(flag: string, v: string, positive: boolean): [number, number, number] {
  const a = v.split(",").map(Number);
  if (a.length !== 3 || !a.every((x) => Number.isFinite(x) && (!positive || x > 0))) throw new UsageError(`--${flag} ${v}: expected three ${positive ? "positive " : ""}numbers r,g,b`);
  // pixel / 255 lies in [0, 1], so its mean does too: 123.7 or 0.5 * 255 is a mean of raw pixel values
  if (flag === "mean" && !a.every((x) => x >= 0 && x <= 1)) throw new UsageError(`--mean ${v}: expected means of pixel / 255, each in [0, 1] (divide means of 0-255 pixel values by 255)`);
  return a as [number, number, number];
}

function main(): void {
  if (!args.model) throw new UsageError("--model: give the ONNX file to import");
  if (!args.out) throw new UsageError("--out: give the folder to write (best.ckpt, config.json)");
  if ((args.mean === undefined) !== (args.std === undefined)) throw new UsageError("--mean and --std go together");
  const normalisation: Normalisation | undefined = args.mean !== undefined ? { mean: triple("mean", args.mean, false), std: triple("std", args.std!, true) } : undefined;
  let bytes: Buffer;
  try {
    // the size is checked before the file is read whole
    const size = fs.statSync(args.model).size;
    if (size > MAX_ONNX_BYTES) throw new UsageError(`--model ${args.model}: ${size} bytes, more than the ${MAX_ONNX_BYTES} read (the importer takes float CNNs of the ResNet family, ResNet-152 is ~240 MB)`);
    bytes = fs.readFileSync(args.model);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`--model ${args.model}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "file not found" : (e as Error).message}`);
  }
  const imp = importOnnx(bytes, args.model, { name: args.name, normalisation });
  const files = writeImport(args.out, imp);
  const net = imp.checkpoint.net;
  console.log(`imported ${args.model} (${imp.source.producer || "unknown producer"}, opset ${imp.source.opset}) as ${net.name}:`);
  console.log(`  ${net.stem.convs.length} stem conv(s), ${net.blocks.length} blocks of ${imp.match.unitsPerBlock} convs, ${net.blocks[0]?.form ?? "plain"} form (blocks delimited by ${imp.match.source})`);
  if (imp.quantFormat) console.log(`  quantised (${imp.quantFormat.toUpperCase()}): ${quantLabel(imp.checkpoint.config)}; the eval forward pass quantises as the file does`);
  console.log(`  skips: ${net.blocks.map((b) => `${b.name} ${b.skip}${b.shortcut ? ` (${b.shortcut})` : ""}`).join(", ")}`);
  const altered = net.blocks.filter((b) => b.skip !== "long").length;
  if (altered) console.log(`  ${altered} skips altered: a student, not a teacher (predict and the exports take it; train --teacher wants every skip long)`);
  else {
    // a quantised teacher's students are quantised as it is (train refuses a KD teacher of other widths): its flags
    const q = quantSpecOf(imp.checkpoint.config);
    const quant = q ? ` --quant-weight-bits ${q.weightBits} --quant-act-bits ${q.actBits} --quant-edge-bits ${q.edgeBits}` : "";
    console.log(imp.builtin ? `  equals the built-in ${imp.builtin.net} (${imp.builtin.form} form): npm run train -- --method ${imp.builtin.form === "plain" ? "remover" : "shortener"} --teacher ${files[0]}${quant}` : `  not one of the built-in networks: train --teacher does not take it yet (predict and the exports do)`);
  }
  console.log(imp.normalisation ? `  input: NCHW, (pixel / 255 - mean) / std, mean ${imp.normalisation.mean.join(",")}, std ${imp.normalisation.std.join(",")}` : `  input normalisation unknown (give --mean and --std to record it)`);
  console.log(`wrote ${files.join(", ")}`);
}

try {
  main();
} catch (e) {
  console.error(`error: ${(e as Error).message}`);
  process.exit(e instanceof UsageError ? 2 : 1);
}
