/** Training ops by name; which implementation runs is the backend's registration (src/backend/training-ops.ts). */
export {
  BN_EPS,
  crossEntropy,
  meanSquaredError,
  trainingOps,
  type BatchNormResult,
  type ConvGeometry,
  type LossWeights,
} from "../backend/training-ops.js";
