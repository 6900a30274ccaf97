/**
 * The JSON header of a binary checkpoint under its own digest (issue 32). The data has had a digest from the start
 * (dataDigest), but the header had none: one flipped bit in "epoch" made a resume retrain or skip epochs, and swapped
 * tensor names of one shape or edited skip modes loaded without error. The header lists the tensor table and the
 * data digests, so its digest covers the whole file.
 *
 * The writer serialises the header, takes the sha256 of exactly those bytes and appends it as the last field,
 * `"headerDigest":"<hex>"`. The reader strips that suffix and hashes the bytes before it, so no JSON is re-serialised
 * (a re-serialisation could differ from the file in ways that hide nothing but would still have to be reasoned about).
 */
import { createHash } from "node:crypto";
import { CheckpointError } from "./checkpoint-types.js";

/** every header this version writes: format 2's layout plus the headerDigest field */
export const BINARY_FORMAT = "tailor-checkpoint-v3";
/**
 * Headers written before the digest existed (the committed data/runs checkpoints): accepted as legacy only when the
 * headerDigest field is absent, since no writer ever put one in this format. A format-3 header without the field is
 * an error: a new file never loses its digest, so losing it is damage (or an edit), not age.
 */
export const LEGACY_FORMAT = "tailor-checkpoint-v2";
const FIELD = "headerDigest";

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const suffixOf = (digest: string) => Buffer.from(`,"${FIELD}":"${digest}"}`, "utf8");

/** The header's bytes, its digest appended as the last field. `header` must not hold the field already. */
export function signHeader(header: Record<string, unknown>): Buffer {
  if (FIELD in header) throw new Error(`signHeader: the header already holds ${FIELD}`);
  const body = Buffer.from(JSON.stringify(header), "utf8");
  // JSON.stringify of a non-empty object ends in "}": the field goes just before it
  return Buffer.concat([body.subarray(0, body.length - 1), suffixOf(sha256(body))]);
}

/**
 * Parse a header and check its digest; returns it without the digest field. Only formats 2 and 3 are judged here
 * (another format is left to the caller's format check).
 */
export function parseSignedHeader(raw: Buffer, file: string): Record<string, unknown> {
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(raw.toString("utf8"));
  } catch (e) {
    throw new CheckpointError(`${file}: header is not valid JSON (${(e as Error).message}): corrupt checkpoint`);
  }
  if (!header || typeof header !== "object") throw new CheckpointError(`${file}: header is not a JSON object: corrupt checkpoint`);
  const recorded = header[FIELD];
  if (header.format === LEGACY_FORMAT) {
    if (recorded !== undefined) throw new CheckpointError(`${file}: a ${LEGACY_FORMAT} header with a ${FIELD} field, which that format never had: edited or corrupt checkpoint header`);
    return header; // legacy: written before the digest existed, nothing to check it against
  }
  if (header.format !== BINARY_FORMAT) return header;
  if (typeof recorded !== "string" || !/^[0-9a-f]{64}$/.test(recorded)) {
    throw new CheckpointError(`${file}: ${BINARY_FORMAT} header has no ${FIELD} (expected 64 hex digits, got ${JSON.stringify(recorded)}): edited or corrupt checkpoint header`);
  }
  const suffix = suffixOf(recorded);
  if (raw.length < suffix.length || !raw.subarray(raw.length - suffix.length).equals(suffix)) {
    throw new CheckpointError(`${file}: header digest is not the header's last field, where every writer puts it: edited or corrupt checkpoint header`);
  }
  const actual = sha256(Buffer.concat([raw.subarray(0, raw.length - suffix.length), Buffer.from("}")]));
  if (actual !== recorded) {
    throw new CheckpointError(`${file}: header digest ${actual.slice(0, 12)}... differs from the recorded ${recorded.slice(0, 12)}...: edited or corrupt checkpoint header`);
  }
  const { [FIELD]: _d, ...rest } = header;
  return rest;
}
