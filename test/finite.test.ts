// The divergence stop: parameters, BN statistics and momentum buffers are checked before anything is written,
// whatever the kernels do with NaN.
import * as tf from "@tensorflow/tfjs";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../src/backend/index.js";
import { DEFAULT_CONFIG, type TrainConfig } from "../src/train/config.js";
import { assertFinite, countNonFinite, DivergedError, findNonFinite } from "../src/train/finite.js";
import { createModel } from "../src/train/model.js";
import { runTailor, type TailorData } from "../src/train/tailor.js";
import { resnet8 } from "../src/net/index.js";
import { syntheticImages } from "./helpers/synthetic-cifar.js";

beforeAll(async () => {
  await initBackend({ quiet: true });
});


describe("finiteness check", () => {
  it("counts NaN, infinities and impossible negatives", () => {
    expect(countNonFinite(Float32Array.from([1, -2, 0, 3e38]))).toEqual({ nan: 0, inf: 0, negative: 0 });
    expect(countNonFinite(Float32Array.from([NaN, 1, Infinity, -Infinity, NaN]))).toEqual({ nan: 2, inf: 2, negative: 0 });
    expect(countNonFinite(Float32Array.from([1, -1e-9, 2]), false)).toEqual({ nan: 0, inf: 0, negative: 1 });
  });

  it("names every bad tensor: a weight, a running variance below zero, a momentum buffer", () => {
    const m = createModel(resnet8(), 1);
    expect(findNonFinite(m)).toEqual([]);
    const w = m.params.get("stem0.conv.weight")!;
    w.assign(tf.tidy(() => w.mul(tf.scalar(NaN))));
    m.stats.get("s1b0.u0.bn.variance")!.assign(tf.fill([32], -1));
    const buffers = new Map([["head.fc.bias", tf.tensor1d([0, Infinity, 0, 0, 0, 0, 0, 0, 0, 0])]]);
    const bad = findNonFinite({ ...m, buffers });
    expect(bad.map((b) => `${b.kind} ${b.name}`)).toEqual(["parameter stem0.conv.weight", "BN statistic s1b0.u0.bn.variance", "momentum buffer head.fc.bias"]);
    expect(() => assertFinite({ ...m, buffers }, "in epoch 3")).toThrow(
      /training diverged in epoch 3: 3 tensor\(s\).*parameter stem0.conv.weight: 432 NaN of 432; BN statistic s1b0.u0.bn.variance: 32 negative of 32; momentum buffer head.fc.bias: 1 infinite of 10.*last checkpoint is kept/,
    );
  });
});

describe("a diverging run", () => {
  let restore: (() => void) | undefined;
  afterEach(() => restore?.());

  it("stops before writing a checkpoint even when a ReLU maps NaN to 0 (the loss stays finite)", () => {
    // a ReLU as `a > 0 ? a : 0`: NaN inputs give 0, so NaN weights no longer reach the loss
    const backend = tf.getBackend();
    const stock = tf.getKernel("Relu", backend)!;
    tf.unregisterKernel("Relu", backend);
    tf.registerKernel({
      kernelName: "Relu",
      backendName: backend,
      kernelFunc: ({ inputs, backend: be }) => {
        const x = (inputs as { x: tf.TensorInfo }).x;
        const v = (be as tf.KernelBackend).readSync(x.dataId) as Float32Array;
        const out = Float32Array.from(v, (a) => (a > 0 ? a : 0));
        return tf.engine().makeTensorFromDataId((be as tf.KernelBackend).write(out, x.shape, "float32"), x.shape, "float32", be as tf.KernelBackend);
      },
    });
    restore = () => {
      tf.unregisterKernel("Relu", backend);
      tf.registerKernel(stock);
    };
    const data: TailorData = { train: syntheticImages(64, 1), test: syntheticImages(16, 2) };
    const config: TrainConfig = { ...DEFAULT_CONFIG, epochs: 4, batchSize: 16, valSize: 16, limitTrain: 32, limitEval: 16, lr: 1e6, logEvery: 1000 };
    const written: number[] = [];
    const losses: number[] = [];
    let error: unknown;
    try {
      runTailor({ config, data, env: {}, onProgress: (p) => losses.push(p.loss), onEpoch: (r, ckpt) => (ckpt(), written.push(r.valLoss)) });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DivergedError);
    expect((error as Error).message).toMatch(/training diverged in epoch \d: .*(NaN|infinite|Infinity)/);
    // what was written before the stop is finite, and the loss never showed the problem
    for (const v of written) expect(Number.isFinite(v)).toBe(true);
    for (const l of losses) expect(Number.isFinite(l)).toBe(true);
  });
});
