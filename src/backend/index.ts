export * from "./select.js";
export { NATIVE_BACKEND, BN_TRAIN } from "./native-kernels.js";
export { inferenceOps, type ConvShape, type FusedConv, type PostOp } from "./inference-ops.js";
