/**
 * Builds data/published/hls4ml-tutorial-cnn.json: the public synthesis results of hls4ml's CNN tutorial, with the
 * network and hls4ml configuration that produced them, so that `npm run reproduce` can report the hls4ml model's
 * error on each (src/report/published-hls4ml.ts).
 *
 * Source: github.com/fastmachinelearning/hls4ml-tutorial, commit 3ebcbd9 (2021-11-10): part6_cnns.ipynb and the
 * reports it ships, pruned_cnn/ and quantized_pruned_cnn/ (myproject_prj/solution1/syn/report/myproject_csynth.rpt
 * and vivado_synth.rpt; Vivado HLS and Vivado 2020.1, xcu250-figd2104-2L-e). Check out that repository and pass its
 * directory (or a directory holding the same relative paths) with --tutorial.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseCli } from "./cli.js";
import { parseCsynth, parseVivadoSynth } from "../src/report/hls-reports.js";
import type { PublishedLayer, PublishedSet } from "../src/report/published-hls4ml.js";

const args = parseCli("Usage: npx tsx scripts/import-hls4ml-reports.ts --tutorial <dir> [--out file]", {
  tutorial: { type: "string", help: "a checkout of fastmachinelearning/hls4ml-tutorial (commit 3ebcbd9 or later)" },
  out: { type: "string", help: "output JSON", default: "data/published/hls4ml-tutorial-cnn.json" },
});

/**
 * The tutorial's Keras model (part6_cnns.ipynb, "Defining the model"): three blocks Conv2D(3x3, valid, no bias) ->
 * BatchNormalization -> ReLU -> MaxPooling2D(2x2) with 16, 16, 24 filters on 32x32x3 SVHN images, Flatten, two
 * blocks Dense -> BatchNormalization -> ReLU with 42 and 64 units, Dense(10), softmax. `index` is hls4ml's layer
 * number as the reports name it (layer<index>_out, config<index>); hls4ml fused the BatchNormalization of the convs
 * (and, in the float model, of the dense layers) into the layer before, so those have no index of their own.
 */
function network(quantized: boolean): PublishedLayer[] {
  // the float model's layer numbers, and the QKeras model's (QConv2DBatchnorm and QActivation renumber them)
  const ix = quantized ? [2, 4, 5, 6, 8, 9, 10, 12, 13, 14, 16, 17, 18, 20, 21, 22, 24] : [2, 5, 6, 7, 10, 11, 12, 15, 16, 17, 0, 20, 21, 0, 24, 25, 27];
  const L: PublishedLayer[] = [
    { index: ix[0], kind: "conv", k: 3, out: 16 },
    { index: ix[1], kind: "relu" },
    { index: ix[2], kind: "maxpool", k: 2 },
    { index: ix[3], kind: "conv", k: 3, out: 16 },
    { index: ix[4], kind: "relu" },
    { index: ix[5], kind: "maxpool", k: 2 },
    { index: ix[6], kind: "conv", k: 3, out: 24 },
    { index: ix[7], kind: "relu" },
    { index: ix[8], kind: "maxpool", k: 2 },
    { index: ix[9], kind: "dense", out: 42 },
    { index: ix[10], kind: "batchnorm" },
    { index: ix[11], kind: "relu" },
    { index: ix[12], kind: "dense", out: 64 },
    { index: ix[13], kind: "batchnorm" },
    { index: ix[14], kind: "relu" },
    // the output layer is a plain Keras Dense in both models: the default ap_fixed<16,6> weights
    { index: ix[15], kind: "dense", out: 10, weightBits: 16 },
    { index: ix[16], kind: "softmax" },
  ];
  return L.filter((l) => l.index > 0);
}

function main() {
  if (!args.tutorial) throw new Error("--tutorial: give the directory of an hls4ml-tutorial checkout");
  const designs = [
    { dir: "pruned_cnn", quantized: false, weightBits: 16, note: "Keras float model, 50% of conv/dense weights pruned; ap_fixed<16,6> everywhere" },
    { dir: "quantized_pruned_cnn", quantized: true, weightBits: 6, note: "QKeras model, 6-bit weights (quantized_bits(6,0)), 6-bit ReLU outputs, 50% pruned" },
  ].map((d) => {
    const read = (rel: string) => {
      const f = path.join(args.tutorial, d.dir, rel);
      if (!fs.existsSync(f)) throw new Error(`--tutorial: ${f} not found; expected the hls4ml-tutorial checkout (commit 3ebcbd9)`);
      return { text: fs.readFileSync(f, "utf8"), rel: path.join(d.dir, rel) };
    };
    const cs = read("myproject_prj/solution1/syn/report/myproject_csynth.rpt");
    const vs = read("vivado_synth.rpt");
    return {
      name: d.dir,
      note: d.note,
      reports: [cs.rel, vs.rel],
      // part6_cnns.ipynb: io_stream, ReuseFactor 1, Strategy Latency for every layer, default FIFO depths; its
      // pruning schedule ends at 50% sparsity and the notebook reports "50% of the weights per layer are set to zero"
      hls4ml: { ioType: "io_stream", reuseFactor: 1, strategy: "Latency" as const, weightBits: d.weightBits, fifoDepth: "default" as const, weightDensity: 0.5 },
      input: { h: 32, w: 32, c: 3, bits: 16 },
      layers: network(d.quantized),
      csynth: parseCsynth(cs.text, cs.rel),
      synth: parseVivadoSynth(vs.text, vs.rel),
    };
  });
  const out: PublishedSet = {
    source: {
      repository: "https://github.com/fastmachinelearning/hls4ml-tutorial",
      commit: "3ebcbd9",
      notebook: "part6_cnns.ipynb",
      part: "xcu250-figd2104-2L-e",
      clockNs: 5,
      extractedBy: "scripts/import-hls4ml-reports.ts",
    },
    designs,
  };
  const tmp = `${args.out}.tmp`;
  fs.mkdirSync(path.dirname(args.out), { recursive: true });
  fs.writeFileSync(tmp, JSON.stringify(out, null, 1) + "\n");
  fs.renameSync(tmp, args.out);
  console.log(`wrote ${args.out}: ${designs.map((d) => `${d.name} (${d.csynth.streams.length} streams, ${d.csynth.instances.length} instances)`).join(", ")}`);
}

try {
  main();
} catch (e) {
  console.error(`error: ${(e as Error).message}`);
  process.exit(1);
}
