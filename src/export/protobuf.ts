/**
 * A protobuf wire-format writer, only as much of it as an ONNX ModelProto needs: varints (field numbers, enums,
 * int64 values, lengths), length-delimited fields (strings, bytes, nested messages, packed repeated numbers) and
 * fixed32 floats. Every function returns the bytes of one field; a message is the concatenation of its fields.
 * The wire format (protobuf.dev/programming-guides/encoding): a field is a key, (field number << 3) | wire type,
 * as a varint, then its payload; wire types used here: 0 varint, 2 length-delimited, 5 fixed32.
 * Pure functions, no dependency: the ONNX package is not needed to write ONNX.
 */

const VARINT = 0;
const LEN = 2;
const I32 = 5;

/**
 * An unsigned base-128 varint, least significant group first. Negative numbers are int64 two's complement (ten
 * bytes), as protobuf encodes a negative int64 (ONNX attributes such as an axis of -1).
 */
export function varint(n: number | bigint): Uint8Array {
  let v = BigInt(n);
  if (typeof n === "number" && !Number.isSafeInteger(n)) throw new RangeError(`varint: ${n} is not a safe integer`);
  if (v < 0n) v += 1n << 64n;
  if (v >= 1n << 64n) throw new RangeError(`varint: ${n} does not fit 64 bits`);
  const out: number[] = [];
  do {
    const low = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v > 0n ? low | 0x80 : low);
  } while (v > 0n);
  return Uint8Array.from(out);
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function key(field: number, wire: number): Uint8Array {
  if (!Number.isInteger(field) || field < 1 || field > 0x1fffffff) throw new RangeError(`protobuf: field number ${field} out of range`);
  return varint(field * 8 + wire);
}

/** an integer field (int32, int64, enum, bool) */
export function intField(field: number, n: number | bigint): Uint8Array {
  return concat([key(field, VARINT), varint(n)]);
}

/** a length-delimited field: bytes, or a nested message given as its bytes */
export function bytesField(field: number, payload: Uint8Array): Uint8Array {
  return concat([key(field, LEN), varint(payload.length), payload]);
}

export function stringField(field: number, s: string): Uint8Array {
  return bytesField(field, new TextEncoder().encode(s));
}

/** a nested message from its fields */
export function messageField(field: number, fields: readonly Uint8Array[]): Uint8Array {
  return bytesField(field, concat(fields));
}

/** little-endian IEEE 754 single precision */
export function float32Bytes(values: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true);
  return out;
}

/** a float field (fixed32) */
export function floatField(field: number, f: number): Uint8Array {
  return concat([key(field, I32), float32Bytes([f])]);
}

/** a packed repeated integer field (repeated int64 / int32 in proto3 are packed by default) */
export function packedIntsField(field: number, ns: readonly (number | bigint)[]): Uint8Array {
  return bytesField(field, concat(ns.map((n) => varint(n))));
}

/** a packed repeated float field */
export function packedFloatsField(field: number, fs: ArrayLike<number>): Uint8Array {
  return bytesField(field, float32Bytes(fs));
}
