/**
 * Training speed: ResNet-8, -20 and -56 at batch 32 and 128 on random data, on 2 threads and on 1. In one run,
 * interleaved so that drift hits every contender alike: tailor-native with oneDNN convolutions (Winograd on the 3x3
 * stride-1 layers of >= 32 channels, as training runs), the same with oneDNN's direct kernels only, tailor-native on its
 * im2col + GEMM fallback (2 threads only), and PyTorch (Debian's python3-torch, as many threads) in its default NCHW
 * memory format and in channels_last; each ratio is against the faster PyTorch of the two at the same thread count.
 * One thread is how the training campaign runs (one process per core). Also: each convolution of ResNet-8 (batch 32) forward and both
 * gradients in GFLOP/s and as a fraction of the machine's FMA peak measured in the same run, a kernel profile of one
 * ResNet-8 step and of the campaign's case (ResNet-20, batch 32, one thread), and peak memory; and for every case the convolutions' own time in a step (each layer timed alone on
 * the addon) and the ratio to PyTorch that would follow if nothing but the convolutions took time: the ceiling of
 * everything but faster convolutions. Writes figures/bench-train.json. Run it on a quiet machine.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../src/backend/index.js";
import { loadNativeAddon, type ConvPath, type NativeAddon } from "../src/backend/native-addon.js";
import { NATIVE_BACKEND } from "../src/backend/native-kernels.js";
import { lower, resnet8, type ConvLayer, type NetSpec } from "../src/net/index.js";
import { createModel, disposeModel } from "../src/train/model.js";
import { Sgd } from "../src/train/optimizer.js";
import { trainStep } from "../src/train/step.js";
import { runEnvironment } from "../src/backend/environment.js";
import { writeFileAtomic } from "../src/util/fs.js";
import { Rng } from "../src/util/random.js";
import { relaunchedWithHeapReuse, num, parseCli } from "./cli.js";
import { network, TRAINABLE_NETS, type NetName } from "../src/experiment/index.js";

/** the networks of the benchmark's default cases: the depth study's (a subset of the registry's trainable networks) */
const DEFAULT_NETS: NetName[] = ["resnet8", "resnet20", "resnet56"];
type Net = NetName;
const args = parseCli("Usage: npm run bench -- [options]", {
  seconds: { type: "string", help: "time to measure each contender in each case (after warm-up)", default: "6" },
  nets: { type: "string", help: `comma-separated subset of ${TRAINABLE_NETS.join(", ")}`, default: DEFAULT_NETS.join(",") },
  batches: { type: "string", help: "comma-separated batch sizes", default: "32,128" },
  threads: { type: "string", help: "comma-separated thread counts (the first is used for the profile and the per-layer table)", default: "2,1" },
  python: { type: "string", help: "Python with torch for the peer (bash scripts/setup-system.sh --bench installs it)", default: "/usr/bin/python3" },
  out: { type: "string", help: "result file", default: path.resolve(__dirname, "..", "figures", "bench-train.json") },
});
const launcherOnly = relaunchedWithHeapReuse();

const spec = (net: Net): NetSpec => network(net).build();

function randomBatch(batch: number, seed: number) {
  const r = new Rng(seed);
  return { x: Float32Array.from({ length: batch * 3072 }, () => r.normal()), labels: Int32Array.from({ length: batch }, () => r.int(10)), n: batch };
}

function ours(addon: NativeAddon, convPath: ConvPath, net: Net, batch: number, seconds: number, threads: number, winograd = true): number {
  if (!addon.setConvPath(convPath)) return NaN;
  addon.setWinograd(winograd);
  addon.setThreads(threads);
  const m = createModel(spec(net), 1);
  const opt = new Sgd({ lr: 0.01, momentum: 0.9, weightDecay: 1e-4, nesterov: true });
  const b = randomBatch(batch, 2);
  for (let i = 0; i < 3; i++) trainStep(m, opt, b, 0.01);
  let steps = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000 || steps < 3) {
    trainStep(m, opt, b, 0.01);
    steps++;
  }
  const ips = (batch * steps) / ((performance.now() - t0) / 1000);
  disposeModel(m);
  opt.dispose();
  addon.setWinograd(true);
  return ips;
}

