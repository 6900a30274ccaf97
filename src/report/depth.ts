/**
 * The depth study (claims C7a, C7b): per depth, test top-1 of the teachers, SkipRemover, SkipShortener and the
 * network without skips, each student's gap to its own teacher, and the claim checks. A run that has not finished
 * shows as "in progress (epoch e of n)" and never counts as a result.
 */
import { fixed2, type Cell } from "../util/table.js";
import { formatRunId, networkLabel, TAILOR_METHODS } from "../experiment/index.js";
import { awaitingClaim, checkClaim, distribution, signedPp, type ClaimResult, type ClaimSpec } from "./claims.js";

/** failed: its last attempt ended in an error (failed.json); invalid: finished, but its files do not verify (src/campaign/verify.ts) */
export type RunOutcome = "done" | "in progress" | "not started" | "failed" | "invalid";

/** a run that cannot finish as things are: a claim that needs it is not computed rather than in progress */
export const isStuck = (r: { state: string }) => r.state === "failed" || r.state === "invalid";

export interface DepthRun {
  /** "<net>/<run>" as in the plan */
  id: string;
  net: string;
  run: string;
  method: string;
  /** the run whose test top-1 a gap is measured against (students: their teacher; noskip: the plain teacher) */
  reference?: string;
  state: RunOutcome;
  /** why a run is failed or invalid */
  note?: string;
  /** epochs completed, of `epochs` */
  epoch: number;
  epochs: number;
  bestEpoch?: number;
  valTop1?: number;
  testTop1?: number;
  /** hours of the run's optimisation steps over all its epochs and sessions (results.json trainSeconds; no validation) */
  trainHours?: number;
  /** the convolution kernels it trained on, in order (more than one: resumed on other kernels) */
  kernels?: string[];
}

/** A line for each run that trained on more than one set of kernels (resumed on another machine or build). */
export function kernelChanges(runs: DepthRun[]): string[] {
  return runs.filter((r) => (r.kernels?.length ?? 0) > 1).map((r) => `${r.id}: ${r.kernels!.join(" -> ")}`);
}

export const stateLabel = (r: DepthRun) => (r.state === "in progress" ? `in progress (epoch ${r.epoch} of ${r.epochs})` : isStuck(r) ? `${r.state}: ${r.note}` : r.state);

/** student (or baseline) minus reference test top-1, in points; null unless both are done */
export function gap(r: DepthRun, all: DepthRun[]): number | null {
  const ref = r.reference ? all.find((x) => x.id === r.reference) : undefined;
  if (!ref || r.state !== "done" || ref.state !== "done" || r.testTop1 === undefined || ref.testTop1 === undefined) return null;
  return 100 * (r.testTop1 - ref.testTop1);
}

export const DEPTH_HEADERS = ["network", "run", "method", "state", "best epoch", "val top-1 %", "test top-1 %", "gap to reference (pp)", "reference", "training hours"];

/** each student right after its reference, the baseline last */
const RUN_ORDER = ["teacher", "remover", "remover-seed2", "teacher-shortenable", "shortener", "shortener-seed2", "noskip"];
/** a network's depth from its name (resnet56 -> 56), to order networks shallowest first */
export const depthOf = (net: string) => Number(/\d+$/.exec(net)?.[0] ?? Infinity);
const rank = (run: string) => (RUN_ORDER.indexOf(run) + RUN_ORDER.length + 1) % (RUN_ORDER.length + 1); // unknown runs last

/** The table's rows: shallowest network first, each student after its teacher (the plan's order is its priority). */
export function depthRows(runs: DepthRun[]): Cell[][] {
  const ordered = [...runs].sort((a, b) => depthOf(a.net) - depthOf(b.net) || rank(a.run) - rank(b.run));
  return ordered.map((r) => {
    const done = r.state === "done";
    const g = gap(r, runs);
    const pct = (x: number | undefined) => fixed2(done && x !== undefined ? 100 * x : null);
    return [r.net, r.run, r.method, stateLabel(r), done && r.bestEpoch !== undefined ? r.bestEpoch + 1 : "", pct(r.valTop1), pct(r.testTop1), fixed2(g), r.reference ?? "", done && r.trainHours !== undefined ? r.trainHours : ""];
  });
}

const fmtGap = signedPp;
const find = (runs: DepthRun[], id: string) => runs.find((r) => r.id === id);

/** Tailor's students of the depth study on `nets`, the claim's scope */
const studentsOf = (runs: DepthRun[], nets: string[]) => runs.filter((r) => TAILOR_METHODS.includes(r.method as never) && nets.includes(r.net));

