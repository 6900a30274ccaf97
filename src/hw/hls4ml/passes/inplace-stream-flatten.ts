/**
 * hls4ml's inplace_stream_flatten (backends/fpga/passes/inplace_stream_flatten.py, v1.3.0 ef92ebd lines 6-31; first
 * of the Vivado 'streaming' flow, vivado_backend.py line 148): in io_stream a Flatten's output is an in-place view of
 * its input, so it is no process and has no stream; the Dense after it reads the map's words itself
 * (nnet_dense_stream.h lines 33-44). The tutorial reports list no stream for it. hls4ml leaves a Flatten that is the
 * network's output alone; none of our networks ends in one.
 */
import { without } from "../model-graph.js";
import type { Pass } from "./pass.js";

export const inplaceStreamFlatten: Pass = {
  name: "inplace_stream_flatten",
  match: (_m, n) => n.kind === "flatten",
  transform: (m, n) => without(m, n.id),
};
