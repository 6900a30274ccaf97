/**
 * hls4ml's clone_output (backends/fpga/passes/clone.py, CloneOutput, v1.3.0 ef92ebd lines 49-112; in the Vivado
 * 'streaming' flow after inplace_stream_flatten, vivado_backend.py line 150): in io_stream a stream has one reader,
 * so a tensor read more than once, the network's output counting as a reader, gets a Clone node
 * (nnet_stream.h clone_stream) that writes one copy per reader. Copies are numbered in reader order; the first is the
 * main path, the others are the skip's copies. Two differences from hls4ml, for the design's numbering only: the
 * Clone goes at the end of the graph (hls4ml puts it after the node it copies), and the network's output is the
 * last copy (hls4ml makes it the first).
 */
import { append, nextId, readersOf } from "../model-graph.js";
import type { Pass } from "./pass.js";

export const cloneOutput: Pass = {
  name: "clone_output",
  match: (m, n) => n.kind !== "clone" && readersOf(m, n.id).length > 1,
  transform: (m, n) => {
    const id = nextId(m);
    // reader node -> its input port -> which copy it reads
    const copyOf = new Map<number, Map<number, number>>();
    readersOf(m, n.id).forEach((r, i) => copyOf.set(r.node.id, (copyOf.get(r.node.id) ?? new Map()).set(r.port, i + 1)));
    const nodes = m.nodes.map((x) => {
      const copies = copyOf.get(x.id);
      return copies ? { ...x, inputs: x.inputs.map((p, port) => (copies.has(port) ? { from: id, copy: copies.get(port) } : p)) } : x;
    });
    return append({ ...m, nodes }, { id, name: `${n.name}.clone`, kind: "clone", inputs: [{ from: n.id }], shape: n.shape, role: "skip", block: n.block });
  },
};
