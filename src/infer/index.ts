export { foldBatchNorm, type BnStats } from "./fold.js";
export { compilePlan, disposePlan, type InferPlan, type InferStep, type PlanOptions } from "./plan.js";
export { runPlan } from "./run.js";
export { evaluateInfer, evaluatePlan, INFER_BATCH, scoreLogits } from "./evaluate.js";
export { nchwToNhwc, predictInferNchw, predictPlanNchw } from "./predict.js";
