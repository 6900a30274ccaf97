/**
 * What a checkpoint holds in memory, and the error a bad one raises: the types that checkpoint.ts, its record checks
 * (checkpoint-records.ts) and its file format (checkpoint-file.ts) share. Their own module, so that those can import
 * them without importing each other (checkpoint.ts re-exports them for everyone else).
 */
import type { NetSpec } from "../net/index.js";
import type { TrainConfig } from "./config.js";

export interface TensorRecord {
  shape: number[];
  values: Float32Array;
}

export interface EpochRecord {
  epoch: number;
  lr: number;
  trainLoss: number;
  valLoss: number;
  valTop1: number;
  valTop5: number;
  skipModes: string[];
  seconds: number;
  imagesPerSecond: number;
}

/** Where a run stopped inside an epoch (a stop requested by a signal): enough to continue bit-identically. */
export interface PartialEpoch {
  epoch: number;
  /** optimisation steps of `epoch` already taken */
  step: number;
  lossSum: number;
  seen: number;
  seconds: number;
}

export interface BestRecord {
  epoch: number;
  valLoss: number;
  /** sha256 of the best model's weights and statistics (checkpoint-file.ts: modelDigest), set when it is written */
  digest?: string;
}

export interface Checkpoint {
  net: NetSpec;
  config: TrainConfig;
  /** last completed epoch (0-indexed; -1 before the first) */
  epoch: number;
  partial?: PartialEpoch | null;
  params: Record<string, TensorRecord>;
  stats: Record<string, TensorRecord>;
  optimizer: Record<string, TensorRecord>;
  history: EpochRecord[];
  best: BestRecord | null;
  env: Record<string, string | number>;
  /** sha256 of the teacher checkpoint's model (Tailor students, noskip-kd) */
  teacherDigest?: string;
}

export class CheckpointError extends Error {}
