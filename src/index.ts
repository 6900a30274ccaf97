/** tailor-ts: the library. NetSpec, Tailor training, the hls4ml and PE-array cost models, reports. */
export * from "./net/index.js";
export * as hls4ml from "./hw/hls4ml/index.js";
export * as peArray from "./hw/pe-array/index.js";
