/**
 * Inference speed: images/s of the inference path (src/infer/: batch norm folded, bias, ReLU and skip add as the
 * conv's post-ops) against PyTorch's eval mode under torch.inference_mode, eager and TorchScript-frozen, in NCHW and
 * in channels_last, at the same thread count, on the same networks: bench_infer_torch.py builds each one from our
 * lowered layer graph (the parameter counts are compared), random weights. ResNet-8/20/56 on CIFAR shapes and the
 * ImageNet ResNet-50 (224x224), each at batch 1 and a large batch, interleaved: the contenders take turns case by
 * case, in a rotating order, so drift hits each alike. Each ratio is against the fastest of the four PyTorch variants
 * in the same case; ours also runs with oneDNN's direct kernels only (no Winograd layer), in turn with the rest.
 * Writes figures/bench-infer.json (not with --quick). Run it on a quiet machine.
 *
 * `--qat`: the quantised (QAT) networks instead, committed checkpoints (`--runs`), each plan against the same model's
 * layer-by-layer plan (every conv, batch norm, ReLU, add and quantiser its own tfjs op, as the eval forward runs
 * them; compilePlan's quantSteps false), interleaved in the same way, at each thread count; no PyTorch peer. Writes
 * figures/bench-infer-qat.json (not with --quick).
 *
 * ResNet-50's large batch is 32, not 256: at 224x224 a batch of 32 already gives each layer more pixels than a batch
 * of 256 CIFAR images (32 x 112 x 112 = 401k at the first stage against 256 x 32 x 32 = 262k), so the kernels run
 * at their large-batch speed; at 256 one activation of the first stage is 822 MB (256 x 64 x 112 x 112 x 4 bytes),
 * several of which live at once in ours and in PyTorch's, and one batch takes many seconds on 2 cores.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { initBackend, inferenceOps } from "../src/backend/index.js";
import { loadNativeAddon, nativeConvPath, type NativeAddon } from "../src/backend/native-addon.js";
import { NATIVE_BACKEND } from "../src/backend/native-kernels.js";
import { BN_EPS } from "../src/backend/training-ops.js";
import { runEnvironment } from "../src/backend/environment.js";
import { NETWORK_NAMES, network, type NetworkName } from "../src/experiment/index.js";
import { compilePlan, disposePlan, runPlan, type InferPlan } from "../src/infer/index.js";
import { modelFromCheckpoint } from "../src/train/checkpoint.js";
import { readCheckpointFile } from "../src/train/checkpoint-file.js";
import { createModel, disposeModel } from "../src/train/model.js";
import { writeFileAtomic } from "../src/util/fs.js";
import { Rng } from "../src/util/random.js";
import { num, parseCli, relaunchedWithHeapReuse } from "./cli.js";

const DEFAULT_NETS: NetworkName[] = ["resnet8", "resnet20", "resnet56", "resnet50"];
/** --qat's default: both depths and bit widths, a plain teacher and a shortened student (an add in every unit) */
const QAT_RUNS = ["depth/resnet8/qat8-teacher", "depth/resnet20/qat8-teacher", "depth/resnet20/qat4-teacher", "depth/resnet20/qat4-shortener"];
const FIGURES = path.resolve(__dirname, "..", "figures");
const args = parseCli("Usage: npm run bench:infer -- [options]", {
  seconds: { type: "string", help: "time to measure each contender in each case (after warm-up)", default: "5" },
  nets: { type: "string", help: `comma-separated subset of ${NETWORK_NAMES.join(", ")}`, default: DEFAULT_NETS.join(",") },
  batches: { type: "string", help: "comma-separated batch sizes of the CIFAR networks (32x32 input)", default: "1,256" },
  "imagenet-batches": { type: "string", help: "comma-separated batch sizes of the ImageNet networks (224x224 input; the file's comment says why not 256)", default: "1,32" },
  threads: { type: "string", help: "comma-separated thread counts, each used by ours and by PyTorch alike (default 2; with --qat 1,2)" },
  python: { type: "string", help: "Python with torch for the peer (bash scripts/setup-system.sh --bench installs it)", default: "/usr/bin/python3" },
  "no-torch": { type: "boolean", help: "ours only (Winograd and direct kernels), without the PyTorch peer: an A/B of our kernels" },
  rounds: { type: "string", help: "rounds of every case (all contenders in turn each round; the median is reported)", default: "1" },
  quick: { type: "boolean", help: "a check that it runs: 0.3 s a contender, ImageNet batches 1 and 4, nothing written" },
  qat: { type: "boolean", help: "the quantised networks of --runs: the inference path against the layer-by-layer plan (no PyTorch)" },
  runs: { type: "string", help: "with --qat: comma-separated runs under data/runs (their best.ckpt)", default: QAT_RUNS.join(",") },
  out: { type: "string", help: "result file (default figures/bench-infer.json; with --qat figures/bench-infer-qat.json)" },
});
const launcherOnly = relaunchedWithHeapReuse();

