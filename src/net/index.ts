export * from "./types.js";
export * from "./validate.js";
export * from "./graph.js";
export * from "./resnet.js";
export * from "./quartznet.js";
export * from "./skip.js";
export * from "./policy.js";
