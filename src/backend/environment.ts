/** What ran: recorded next to every result (machine, Node, tfjs backend and version). */
import * as os from "node:os";
import * as tf from "@tensorflow/tfjs";
import { backendInfo } from "./index.js";

export function runEnvironment(): Record<string, string | number> {
  const b = backendInfo();
  return {
    cpu: os.cpus()[0]?.model ?? "unknown",
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    tfjs: tf.version.tfjs,
    backend: b?.name ?? tf.getBackend(),
    backendThreads: b?.threads ?? 0,
    backendKernels: b?.kernels ?? "unknown",
    date: new Date().toISOString(),
  };
}
