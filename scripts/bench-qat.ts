/**
 * What quantisation-aware training costs: training steps of a ResNet on random data, float against QAT at 8 and 4
 * bits (every conv's weights and ReLU output fake-quantised, src/train/quant.ts), interleaved so that load on the
 * machine hits all alike; and the quantiser op alone on one activation tensor, the native kernel against the
 * reference ops (composed tfjs ops on the same backend). Writes figures/bench-qat.json (not with --quick).
 *
 *   npx tsx scripts/bench-qat.ts                 ResNet-8 and ResNet-20, batch 32, 30 timed steps per setting
 *   npx tsx scripts/bench-qat.ts --quick         a check that it runs: ResNet-8, batch 4, 2 steps
 */
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../src/backend/index.js";
import { refFakeQuant } from "../src/backend/quant-ops.js";
import { trainingOps } from "../src/backend/training-ops.js";
import type { NetName } from "../src/experiment/index.js";
import { DEFAULT_CONFIG, type TrainConfig } from "../src/train/config.js";
import { createModel } from "../src/train/model.js";
import { Sgd } from "../src/train/optimizer.js";
import { useQuant } from "../src/train/quant.js";
import { trainStep } from "../src/train/step.js";
import { buildNet } from "../src/train/tailor.js";
import { runEnvironment } from "../src/backend/environment.js";
import { writeFileAtomic } from "../src/util/fs.js";
import { Rng } from "../src/util/random.js";
import { num, parseCli } from "./cli.js";

const args = parseCli("Usage: npx tsx scripts/bench-qat.ts [options]", {
  nets: { type: "string", help: "comma-separated networks", default: "resnet8,resnet20" },
  batch: { type: "string", help: "batch size", default: "32" },
  steps: { type: "string", help: "timed steps per setting and round", default: "10" },
  rounds: { type: "string", help: "interleaved rounds (float, w8a8, w4a4 in turn)", default: "5" },
  quick: { type: "boolean", help: "tiny: resnet8, batch 4, 2 steps, 1 round, nothing written" },
});
const quick = !!args.quick;
const nets = (quick ? "resnet8" : args.nets).split(",") as NetName[];
const batch = quick ? 4 : num("batch", args.batch, { int: true, min: 1 });
const steps = quick ? 2 : num("steps", args.steps, { int: true, min: 1 });
const rounds = quick ? 1 : num("rounds", args.rounds, { int: true, min: 1 });
const SETTINGS: [string, Partial<TrainConfig>][] = [
  ["float", {}],
  ["w8a8", { quantWeightBits: 8, quantActBits: 8 }],
  ["w4a4", { quantWeightBits: 4, quantActBits: 4 }],
];

async function main() {
  const backend = await initBackend();
  const rng = new Rng(1);
  const steps_: Record<string, Record<string, number[]>> = {};
  for (const net of nets) {
    const x = Float32Array.from({ length: batch * 32 * 32 * 3 }, () => rng.normal());
    const labels = Int32Array.from({ length: batch }, (_, i) => i % 10);
    const models = SETTINGS.map(([, q]) => useQuant(createModel(buildNet({ net, form: "plain" }), 1), { ...DEFAULT_CONFIG, ...q }));
    const opts = SETTINGS.map(() => new Sgd({ lr: 0.01, momentum: 0.9, weightDecay: 1e-4, nesterov: true }));
    steps_[net] = Object.fromEntries(SETTINGS.map(([n]) => [n, []]));
    for (const [i] of SETTINGS.entries()) trainStep(models[i], opts[i], { x, labels, n: batch }, 0.01); // warm-up
    for (let r = 0; r < rounds; r++) {
      for (const [i, [name]] of SETTINGS.entries()) {
        const t0 = performance.now();
        for (let s = 0; s < steps; s++) trainStep(models[i], opts[i], { x, labels, n: batch }, 0.01);
        steps_[net][name].push((performance.now() - t0) / steps);
      }
    }
    const med = (a: number[]) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)];
    const f = med(steps_[net].float);
    for (const [name] of SETTINGS) console.log(`${net} batch ${batch} ${name}: ${med(steps_[net][name]).toFixed(1)} ms/step (${((100 * med(steps_[net][name])) / f - 100).toFixed(1)}% vs float)`);
  }
  // the op alone: one ReLU output of ResNet-8's first stage at this batch, forward and gradient
  const shape = [batch, 32, 32, 16];
  const xt = tf.randomUniform(shape, 0, 3, "float32", 2);
  const dy = tf.randomUniform(shape, -1, 1, "float32", 3);
  const op: Record<string, (t: tf.Tensor) => tf.Tensor> = {
    native: (t) => trainingOps().fakeQuant(t, 3 / 15, 0, 15, false),
    reference: (t) => refFakeQuant(t, 3 / 15, 0, 15, false),
  };
  const opMs: Record<string, number> = {};
  for (const [name, f] of Object.entries(op)) {
    // dy is given to the gradient directly (no mul/sum around the op); the cpu backends compute eagerly, so no read
    // is needed, and none is returned from the tidy: tfjs walks a returned array's every index looking for tensors
    // (~160 ms for this one)
    const once = () => tf.tidy(() => {
      tf.grad(f)(xt, dy);
    });
    once();
    const reps = quick ? 2 : 50;
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) once();
    opMs[name] = (performance.now() - t0) / reps;
    console.log(`fake quantisation of [${shape}] forward + gradient, ${name}: ${opMs[name].toFixed(3)} ms`);
  }
  if (!quick) writeFileAtomic(path.resolve(__dirname, "..", "figures", "bench-qat.json"), JSON.stringify({ environment: runEnvironment(), backend: backend.name, batch, steps, rounds, stepMs: steps_, opMs }, null, 2) + "\n");
}

main().catch((e) => {
  console.error(`error: ${(e as Error).message}`);
  process.exit(1);
});
