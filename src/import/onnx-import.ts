/**
 * An ONNX file of a ResNet-style CNN, float or quantised (QONNX or QCDQ: onnx-quant.ts), as a run folder of our own: the NetSpec read from its graph, its weights in
 * a checkpoint (src/train/checkpoint-file.ts) that `train --teacher`, the exports and the evaluations read like any
 * best.ckpt, and a config.json saying where it came from. Decoding is onnx-decode.ts, graph matching onnx-walk.ts
 * and onnx-match.ts, the weights onnx-weights.ts, a quantised file's widths and quantiser state onnx-quant-state.ts; this module names the network and writes the folder, all or
 * nothing.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Normalisation } from "../data/batches.js";
import { TRAINABLE_NETS, type NetName } from "../experiment/index.js";
import { withAllSkips, type NetSpec } from "../net/index.js";
import { checkCheckpoint, type Checkpoint } from "../train/checkpoint.js";
import { writeCheckpointFile } from "../train/checkpoint-file.js";
import { DEFAULT_CONFIG, type TrainConfig } from "../train/config.js";
import { quantLabel } from "../train/quant-spec.js";
import { buildNet } from "../train/tailor.js";
import { makeDirs, outputDirProblem, writeFileAtomic } from "../util/fs.js";
import type { Match } from "./onnx-match.js";
import { readOnnxNet } from "./onnx-net.js";
import type { QuantFormat } from "./onnx-quant.js";
import { quantState } from "./onnx-quant-state.js";
import { ImportError } from "./onnx-types.js";
import { importWeights } from "./onnx-weights.js";

export { ImportError } from "./onnx-types.js";

export interface ImportOptions {
  /** the network's name (default: the built-in network it equals, else the file's metadata or graph name) */
  name?: string;
  /** the input's normalisation, recorded in config.json (default: our exporter's metadata, if present) */
  normalisation?: Normalisation;
}

