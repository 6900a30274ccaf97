/**
 * Training speed: ResNet-8 and ResNet-20 at batch 32 and 128 on random data, our tfjs backend against PyTorch
 * (Debian's python3-torch, 2 threads) measured in the same run. Prints images/s and the ratio; writes
 * figures/bench-train.json. Run it on a quiet machine: anything else running skews both sides.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../src/backend/index.js";
import { cifarResNet, resnet8 } from "../src/net/index.js";
import { createModel, disposeModel } from "../src/train/model.js";
import { Sgd } from "../src/train/optimizer.js";
import { trainStep } from "../src/train/step.js";
import { runEnvironment } from "../src/util/env.js";
import { writeFileAtomic } from "../src/util/fs.js";
import { Rng } from "../src/util/random.js";
import { ensureHeapReuse, num, parseCli } from "./cli.js";

ensureHeapReuse();
const args = parseCli("Usage: npm run bench -- [options]", {
  seconds: { type: "string", help: "time to measure each case (after warm-up)", default: "10" },
  python: { type: "string", help: "Python with torch for the peer", default: "/usr/bin/python3" },
  out: { type: "string", help: "result file", default: path.resolve(__dirname, "..", "figures", "bench-train.json") },
});

function ours(net: "resnet8" | "resnet20", batch: number, seconds: number): number {
  const spec = net === "resnet8" ? resnet8() : cifarResNet(20);
  const m = createModel(spec, 1);
  const opt = new Sgd({ lr: 0.01, momentum: 0.9, weightDecay: 1e-4, nesterov: true });
  const r = new Rng(2);
  const b = { x: Float32Array.from({ length: batch * 3072 }, () => r.normal()), labels: Int32Array.from({ length: batch }, () => r.int(10)), n: batch };
  for (let i = 0; i < 5; i++) trainStep(m, opt, b, 0.01);
  let steps = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) {
    trainStep(m, opt, b, 0.01);
    steps++;
  }
  const ips = (batch * steps) / ((performance.now() - t0) / 1000);
  disposeModel(m);
  opt.dispose();
  return ips;
}

function torch(net: string, batch: number, seconds: number, python: string): { imagesPerSecond: number; torch: string } | null {
  if (!fs.existsSync(python)) return null;
  // size the step count from a short probe so the peer runs about as long as ours
  const probe = spawnSync(python, [path.join(__dirname, "bench_train_torch.py"), net, String(batch), "5"], { encoding: "utf8" });
  if (probe.status !== 0) {
    console.error(`PyTorch peer failed (apt-get install python3-torch): ${probe.stderr.trim().split("\n").pop()}`);
    return null;
  }
  const ips = JSON.parse(probe.stdout).imagesPerSecond as number;
  const steps = Math.max(5, Math.round((ips * seconds) / batch));
  const r = spawnSync(python, [path.join(__dirname, "bench_train_torch.py"), net, String(batch), String(steps)], { encoding: "utf8" });
  return r.status === 0 ? JSON.parse(r.stdout) : null;
}

/** Wall time per kernel over `steps` ResNet-8 steps, by wrapping every kernel of the backend in a timer. */
function kernelProfile(backendName: string, batch: number, steps: number) {
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
  const m = createModel(resnet8(), 1);
  const opt = new Sgd({ lr: 0.01, momentum: 0.9, weightDecay: 1e-4, nesterov: true });
  const r = new Rng(3);
  const b = { x: Float32Array.from({ length: batch * 3072 }, () => r.normal()), labels: Int32Array.from({ length: batch }, () => r.int(10)), n: batch };
  for (let i = 0; i < 5; i++) trainStep(m, opt, b, 0.01);
  acc.clear();
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) trainStep(m, opt, b, 0.01);
  const stepMs = (performance.now() - t0) / steps;
  for (const k of originals) {
    tf.unregisterKernel(k.kernelName, backendName);
    tf.registerKernel(k);
  }
  const kernels = [...acc].map(([name, e]) => ({ name, msPerStep: +(e.ms / steps).toFixed(2), callsPerStep: e.calls / steps })).sort((x, y) => y.msPerStep - x.msPerStep);
  const inKernels = kernels.reduce((s, k) => s + k.msPerStep, 0);
  return { batch, stepMs: +stepMs.toFixed(2), kernelMs: +inKernels.toFixed(2), outsideKernelsMs: +(stepMs - inKernels).toFixed(2), kernels: kernels.slice(0, 12) };
}

async function main() {
  const seconds = num("seconds", args.seconds, { min: 1 });
  const backend = await initBackend();
  const rows = [];
  for (const net of ["resnet8", "resnet20"] as const)
    for (const batch of [32, 128]) {
      const a = ours(net, batch, seconds);
      const p = torch(net, batch, seconds, args.python);
      const row = { net, batch, tfjs: Math.round(a), pytorch: p ? Math.round(p.imagesPerSecond) : null, ratio: p ? +(a / p.imagesPerSecond).toFixed(3) : null, torchVersion: p?.torch ?? null };
      console.log(`${net} batch ${batch}: tfjs (${backend.name}) ${row.tfjs} img/s, PyTorch ${row.pytorch ?? "n/a"} img/s, ratio ${row.ratio ?? "n/a"}`);
      rows.push(row);
    }
  const profile = kernelProfile(backend.name, 32, 20);
  console.log(`ResNet-8 batch 32 step: ${profile.stepMs} ms, of which in kernels ${profile.kernelMs} ms:`);
  for (const k of profile.kernels) console.log(`  ${k.name.padEnd(28)} ${k.msPerStep.toFixed(2).padStart(6)} ms  x${k.callsPerStep}`);
  writeFileAtomic(path.resolve(args.out), JSON.stringify({ environment: runEnvironment(), seconds, results: rows, profile }, null, 2) + "\n");
}

main().catch((e) => {
  console.error(`error: ${(e as Error).message}`);
  process.exit(1);
});
