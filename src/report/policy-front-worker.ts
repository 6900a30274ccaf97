/**
 * The worker thread of policy-front-parallel.ts: costs its slice (policy-slices.ts's costSlice, as the page's Web
 * Workers do) and posts progress counts, then the costs in the slice's order.
 */
import { parentPort, workerData } from "node:worker_threads";
import { costSlice, type PolicyWork, type SliceMessage } from "./policy-slices.js";

const post = (m: SliceMessage) => parentPort!.postMessage(m);
post({ costs: costSlice(workerData as PolicyWork, (done) => post({ done })) });
