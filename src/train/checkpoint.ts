/**
 * Checkpoints in memory: the NetSpec (current skip modes), the config, weights, BN statistics, optimiser buffers,
 * the epoch reached (and, for a run stopped mid-epoch, where in the epoch), the history and the environment.
 * On disk they are binary (checkpoint-file.ts); the first format, one JSON document with base64 data, still loads.
 */
import * as tf from "@tensorflow/tfjs";
import { validateNetSpec } from "../net/index.js";
import type { TrainConfig } from "./config.js";
import { createModel, type Model } from "./model.js";
import type { Sgd } from "./optimizer.js";
import { checkTensorRecords } from "./checkpoint-records.js";
import { CheckpointError, type Checkpoint, type EpochRecord, type PartialEpoch, type TensorRecord } from "./checkpoint-types.js";
import { useQuant } from "./quant.js";

/** the first, JSON-only format (data/runs/resnet8-short) */
export const CHECKPOINT_FORMAT = "tailor-checkpoint-v1";

export { CheckpointError, type BestRecord, type Checkpoint, type EpochRecord, type PartialEpoch, type TensorRecord } from "./checkpoint-types.js";

function record(t: tf.Tensor): TensorRecord {
  return { shape: t.shape.slice(), values: (t.dataSync() as Float32Array).slice() };
}

const recordMap = (m: Map<string, tf.Tensor>) => Object.fromEntries([...m].map(([k, t]) => [k, record(t)]));

export function makeCheckpoint(
  m: Model,
  opt: Sgd | null,
  config: TrainConfig,
  epoch: number,
  history: EpochRecord[],
  best: Checkpoint["best"],
  env: Checkpoint["env"],
  partial: PartialEpoch | null = null,
): Checkpoint {
  return {
    net: m.net,
    config,
    epoch,
    partial,
    params: recordMap(m.params),
    stats: recordMap(m.stats),
    optimizer: opt ? recordMap(opt.buffers) : {},
    history: history.slice(),
    best: best ? { ...best } : null,
    env,
  };
}

function tensorValues(r: TensorRecord, where: string): Float32Array {
  if (!r || !Array.isArray(r.shape) || !r.shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new CheckpointError(`${where}: expected a tensor with an integer shape, got ${JSON.stringify(r?.shape ?? r)}`);
  }
  const n = r.shape.reduce((a, b) => a * b, 1);
  if (r.values.length !== n) throw new CheckpointError(`${where}: ${r.values.length} values for shape [${r.shape}], expected ${n}`);
  return r.values;
}

/**
 * Every value finite and every BN variance >= 0: a checkpoint that breaks this came from a diverged run or a
 * corrupt file and would spread silently into everything trained from it. `file` and the tensor name the error.
 */
export function checkCheckpointValues(c: Checkpoint, file: string): void {
  const groups: [string, Record<string, TensorRecord>][] = [
    ["weight", c.params],
    ["BN statistic", c.stats],
    ["optimiser buffer", c.optimizer],
  ];
  for (const [kind, g] of groups) {
    for (const [name, r] of Object.entries(g)) {
      const v = tensorValues(r, `${file}: ${kind} "${name}"`);
      const variance = kind === "BN statistic" && name.endsWith(".variance");
      for (let i = 0; i < v.length; i++) {
        const x = v[i];
        if (!Number.isFinite(x)) throw new CheckpointError(`${file}: ${kind} "${name}" holds ${x} at index ${i}: the run diverged or the file is corrupt`);
        if (variance && x < 0) throw new CheckpointError(`${file}: BN statistic "${name}" holds a negative variance (${x}) at index ${i}: impossible, the file is corrupt`);
      }
    }
  }
}

