/** The project's vocabulary: networks, methods, precisions and run ids, each listed once. */
export * from "./networks.js";
export * from "./methods.js";
export * from "./precision.js";
export * from "./run-id.js";
export * from "./role-net.js";
export * from "./claim-spec.js";
