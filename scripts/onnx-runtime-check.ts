/**
 * An ONNX file run by ONNX Runtime (onnxruntime-node) on the images our forward pass saw, for predict --onnx: the
 * independent executor a user checks an import against (the tests do the same on the committed files).
 */
import * as fs from "node:fs";
import * as ort from "onnxruntime-node";

export class OnnxRunError extends Error {}

/** N x classes logits of `file` on NCHW inputs x (N x c x h x w), in batches the model's own batch dimension allows. */
export async function ortLogits(file: string, x: Float32Array, n: number, chw: [number, number, number], classes: number): Promise<Float32Array> {
  if (!fs.existsSync(file)) throw new OnnxRunError(`--onnx ${file}: file not found`);
  let s: ort.InferenceSession;
  try {
    s = await ort.InferenceSession.create(file, { graphOptimizationLevel: "disabled" });
  } catch (e) {
    throw new OnnxRunError(`--onnx ${file}: ONNX Runtime cannot load it (${(e as Error).message.split("\n")[0]})`);
  }
  // a fixed batch dimension (torch.onnx.export without dynamic_axes: 1) is run at that size
  const dim0 = s.inputMetadata[0]?.isTensor ? s.inputMetadata[0].shape[0] : undefined;
  const batch = typeof dim0 === "number" && dim0 > 0 ? dim0 : 500;
  const size = chw[0] * chw[1] * chw[2];
  const out = new Float32Array(n * classes);
  try {
    for (let b = 0; b < n; b += batch) {
      const k = Math.min(batch, n - b);
      // a fixed batch larger than what is left: pad with zeros and keep the first k rows
      const rows = typeof dim0 === "number" && dim0 > 0 ? dim0 : k;
      const input = new Float32Array(rows * size);
      input.set(x.subarray(b * size, (b + k) * size));
      const r = await s.run({ [s.inputNames[0]]: new ort.Tensor("float32", input, [rows, ...chw]) });
      const y = r[s.outputNames[0]];
      if (y.dims.length !== 2 || y.dims[0] !== rows || y.dims[1] !== classes) {
        throw new OnnxRunError(`--onnx ${file}: output "${s.outputNames[0]}" has shape [${y.dims.join(", ")}], expected [${rows}, ${classes}] (the checkpoint's classes): not the same network?`);
      }
      out.set((y.data as Float32Array).subarray(0, k * classes), b * classes);
    }
  } catch (e) {
    if (e instanceof OnnxRunError) throw e;
    throw new OnnxRunError(`--onnx ${file}: ONNX Runtime failed on ${chw.join("x")} inputs (${(e as Error).message.split("\n")[0]})`);
  } finally {
    await s.release();
  }
  return out;
}

/** the largest |a - b| over all logits, and on how many of the n images the top-1 classes agree */
export function compareLogits(a: Float32Array, b: Float32Array, n: number, classes: number): { maxAbs: number; top1Agree: number } {
  let maxAbs = 0;
  let top1Agree = 0;
  const argmax = (v: Float32Array, i: number) => {
    let best = 0;
    for (let c = 1; c < classes; c++) if (v[i * classes + c] > v[i * classes + best]) best = c;
    return best;
  };
  for (let i = 0; i < n * classes; i++) maxAbs = Math.max(maxAbs, Math.abs(a[i] - b[i]));
  for (let i = 0; i < n; i++) if (argmax(a, i) === argmax(b, i)) top1Agree++;
  return { maxAbs, top1Agree };
}

/**
 * The least share of images whose top-1 classes must agree for the file and the checkpoint to count as one network.
 * Not 1: a quantised network's codes can land on the other side of a rounding tie where float arithmetic order
 * differs, and test/import-quant.test.ts holds ORT on our QCDQ files to the same 99%. A float import agrees on every
 * image (measured: 10,000 of 10,000, README "Your own network").
 */
export const SAME_NETWORK_TOP1 = 0.99;

/** null when the logits agree as one network's should, else what is wrong */
export function disagreement(d: { top1Agree: number }, n: number, file: string): string | null {
  if (d.top1Agree >= SAME_NETWORK_TOP1 * n) return null;
  return `--onnx ${file}: the top-1 class differs from the checkpoint's on ${n - d.top1Agree} of ${n} images (at most ${Math.round(100 * (1 - SAME_NETWORK_TOP1))}% may, from quantiser rounding ties): not the same network, or not the same weights?`;
}