interface TorchResult {
  eager: number;
  frozen: number;
  parameters: number;
  torch: string;
  threads: number;
}

const PEERS = ["eager nchw", "eager channels_last", "frozen nchw", "frozen channels_last"];
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

function list(flag: string, v: string): number[] {
  const items = v.split(",").map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) throw new Error(`--${flag}: empty list`);
  return items.map((s) => num(flag, s, { int: true, min: 1 }));
}

function netList(v: string): NetworkName[] {
  const items = v.split(",").map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) throw new Error("--nets: empty list");
  for (const s of items) if (!NETWORK_NAMES.includes(s as NetworkName)) throw new Error(`--nets: "${s}" is not one of ${NETWORK_NAMES.join(", ")}`);
  return items as NetworkName[];
}

/**
 * images/s of runPlan on one batch of random images, after warm-up (primitives built, filters reordered); `winograd`
 * false: oneDNN's direct kernels for every layer (native/src/infer.cc picks Winograd for some 3x3 layers otherwise)
 */
function ours(addon: NativeAddon, plan: InferPlan, x: Float32Array, n: number, seconds: number, threads: number, winograd: boolean): number {
  addon.setThreads(threads);
  addon.setWinograd(winograd);
  for (let i = 0; i < 2; i++) runPlan(plan, x, n);
  let reps = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000 || reps < 3) {
    runPlan(plan, x, n);
    reps++;
  }
  const ips = (n * reps) / ((performance.now() - t0) / 1000);
  addon.setWinograd(true);
  return ips;
}

function torch(graphFile: string, batch: number, seconds: number, layout: "nchw" | "channels_last", threads: number): TorchResult | null {
  const script = path.join(__dirname, "bench_infer_torch.py");
  const r = spawnSync(args.python, [script, graphFile, String(batch), String(seconds), layout, String(threads)], { encoding: "utf8", maxBuffer: 1 << 20 });
  if (r.status !== 0) {
    console.error(`PyTorch peer failed (${layout}, batch ${batch}; bash scripts/setup-system.sh --bench installs it): ${(r.stderr || String(r.error)).trim().split("\n").pop()}`);
    return null;
  }
  return JSON.parse(r.stdout) as TorchResult;
}

/** which oneDNN kernels (or fallback) run the fused convolutions at batch n, with how many layers each */
function implementations(addon: NativeAddon, plan: InferPlan, n: number): Record<string, number> {
  const counts: Record<string, number> = {};
  addon.setWinograd(true);
  for (const s of plan.steps) {
    if (s.kind !== "fused") continue;
    const k = inferenceOps().describe(s.conv, n);
    counts[k] = (counts[k] ?? 0) + 1;
  }
  return counts;
}

/**
 * --qat: each committed QAT checkpoint's inference plan (quantised conv steps) against its layer-by-layer plan, both
 * exact (test/infer.test.ts), at every batch and thread count, interleaved in a rotating order; median of the rounds.
 */
