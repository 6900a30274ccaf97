/**
 * The inference path's fused convolution on the tailor-native backend (native/src/infer.cc): with oneDNN one
 * forward_inference primitive with the bias and the chain as post-ops; without it (or where oneDNN declines) the
 * training path's convolution and one pass for bias and chain. oneDNN wants the filter in a blocked layout of its own
 * choice for each geometry, batch size and thread count: it is reordered once per layer and batch size and kept here.
 * A quantised network's conv (quantConv) is the training path's convolution followed by native/src/quant_epilogue.cc:
 * nothing folded, every value the eval forward's. The reference is src/backend/inference-ops.ts.
 */
import type { NativeAddon } from "./native-addon.js";
import { inferenceAffine } from "./native-batchnorm.js";
import { registerInferenceOps, type ConvShape, type FusedConv, type PostOp, type QuantConv, type QuantStage } from "./inference-ops.js";

/** the addon's inference entry points (native/src/addon.cc) */
export interface InferAddon {
  inferFilterSize(geom: Int32Array, post: Int32Array): number;
  inferPrepareFilter(geom: Int32Array, post: Int32Array, hwio: Float32Array, prepared: Float32Array): void;
  inferConv(geom: Int32Array, post: Int32Array, x: Float32Array, filter: Float32Array, bias: Float32Array, skip: Float32Array | null, y: Float32Array): void;
  inferImplementation(geom: Int32Array, post: Int32Array): string;
}

/** the addon's quantised epilogue (native/src/quant_epilogue.cc) */
export interface QuantEpilogueAddon {
  /** y[.., C] in place: the stages (codes and 3 params each) after y * scale[c] + shift[c] (scale, shift null: none) */
  quantEpilogue(C: number, y: Float32Array, scale: Float32Array | null, shift: Float32Array | null, stages: Int32Array, param: Float32Array, skip: Float32Array | null): void;
}

/** native/src/quant_epilogue.h: QuantStage */
const STAGE: Record<QuantStage["op"], number> = { relu: 1, add: 2, quant: 3 };

/** native/src/infer.h: InferPost */
const CODE: Record<PostOp, number> = { relu: 1, add: 2 };

interface Prepared {
  geom: Int32Array;
  post: Int32Array;
  filter: Float32Array;
}

/** the addon's geometry array (native/src/conv.h ConvGeom): the top and left padding; the far side follows from oh, ow */
function geometry(s: Omit<ConvShape, "n">, n: number): Int32Array {
  return Int32Array.from([n, s.h, s.w, s.cin, s.kh, s.kw, s.cout, s.oh, s.ow, s.stride[0], s.stride[1], s.pad[0][0], s.pad[1][0], s.dilation[0], s.dilation[1]]);
}

export function registerNativeInference(backendName: string, addon: NativeAddon): void {
  const a = addon as unknown as Partial<InferAddon>;
  // an addon built before infer.cc existed: the reference stays in place
  if (typeof a.inferConv !== "function" || typeof a.inferFilterSize !== "function" || typeof a.inferPrepareFilter !== "function") return;
  const ia = a as InferAddon;
  // per layer: its filter as oneDNN wants it, per batch size, thread count, conv path and Winograd switch (each may pick another layout)
  const cache = new WeakMap<FusedConv, Map<string, Prepared>>();
  const prepared = (c: FusedConv, n: number): Prepared => {
    let byKey = cache.get(c);
    if (!byKey) cache.set(c, (byKey = new Map()));
    // Winograd's kernels want the filter in another layout than the direct ones
    const key = `${n}/${addon.threads()}/${addon.convPath()}/${addon.winograd()}`;
    let p = byKey.get(key);
    if (!p) {
      const geom = geometry(c.shape, n);
      const post = Int32Array.from(c.post.map((o) => CODE[o]));
      const size = ia.inferFilterSize(geom, post);
      let filter = c.filter;
      if (size > 0) {
        filter = new Float32Array(size);
        ia.inferPrepareFilter(geom, post, c.filter, filter);
      }
      byKey.set(key, (p = { geom, post, filter }));
    }
    return p;
  };
  registerInferenceOps(backendName, {
    ...quantConvOps(addon),
    fusedConv(c, n, x, skip, out) {
      const p = prepared(c, n);
      const s = c.shape;
      if (c.post.includes("add") && !skip) throw new Error("fusedConv: the chain adds a skip, and none was given");
      if (out.length !== n * s.oh * s.ow * s.cout) throw new Error(`fusedConv: an output of ${out.length} values for [${n}, ${s.oh}, ${s.ow}, ${s.cout}]`);
      ia.inferConv(p.geom, p.post, x, p.filter, c.bias, skip, out);
      return out;
    },
    describe(c, n) {
      const p = prepared(c, n);
      return ia.inferImplementation(p.geom, p.post) || `${addon.convPath()} conv + epilogue`;
    },
  });
}

/**
 * A quantised network's conv: the training path's own convolution (what tf.conv2d's Conv2D kernel calls, on the same
 * arrays: the same floats), then the epilogue in one pass, with the batch norm's scale and shift computed as the
 * FusedBatchNorm kernel computes them. None (the reference stays) for an addon built before quant_epilogue.cc.
 */
function quantConvOps(addon: NativeAddon): { quantConv?: (c: QuantConv, n: number, x: Float32Array, skip: Float32Array | null, out: Float32Array) => Float32Array } {
  const q = addon as unknown as Partial<QuantEpilogueAddon>;
  if (typeof q.quantEpilogue !== "function") return {};
  const qa = q as QuantEpilogueAddon;
  interface Epilogue {
    scale: Float32Array | null;
    shift: Float32Array | null;
    stages: Int32Array;
    param: Float32Array;
    adds: boolean;
  }
  const epilogues = new WeakMap<QuantConv, Epilogue>();
  const epilogueOf = (c: QuantConv): Epilogue => {
    let e = epilogues.get(c);
    if (!e) {
      const bn = c.bn && inferenceAffine(c.bn.mean, c.bn.variance, c.bn.gamma, c.bn.beta, c.bn.epsilon);
      const param = new Float32Array(3 * c.stages.length);
      c.stages.forEach((t, i) => {
        // fakeQuant takes its scale as a float32 (native-quant.ts), and so does the kernel
        if (t.op === "quant") param.set([t.scale, t.qmin, t.qmax], 3 * i);
      });
      const stages = Int32Array.from(c.stages.map((t) => STAGE[t.op]));
      epilogues.set(c, (e = { scale: bn ? bn.scale : null, shift: bn ? bn.shift : null, stages, param, adds: c.stages.some((t) => t.op === "add") }));
    }
    return e;
  };
  return {
    quantConv(c, n, x, skip, out) {
      const s = c.shape;
      const e = epilogueOf(c);
      if (e.adds && !skip) throw new Error("quantConv: a stage adds a skip, and none was given");
      if (out.length !== n * s.oh * s.ow * s.cout) throw new Error(`quantConv: an output of ${out.length} values for [${n}, ${s.oh}, ${s.ow}, ${s.cout}]`);
      addon.convForward(geometry(s, n), x, c.filter, out);
      qa.quantEpilogue(s.cout, out, e.scale, e.shift, e.stages, e.param, e.adds ? skip : null);
      return out;
    },
  };
}
