/** The shapes of an hls4ml design (design.ts builds it): its processes, its streams, and the optimisations applied. */
import type { Hls4mlConfig } from "./config.js";
export type ProcessKind = "input" | "zeropad" | "conv" | "bn" | "relu" | "clone" | "add" | "pool" | "maxpool" | "dense" | "output";


export interface Stream {
  id: number;
  name: string;
  channels: number;
  /** tokens (pixels) that pass through it per inference */
  pixels: number;
  /** bits per word: channels x activation bits */
  width: number;
  from: number;
  to: number;
  /** a copy stream of a skip (Clone output read by an Add or a skip projection) */
  skip: boolean;
  block?: string;
}

export interface Process {
  id: number;
  name: string;
  kind: ProcessKind;
  inputs: number[];
  outputs: number[];
  /** input feature map as streamed in (padded for a conv), kernel, stride */
  h: number;
  w: number;
  k: number;
  stride: number;
  /** a zero-padding process's padding: the largest of `pads` (kept for callers that build symmetric designs) */
  pad: number;
  /** a zero-padding process's padding [top, bottom, left, right] (Keras "same" pads the odd pixel after); default `pad` on every side */
  pads?: [number, number, number, number];
  cin: number;
  cout: number;
  rf: number;
  /** "skip": exists because of a skip connection (Clone, Add, a skip projection and its padding) */
  role: "main" | "skip";
  /** the ReLU layer this conv or dense computes in its output stage (reluMerge, or a fused short skip) */
  mergedRelu?: string;
  /** a shortened skip added inside this conv: its channels, and the projection's 1x1 weights if any */
  fusedSkip?: { channels: number; projectionWeights: number };
  block?: string;
}

/** How often each optimisation of the flow applied to this design (config.ts: bnFusion, reluMerge, shortImpl). */
export interface AppliedOptimisations {
  bnFused: number;
  reluMerged: number;
  shortSkipsFused: number;
}

export interface Design {
  /** the reuse strategy: it decides the conv's per-pixel timing (simulate.ts) */
  strategy: Hls4mlConfig["strategy"];
  /** how the input arrives and the output leaves (config.ts, Wrapper); default "none" */
  wrapper?: Hls4mlConfig["wrapper"];
  processes: Process[];
  streams: Stream[];
  warnings: string[];
  applied: AppliedOptimisations;
}
