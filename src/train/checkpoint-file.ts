/**
 * The binary checkpoint file (format 3): compact, checked, and loadable without base64.
 *
 *   bytes 0-7    magic "TAILORCK"
 *   bytes 8-11   header length H (uint32 little-endian)
 *   then         H bytes of JSON: format, NetSpec, config, epoch (and the partial epoch), history, best, env,
 *                the tensor table (group, name, shape, in data order), sha256 digests of the data and, last, the
 *                sha256 of the header itself (checkpoint-header.ts)
 *   then         zero padding to a multiple of 4 bytes, then every tensor's float32 values, little-endian
 *
 * Format 2 is format 3 without the header digest: the committed checkpoints written before it existed still load.
 *
 * Weights and BN statistics come first, optimiser buffers after them, so the digest of the first part
 * (`modelDigest`) identifies a model whether or not its file carries the optimiser state (best checkpoints don't).
 * The first format (JSON with base64 data, checkpoint.ts: parseCheckpoint) still loads.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import { checkCheckpoint, checkCheckpointValues, CheckpointError, parseCheckpoint, type Checkpoint, type TensorRecord } from "./checkpoint.js";
import { BINARY_FORMAT, LEGACY_FORMAT, parseSignedHeader, signHeader } from "./checkpoint-header.js";

export { BINARY_FORMAT };
const MAGIC = Buffer.from("TAILORCK", "latin1");
const GROUPS = ["params", "stats", "optimizer"] as const;
type Group = (typeof GROUPS)[number];

interface TensorEntry {
  group: Group;
  name: string;
  shape: number[];
}

interface Header extends Omit<Checkpoint, Group> {
  format: typeof BINARY_FORMAT | typeof LEGACY_FORMAT;
  tensors: TensorEntry[];
  /** float32 values after the header */
  values: number;
  /** sha256 of the weights and statistics (first part of the data) */
  modelDigest: string;
  /** sha256 of all data */
  dataDigest: string;
}

if (os.endianness() !== "LE") throw new Error("tailor-ts checkpoints are little-endian; this host is big-endian");

const bytesOf = (v: Float32Array) => new Uint8Array(v.buffer, v.byteOffset, v.byteLength);

/** sha256 of a model's weights and BN statistics, in the file's order (the identity of a best checkpoint). */
export function modelDigest(c: Pick<Checkpoint, "params" | "stats">): string {
  const h = createHash("sha256");
  for (const g of ["params", "stats"] as const) for (const r of Object.values(c[g])) h.update(bytesOf(r.values));
  return h.digest("hex");
}

/** Encode a checkpoint; `optimizer: false` leaves the optimiser buffers out (a best checkpoint: half the size). */
export function encodeCheckpoint(c: Checkpoint, opts: { optimizer?: boolean } = {}): { bytes: Buffer; modelDigest: string } {
  const groups = opts.optimizer === false ? (["params", "stats"] as const) : GROUPS;
  const tensors: TensorEntry[] = [];
  const chunks: Float32Array[] = [];
  for (const g of groups) {
    for (const [name, r] of Object.entries(c[g])) {
      tensors.push({ group: g, name, shape: r.shape });
      chunks.push(r.values);
    }
  }
  const model = createHash("sha256");
  const all = createHash("sha256");
  let values = 0;
  tensors.forEach((t, i) => {
    const b = bytesOf(chunks[i]);
    if (t.group !== "optimizer") model.update(b);
    all.update(b);
    values += chunks[i].length;
  });
  const { params: _p, stats: _s, optimizer: _o, ...meta } = c;
  const digest = model.digest("hex");
  const header: Header = { format: BINARY_FORMAT, ...meta, tensors, values, modelDigest: digest, dataDigest: all.digest("hex") };
  const json = signHeader(header as unknown as Record<string, unknown>);
  const start = Math.ceil((12 + json.length) / 4) * 4;
  const bytes = Buffer.alloc(start + values * 4);
  MAGIC.copy(bytes, 0);
  bytes.writeUInt32LE(json.length, 8);
  json.copy(bytes, 12);
  let o = start;
  for (const v of chunks) {
    bytes.set(bytesOf(v), o);
    o += v.byteLength;
  }
  return { bytes, modelDigest: digest };
}

export const isBinaryCheckpoint = (buf: Uint8Array) => buf.length >= 12 && Buffer.from(buf.buffer, buf.byteOffset, 8).equals(MAGIC);

function readHeader(buf: Buffer, file: string): { header: Header; start: number } {
  const n = buf.readUInt32LE(8);
  if (12 + n > buf.length) throw new CheckpointError(`${file}: header of ${n} bytes runs past the end of the file (${buf.length} bytes): truncated checkpoint`);
  // checked against its digest before any field is trusted (format 2, older, has none: checkpoint-header.ts)
  const header = parseSignedHeader(buf.subarray(12, 12 + n), file) as unknown as Header;
  if (header.format !== BINARY_FORMAT && header.format !== LEGACY_FORMAT) throw new CheckpointError(`${file}: format "${header.format}", expected "${BINARY_FORMAT}" (or the older "${LEGACY_FORMAT}")`);
  if (!Array.isArray(header.tensors) || !Number.isInteger(header.values)) throw new CheckpointError(`${file}: header without a tensor table`);
  return { header, start: Math.ceil((12 + n) / 4) * 4 };
}

