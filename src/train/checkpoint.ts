/**
 * Checkpoints: one JSON document with the NetSpec (current skip modes), the config, weights, BN statistics,
 * optimiser buffers, the epoch reached, the history and the environment. Float32 data is base64 (little-endian).
 */
import * as tf from "@tensorflow/tfjs";
import { validateNetSpec, type NetSpec } from "../net/index.js";
import type { TrainConfig } from "./config.js";
import { createModel, type Model } from "./model.js";
import type { Sgd } from "./optimizer.js";
import { checkTensorRecords } from "./checkpoint-records.js";

export const CHECKPOINT_FORMAT = "tailor-checkpoint-v1";

export interface TensorRecord {
  shape: number[];
  data: string;
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

export interface Checkpoint {
  format: typeof CHECKPOINT_FORMAT;
  net: NetSpec;
  config: TrainConfig;
  /** last completed epoch (0-indexed) */
  epoch: number;
  params: Record<string, TensorRecord>;
  stats: Record<string, TensorRecord>;
  optimizer: Record<string, TensorRecord>;
  history: EpochRecord[];
  best: { epoch: number; valLoss: number } | null;
  env: Record<string, string | number>;
}

export class CheckpointError extends Error {}

function encode(t: tf.Tensor): TensorRecord {
  const v = t.dataSync() as Float32Array;
  return { shape: t.shape, data: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("base64") };
}

function decode(r: TensorRecord, where: string): Float32Array {
  const buf = Buffer.from(r.data, "base64");
  const n = r.shape.reduce((a, b) => a * b, 1);
  if (buf.length !== n * 4) throw new CheckpointError(`${where}: ${buf.length} bytes for shape [${r.shape}], expected ${n * 4}`);
  const out = new Float32Array(n);
  new Uint8Array(out.buffer).set(buf);
  return out;
}

const encodeMap = (m: Map<string, tf.Tensor>) => Object.fromEntries([...m].map(([k, t]) => [k, encode(t)]));

export function makeCheckpoint(
  m: Model,
  opt: Sgd | null,
  config: TrainConfig,
  epoch: number,
  history: EpochRecord[],
  best: Checkpoint["best"],
  env: Checkpoint["env"],
): Checkpoint {
  return {
    format: CHECKPOINT_FORMAT,
    net: m.net,
    config,
    epoch,
    params: encodeMap(m.params),
    stats: encodeMap(m.stats),
    optimizer: opt ? encodeMap(opt.buffers) : {},
    history,
    best,
    env,
  };
}

/** Parse and check a checkpoint document; `file` names it in errors. */
export function parseCheckpoint(text: string, file: string): Checkpoint {
  let c: Checkpoint;
  try {
    c = JSON.parse(text);
  } catch (e) {
    throw new CheckpointError(`${file}: not valid JSON (${(e as Error).message}): corrupt or truncated checkpoint`);
  }
  if (c?.format !== CHECKPOINT_FORMAT) throw new CheckpointError(`${file}: format "${c?.format}", expected "${CHECKPOINT_FORMAT}"`);
  try {
    validateNetSpec(c.net);
  } catch (e) {
    throw new CheckpointError(`${file}: invalid NetSpec: ${(e as Error).message}`);
  }
  checkTensorRecords(c, file);
  return c;
}

/** Build a model from a checkpoint; every weight the NetSpec needs must be present with the right shape. */
export function modelFromCheckpoint(c: Checkpoint, file: string): Model {
  const m = createModel(c.net, 0);
  for (const [name, v] of m.params) {
    const r = c.params[name];
    if (!r) throw new CheckpointError(`${file}: missing weight "${name}" for ${c.net.name}`);
    if (r.shape.join(",") !== v.shape.join(",")) {
      throw new CheckpointError(`${file}: weight "${name}" has shape [${r.shape}], the network needs [${v.shape}]`);
    }
    v.assign(tf.tensor(decode(r, `${file}: ${name}`), r.shape));
  }
  // weights the current modes do not use (a removed skip's projection) are kept too
  for (const [name, r] of Object.entries(c.params)) {
    if (!m.params.has(name)) m.params.set(name, tf.variable(tf.tensor(decode(r, `${file}: ${name}`), r.shape), true));
  }
  for (const [name, v] of m.stats) {
    const r = c.stats[name];
    if (!r) throw new CheckpointError(`${file}: missing BN statistic "${name}"`);
    v.assign(tf.tensor(decode(r, `${file}: ${name}`), r.shape));
  }
  return m;
}

export function restoreOptimizer(opt: Sgd, c: Checkpoint, file: string): void {
  for (const [name, r] of Object.entries(c.optimizer)) opt.buffers.set(name, tf.variable(tf.tensor(decode(r, `${file}: optimizer ${name}`), r.shape), false));
}
