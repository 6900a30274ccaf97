export * from "./config.js";
export * from "./model.js";
