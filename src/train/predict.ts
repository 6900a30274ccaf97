/**
 * Logits of a batch of images on the eval forward pass (model.ts `forward(m, x, false)`: BN running statistics),
 * from the NCHW layout that ONNX and PyTorch use; the model runs NHWC. The images must already be normalised as
 * the network was trained.
 */
import * as tf from "@tensorflow/tfjs";
import { forward, type Model } from "./model.js";

/** `x`: N x C x H x W float32 values (C order), H, W and C the network's input; returns N x classes logits. */
export function predictNchw(m: Model, x: Float32Array, n: number, batchSize = 100): Float32Array {
  const { channels: c, height: h, width: w } = m.net.input;
  if (x.length !== n * c * h * w) throw new Error(`predictNchw: ${x.length} values for ${n} images of ${c}x${h}x${w}`);
  const classes = m.net.head.classes;
  const out = new Float32Array(n * classes);
  for (let s = 0; s < n; s += batchSize) {
    const b = Math.min(batchSize, n - s);
    const logits = tf.tidy(() => {
      const t = tf.tensor4d(x.subarray(s * c * h * w, (s + b) * c * h * w), [b, c, h, w]).transpose([0, 2, 3, 1]) as tf.Tensor4D;
      return forward(m, t, false).dataSync() as Float32Array;
    });
    out.set(logits, s * classes);
  }
  return out;
}
