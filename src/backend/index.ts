export * from "./select.js";
export { NATIVE_BACKEND, BN_TRAIN } from "./native-kernels.js";
