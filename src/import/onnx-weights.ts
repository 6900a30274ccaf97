/**
 * The weights of a matched graph (onnx-match.ts) as checkpoint records under the names the lowered NetSpec gives its
 * layers (src/net/graph.ts, src/train/model.ts paramShapes), in tfjs's layouts:
 *   Conv weight [out, in, kh, kw] (ONNX) -> "<prefix>.conv.weight" [kh, kw, in, out];
 *   BatchNormalization scale, B, mean, var -> "<prefix>.bn.gamma", ".beta" (weights), ".mean", ".variance" (stats);
 *   MatMul [in, out] or Gemm B ([out, in] when transB) -> "head.fc.weight" [in, out], the bias -> "head.fc.bias".
 * Two rewrites keep the eval forward pass's function while the NetSpec stays the standard conv + BN unit:
 * - a conv bias before a BN moves into the BN's mean: BN(z + b) with mean m is BN(z) with mean m - b;
 * - the BN's epsilon becomes ours (BN_EPS) by moving the difference into the variance: var + eps - BN_EPS;
 * - a Conv without a BN (an exporter that folded BN into the conv, as torch.onnx.export does) gets an identity BN:
 *   gamma 1, beta = its bias, mean 0, variance 1 - BN_EPS. Exact at inference; in training that BN normalises with
 *   batch statistics, which the folded network never did (its original statistics are gone).
 * Every value must be finite: a NaN or infinity is an error naming the initializer and its node.
 */
import { BN_EPS } from "../backend/training-ops.js";
import { lower, type NetSpec } from "../net/index.js";
import type { TensorRecord } from "../train/checkpoint.js";
import type { Match } from "./onnx-match.js";
import { describeNode, ImportError, type OnnxNode, type OnnxTensor } from "./onnx-types.js";

export interface Weights {
  params: Record<string, TensorRecord>;
  stats: Record<string, TensorRecord>;
}

/** Convert the weights (see the file comment); `consts` are the graph's constant tensors, `file` names the file. */
export function importWeights(match: Match, consts: Map<string, OnnxTensor>, file: string): Weights {
  const fail = (msg: string): never => {
    throw new ImportError(`${file}: ${msg}`);
  };
  const values = (n: OnnxNode, i: number): Float32Array => {
    const name = n.inputs[i];
    const t = consts.get(name);
    if (!t?.floats) return fail(`${describeNode(n)}: initializer "${name}" is missing or not float32`);
    const bad = t.floats.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) fail(`${describeNode(n)}: initializer "${name}" holds ${t.floats[bad]} at index ${bad}; expected finite weights (a diverged or corrupt model)`);
    return t.floats;
  };
  const params: Record<string, TensorRecord> = {};
  const stats: Record<string, TensorRecord> = {};
  const rec = (shape: number[], v: Float32Array): TensorRecord => ({ shape, values: v });

  for (const { prefix, ref } of match.convs) {
    const w = values(ref.conv, 1);
    const k = ref.kernel;
    const cin = ref.inShape.c;
    const cout = ref.out;
    const hwio = new Float32Array(w.length);
    for (let o = 0; o < cout; o++)
      for (let c = 0; c < cin; c++)
        for (let y = 0; y < k; y++) for (let x = 0; x < k; x++) hwio[((y * k + x) * cin + c) * cout + o] = w[((o * cin + c) * k + y) * k + x];
    params[`${prefix}.conv.weight`] = rec([k, k, cin, cout], hwio);
    const bias = ref.conv.inputs[2] ? values(ref.conv, 2) : new Float32Array(cout);
    const gamma = new Float32Array(cout);
    const beta = new Float32Array(cout);
    const mean = new Float32Array(cout);
    const variance = new Float32Array(cout);
    if (ref.bn) {
      const eps = typeof ref.bn.attrs.epsilon === "number" ? ref.bn.attrs.epsilon : 1e-5;
      const [s, b, m, v] = [1, 2, 3, 4].map((i) => values(ref.bn!, i));
      for (let c = 0; c < cout; c++) {
        gamma[c] = s[c];
        beta[c] = b[c];
        mean[c] = m[c] - bias[c];
        variance[c] = v[c] + (eps - BN_EPS);
        if (!(variance[c] >= 0)) fail(`${describeNode(ref.bn)}: variance ${v[c]} (epsilon ${eps}) at channel ${c} is negative; expected a variance >= 0`);
      }
    } else {
      gamma.fill(1);
      beta.set(bias);
      variance.fill(1 - BN_EPS);
    }
    params[`${prefix}.bn.gamma`] = rec([cout], gamma);
    params[`${prefix}.bn.beta`] = rec([cout], beta);
    stats[`${prefix}.bn.mean`] = rec([cout], mean);
    stats[`${prefix}.bn.variance`] = rec([cout], variance);
  }

  const d = match.dense;
  const w = values(d.node, 1);
  let fc = w;
  if (d.transposed) {
    fc = new Float32Array(w.length);
    for (let o = 0; o < d.cout; o++) for (let i = 0; i < d.cin; i++) fc[i * d.cout + o] = w[o * d.cin + i];
  }
  params["head.fc.weight"] = rec([d.cin, d.cout], Float32Array.from(fc));
  const biasNode = d.biasNode ?? d.node;
  params["head.fc.bias"] = rec([d.cout], Float32Array.from(values(biasNode, biasNode.inputs.indexOf(d.bias))));
  checkAgainstNet(match.net, { params, stats }, file);
  return { params, stats };
}

/**
 * Every tensor the lowered network needs, with its shape, and nothing else: a mismatch means this importer misread
 * the graph, so it is an error rather than a checkpoint that would fail to load (or load into the wrong layers).
 */
function checkAgainstNet(net: NetSpec, w: Weights, file: string): void {
  const need = new Map<string, number[]>();
  for (const l of lower(net).layers) {
    if (l.op === "conv") need.set(`${l.name}.weight`, [l.kernel[0], l.kernel[1], l.cin, l.cout]);
    if (l.op === "bn") for (const k of ["gamma", "beta", "mean", "variance"]) need.set(`${l.name}.${k}`, [l.channels]);
    if (l.op === "dense") {
      need.set(`${l.name}.weight`, [l.cin, l.cout]);
      need.set(`${l.name}.bias`, [l.cout]);
    }
  }
  const have = new Map(Object.entries({ ...w.params, ...w.stats }).map(([k, r]) => [k, r.shape]));
  const missing = [...need.keys()].filter((k) => !have.has(k));
  const extra = [...have.keys()].filter((k) => !need.has(k));
  const shapes = [...need].filter(([k, s]) => have.has(k) && have.get(k)!.join(",") !== s.join(","));
  if (missing.length || extra.length || shapes.length) {
    throw new ImportError(
      `${file}: the graph was read as ${net.name} but its weights do not fit that network (an importer bug: please report it with the file): ` +
        [missing.length ? `missing ${missing.join(", ")}` : "", extra.length ? `unused ${extra.join(", ")}` : "", shapes.map(([k, s]) => `${k} is [${have.get(k)}], needs [${s}]`).join(", ")].filter(Boolean).join("; "),
    );
  }
}