function benchQat(addon: NativeAddon, quick: boolean, seconds: number, rounds: number, batches: number[], threadCounts: number[]) {
  const runs = args.runs.split(",").map((r) => r.trim()).filter(Boolean);
  if (runs.length === 0) throw new Error("--runs: empty list");
  const rows = [];
  let turn = 0;
  for (const run of runs) {
    const file = path.resolve(__dirname, "..", "data", "runs", run, "best.ckpt");
    if (!fs.existsSync(file)) throw new Error(`--runs: ${file} does not exist (expected a run under data/runs with a best.ckpt)`);
    const m = modelFromCheckpoint(readCheckpointFile(file), file);
    if (!m.quant) throw new Error(`--runs: ${run} is not a quantised (QAT) network`);
    const plans = { ours: compilePlan(m), layerByLayer: compilePlan(m, { quantSteps: false }) };
    const { channels: c, height: h, width: w } = m.net.input;
    try {
      for (const batch of quick ? [1, 8] : batches)
        for (const threads of threadCounts) {
          const r = new Rng(7);
          const x = Float32Array.from({ length: batch * h * w * c }, () => r.normal());
          const ips: Record<string, number[]> = {};
          const contenders = Object.entries(plans);
          for (let round = 0; round < rounds; round++) {
            for (let i = 0; i < contenders.length; i++) {
              const [name, plan] = contenders[(i + turn) % contenders.length];
              (ips[name] ??= []).push(ours(addon, plan, x, batch, seconds, threads, true));
            }
            turn++;
          }
          const [o, l] = [median(ips.ours), median(ips.layerByLayer)];
          const row = { run, batch, threads, ours: +o.toFixed(1), layerByLayer: +l.toFixed(1), ratio: +(o / l).toFixed(3), rounds: ips };
          console.log(`${run.padEnd(30)} batch ${String(batch).padStart(3)}, ${threads} thread${threads > 1 ? "s" : " "}: ours ${o.toFixed(0).padStart(6)} img/s, layer by layer ${l.toFixed(0).padStart(6)} img/s, x${row.ratio}`);
          rows.push(row);
        }
    } finally {
      disposePlan(plans.ours);
      disposePlan(plans.layerByLayer);
      disposeModel(m);
    }
  }
  return rows;
}