/** Check the parts every checkpoint needs (whatever its file format); `file` names it in errors. */
export function checkCheckpoint(c: Checkpoint, file: string): Checkpoint {
  try {
    validateNetSpec(c.net);
  } catch (e) {
    throw new CheckpointError(`${file}: invalid NetSpec: ${(e as Error).message}`);
  }
  if (!c.config || typeof c.config !== "object") throw new CheckpointError(`${file}: no config`);
  if (!Number.isInteger(c.epoch) || c.epoch < -1) throw new CheckpointError(`${file}: epoch ${c.epoch}, expected an integer >= -1`);
  for (const k of ["params", "stats", "optimizer"] as const) if (!c[k] || typeof c[k] !== "object") throw new CheckpointError(`${file}: no ${k}`);
  checkCheckpointValues(c, file);
  return c;
}

/** Parse the first (JSON, base64 data) format; `file` names it in errors. */
export function parseCheckpoint(text: string, file: string): Checkpoint {
  let c: Record<string, unknown>;
  try {
    c = JSON.parse(text);
  } catch (e) {
    throw new CheckpointError(`${file}: not valid JSON (${(e as Error).message}): corrupt or truncated checkpoint`);
  }
  if (c?.format !== CHECKPOINT_FORMAT) throw new CheckpointError(`${file}: format "${c?.format}", expected "${CHECKPOINT_FORMAT}"`);
  // the records' structure first (issue 16: "shape: null" gets an error naming the record, not a TypeError)
  checkTensorRecords(c as unknown as Checkpoint, file);
  const decodeMap = (m: unknown, kind: string): Record<string, TensorRecord> => {
    if (!m || typeof m !== "object") throw new CheckpointError(`${file}: no ${kind}`);
    return Object.fromEntries(
      Object.entries(m as Record<string, { shape: number[]; data: string }>).map(([k, r]) => {
        if (!r || typeof r.data !== "string" || !Array.isArray(r.shape)) throw new CheckpointError(`${file}: ${kind} "${k}": expected {shape, data}`);
        const buf = Buffer.from(r.data, "base64");
        const n = r.shape.reduce((a, b) => a * b, 1);
        if (buf.length !== n * 4) throw new CheckpointError(`${file}: ${kind} "${k}": ${buf.length} bytes for shape [${r.shape}], expected ${n * 4}`);
        const values = new Float32Array(n);
        new Uint8Array(values.buffer).set(buf);
        return [k, { shape: r.shape, values }];
      }),
    );
  };
  const { format: _f, params, stats, optimizer, ...rest } = c;
  return checkCheckpoint({ ...(rest as object), params: decodeMap(params, "params"), stats: decodeMap(stats, "stats"), optimizer: decodeMap(optimizer, "optimizer") } as Checkpoint, file);
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
    v.assign(tf.tensor(tensorValues(r, `${file}: ${name}`).slice(), r.shape));
  }
  // weights the current modes do not use (a removed skip's projection) are kept too
  for (const [name, r] of Object.entries(c.params)) {
    if (!m.params.has(name)) m.params.set(name, tf.variable(tf.tensor(tensorValues(r, `${file}: ${name}`).slice(), r.shape), true));
  }
  for (const [name, v] of m.stats) {
    const r = c.stats[name];
    if (!r) throw new CheckpointError(`${file}: missing BN statistic "${name}"`);
    if (r.shape.join(",") !== v.shape.join(",")) throw new CheckpointError(`${file}: BN statistic "${name}" has shape [${r.shape}], the network needs [${v.shape}]`);
    v.assign(tf.tensor(tensorValues(r, `${file}: ${name}`).slice(), r.shape));
  }
  // statistics the network's layers do not create (a quantised run's activation scales, quant.ts) are kept too, and
  // the model is quantised as its run was trained
  for (const [name, r] of Object.entries(c.stats)) {
    if (!m.stats.has(name)) m.stats.set(name, tf.variable(tf.tensor(tensorValues(r, `${file}: ${name}`).slice(), r.shape), false));
  }
  return useQuant(m, c.config);
}

export function restoreOptimizer(opt: Sgd, c: Checkpoint, file: string): void {
  for (const [name, r] of Object.entries(c.optimizer)) opt.buffers.set(name, tf.variable(tf.tensor(tensorValues(r, `${file}: optimizer ${name}`).slice(), r.shape), false));
}