/** Decode a checkpoint file's bytes, binary or the first JSON format; checks structure, digests and values. */
export function decodeCheckpoint(buf: Buffer, file: string): Checkpoint {
  if (!isBinaryCheckpoint(buf)) {
    // a user's own network passed as it is: say what to do instead of "not valid JSON"
    if (looksLikeOnnx(buf, file)) throw new CheckpointError(onnxNotCheckpoint(file));
    return parseCheckpoint(buf.toString("utf8"), file);
  }
  const { header, start } = readHeader(buf, file);
  const bytes = buf.length - start;
  if (bytes !== header.values * 4) {
    throw new CheckpointError(`${file}: ${bytes} data bytes, the header lists ${header.values} float32 values (${header.values * 4} bytes): truncated or corrupt checkpoint`);
  }
  // one aligned copy, then a view per tensor
  const data = new Float32Array(header.values);
  new Uint8Array(data.buffer).set(buf.subarray(start));
  const digest = createHash("sha256").update(bytesOf(data)).digest("hex");
  if (digest !== header.dataDigest) throw new CheckpointError(`${file}: data digest ${digest.slice(0, 12)}... differs from the header's ${String(header.dataDigest).slice(0, 12)}...: corrupt checkpoint`);
  const out: Record<Group, Record<string, TensorRecord>> = { params: {}, stats: {}, optimizer: {} };
  let o = 0;
  for (const t of header.tensors) {
    if (!GROUPS.includes(t.group) || typeof t.name !== "string" || !Array.isArray(t.shape) || !t.shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new CheckpointError(`${file}: bad tensor entry ${JSON.stringify(t)}`);
    }
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (o + n > data.length) throw new CheckpointError(`${file}: tensor "${t.name}" runs past the data`);
    out[t.group][t.name] = { shape: t.shape, values: data.subarray(o, o + n) };
    o += n;
  }
  if (o !== data.length) throw new CheckpointError(`${file}: ${data.length - o} float32 values not listed in the tensor table`);
  const { format: _f, tensors: _t, values: _v, modelDigest: _m, dataDigest: _d, ...meta } = header;
  return checkCheckpoint({ ...meta, ...out } as Checkpoint, file);
}

/**
 * An ONNX file (a ModelProto: protobuf, whose first field, ir_version, is written as the tag byte 0x08; or named
 * .onnx) where a checkpoint was expected: neither checkpoint format starts so (binary: "TAILORCK", JSON: "{").
 */
function looksLikeOnnx(buf: Uint8Array, file: string): boolean {
  return /\.onnx$/i.test(file) || (buf.length > 0 && buf[0] === 0x08);
}

const onnxNotCheckpoint = (file: string) =>
  `${file}: an ONNX model, not a tailor-ts checkpoint; import it first (npm run import:onnx -- --model ${file} --out DIR) and give DIR/best.ckpt`;

/** The error of a checkpoint file that cannot be read: missing, a folder, or the system's reason. */
function readError(e: unknown, file: string): CheckpointError {
  const code = (e as NodeJS.ErrnoException).code;
  return new CheckpointError(code === "ENOENT" ? `${file}: checkpoint not found` : code === "EISDIR" ? `${file}: is a directory, expected a checkpoint file` : `${file}: ${(e as Error).message}`);
}

/** Read and check a checkpoint file (either format). */
export function readCheckpointFile(file: string): Checkpoint {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    throw readError(e, file);
  }
  return decodeCheckpoint(buf, file);
}

/** Only the header of a binary checkpoint (epoch, history, best...): cheap, for status tables. JSON files are read whole. */
export function readCheckpointMeta(file: string): Omit<Checkpoint, Group> & { modelDigest?: string } {
  let fd: number;
  const head = Buffer.alloc(12);
  try {
    fd = fs.openSync(file, "r");
  } catch (e) {
    throw readError(e, file);
  }
  try {
    // a folder opens on Linux; its read fails with EISDIR (then the same error as readCheckpointFile's)
    try {
      fs.readSync(fd, head, 0, 12, 0);
    } catch (e) {
      throw readError(e, file);
    }
    if (!isBinaryCheckpoint(head)) {
      const { params: _p, stats: _s, optimizer: _o, ...meta } = readCheckpointFile(file);
      return meta;
    }
    const n = head.readUInt32LE(8);
    const buf = Buffer.alloc(12 + n);
    fs.readSync(fd, buf, 0, 12 + n, 0);
    const { header } = readHeader(buf, file);
    const { format: _f, tensors: _t, values: _v, dataDigest: _d, ...meta } = header;
    return meta;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Write a checkpoint atomically (temporary file, then rename) after checking its values: a NaN or a negative
 * variance is an error naming the file and tensor, and the file already there stays as it was.
 */
export function writeCheckpointFile(file: string, c: Checkpoint, opts: { optimizer?: boolean } = {}): string {
  checkCheckpointValues(c, file);
  const { bytes, modelDigest: d } = encodeCheckpoint(c, opts);
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = fs.openSync(tmp, "w");
  try {
    fs.writeSync(fd, bytes);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  return d;
}
