/** Tensor layouts from tfjs's (NHWC activations, HWIO filters) to ONNX's (NCHW, OIHW). Pure. */
import type { ConvLayer } from "../net/index.js";
import { ExportError } from "./qonnx-types.js";

/** a conv's filter in ONNX's [out, in / groups, kh, kw] layout from tfjs's [kh, kw, in, out] (depthwise: [kh, kw, in, 1]) */
export function convWeightOIHW(l: ConvLayer, v: Float32Array, where: string): { dims: number[]; values: Float32Array } {
  const [kh, kw] = l.kernel;
  const depthwise = l.groups !== 1;
  if (depthwise && l.groups !== l.cin) throw new ExportError(`${where}: layer ${l.name}: grouped convolution with ${l.groups} groups of ${l.cin} channels: only standard and depthwise convolutions are exported`);
  const cin = depthwise ? 1 : l.cin;
  const cout = l.cout;
  const out = new Float32Array(v.length);
  for (let o = 0; o < cout; o++)
    for (let i = 0; i < cin; i++)
      for (let y = 0; y < kh; y++)
        for (let x = 0; x < kw; x++) {
          // tfjs index: ((y * kw + x) * C + c) * M + m, where depthwise reads channel o with multiplier 0
          const src = depthwise ? (y * kw + x) * l.cin + o : ((y * kw + x) * l.cin + i) * cout + o;
          out[((o * cin + i) * kh + y) * kw + x] = v[src];
        }
  return { dims: [cout, cin, kh, kw], values: out };
}
