/**
 * ONNX bytes to the importer's plain model (onnx-types.ts). The protobuf is decoded by onnx-proto (protobufjs code
 * generated from onnx.proto, ONNX 1.10.2 / IR 8): a schema package rather than a parser of our own. Newer files
 * decode too, since protobuf skips fields a schema does not know, and the subset read here (graph, nodes,
 * attributes, float and int64 tensors, value infos, opsets, metadata) has not changed since. Tensor data stored
 * outside the file (external data) is refused: the importer reads one file.
 */
import { onnx } from "onnx-proto";
import { ImportError, type AttrValue, type OnnxModel, type OnnxNode, type OnnxTensor, type OnnxValueInfo } from "./onnx-types.js";

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;
const INT32 = onnx.TensorProto.DataType.INT32;
const INT8 = onnx.TensorProto.DataType.INT8;
const UINT8 = onnx.TensorProto.DataType.UINT8;

/**
 * The largest ONNX file read: a protobuf message cannot exceed 2 GiB (the reason ONNX has external data), and the
 * float CNNs of the family are far smaller (an ImageNet ResNet-152 is about 240 MB of float32 weights).
 */
export const MAX_ONNX_BYTES = 2 ** 30;

/** protobufjs gives int64 as a number or a Long */
type Int64 = number | { toNumber(): number };
const int = (v: Int64 | null | undefined): number => (v == null ? 0 : typeof v === "number" ? v : v.toNumber());

function decodeTensor(t: onnx.ITensorProto, file: string, where: string): OnnxTensor {
  const name = t.name ?? "";
  const dims = (t.dims ?? []).map(int);
  const dataType = t.dataType ?? 0;
  const n = dims.reduce((a, d) => a * d, 1);
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL || (t.externalData ?? []).length > 0) {
    throw new ImportError(`${file}: ${where} "${name}" keeps its data in an external file; save the model with its weights inside (onnx.save(model, f, save_as_external_data=False))`);
  }
  // a DataView, not Node's Buffer: the cost explorer page (web/) decodes in the browser
  const raw = t.rawData && t.rawData.length > 0 ? new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength) : null;
  const sizeError = (got: number) => new ImportError(`${file}: ${where} "${name}" holds ${got} values for its shape [${dims}] (${n} expected): truncated or corrupt`);
  if (dataType === FLOAT) {
    let floats: Float32Array;
    if (raw) {
      if (raw.byteLength !== n * 4) throw sizeError(raw.byteLength / 4);
      floats = new Float32Array(n);
      // raw_data is little-endian (onnx.proto); copied so that the array is aligned and owned
      for (let i = 0; i < n; i++) floats[i] = raw.getFloat32(i * 4, true);
    } else {
      floats = Float32Array.from(t.floatData ?? []);
      if (floats.length !== n) throw sizeError(floats.length);
    }
    return { name, dims, dataType, floats };
  }
  if (dataType === INT64 || dataType === INT32) {
    let ints: number[];
    if (raw) {
      const w = dataType === INT64 ? 8 : 4;
      if (raw.byteLength !== n * w) throw sizeError(raw.byteLength / w);
      ints = Array.from({ length: n }, (_, i) => (w === 8 ? Number(raw.getBigInt64(i * 8, true)) : raw.getInt32(i * 4, true)));
    } else {
      ints = (dataType === INT64 ? (t.int64Data ?? []) : (t.int32Data ?? [])).map(int);
      if (ints.length !== n) throw sizeError(ints.length);
    }
    return { name, dims, dataType, ints };
  }
  if (dataType === INT8 || dataType === UINT8) {
    // a quantised network's integer codes, zero points and Clip bounds: raw bytes, or one value per int32_data entry
    let ints: number[];
    if (raw) {
      if (raw.byteLength !== n) throw sizeError(raw.byteLength);
      ints = Array.from({ length: n }, (_, i) => (dataType === INT8 ? raw.getInt8(i) : raw.getUint8(i)));
    } else {
      ints = (t.int32Data ?? []).map(int);
      if (ints.length !== n) throw sizeError(ints.length);
    }
    return { name, dims, dataType, ints };
  }
  // other types (float16, int16...) are kept without values: the graph matcher names them if a layer needs them
  return { name, dims, dataType };
}

