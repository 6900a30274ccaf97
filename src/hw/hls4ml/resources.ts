/**
 * Resources of each process and stream of the design. Sources:
 * - multipliers and the per-layer constants c0 = 300 LUTs, c1 = 1.1: FINN's MVAU lut_estimation /
 *   dsp_estimation (FINN-R, Blott et al. 2018): LUT multiplier (2 ceil((W+A)/6) - 1)(W+A) for a weight read from
 *   memory (Resource strategy), one DSP per product up to 48 bits. With the Latency strategy the weight is a
 *   constant and a LUT product is shifts and adds: one (W+A)-bit adder per non-zero digit of the weight's canonical
 *   signed-digit form beyond the first, about W/3 digits on average (Reitwiesner 1960; Hartley, "Subexpression
 *   sharing in filters using canonic signed digit multipliers", IEEE TCAS-II 1996);
 * - the sums as hls4ml writes them (nnet_dense_latency.h, nnet_dense_resource.h): every product is cast to accum_t
 *   and added once into an accum_t accumulator, so one accBits-wide adder (accBits LUTs on the carry chain, UG474)
 *   and one accBits-wide product register per product; with the Latency strategy the weights are constants and
 *   HLS drops the products of zero weights (weightDensity);
 * - line buffers as shift registers ((K-1) x C_in of W_in words, SRL, one LUT per bit per 32 deep) and the
 *   K x K x C_in window in registers: hls4ml nnet_conv2d_stream.h (line-buffer implementation);
 * - weights: Latency strategy folds them into logic; Resource strategy keeps them in a ROM RF deep and
 *   (n_in n_out / RF) x W bits wide (nnet_dense_resource.h);
 * - element-wise processes (zero padding, ReLU, Add, Clone): one LUT per output bit of logic (an adder bit is one
 *   LUT on the slice carry chain, UG474) and one FF per output bit (the pipeline register); an unfused
 *   BatchNormalization (nnet_batchnorm_stream.h, normalize: data * scale + bias per channel, unrolled over the
 *   channels) adds one multiplier per channel;
 * - a ReLU merged into a conv or dense (reluMerge, hls4ml PR #586): one LUT per output bit in its output stage,
 *   as the ReLU process had, but no process register and no FIFO;
 * - FIFOs: memory.ts, one per stream or one per channel of it (config.ts, FifoLayout).
 */
import type { Hls4mlConfig } from "./config.js";
import type { Process, Stream } from "./design.js";
import { romStorage, streamStorage, type Storage } from "./memory.js";

export interface Resources {
  bram18: number;
  lut: number;
  ff: number;
  dsp: number;
}

export const zero = (): Resources => ({ bram18: 0, lut: 0, ff: 0, dsp: 0 });
export const addRes = (a: Resources, b: Resources): Resources => ({ bram18: a.bram18 + b.bram18, lut: a.lut + b.lut, ff: a.ff + b.ff, dsp: a.dsp + b.dsp });

const FINN_C0 = 300;
const FINN_C1 = 1.1;

function multipliers(products: number, c: Hls4mlConfig): Resources {
  const W = c.weightBits;
  const A = c.actBits;
  const n = c.strategy === "Latency" ? Math.ceil(products * c.weightDensity) : products;
  const dsp = W >= c.dspMinBits && A >= c.dspMinBits;
  const adders = n * c.accBits;
  if (dsp) return { bram18: 0, lut: adders, ff: n * c.accBits, dsp: n * Math.ceil((W + A) / 48) };
  const lutPerProduct = c.strategy === "Latency" ? Math.max(Math.ceil(W / 3) - 1, 0) * (W + A) : (2 * Math.ceil((W + A) / 6) - 1) * (W + A);
  return { bram18: 0, lut: n * lutPerProduct + adders, ff: n * c.accBits, dsp: 0 };
}

export function processResources(p: Process, c: Hls4mlConfig): Resources & { weightStorage?: Storage } {
  const A = c.actBits;
  const bits = p.cin * A;
  switch (p.kind) {
    case "input":
    case "output":
      return zero();
    case "zeropad":
    case "relu":
    case "add":
      return { bram18: 0, lut: bits, ff: bits, dsp: 0 };
    case "clone":
      return { bram18: 0, lut: 0, ff: bits, dsp: 0 };
    case "bn": {
      const m = multipliers(p.cin, c);
      return { bram18: 0, lut: m.lut + bits, ff: m.ff + bits, dsp: m.dsp };
    }
    case "pool":
      return { bram18: 0, lut: p.cin * c.accBits, ff: p.cin * c.accBits, dsp: 0 };
    case "maxpool": {
      const lineBuffer = (p.k - 1) * p.cin * A * Math.ceil(p.w / 32);
      return { bram18: 0, lut: lineBuffer + p.cin * A * (p.k * p.k - 1), ff: p.k * p.k * bits, dsp: 0 };
    }
    case "conv":
    case "dense": {
      const nIn = p.k * p.k * p.cin;
      const nMult = Math.ceil((nIn * p.cout) / p.rf);
      let r = multipliers(nMult, c);
      const acc = p.rf > 1 ? p.cout * c.accBits : 0;
      const lineBuffer = p.kind === "conv" ? (p.k - 1) * p.cin * A * Math.ceil(p.w / 32) : 0;
      const window = p.kind === "conv" ? p.k * p.k * bits : bits;
      r = { ...r, lut: FINN_C0 + FINN_C1 * (r.lut + acc) + lineBuffer, ff: r.ff + window + acc + p.cout * A };
      if (p.mergedRelu) r = addRes(r, { bram18: 0, lut: p.cout * A, ff: 0, dsp: 0 });
      if (p.fusedSkip) {
        // the shortened skip added in the conv's output stage (after its merged ReLU): adders on the output bits,
        // and the stride-2 projection's multipliers when the skip needs one
        const f = p.fusedSkip;
        r = addRes(r, { bram18: 0, lut: f.channels * A, ff: 0, dsp: 0 });
        if (f.projectionWeights) r = addRes(r, multipliers(Math.ceil(f.projectionWeights / p.rf), c));
      }
      let weightStorage: Storage | undefined;
      if (c.strategy === "Resource") {
        const projW = p.fusedSkip?.projectionWeights ?? 0;
        weightStorage = romStorage(p.rf, Math.ceil((nIn * p.cout + projW) / p.rf) * c.weightBits, c.srlMaxBits);
        r = addRes(r, { bram18: weightStorage.bram18, lut: weightStorage.lut, ff: 0, dsp: 0 });
      }
      return { ...r, lut: Math.round(r.lut), weightStorage };
    }
  }
}

export function streamResources(s: Stream, depth: number, c: Hls4mlConfig): Resources & { storage: Storage } {
  const st = streamStorage(depth, s.channels, s.width / s.channels, c.fifoLayout, c);
  return { bram18: st.bram18, lut: st.lut, ff: st.ff, dsp: 0, storage: st };
}
