/**
 * The wasm backend has no Conv2DBackpropFilter. We register one that reuses the wasm backend's own (XNNPACK)
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

export function registerWasmKernels(): void {
  if (tf.getKernel("Conv2DBackpropFilter", "wasm")) return;
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
