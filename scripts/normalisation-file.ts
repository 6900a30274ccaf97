/**
 * The input normalisation a checkpoint's network expects, for the ONNX exports' metadata and predict: its own config's
 * inputNorm, a run's results.json (the train split's statistics it trained with) or, for an import:onnx folder, the
 * normalisation its config.json recorded (--mean/--std). The exported graph takes normalised inputs, so a hand-off
 * without it leaves the user to guess.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { normalisationText, type Normalisation } from "../src/data/batches.js";
import { importedNormalisation } from "../src/import/onnx-import.js";
import type { TrainConfig } from "../src/train/config.js";
import { recordedConfig } from "../src/train/config-compare.js";
import { inputNormOf } from "../src/train/tailor.js";

export class NormalisationFileError extends Error {}

/** the training split's normalisation from a results.json; null when `file` is absent and was not asked for */
export function normalisationFrom(file: string, given: boolean, flag = "--results"): Normalisation | null {
  if (!fs.existsSync(file)) {
    if (given) throw new NormalisationFileError(`${flag} ${file}: file not found`);
    return null;
  }
  let n: Normalisation | undefined;
  try {
    n = JSON.parse(fs.readFileSync(file, "utf8"))?.normalisation;
  } catch (e) {
    throw new NormalisationFileError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  const ok = (a: unknown) => Array.isArray(a) && a.length === 3 && a.every((v) => typeof v === "number" && Number.isFinite(v));
  if (!n || !ok(n.mean) || !ok(n.std) || !n.std.every((s) => s > 0)) {
    throw new NormalisationFileError(`${file}: expected "normalisation": {mean: [3 numbers], std: [3 positive numbers]}, got ${JSON.stringify(n)}`);
  }
  return { mean: n.mean, std: n.std };
}

/**
 * The normalisation of `checkpoint`'s network and where it was read: `results` when given, else the checkpoint's own
 * config (a run trained with --input-norm, an import with --mean/--std: it goes with the file wherever it is copied),
 * else the results.json beside the checkpoint, else an import's config.json; null (from: what was looked for) when
 * none records it.
 */
export function checkpointNormalisation(checkpoint: string, config: Partial<TrainConfig>, results?: string): { normalisation: Normalisation | null; from: string } {
  const dir = path.dirname(checkpoint);
  const resultsFile = results ?? path.join(dir, "results.json");
  if (results !== undefined) return { normalisation: normalisationFrom(resultsFile, true), from: resultsFile };
  const own = inputNormOf(recordedConfig(config));
  if (own) return { normalisation: own, from: `${checkpoint}'s config` };
  const fromResults = normalisationFrom(resultsFile, false);
  if (fromResults) return { normalisation: fromResults, from: resultsFile };
  const imported = importedNormalisation(checkpoint);
  if (imported) return { normalisation: imported, from: path.join(dir, "config.json") };
  return { normalisation: null, from: imported === null ? `${path.join(dir, "config.json")}: imported without --mean/--std` : `no results.json beside the checkpoint` };
}

/** the line the exports print about the input */
export function normalisationLine(r: ReturnType<typeof checkpointNormalisation>, hint: string): string {
  const n = r.normalisation;
  return n
    ? `  input: NCHW, normalise first: (pixel / 255 - mean) / std, ${normalisationText(n)} (from ${r.from}; in the model's metadata)`
    : `  input: NCHW, normalise first: (pixel / 255 - mean) / std as the network was trained (not recorded: ${r.from}${hint})`;
}
