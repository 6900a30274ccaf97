/**
 * Two repairs of tfjs's wasm backend for training.
 *
 * 1. Sum and Mean. The stock kernels add the reduced values one after another in float32, so the error grows with
 * the count: over the batch x H x W values of a batch-norm channel (32 x 32 x 32 = 32,768 in ResNet-8's first
 * stage) it measured 4e-6 relative on a plain sum, and where the terms cancel (the gradient of a BN shift is the
 * sum of its output gradient) it reached 3e-3 relative, so that two SGD steps of a small network moved momentum
 * buffers and running statistics several times further from PyTorch than float32 rounding does (tfjs's cpu backend
 * adds in float64, PyTorch in blocks). Ours reduce in blocks of at most 32 values, each stage reading the partial
 * results of the last, so no float32 sum runs over more than 32 terms. test/train-step.test.ts checks the whole
 * step against PyTorch.
 *
 * 2. The wasm backend has no Conv2DBackpropFilter. We register one that reuses the wasm backend's own (XNNPACK)
 * forward convolution: dW[kh,kw,ci,co] = sum_{n,oy,ox} x[n, oy*s+kh-p, ox*s+kw-p, ci] * dy[n,oy,ox,co] is a
 * convolution of x^T (batch ci, channels n) with dy^T (a Ho x Wo filter, dilated by the stride s).
 */
import * as tf from "@tensorflow/tfjs";

type Info = tf.TensorInfo;

function run(name: string, inputs: tf.NamedTensorInfoMap, attrs: object, backend: tf.KernelBackend): Info {
  const k = tf.getKernel(name, "wasm");
  if (!k) throw new Error(`wasm backend has no ${name} kernel`);
  return k.kernelFunc({ inputs, attrs: attrs as tf.NamedAttrMap, backend }) as Info;
}

/** largest divisor of n in [2, 32], or 0 */
function block(n: number): number {
  for (let d = Math.min(32, n - 1); d >= 2; d--) if (n % d === 0) return d;
  return 0;
}

/** Sum or Mean over `axis` in stages of at most 32 terms (a stage of means of equal blocks is the mean). */
function blockedReduction(stock: tf.KernelConfig): tf.KernelConfig {
  return {
    ...stock,
    kernelFunc: (args) => {
      const backend = args.backend as tf.KernelBackend;
      const { x } = args.inputs as { x: Info };
      const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
      const reduce = (t: Info, ax: number[]) => stock.kernelFunc({ inputs: { x: t }, attrs: { axis: ax, keepDims: false }, backend }) as Info;
      const axes = tf.util.parseAxisParam(axis, x.shape);
      const total = axes.reduce((p, a) => p * x.shape[a], 1);
      if (x.dtype !== "float32" || total <= 32 || x.shape.some((d) => d === 0)) return stock.kernelFunc(args) as Info;
      const kept = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
      const outer = kept.reduce((p, a) => p * x.shape[a], 1);
      const temps: Info[] = [];
      const keep = (t: Info) => (temps.push(t), t);
      const perm = [...kept, ...axes];
      let cur = perm.every((a, i) => a === i) ? x : keep(run("Transpose", { x }, { perm }, backend));
      cur = keep(run("Reshape", { x: cur }, { shape: [outer, total] }, backend));
      let n = total;
      for (let d = block(n); n > 32 && d > 0; d = block(n)) {
        cur = keep(reduce(keep(run("Reshape", { x: cur }, { shape: [outer, n / d, d] }, backend)), [2]));
        n /= d;
      }
      const flat = keep(reduce(cur, [1]));
      const shape = keepDims ? x.shape.map((s, i) => (axes.includes(i) ? 1 : s)) : kept.map((a) => x.shape[a]);
      const out = run("Reshape", { x: flat }, { shape }, backend);
      for (const t of temps) backend.disposeData(t.dataId);
      return out;
    },
  };
}

export function registerWasmKernels(): void {
  if (tf.getKernel("Conv2DBackpropFilter", "wasm")) return;
  for (const name of ["Sum", "Mean"]) {
    const stock = tf.getKernel(name, "wasm");
    if (!stock) throw new Error(`wasm backend has no ${name} kernel`);
    tf.unregisterKernel(name, "wasm");
    tf.registerKernel(blockedReduction(stock));
  }
  tf.registerKernel({
    kernelName: "Conv2DBackpropFilter",
    backendName: "wasm",
    kernelFunc: ({ inputs, backend: be, attrs }) => {
      const backend = be as tf.KernelBackend;
      const { x, dy } = inputs as { x: Info; dy: Info };
      const a = attrs as unknown as {
        strides: number | [number, number];
        pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding;
        dataFormat: "NHWC" | "NCHW";
        dimRoundingMode?: "floor" | "round" | "ceil";
        filterShape: [number, number, number, number];
      };
      if (a.dataFormat !== "NHWC") throw new Error("wasm Conv2DBackpropFilter: only NHWC is supported");
      const info = tf.backend_util.computeConv2DInfo(
        x.shape as [number, number, number, number],
        a.filterShape,
        a.strides,
        1,
        a.pad,
        a.dimRoundingMode,
      );
      const temps: Info[] = [];
      const keep = (t: Info) => (temps.push(t), t);
      const { top, left } = info.padInfo;
      // rows/cols of padding after the input so the output is exactly KH x KW; crop the input when negative
      const bottom = info.filterHeight - info.inHeight - top + info.strideHeight * (info.outHeight - 1);
      const right = info.filterWidth - info.inWidth - left + info.strideWidth * (info.outWidth - 1);
      let xs = x;
      if (bottom < 0 || right < 0) {
        const h = info.inHeight + Math.min(bottom, 0);
        const w = info.inWidth + Math.min(right, 0);
        xs = keep(run("Slice", { x }, { begin: [0, 0, 0, 0], size: [info.batchSize, h, w, info.inChannels] }, backend));
      }
      const xt = keep(run("Transpose", { x: xs }, { perm: [3, 1, 2, 0] }, backend));
      const dyt = keep(run("Transpose", { x: dy }, { perm: [1, 2, 0, 3] }, backend));
      const pad: tf.backend_util.ExplicitPadding = [
        [0, 0],
        [top, Math.max(bottom, 0)],
        [left, Math.max(right, 0)],
        [0, 0],
      ];
      const conv = keep(
        run(
          "Conv2D",
          { x: xt, filter: dyt },
          { strides: 1, pad, dataFormat: "NHWC", dilations: [info.strideHeight, info.strideWidth] },
          backend,
        ),
      );
      const out = run("Transpose", { x: conv }, { perm: [1, 2, 0, 3] }, backend);
      for (const t of temps) if (t !== x) backend.disposeData(t.dataId);
      return out;
    },
  });
}