async function main() {
  const quick = !!args.quick;
  const seconds = quick ? 0.3 : num("seconds", args.seconds, { min: 0.2 });
  const nets = netList(args.nets);
  const rounds = quick ? 1 : num("rounds", args.rounds, { int: true, min: 1 });
  const cifarBatches = list("batches", args.batches);
  const imagenetBatches = quick ? [1, 4] : list("imagenet-batches", args["imagenet-batches"]);
  const threadCounts = list("threads", args.threads ?? (args.qat ? "1,2" : "2"));
  if (!args.qat && !args["no-torch"] && !fs.existsSync(args.python)) throw new Error(`--python: ${args.python} does not exist (bash scripts/setup-system.sh --bench installs python3-torch)`);
  await initBackend({ force: NATIVE_BACKEND });
  const addon = loadNativeAddon()!;
  const convPath = nativeConvPath(addon);
  const hasDnnl = addon.dnnlVersion() !== "";
  console.log(`ours: ${convPath}; ${quick ? "--quick: a check that it runs, not a measurement" : `${seconds} s a contender`}`);
  if (args.qat) {
    const results = benchQat(addon, quick, seconds, rounds, cifarBatches, threadCounts);
    const out = path.resolve(args.out ?? path.join(FIGURES, "bench-infer-qat.json"));
    if (!quick) writeFileAtomic(out, JSON.stringify({ environment: runEnvironment(), convPath, seconds, results }, null, 2) + "\n");
    return;
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "bench-infer-"));
  const rows = [];
  let turn = 0;
  try {
    for (const net of nets) {
      const spec = network(net).build();
      const m = createModel(spec, 1);
      const plan = compilePlan(m);
      const graphFile = path.join(tmp, `${net}.json`);
      const { channels: c, height: h, width: w } = spec.input;
      fs.writeFileSync(graphFile, JSON.stringify({ layers: plan.graph.layers, output: plan.graph.output, input: [c, h, w], bnEps: BN_EPS }));
      const ourParameters = [...m.params.values()].reduce((s, t) => s + t.size, 0);
      const batches = h > 64 ? imagenetBatches : cifarBatches;
      try {
        for (const batch of batches)
          for (const threads of threadCounts) {
            const r = new Rng(7);
            const x = Float32Array.from({ length: batch * h * w * c }, () => r.normal());
            addon.setThreads(threads);
            const kernels = implementations(addon, plan, batch);
            // the direct-only contender differs from ours only where a layer runs on Winograd at this batch and thread count
            const anyWinograd = hasDnnl && Object.keys(kernels).some((k) => /wino/.test(k));
            const contenders: [string, () => number | TorchResult | null][] = [
              ["ours", () => ours(addon, plan, x, batch, seconds, threads, true)],
              ["oursDirect", () => (anyWinograd ? ours(addon, plan, x, batch, seconds, threads, false) : NaN)],
              ["nchw", () => (args["no-torch"] ? null : torch(graphFile, batch, seconds, "nchw", threads))],
              ["channels_last", () => (args["no-torch"] ? null : torch(graphFile, batch, seconds, "channels_last", threads))],
            ];
            // every contender's images/s in each round (median over the rounds)
            const ips: Record<string, number[]> = {};
            let torchVersion: string | null = null;
            const record = (name: string, v: number) => (ips[name] ??= []).push(v);
            for (let round = 0; round < rounds; round++) {
              // rotate the order from turn to turn, so no contender always runs first (or last)
              for (let i = 0; i < contenders.length; i++) {
                const [name, fn] = contenders[(i + turn) % contenders.length];
                const v = fn();
                if (typeof v === "number") record(name, v);
                else if (v) {
                  if (v.parameters !== ourParameters) throw new Error(`the PyTorch peer's ${net} has ${v.parameters} parameters, ours ${ourParameters}: the networks differ`);
                  record(`eager ${name}`, v.eager);
                  record(`frozen ${name}`, v.frozen);
                  torchVersion = v.torch;
                }
              }
              turn++;
            }
            const med = (name: string) => (ips[name] ? median(ips[name]) : NaN);
            const oursIps = med("ours");
            const directIps = med("oursDirect");
            const peers = Object.fromEntries(PEERS.filter((k) => ips[k]).map((k) => [k, med(k)]));
            const best = Object.entries(peers).sort((a, b) => b[1] - a[1])[0];
            const ratio = best ? +(oursIps / best[1]).toFixed(3) : null;
            const r1 = (v: number) => (Number.isFinite(v) ? +v.toFixed(1) : null);
            const row = {
              net,
              batch,
              threads,
              ours: r1(oursIps),
              oursDirectOnly: r1(directIps),
              ratioDirectOnly: best && Number.isFinite(directIps) ? +(directIps / best[1]).toFixed(3) : null,
              winogradOverDirect: Number.isFinite(directIps) ? +(oursIps / directIps).toFixed(3) : null,
              torch: Object.fromEntries(Object.entries(peers).map(([k, v]) => [k, r1(v)])),
              torchBest: best ? best[0] : null,
              ratio,
              rounds: Object.fromEntries(Object.entries(ips).map(([k, v]) => [k, v.map((x) => +x.toFixed(1))])),
              torchVersion,
              kernels,
            };
            const fmt = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? "n/a" : v >= 100 ? v.toFixed(0) : v.toPrecision(3));
            console.log(
              `${net.padEnd(9)} batch ${String(batch).padStart(3)}, ${threads} thread${threads > 1 ? "s" : " "}: ours ${fmt(oursIps).padStart(6)} img/s  x${ratio ?? "n/a"} of PyTorch ${best ? best[0] : "n/a"}` +
                ` (direct kernels only ${fmt(directIps)}, x${row.ratioDirectOnly ?? "n/a"}; Winograd/direct x${row.winogradOverDirect ?? "n/a"})` +
                `   (PyTorch eager NCHW ${fmt(peers["eager nchw"])}, channels_last ${fmt(peers["eager channels_last"])}; frozen NCHW ${fmt(peers["frozen nchw"])}, channels_last ${fmt(peers["frozen channels_last"])})`,
            );
            rows.push(row);
          }
      } finally {
        disposePlan(plan);
        disposeModel(m);
      }
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const peakRssMiB = Math.round(process.resourceUsage().maxRSS / 1024);
  console.log(`peak RSS of this process: ${peakRssMiB} MiB`);
  if (!quick) writeFileAtomic(path.resolve(args.out ?? path.join(FIGURES, "bench-infer.json")), JSON.stringify({ environment: runEnvironment(), convPath, seconds, results: rows, peakRssMiB }, null, 2) + "\n");
}

if (!launcherOnly)
  main().catch((e) => {
    console.error(`error: ${(e as Error).message}`);
    process.exit(1);
  });