interface TorchResult {
  imagesPerSecond: number;
  torch: string;
  peakRssMiB: number;
}

function torch(net: Net, batch: number, seconds: number, layout: "nchw" | "channels_last", threads: number): TorchResult | null {
  const script = path.join(__dirname, "bench_train_torch.py");
  const run = (steps: number) => spawnSync(args.python, [script, net, String(batch), String(steps), layout, String(threads)], { encoding: "utf8" });
  if (!fs.existsSync(args.python)) return null;
  // size the step count from a short probe so the peer runs about as long as ours
  const probe = run(3);
  if (probe.status !== 0) {
    console.error(`PyTorch peer failed (bash scripts/setup-system.sh --bench installs it): ${probe.stderr.trim().split("\n").pop()}`);
    return null;
  }
  const ips = JSON.parse(probe.stdout).imagesPerSecond as number;
  const r = run(Math.max(3, Math.round((ips * seconds) / batch)));
  return r.status === 0 ? (JSON.parse(r.stdout) as TorchResult) : null;
}

function geometry(l: ConvLayer, n: number, inH: number, inW: number): Int32Array {
  return Int32Array.from([n, inH, inW, l.cin, l.kernel[0], l.kernel[1], l.cout, l.shape.h, l.shape.w, l.stride[0], l.stride[1], l.pad[0], l.pad[1], 1, 1]);
}

/** mean ms of `fn` over at least `minMs` (and 5 calls), after 3 calls of warm-up */
function timeMs(fn: () => void, minMs = 150): number {
  for (let i = 0; i < 3; i++) fn();
  let reps = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < minMs || reps < 5) (fn(), reps++);
  return (performance.now() - t0) / reps;
}

/**
 * The convolutions' share of one training step, measured: every conv layer of `net` at `batch` on `threads`, timed on
 * the addon directly on the path training runs (Winograd where training uses it), forward, backward-weights, and
 * backward-data for every layer but the first (the images need no gradient: training skips it). Layers of the same
 * geometry are timed once. The sum is the step's time if everything but the convolutions took none.
 */
function convMsPerStep(addon: NativeAddon, net: Net, batch: number, threads: number): number {
  // the contenders leave the addon on whichever path ran last (GEMM, or oneDNN without Winograd)
  addon.setConvPath("onednn");
  addon.setWinograd(true);
  addon.setThreads(threads);
  const g = lower(spec(net));
  const seen = new Map<string, { fwd: number; data: number; weights: number }>();
  let total = 0;
  let first = true;
  for (const l of g.layers) {
    if (l.op !== "conv") continue;
    const src = g.layers[l.inputs[0]].shape;
    const geom = geometry(l, batch, src.h, src.w);
    const key = geom.join(",");
    let t = seen.get(key);
    if (!t) {
      const r = new Rng(5);
      const rand = (n: number) => Float32Array.from({ length: n }, () => r.normal());
      const x = rand(batch * src.h * src.w * l.cin), f = rand(l.kernel[0] * l.kernel[1] * l.cin * l.cout), y = rand(batch * l.shape.h * l.shape.w * l.cout);
      const dx = new Float32Array(x.length), df = new Float32Array(f.length), out = new Float32Array(y.length);
      t = { fwd: timeMs(() => addon.convForward(geom, x, f, out), 60), data: timeMs(() => addon.convBackInput(geom, y, f, dx), 60), weights: timeMs(() => addon.convBackFilter(geom, x, y, df), 60) };
      seen.set(key, t);
    }
    total += t.fwd + t.weights + (first ? 0 : t.data);
    first = false;
  }
  return total;
}

