/** A run's epoch records from its log.jsonl (one JSON object per line; event "epoch" holds an EpochRecord). */
import type { EpochRecord } from "../train/checkpoint.js";

/**
 * Every epoch once, in order. A resumed run may log an epoch twice (a kill -9 loses the work since the last
 * checkpoint, which is then done again): the later record is the one the run continued from.
 */
export function historyFromLog(text: string, file = "log.jsonl"): EpochRecord[] {
  const byEpoch = new Map<number, EpochRecord>();
  text.split("\n").forEach((line, i) => {
    if (!line.trim()) return;
    let o: { event?: string } & Partial<EpochRecord>;
    try {
      o = JSON.parse(line);
    } catch {
      throw new Error(`${file}:${i + 1}: not JSON`);
    }
    if (o.event !== "epoch") return;
    if (typeof o.epoch !== "number" || typeof o.valTop1 !== "number" || typeof o.lr !== "number" || !Array.isArray(o.skipModes)) {
      throw new Error(`${file}:${i + 1}: an epoch record needs epoch, lr, valTop1 and skipModes`);
    }
    const { event: _e, t: _t, ...rec } = o as Record<string, unknown>;
    byEpoch.set(o.epoch, rec as unknown as EpochRecord);
  });
  return [...byEpoch.values()].sort((a, b) => a.epoch - b.epoch);
}

/**
 * The convolution kernels a run trained on, in order (its start's and every resume's `env.backendKernels`, each
 * once): more than one means the run was resumed on other kernels (another machine or build), so its arithmetic
 * is not one uninterrupted run's.
 */
export function kernelsFromLog(text: string): string[] {
  const seen: string[] = [];
  for (const line of text.split("\n")) {
    if (!line.includes('"event":"start"') && !line.includes('"event":"resume"')) continue;
    let k: unknown;
    try {
      k = JSON.parse(line).env?.backendKernels;
    } catch {
      continue; // historyFromLog reports malformed lines
    }
    if (typeof k === "string" && seen[seen.length - 1] !== k) seen.push(k);
  }
  return seen;
}
