/**
 * The structure of a checkpoint's tensor records, checked before any is decoded, so that a hand-edited or damaged
 * file gets an error naming the record and field ("shape: null") instead of a TypeError from deep inside.
 */
import { CheckpointError, type Checkpoint } from "./checkpoint-types.js";

export function checkTensorRecords(c: Checkpoint, file: string): void {
  const groups = ["params", "stats", "optimizer"] as const;
  for (const g of groups) {
    const recs = (c as unknown as Record<string, unknown>)[g];
    if (recs === null || typeof recs !== "object" || Array.isArray(recs)) throw new CheckpointError(`${file}: "${g}" must be an object of tensor records, got ${JSON.stringify(recs)}`);
    for (const [name, r] of Object.entries(recs as Record<string, unknown>)) {
      const where = `${file}: ${g} "${name}"`;
      if (r === null || typeof r !== "object") throw new CheckpointError(`${where}: expected a tensor record {shape, data}, got ${JSON.stringify(r)}`);
      const { shape, data } = r as { shape: unknown; data: unknown };
      if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
        throw new CheckpointError(`${where}: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
      }
      if (typeof data !== "string") throw new CheckpointError(`${where}: data must be a base64 string, got ${JSON.stringify(data)?.slice(0, 40)}`);
    }
  }
  if (!Number.isInteger(c.epoch) || c.epoch < 0) throw new CheckpointError(`${file}: epoch must be an integer >= 0, got ${JSON.stringify(c.epoch)}`);
  if (!Array.isArray(c.history)) throw new CheckpointError(`${file}: history must be an array, got ${JSON.stringify(c.history)}`);
}