/** Each convolution of ResNet-8 at batch 32, forward and both gradients, timed on the addon directly. */
function convLayers(addon: NativeAddon, peak: number) {
  const g = lower(resnet8());
  const rows = [];
  for (const l of g.layers) {
    if (l.op !== "conv") continue;
    const src = g.layers[l.inputs[0]].shape;
    const geom = geometry(l, 32, src.h, src.w);
    const r = new Rng(5);
    const rand = (n: number) => Float32Array.from({ length: n }, () => r.normal());
    const x = rand(32 * src.h * src.w * l.cin), f = rand(l.kernel[0] * l.kernel[1] * l.cin * l.cout), y = rand(32 * l.shape.h * l.shape.w * l.cout);
    const dx = new Float32Array(x.length), df = new Float32Array(f.length), out = new Float32Array(y.length);
    const flop = 2 * 32 * l.shape.h * l.shape.w * l.cout * l.kernel[0] * l.kernel[1] * l.cin;
    const time = (fn: () => void) => timeMs(fn);
    const row: Record<string, string | number> = { layer: l.name, shape: `${l.cin}->${l.cout} ${l.kernel[0]}x${l.kernel[1]} s${l.stride[0]} @${src.h}x${src.w}` };
    for (const p of ["onednn", "gemm"] as ConvPath[]) {
      if (!addon.setConvPath(p)) continue;
      const ms = [time(() => addon.convForward(geom, x, f, out)), time(() => addon.convBackInput(geom, y, f, dx)), time(() => addon.convBackFilter(geom, x, y, df))];
      ["forward", "backwardData", "backwardWeights"].forEach((k, i) => {
        row[`${p}.${k}.ms`] = +ms[i].toFixed(3);
        row[`${p}.${k}.gflops`] = +(flop / ms[i] / 1e6).toFixed(1);
        row[`${p}.${k}.ofPeak`] = +(flop / ms[i] / 1e6 / peak).toFixed(3);
      });
      if (p === "onednn") row.implementation = addon.convImplementations(geom);
    }
    rows.push(row);
  }
  return rows;
}

/** Wall time per kernel over `steps` steps of `net`, by wrapping every kernel of the backend in a timer. */
function kernelProfile(backendName: string, net: Net, batch: number, threads: number, steps: number) {
  const acc = new Map<string, { ms: number; calls: number }>();
  const originals = tf.getKernelsForBackend(backendName);
  for (const k of originals) {
    tf.unregisterKernel(k.kernelName, backendName);
    tf.registerKernel({
      ...k,
      kernelFunc: (a) => {
        const t0 = performance.now();
        const r = k.kernelFunc(a);
        const e = acc.get(k.kernelName) ?? { ms: 0, calls: 0 };
        e.ms += performance.now() - t0;
        e.calls++;
        acc.set(k.kernelName, e);
        return r;
      },
    });
  }
  const m = createModel(spec(net), 1);
  const opt = new Sgd({ lr: 0.01, momentum: 0.9, weightDecay: 1e-4, nesterov: true });
  const b = randomBatch(batch, 3);
  for (let i = 0; i < 5; i++) trainStep(m, opt, b, 0.01);
  acc.clear();
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) trainStep(m, opt, b, 0.01);
  const stepMs = (performance.now() - t0) / steps;
  for (const k of originals) {
    tf.unregisterKernel(k.kernelName, backendName);
    tf.registerKernel(k);
  }
  disposeModel(m);
  opt.dispose();
  const kernels = [...acc].map(([name, e]) => ({ name, msPerStep: +(e.ms / steps).toFixed(2), callsPerStep: e.calls / steps })).sort((x, y) => y.msPerStep - x.msPerStep);
  const inKernels = kernels.reduce((s, k) => s + k.msPerStep, 0);
  const calls = kernels.reduce((s, k) => s + k.callsPerStep, 0);
  return { net, batch, threads, stepMs: +stepMs.toFixed(2), kernelMs: +inKernels.toFixed(2), outsideKernelsMs: +(stepMs - inKernels).toFixed(2), kernelCallsPerStep: calls, kernels: kernels.slice(0, 14) };
}

