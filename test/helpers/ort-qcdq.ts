/**
 * ONNX Runtime (onnxruntime-node) on a QCDQ file, and how its results are compared with our eval forward pass: shared by
 * test/qcdq.test.ts (the export) and test/import-quant.test.ts (the import of the same files).
 */
import { onnx } from "onnx-proto";
import * as ort from "onnxruntime-node";
import { roundHalfEven } from "../../src/export/qcdq-quant.js";

/** the float export's agreement with ORT (test/import-onnx.test.ts measured 8e-6 to 1.1e-5) */
export const FLOAT_ORDER = 1e-4;

/** run the model on n CIFAR-shaped NCHW images; `outputs` defaults to the model's own */
export async function ortRun(bytes: Uint8Array, x: Float32Array, n: number, level: "disabled" | "all" = "disabled", outputs?: string[]): Promise<Record<string, ort.Tensor>> {
  const s = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: level, intraOpNumThreads: 1 });
  return s.run({ [s.inputNames[0]]: new ort.Tensor("float32", x, [n, 3, 32, 32]) }, outputs ?? s.outputNames);
}

/** per image: max |a - b| over all, images within FLOAT_ORDER, and images whose top-1 classes agree */
export function compareLogits(a: Float32Array, b: Float32Array, classes: number): { maxAbs: number; exact: number; top1: number } {
  let maxAbs = 0;
  let exact = 0;
  let top1 = 0;
  const arg = (v: Float32Array, i: number) => {
    let k = 0;
    for (let j = 1; j < classes; j++) if (v[i * classes + j] > v[i * classes + k]) k = j;
    return k;
  };
  for (let i = 0; i < a.length / classes; i++) {
    let m = 0;
    for (let j = 0; j < classes; j++) m = Math.max(m, Math.abs(a[i * classes + j] - b[i * classes + j]));
    maxAbs = Math.max(maxAbs, m);
    if (m < FLOAT_ORDER) exact++;
    if (arg(a, i) === arg(b, i)) top1++;
  }
  return { maxAbs, exact, top1 };
}

export const floatsOf = (t: onnx.ITensorProto) => {
  const b = Buffer.from(t.rawData!);
  return Float32Array.from({ length: b.length / 4 }, (_, i) => b.readFloatLE(i * 4));
};
export const int8sOf = (t: onnx.ITensorProto) => Int8Array.from(Buffer.from(t.rawData!));

export interface QuantiserTap {
  /** the quantiser's float input (a Relu's output) and its integer codes, both graph outputs of the tapped model */
  pre: string;
  codes: string;
  /** the file's scale, and the codes' maximum (its Clip's, else 255) */
  scale: number;
  qmax: number;
}

/** the model with every activation quantiser's float input and integer output as extra graph outputs */
export function withQuantiserTaps(bytes: Uint8Array): { bytes: Uint8Array; taps: QuantiserTap[] } {
  const m = onnx.ModelProto.decode(bytes);
  const g = m.graph!;
  const inits = new Map(g.initializer!.map((t) => [t.name!, t]));
  const infos = new Map(g.valueInfo!.map((v) => [v.name!, v]));
  const taps: QuantiserTap[] = [];
  for (const q of g.node!.filter((n) => n.opType === "QuantizeLinear" && !inits.has(n.input![0]))) {
    const clip = g.node!.find((n) => n.opType === "Clip" && n.input![0] === q.output![0]);
    const codes = clip ? clip.output![0] : q.output![0];
    const qmax = clip ? Buffer.from(inits.get(clip.input![2])!.rawData!)[0] : 255;
    taps.push({ pre: q.input![0], codes, scale: floatsOf(inits.get(q.input![1])!)[0], qmax });
    g.output!.push(infos.get(q.input![0])!, infos.get(codes)!);
  }
  return { bytes: onnx.ModelProto.encode(m).finish(), taps };
}

/** how many of ORT's codes are not round-half-even(x / scale) clamped to [0, qmax] of ORT's own input x; and how many values */
export function codesOff(pre: Float32Array, codes: Uint8Array, scale: number, qmax: number): number {
  let off = 0;
  for (let i = 0; i < pre.length; i++) if (codes[i] !== Math.min(qmax, Math.max(0, roundHalfEven(Math.fround(pre[i] / scale))))) off++;
  return off;
}
