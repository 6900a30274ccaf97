/**
 * The network of an ONNX file, without its weights: decoded (onnx-decode.ts), its opset checked, its quantisers taken
 * out (onnx-quant.ts: QONNX or QCDQ), its graph walked and matched to a NetSpec (onnx-walk.ts, onnx-match.ts). The importer (onnx-import.ts) goes on to the weights and the
 * folder; the cost explorer page (web/) stops here, since the cost models read the network alone. Pure, and free of
 * Node's modules, so that the page bundles it.
 */
import { decodeOnnx } from "./onnx-decode.js";
import { matchNet, type Match } from "./onnx-match.js";
import { stripQuantisers, type Quantisers } from "./onnx-quant.js";
import { ImportError, type OnnxModel } from "./onnx-types.js";
import { walkGraph, type Walk } from "./onnx-walk.js";

export interface OnnxNet {
  /** the float graph: the file's, its quantisers (if any) taken out */
  model: OnnxModel;
  /** the quantisers taken out (none for a float file) */
  quant: Quantisers;
  opset: number;
  walk: Walk;
  match: Match;
}

/** the file's name without its folders and its .onnx */
const baseName = (file: string) => (file.split(/[\\/]/).pop() ?? file).replace(/\.onnx$/i, "");

/** Read the network of ONNX bytes; `file` names the file in errors, `name` the network (default: metadata, graph, file). */
export function readOnnxNet(bytes: Uint8Array, file: string, name?: string): OnnxNet {
  const model = decodeOnnx(bytes, file);
  const opset = model.opsets[""] ?? model.opsets["ai.onnx"];
  // opset 7 brought BatchNormalization without its "spatial" quirks; past 22 ops may change meaning unseen
  if (!(opset >= 7 && opset <= 22)) throw new ImportError(`${file}: ONNX opset ${opset ?? "(none for the default domain)"}; expected 7 to 22`);
  const stripped = stripQuantisers(model);
  const walk = walkGraph(stripped.model);
  const provisional = name ?? model.metadata["tailor.net"] ?? (model.graphName || baseName(file));
  return { model: stripped.model, quant: stripped.quant, opset, walk, match: matchNet(stripped.model, walk, provisional) };
}