function list<T extends string>(flag: string, v: string, allowed?: readonly T[]): T[] {
  const items = v.split(",").map((s) => s.trim()).filter(Boolean);
  for (const s of items) {
    if (allowed && !allowed.includes(s as T)) throw new Error(`--${flag}: "${s}" is not one of ${allowed.join(", ")}`);
    if (!allowed) num(flag, s, { int: true, min: 1 });
  }
  if (items.length === 0) throw new Error(`--${flag}: empty list`);
  return items as T[];
}

async function main() {
  const seconds = num("seconds", args.seconds, { min: 0.5 });
  const nets = list<Net>("nets", args.nets, TRAINABLE_NETS);
  const batches = list("batches", args.batches).map(Number);
  const threadCounts = list("threads", args.threads).map(Number);
  const backend = await initBackend({ force: NATIVE_BACKEND });
  const addon = loadNativeAddon()!;
  const hasDnnl = addon.dnnlVersion() !== "";
  if (!hasDnnl) console.error("[bench] the addon was built without oneDNN: only the GEMM path is measured");
  addon.setThreads(threadCounts[0]);
  const peak = addon.fmaPeak(2);
  console.log(`measured FMA peak: ${peak.toFixed(0)} GFLOP/s on ${threadCounts[0]} threads`);
  const rows = [];
  let turn = 0;
  for (const net of nets)
    for (const batch of batches)
      for (const threads of threadCounts) {
        // rotate the order of the contenders from case to case, so no one always runs first (or last)
        const contenders: [string, () => number | TorchResult | null][] = [
          ["onednn", () => (hasDnnl ? ours(addon, "onednn", net, batch, seconds, threads) : NaN)],
          ["onednnDirect", () => (hasDnnl ? ours(addon, "onednn", net, batch, seconds, threads, false) : NaN)],
          ["gemm", () => (threads === threadCounts[0] ? ours(addon, "gemm", net, batch, seconds, threads) : NaN)],
          ["torchNchw", () => torch(net, batch, seconds, "nchw", threads)],
          ["torchChannelsLast", () => torch(net, batch, seconds, "channels_last", threads)],
        ];
        const got: Record<string, number | TorchResult | null> = {};
        for (let i = 0; i < contenders.length; i++) {
          const [name, fn] = contenders[(i + turn) % contenders.length];
          got[name] = fn();
        }
        turn++;
        const ipsOf = (v: number | TorchResult | null) => (v === null ? NaN : typeof v === "number" ? v : v.imagesPerSecond);
        const best = Math.max(ipsOf(got.torchNchw), ipsOf(got.torchChannelsLast));
        const bestLayout = ipsOf(got.torchNchw) >= ipsOf(got.torchChannelsLast) ? "nchw" : "channels_last";
        const fmt = (v: number) => (Number.isFinite(v) ? Math.round(v) : null);
        const ratio = (v: number) => (Number.isFinite(v) && Number.isFinite(best) ? +(v / best).toFixed(3) : null);
        // where the step's time goes: the convolutions (oneDNN path, as training runs them) and the rest; the ratio
        // to PyTorch this path could reach if the rest took no time at all
        const convMs = hasDnnl ? convMsPerStep(addon, net, batch, threads) : NaN;
        const stepMs = (1000 * batch) / ipsOf(got.onednn);
        const row = {
          net,
          batch,
          threads,
          onednn: fmt(ipsOf(got.onednn)),
          onednnDirect: fmt(ipsOf(got.onednnDirect)),
          gemm: fmt(ipsOf(got.gemm)),
          torchNchw: fmt(ipsOf(got.torchNchw)),
          torchChannelsLast: fmt(ipsOf(got.torchChannelsLast)),
          torchBestLayout: Number.isFinite(best) ? bestLayout : null,
          ratioOnednn: ratio(ipsOf(got.onednn)),
          ratioOnednnDirect: ratio(ipsOf(got.onednnDirect)),
          ratioGemm: ratio(ipsOf(got.gemm)),
          stepMs: Number.isFinite(stepMs) ? +stepMs.toFixed(2) : null,
          convMs: Number.isFinite(convMs) ? +convMs.toFixed(2) : null,
          convShare: Number.isFinite(convMs / stepMs) ? +(convMs / stepMs).toFixed(3) : null,
          ratioIfOnlyConvs: ratio((1000 * batch) / convMs),
          torchVersion: (got.torchNchw as TorchResult | null)?.torch ?? null,
          torchPeakRssMiB: Math.max((got.torchNchw as TorchResult | null)?.peakRssMiB ?? 0, (got.torchChannelsLast as TorchResult | null)?.peakRssMiB ?? 0) || null,
        };
        console.log(
          `${net} batch ${batch}, ${threads} thread${threads > 1 ? "s" : ""}: oneDNN ${row.onednn ?? "n/a"} img/s (x${row.ratioOnednn ?? "n/a"}; direct kernels only ${row.onednnDirect ?? "n/a"}), GEMM ${row.gemm} (x${row.ratioGemm ?? "n/a"}), ` +
            `PyTorch NCHW ${row.torchNchw ?? "n/a"}, channels_last ${row.torchChannelsLast ?? "n/a"}; convolutions ${row.convMs ?? "n/a"} of ${row.stepMs ?? "n/a"} ms a step (x${row.ratioIfOnlyConvs ?? "n/a"} if nothing else took time)`,
        );
        rows.push(row);
      }
  addon.setConvPath(hasDnnl ? "onednn" : "gemm");
  // ResNet-8 on the first thread count, and the campaign's case (ResNet-20, batch 32, one thread: one process per
  // core), each with its convolutions' own time, so that what the fused kernels spend beyond them shows
  const profiles = [
    { net: "resnet8" as Net, batch: 32, threads: threadCounts[0] },
    { net: "resnet20" as Net, batch: 32, threads: 1 },
  ].map((c) => {
    addon.setThreads(c.threads);
    const p = kernelProfile(backend.name, c.net, c.batch, c.threads, 30);
    const convMs = hasDnnl ? convMsPerStep(addon, c.net, c.batch, c.threads) : NaN;
    return { ...p, convMs: Number.isFinite(convMs) ? +convMs.toFixed(2) : null };
  });
  addon.setThreads(threadCounts[0]);
  for (const p of profiles) {
    console.log(`${p.net} batch ${p.batch} step on ${p.threads} thread(s) (${hasDnnl ? "oneDNN" : "GEMM"}): ${p.stepMs} ms, ${p.kernelMs} ms in ${p.kernelCallsPerStep} kernel calls, of which the convolutions alone ${p.convMs ?? "n/a"} ms:`);
    for (const k of p.kernels) console.log(`  ${k.name.padEnd(28)} ${k.msPerStep.toFixed(2).padStart(6)} ms  x${k.callsPerStep}`);
  }
  const layers = convLayers(addon, peak);
  addon.setConvPath(hasDnnl ? "onednn" : "gemm");
  console.log("ResNet-8 convolutions, batch 32, GFLOP/s (fraction of the measured peak), forward / backward-data / backward-weights:");
  for (const r of layers) {
    const cell = (p: string) => ["forward", "backwardData", "backwardWeights"].map((k) => `${r[`${p}.${k}.gflops`]} (${r[`${p}.${k}.ofPeak`]})`).join(" / ");
    console.log(`  ${String(r.layer).padEnd(14)} ${String(r.shape).padEnd(24)} oneDNN ${hasDnnl ? cell("onednn") : "n/a"}   GEMM ${cell("gemm")}`);
  }
  const peakRssMiB = Math.round(process.resourceUsage().maxRSS / 1024);
  console.log(`peak RSS of this process (every tfjs case): ${peakRssMiB} MiB`);
  const out = { environment: runEnvironment(), fmaPeakGflops: +peak.toFixed(1), peakThreads: threadCounts[0], seconds, results: rows, profiles, convLayers: layers, peakRssMiB };
  writeFileAtomic(path.resolve(args.out), JSON.stringify(out, null, 2) + "\n");
}

if (!launcherOnly) main().catch((e) => {
  console.error(`error: ${(e as Error).message}`);
  process.exit(1);
});
