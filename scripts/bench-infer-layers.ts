/**
 * The inference path's 3x3 stride-1 convolutions one by one, each with the chain it has in its network (bias, ReLU,
 * skip add), on oneDNN's Winograd kernels (the layers the training path runs on them: dnnl_conv.cc winogradLayer;
 * blocked copies and their reorders included) against its direct kernels, interleaved round by round in one run
 * (the order alternating), at a small and a large batch. ms per call is the median over the rounds. Prints a
 * table; writes figures/bench-infer-layers.json (not with --quick). Run it on a quiet machine.
 */
import * as path from "node:path";
import { initBackend, inferenceOps, type FusedConv } from "../src/backend/index.js";
import { loadNativeAddon } from "../src/backend/native-addon.js";
import { NATIVE_BACKEND } from "../src/backend/native-kernels.js";
import { runEnvironment } from "../src/backend/environment.js";
import { NETWORK_NAMES, network, type NetworkName } from "../src/experiment/index.js";
import { compilePlan, disposePlan } from "../src/infer/index.js";
import { createModel, disposeModel } from "../src/train/model.js";
import { writeFileAtomic } from "../src/util/fs.js";
import { Rng } from "../src/util/random.js";
import { num, parseCli, relaunchedWithHeapReuse } from "./cli.js";

const args = parseCli("Usage: npx tsx scripts/bench-infer-layers.ts [options]", {
  nets: { type: "string", help: `comma-separated subset of ${NETWORK_NAMES.join(", ")}`, default: "resnet20,resnet50" },
  batches: { type: "string", help: "batch sizes of the CIFAR networks", default: "1,256" },
  "imagenet-batches": { type: "string", help: "batch sizes of the ImageNet networks (224x224)", default: "1,32" },
  rounds: { type: "string", help: "rounds of the two contenders, alternating which goes first", default: "7" },
  ms: { type: "string", help: "time of each contender in each round, ms", default: "200" },
  threads: { type: "string", help: "threads of both (the inference path runs Winograd on one thread only: native/src/infer.cc)", default: "1" },
  quick: { type: "boolean", help: "a check that it runs: 3 rounds of 30 ms, nothing written" },
  out: { type: "string", help: "result file", default: path.resolve(__dirname, "..", "figures", "bench-infer-layers.json") },
});
const launcherOnly = relaunchedWithHeapReuse();

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const shapeText = (c: FusedConv) => `${c.shape.cin}->${c.shape.cout} @${c.shape.h}x${c.shape.w} [${c.post.join(",")}]`;

async function main() {
  const quick = !!args.quick;
  const rounds = quick ? 3 : num("rounds", args.rounds, { int: true, min: 1 });
  const ms = quick ? 30 : num("ms", args.ms, { min: 1 });
  const threads = num("threads", args.threads, { int: true, min: 1 });
  const nets = args.nets.split(",").map((s) => s.trim()) as NetworkName[];
  for (const n of nets) network(n);
  await initBackend({ force: NATIVE_BACKEND });
  const addon = loadNativeAddon()!;
  if (!addon.dnnlVersion()) throw new Error("the addon was built without oneDNN: there is no Winograd to measure");
  addon.setThreads(threads);
  const ops = inferenceOps();
  const rows = [];
  for (const net of nets) {
    const spec = network(net).build();
    const m = createModel(spec, 1);
    const plan = compilePlan(m);
    // one layer of each geometry and chain
    const seen = new Set<string>();
    const convs: FusedConv[] = [];
    for (const s of plan.steps) {
      if (s.kind !== "fused") continue;
      const c = s.conv;
      if (c.shape.kh !== 3 || c.shape.kw !== 3 || c.shape.stride[0] !== 1 || c.shape.stride[1] !== 1 || seen.has(shapeText(c))) continue;
      seen.add(shapeText(c));
      convs.push(c);
    }
    const batches = (spec.input.height > 64 ? args["imagenet-batches"] : args.batches).split(",").map((b) => num("batches", b, { int: true, min: 1 }));
    for (const n of batches)
      for (const c of convs) {
        const s = c.shape;
        const r = new Rng(3);
        const x = Float32Array.from({ length: n * s.h * s.w * s.cin }, () => r.normal());
        const skip = c.post.includes("add") ? Float32Array.from({ length: n * s.oh * s.ow * s.cout }, () => r.normal()) : null;
        const out = new Float32Array(n * s.oh * s.ow * s.cout);
        const time = (wino: boolean) => {
          addon.setWinograd(wino);
          ops.fusedConv(c, n, x, skip, out);
          let reps = 0;
          const t0 = performance.now();
          while (performance.now() - t0 < ms || reps < 2) (ops.fusedConv(c, n, x, skip, out), reps++);
          return (performance.now() - t0) / reps;
        };
        const t: Record<"winograd" | "direct", number[]> = { winograd: [], direct: [] };
        for (let i = 0; i < rounds; i++)
          for (const wino of i % 2 ? [false, true] : [true, false]) t[wino ? "winograd" : "direct"].push(time(wino));
        addon.setWinograd(true);
        const kernels = ops.describe(c, n);
        addon.setWinograd(false);
        const directKernels = ops.describe(c, n);
        addon.setWinograd(true);
        const gflop = (2 * n * s.oh * s.ow * s.cout * s.kh * s.kw * s.cin) / 1e9;
        const row = {
          net,
          batch: n,
          layer: shapeText(c),
          winogradMs: +median(t.winograd).toFixed(3),
          directMs: +median(t.direct).toFixed(3),
          speedup: +(median(t.direct) / median(t.winograd)).toFixed(3),
          directGflops: +(gflop / (median(t.direct) / 1000)).toFixed(1),
          kernels,
          directKernels,
        };
        console.log(`${net.padEnd(9)} batch ${String(n).padStart(3)} ${row.layer.padEnd(30)} Winograd ${row.winogradMs.toFixed(3).padStart(8)} ms  direct ${row.directMs.toFixed(3).padStart(8)} ms  x${row.speedup}  (${kernels} / ${directKernels})`);
        rows.push(row);
      }
    disposePlan(plan);
    disposeModel(m);
  }
  if (!quick) writeFileAtomic(path.resolve(args.out), JSON.stringify({ environment: runEnvironment(), threads, rounds, ms, results: rows }, null, 2) + "\n");
}

if (!launcherOnly)
  main().catch((e) => {
    console.error(`error: ${(e as Error).message}`);
    process.exit(1);
  });
