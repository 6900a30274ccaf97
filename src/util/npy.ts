/**
 * NumPy's .npy format, float32 only: enough to pass image batches in and logits out (npm run predict). The format is
 * documented by NumPy (numpy/lib/format.py; "NEP 1"): the magic "\x93NUMPY", a major and minor version byte, the
 * header length (uint16 little-endian in version 1.0, uint32 in 2.0 and 3.0), then an ASCII (3.0: UTF-8) Python dict
 * literal {'descr': '<f4', 'fortran_order': False, 'shape': (N, C, H, W), } padded with spaces and ending in "\n" so
 * that the data starts at a multiple of 64 bytes, then the raw values in C order. Small enough to own rather than
 * depend on a package for it.
 */

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY

export class NpyError extends Error {}

export interface NpyArray {
  shape: number[];
  data: Float32Array;
}

/** Parse a .npy file's bytes holding float32 values ('<f4', C order); `file` names it in errors. */
export function decodeNpy(buf: Uint8Array, file: string): NpyArray {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length < 10 || !b.subarray(0, 6).equals(MAGIC)) throw new NpyError(`${file}: not a .npy file (no "\\x93NUMPY" magic at its start)`);
  const major = b[6];
  if (major < 1 || major > 3) throw new NpyError(`${file}: .npy format version ${major}.${b[7]}, expected 1.0, 2.0 or 3.0`);
  const lenBytes = major === 1 ? 2 : 4;
  if (b.length < 8 + lenBytes) throw new NpyError(`${file}: truncated .npy header`);
  const headerLen = major === 1 ? b.readUInt16LE(8) : b.readUInt32LE(8);
  const start = 8 + lenBytes + headerLen;
  if (start > b.length) throw new NpyError(`${file}: .npy header of ${headerLen} bytes runs past the end of the file (${b.length} bytes): truncated`);
  const header = b.subarray(8 + lenBytes, start).toString(major === 3 ? "utf8" : "latin1");
  const field = (key: string) => new RegExp(`['"]${key}['"]\\s*:\\s*([^,}]+(?:\\([^)]*\\))?)`).exec(header)?.[1]?.trim();
  const descr = /['"]descr['"]\s*:\s*['"]([^'"]+)['"]/.exec(header)?.[1];
  const fortran = field("fortran_order");
  const shapeText = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) throw new NpyError(`${file}: .npy header without descr, fortran_order or shape: ${JSON.stringify(header.trim())}`);
  // '<f4' little-endian float32; '|f4' does not occur for 4-byte types, '>f4' is big-endian
  if (descr !== "<f4") throw new NpyError(`${file}: dtype '${descr}', expected float32 ('<f4'): convert with x.astype(np.float32)`);
  if (fortran !== "False") throw new NpyError(`${file}: Fortran-ordered array, expected C order (np.ascontiguousarray)`);
  const shape = shapeText
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "")
    .map((s) => Number(s.replace(/L$/, "")));
  if (!shape.every((d) => Number.isInteger(d) && d >= 0)) throw new NpyError(`${file}: bad shape (${shapeText})`);
  const n = shape.reduce((a, d) => a * d, 1);
  if (b.length - start !== n * 4) throw new NpyError(`${file}: ${b.length - start} data bytes for shape (${shape.join(", ")}) of float32, expected ${n * 4}: truncated or corrupt`);
  // one aligned copy (the data offset need not be a multiple of 4 in the caller's buffer)
  const data = new Float32Array(n);
  new Uint8Array(data.buffer).set(b.subarray(start));
  return { shape, data };
}

/** A version 1.0 .npy file of float32 values in C order. */
export function encodeNpy(shape: number[], data: Float32Array): Uint8Array {
  const n = shape.reduce((a, d) => a * d, 1);
  if (n !== data.length) throw new NpyError(`encodeNpy: ${data.length} values for shape (${shape.join(", ")}), expected ${n}`);
  // a 1-tuple needs its trailing comma in Python
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(", ");
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${dims}), }`;
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 10 - 1, " ") + "\n";
  if (header.length > 0xffff) throw new NpyError(`encodeNpy: header of ${header.length} bytes does not fit format 1.0`);
  const out = Buffer.alloc(total + data.byteLength);
  MAGIC.copy(out, 0);
  out[6] = 1;
  out[7] = 0;
  out.writeUInt16LE(header.length, 8);
  out.write(header, 10, "latin1");
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), total);
  return out;
}