/** The depth study's students of `nets` (C7a: ResNet-8 and ResNet-20), each against its teacher: [name, gap] (done ones only). */
export function c7aGaps(runs: DepthRun[], nets: string[]): [string, number][] {
  return studentsOf(runs, nets)
    .flatMap((r) => {
      const g = gap(r, runs);
      return g === null ? [] : [[`depth ${r.id}`, g] as [string, number]];
    });
}

/** A run a claim waits for, as awaitingClaim takes it: its id and state, and whether it can still finish. */
const waitingOf = (x: DepthRun) => ({ label: `${x.id} ${stateLabel(x)}`, stuck: isStuck(x) });

/** The depth study's students of `nets` (and their teachers) that C7a will include once they are done. */
export function c7aWaiting(runs: DepthRun[], nets: string[]): { label: string; stuck: boolean }[] {
  return pendingRuns(runs, studentsOf(runs, nets).map((r) => r.id)).map(waitingOf);
}

/** The runs a claim needs (and their references) that are not done, once each. */
function pendingRuns(runs: DepthRun[], ids: string[]): DepthRun[] {
  const out = ids.flatMap((id) => {
    const r = find(runs, id);
    const ref = r?.reference ? find(runs, r.reference) : undefined;
    return [r, ref].filter((x): x is DepthRun => !!x && x.state !== "done");
  });
  return [...new Set(out)];
}


/**
 * C7b: SkipRemover's gap on ResNet-56 is worse than on ResNet-8 by more than the tolerance, and SkipShortener's gap
 * on ResNet-56 is no worse than minus the tolerance (spec.and, one-sided: a shortener above its teacher passes).
 * `ours` is the remover's loss from ResNet-8 to ResNet-56, `andOurs` the shortener's gap: the table shows both.
 */
export function checkC7b(spec: ClaimSpec, runs: DepthRun[]): ClaimResult {
  const { shallow, deep } = spec.scope ?? {};
  if (!shallow || !deep) throw new Error(`${spec.id}: its scope (data/claims.json) names no shallow and deep network`);
  const need = [formatRunId({ net: shallow, role: "remover" }), formatRunId({ net: deep, role: "remover" }), formatRunId({ net: deep, role: "shortener" })];
  const wait = pendingRuns(runs, need);
  if (wait.length) return awaitingClaim(spec, wait.map(waitingOf), "the depth campaign: npm run campaign -- --status, data/runs/depth/status.md");
  const [rShallow, rDeep, sDeep] = need.map((id) => gap(find(runs, id)!, runs)!);
  const loss = rShallow - rDeep;
  const remover = checkClaim(spec, loss, "", () => "");
  const and = spec.and!;
  const shortener = checkClaim({ ...spec, ...and }, sDeep, "", () => "");
  const holds = remover.atReference === true && shortener.atReference === true;
  const [S, D] = [networkLabel(shallow), networkLabel(deep)];
  // the claim's value is the first seeds' (fixed before the runs); a later seed of the deep students is reported beside it
  const later = [2, 3].flatMap((seed) => TAILOR_METHODS.flatMap((role) => find(runs, formatRunId({ net: deep, role, seed })) ?? []));
  const laterDone = later.filter((r) => r.state === "done" && gap(r, runs) !== null);
  const laterText = (r: DepthRun) => {
    const g = gap(r, runs)!;
    return r.method === "remover" ? `${r.id} SkipRemover gap ${fmtGap(g)} (loss ${(rShallow - g).toFixed(2)} pp against ${S}'s first seed)` : `${r.id} SkipShortener gap ${fmtGap(g)}`;
  };
  const configuration =
    `SkipRemover gap ${S} ${fmtGap(rShallow)}, ${D} ${fmtGap(rDeep)} (loss ${loss.toFixed(2)} pp); SkipShortener gap ${D} ${fmtGap(sDeep)} (test top-1 vs own teacher; data/runs/depth)` +
    (laterDone.length ? `; another seed of the ${D} students (not in the value): ${laterDone.map(laterText).join(", ")}` : "") +
    (later.length > laterDone.length ? `; another seed not finished: ${later.filter((r) => !laterDone.includes(r)).map((r) => `${r.id} ${stateLabel(r)}`).join(", ")}` : "");
  const why = [
    remover.atReference ? "" : `SkipRemover loses ${loss.toFixed(2)} pp from ${S} to ${D}, not more than ${spec.tolerance} pp`,
    shortener.atReference ? "" : `SkipShortener's gap on ${D} is ${fmtGap(sDeep)}, below ${and.paper - and.tolerance} pp`,
  ].filter(Boolean);
  // no sweep behind an accuracy claim: its range is the one value, and "attainable" is the verdict itself
  return {
    ...spec,
    ours: loss,
    andOurs: sDeep,
    atReference: holds,
    range: distribution([loss]),
    attainable: holds,
    configuration,
    status: holds ? "reproduced at reference" : "not attainable",
    reason: holds ? "both parts hold" : why.join("; "),
  };
}
