/**
 * What the QONNX exporter reads and reports, its error, and the context its parts (layers, Quant nodes, model)
 * share while one export runs. Their own module so that those parts and qonnx.ts need not import each other.
 */
import type { Normalisation } from "../data/batches.js";
import type { LayerGraph, NetSpec } from "../net/index.js";
import type { TensorRecord } from "../train/checkpoint-types.js";
import type { TrainConfig } from "../train/config.js";
import type { QuantSpec } from "../train/quant.js";
import type { GraphBuilder } from "./qonnx-graph.js";

export class ExportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ExportError";
  }
}

/** what the exporter reads: a checkpoint's network, quantisation fields and tensors */
export interface ExportSource {
  net: NetSpec;
  config: Partial<Pick<TrainConfig, "quantWeightBits" | "quantActBits" | "quantEdgeBits">>;
  params: Record<string, TensorRecord>;
  stats: Record<string, TensorRecord>;
}

/**
 * How quantisers are written: "qonnx" as QONNX `Quant` nodes (hls4ml's and FINN's input; qonnx-quant.ts), "qcdq" as
 * standard QuantizeLinear -> Clip -> DequantizeLinear (ONNX Runtime runs it; qcdq-quant.ts). A float run is plain
 * ONNX either way.
 */
export type QuantFormat = "qonnx" | "qcdq";
export const QUANT_FORMATS: readonly QuantFormat[] = ["qonnx", "qcdq"];

export interface ExportOptions {
  /** the quantisers' form (default "qonnx") */
  format?: QuantFormat;
  /** the training split's input normalisation, recorded in the metadata when known */
  normalisation?: Normalisation | null;
  /** names the export in errors (the checkpoint file) */
  source?: string;
  producerVersion?: string;
}

export interface ExportSummary {
  quant: string;
  format: QuantFormat;
  /** ONNX op type -> count */
  ops: Record<string, number>;
  weightQuants: number;
  activationQuants: number;
  initializers: number;
  skipModes: string[];
}

/** one export in progress */
export interface ExportContext {
  src: ExportSource;
  /** the network lowered: the layers written */
  g: LayerGraph;
  q: QuantSpec | null;
  format: QuantFormat;
  b: GraphBuilder;
  /** Quant nodes written so far, on weights and on ReLU outputs */
  quants: { weights: number; activations: number };
  /** names the export in errors */
  where: string;
}
