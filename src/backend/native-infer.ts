/**
 * The inference path's fused convolution on the tailor-native backend (native/src/infer.cc): with oneDNN one
 * forward_inference primitive with the bias and the chain as post-ops; without it (or where oneDNN declines) the
 * training path's convolution and one pass for bias and chain. oneDNN wants the filter in a blocked layout of its own
 * choice for each geometry, batch size and thread count: it is reordered once per layer and batch size and kept here.
 * The reference is src/backend/inference-ops.ts.
 */
import type { NativeAddon } from "./native-addon.js";
import { registerInferenceOps, type FusedConv, type PostOp } from "./inference-ops.js";

/** the addon's inference entry points (native/src/addon.cc) */
export interface InferAddon {
  inferFilterSize(geom: Int32Array, post: Int32Array): number;
  inferPrepareFilter(geom: Int32Array, post: Int32Array, hwio: Float32Array, prepared: Float32Array): void;
  inferConv(geom: Int32Array, post: Int32Array, x: Float32Array, filter: Float32Array, bias: Float32Array, skip: Float32Array | null, y: Float32Array): void;
  inferImplementation(geom: Int32Array, post: Int32Array): string;
}

/** native/src/infer.h: InferPost */
const CODE: Record<PostOp, number> = { relu: 1, add: 2 };

interface Prepared {
  geom: Int32Array;
  post: Int32Array;
  filter: Float32Array;
}

/** the addon's geometry array (native/src/conv.h ConvGeom): the top and left padding; the far side follows from oh, ow */
function geometry(c: FusedConv, n: number): Int32Array {
  const s = c.shape;
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
      const geom = geometry(c, n);
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
