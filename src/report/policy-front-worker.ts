/**
 * The worker thread of policy-front-parallel.ts: costs its slice of the designs through its own shared schedule and
 * posts progress counts, then the costs in the slice's order.
 */
import { parentPort, workerData } from "node:worker_threads";
import { costDesigns, policyDesigns } from "./policy-front.js";
import type { PolicyWork } from "./policy-front-parallel.js";

const { net, hls, pe, indices } = workerData as PolicyWork;
const { nets, designs } = policyDesigns(net);
// a progress message every few hundred designs: often enough for a progress line, rare enough to cost nothing
const costs = costDesigns(nets, designs, indices, hls, pe, (done) => done % 256 === 0 && parentPort!.postMessage({ done }));
parentPort!.postMessage({ costs });