function decodeAttr(a: onnx.IAttributeProto, file: string, node: string): AttrValue | undefined {
  const T = onnx.AttributeProto.AttributeType;
  switch (a.type) {
    case T.FLOAT:
      return a.f ?? 0;
    case T.INT:
      return int(a.i);
    case T.STRING:
      return new TextDecoder().decode(a.s ?? new Uint8Array());
    case T.INTS:
      return (a.ints ?? []).map(int);
    case T.FLOATS:
      return a.floats ?? [];
    case T.TENSOR:
      return decodeTensor(a.t ?? {}, file, `tensor attribute "${a.name}" of node ${node}`);
    default:
      // graphs, sparse tensors, type protos: no op of the supported family has them
      return undefined;
  }
}

function valueInfo(v: onnx.IValueInfoProto): OnnxValueInfo {
  const tt = v.type?.tensorType;
  const dims = tt?.shape?.dim ? tt.shape.dim.map((d) => (d.dimValue != null && int(d.dimValue) > 0 ? int(d.dimValue) : d.dimParam ? d.dimParam : null)) : null;
  return { name: v.name ?? "", dims, elemType: tt?.elemType ?? 0 };
}

/** Decode ONNX bytes; `file` names the file in errors. Not ONNX, or truncated: an ImportError saying so. */
export function decodeOnnx(bytes: Uint8Array, file: string): OnnxModel {
  if (bytes.length > MAX_ONNX_BYTES) throw new ImportError(`${file}: ${bytes.length} bytes, more than the ${MAX_ONNX_BYTES} read (the importer takes float CNNs of the ResNet family, ResNet-152 is ~240 MB)`);
  let m: onnx.ModelProto;
  try {
    m = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new ImportError(`${file}: not a readable ONNX model (protobuf decoding failed: ${(e as Error).message}); truncated, or not an .onnx file`);
  }
  // random bytes can decode as a message of unknown fields: an ONNX model has an IR version, an opset and a graph
  const irVersion = int(m.irVersion);
  if (!m.graph || irVersion <= 0 || !(m.opsetImport ?? []).length) {
    throw new ImportError(`${file}: not an ONNX model (no ${!m.graph ? "graph" : irVersion <= 0 ? "IR version" : "opset import"}); truncated, or not an .onnx file`);
  }
  const opsets: Record<string, number> = {};
  for (const o of m.opsetImport ?? []) opsets[o.domain ?? ""] = int(o.version);
  const g = m.graph;
  const nodes: OnnxNode[] = (g.node ?? []).map((n, index) => {
    const name = n.name ?? "";
    const attrs: Record<string, AttrValue> = {};
    // a control-flow node (If, Loop, Scan) carries graphs of its own: the importer reads one flat graph, so it is
    // named and refused here rather than read as a node whose branches are silently dropped
    const sub = (n.attribute ?? []).find((a) => a.type === onnx.AttributeProto.AttributeType.GRAPH || a.type === onnx.AttributeProto.AttributeType.GRAPHS || a.g || (a.graphs ?? []).length);
    if (sub) throw new ImportError(`${file}: node "${name || `#${index}`}" (${n.opType}) holds a nested graph (attribute "${sub.name}"); subgraphs (If, Loop, Scan) are not imported: export the network as one flat graph`);
    for (const a of n.attribute ?? []) {
      const v = decodeAttr(a, file, name || `#${index}`);
      if (v !== undefined) attrs[a.name ?? ""] = v;
    }
    return { index, op: n.opType ?? "", domain: n.domain ?? "", name, inputs: n.input ?? [], outputs: n.output ?? [], attrs };
  });
  const initializers = new Map<string, OnnxTensor>();
  for (const t of g.initializer ?? []) initializers.set(t.name ?? "", decodeTensor(t, file, "initializer"));
  const metadata: Record<string, string> = {};
  for (const p of m.metadataProps ?? []) metadata[p.key ?? ""] = p.value ?? "";
  return {
    file,
    irVersion,
    opsets,
    producer: [m.producerName, m.producerVersion].filter(Boolean).join(" "),
    metadata,
    graphName: g.name ?? "",
    nodes,
    initializers,
    inputs: (g.input ?? []).map(valueInfo),
    outputs: (g.output ?? []).map(valueInfo),
  };
}
