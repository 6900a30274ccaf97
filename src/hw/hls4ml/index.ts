export * from "./config.js";
export * from "./memory.js";
export * from "./design.js";
export * from "./simulate.js";
export * from "./shared-schedule.js";
export * from "./resources.js";
export * from "./model.js";
export * from "./occupancy.js";