export interface Imported {
  checkpoint: Checkpoint;
  /** the built-in network (and block form) the import equals, skip modes aside; null for another network */
  builtin: Pick<TrainConfig, "net" | "form"> | null;
  normalisation: Normalisation | null;
  match: Match;
  /** the quantisers' spelling in the file; null for a float network */
  quantFormat: QuantFormat | null;
  source: { file: string; sha256: string; producer: string; opset: number; irVersion: number };
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The built-in (net, form) whose NetSpec this is, skip modes and name aside (`train --teacher` asks the same). */
function builtinOf(net: NetSpec): Pick<TrainConfig, "net" | "form"> | null {
  for (const n of TRAINABLE_NETS) {
    for (const form of ["plain", "shortenable"] as const) {
      const b = withAllSkips(buildNet({ net: n, form }), "long");
      if (sameJson({ ...withAllSkips(net, "long"), name: b.name }, b)) return { net: n, form };
    }
  }
  return null;
}

/**
 * Our exporter's metadata: the normalisation as JSON, or "unknown" when it knew none. Anything else is an error, not
 * "unknown": the checkpoint carries what is read here, and its students train on inputs normalised by it.
 */
function normalisationOf(meta: string | undefined, file: string): Normalisation | null {
  if (meta === undefined || meta === "unknown") return null;
  let n: { mean?: unknown; std?: unknown } | null = null;
  try {
    n = JSON.parse(meta);
  } catch {
    // reported below
  }
  // the ranges train's --input-norm takes (src/train/config.ts): means of pixel / 255, positive deviations
  const ok = (a: unknown, range: (v: number) => boolean) => Array.isArray(a) && a.length === 3 && a.every((v) => typeof v === "number" && Number.isFinite(v) && range(v));
  if (!n || !ok(n.mean, (v) => v >= 0 && v <= 1) || !ok(n.std, (v) => v > 0)) {
    throw new ImportError(`${file}: metadata tailor.input_normalisation is ${JSON.stringify(meta)}; expected {"mean": [3 numbers in [0, 1]], "std": [3 positive numbers]} or "unknown" (give --mean and --std to override it)`);
  }
  return { mean: n.mean as Normalisation["mean"], std: n.std as Normalisation["std"] };
}

/** Import ONNX bytes (see the file comment); `file` names the file in errors. Pure: writes nothing. */
export function importOnnx(bytes: Uint8Array, file: string, opts: ImportOptions = {}): Imported {
  const { model, quant, opset, walk, match } = readOnnxNet(bytes, file, opts.name);
  const builtin = builtinOf(match.net);
  // the built-in's name, so that train --teacher recognises it; an explicit --name wins
  if (!opts.name && builtin) match.net.name = buildNet({ net: builtin.net, form: builtin.form }).name;
  const q = quantState(match, quant, file);
  // the weights a quantised layer keeps (its codes must come back from our quantiser), in place of the graph's
  for (const [name, v] of q?.weights ?? []) walk.consts.set(name, { ...walk.consts.get(name)!, floats: v });
  const weights = importWeights(match, walk.consts, file);
  const normalisation = opts.normalisation ?? normalisationOf(model.metadata["tailor.input_normalisation"], file);
  const source = { file: path.resolve(file), sha256: createHash("sha256").update(bytes).digest("hex"), producer: model.producer, opset, irVersion: model.irVersion };
  // a teacher's config, never trained here: the network and form, the rest the defaults (no results exist)
  // a quantised file's widths too: the eval forward pass then quantises as the file does; and its normalisation, so
  // that a best.ckpt copied out of the import's folder (away from config.json) still normalises as it was trained
  const inputNorm = normalisation ? [...normalisation.mean, ...normalisation.std] : [];
  const config: TrainConfig = { ...DEFAULT_CONFIG, method: "teacher", net: (builtin?.net ?? match.net.name) as NetName, form: match.net.blocks[0]?.form ?? "plain", inputNorm, ...q?.fields };
  const checkpoint: Checkpoint = {
    net: match.net,
    config,
    epoch: -1,
    partial: null,
    params: weights.params,
    stats: { ...weights.stats, ...q?.stats },
    optimizer: {},
    history: [],
    best: null,
    env: { importedFrom: source.file, importedSha256: source.sha256, importedProducer: source.producer, importedOpset: opset },
  };
  checkCheckpoint(checkpoint, file);
  return { checkpoint, builtin, normalisation, match, quantFormat: quant.format, source };
}

/**
 * Write `DIR/best.ckpt` and `DIR/config.json`. A DIR that is a file, or that already holds either, is refused before
 * anything is written; a new DIR is built beside its final name and renamed into place, so that a failure leaves
 * nothing behind.
 */
export function writeImport(dir: string, imp: Imported): string[] {
  if (fs.existsSync(dir) && !fs.statSync(dir).isDirectory()) throw new ImportError(`--out ${dir}: exists and is a file; expected a directory to create (or an empty one)`);
  const where = outputDirProblem(dir);
  if (where) throw new ImportError(`--out ${where}`);
  const names = ["best.ckpt", "config.json"];
  const clash = names.filter((n) => fs.existsSync(path.join(dir, n)));
  if (clash.length) throw new ImportError(`--out ${dir}: already holds ${clash.join(" and ")}; choose a new folder (an import does not overwrite)`);
  const c = imp.checkpoint;
  const config = {
    config: c.config,
    env: c.env,
    imported: {
      ...imp.source,
      net: c.net.name,
      builtin: imp.builtin,
      skipModes: c.net.blocks.map((b) => b.skip),
      quant: quantLabel(c.config),
      quantFormat: imp.quantFormat,
      unitsPerBlock: imp.match.unitsPerBlock,
      blocksFrom: imp.match.source,
      normalisation: imp.normalisation,
      note: "imported, not trained here: no results.json; the input must be normalised as the network was trained (normalisation)",
    },
  };
  const fresh = !fs.existsSync(dir);
  const target = fresh ? `${dir.replace(/\/+$/, "")}.${process.pid}.tmp` : dir;
  try {
    makeDirs(target);
    writeCheckpointFile(path.join(target, "best.ckpt"), c, { optimizer: false });
    writeFileAtomic(path.join(target, "config.json"), JSON.stringify(config, null, 2) + "\n");
    if (fresh) fs.renameSync(target, dir);
  } catch (e) {
    if (fresh) fs.rmSync(target, { recursive: true, force: true });
    throw e;
  }
  return names.map((n) => path.join(dir, n));
}

/**
 * The input normalisation import:onnx recorded beside a checkpoint (its folder's config.json, `imported.normalisation`):
 * undefined when the checkpoint is no import, null when the import did not know it (no --mean/--std).
 */
export function importedNormalisation(checkpointFile: string): Normalisation | null | undefined {
  const file = path.join(path.dirname(checkpointFile), "config.json");
  let c: { imported?: { normalisation?: Normalisation | null } };
  try {
    c = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch {
    return undefined; // no config.json (or not ours): nothing recorded
  }
  return c.imported ? (c.imported.normalisation ?? null) : undefined;
}
