/** The first checkpoint format (JSON, base64 float32 data), as data/runs/resnet8-short holds: for tests of its reader. */
import { CHECKPOINT_FORMAT, type Checkpoint, type TensorRecord } from "../../src/train/checkpoint.js";

export function checkpointJsonV1(c: Checkpoint): string {
  const records = (g: Record<string, TensorRecord>) =>
    Object.fromEntries(Object.entries(g).map(([k, r]) => [k, { shape: r.shape, data: Buffer.from(r.values.buffer, r.values.byteOffset, r.values.byteLength).toString("base64") }]));
  return JSON.stringify({ ...c, format: CHECKPOINT_FORMAT, params: records(c.params), stats: records(c.stats), optimizer: records(c.optimizer) });
}
