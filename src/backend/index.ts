export * from "./select.js";
export { NATIVE_BACKEND, BN_TRAIN } from "./native-kernels.js";
export { inferenceOps, type ConvShape, type FusedConv, type InferenceBatchNorm, type PostOp, type QuantConv, type QuantStage } from "./inference-ops.js";
