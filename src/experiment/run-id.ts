/**
 * A run's id in a campaign plan and in every report that looks a run up:
 * "<net>/[qat<bits>-]<role>[-batch<b>][-seed<s>]", for example "resnet20/shortener", "resnet20/qat4-remover-seed2";
 * a per-skip policy run's role carries its policy in lower case ("resnet20/policy-sssrssrss"); a run trained at a
 * batch size other than its study's says so ("resnet8/teacher-batch128"). One format, one parse: nothing else builds
 * or splits these strings.
 */
import { isNetworkName, type NetworkName } from "./networks.js";
import type { Role } from "./methods.js";
import type { Precision } from "./precision.js";

export interface RunId {
  net: NetworkName;
  role: Role;
  precision: Precision;
  /** training seed; 1 unless a second seed of the same run */
  seed: number;
  /** role "policy": the policy string (L, S, R from the input end) */
  policy?: string;
  /** a batch size other than its study's, which the id then names (a diagnostic run) */
  batch?: number;
}

const ROLES: Role[] = ["teacher-shortenable", "teacher", "remover", "shortener", "noskip-kd", "noskip", "shortened-scratch"];
const PATTERN = new RegExp(`^([a-z0-9]+)/(?:qat(\\d+)-)?(${ROLES.join("|")}|policy-([lsr]+))(?:-batch([1-9]\\d*))?(?:-seed(\\d+))?$`);

export function formatRunId(r: { net: string; role: Role; precision?: Precision; seed?: number; policy?: string; batch?: number }): string {
  const p = r.precision ?? "float";
  const seed = r.seed ?? 1;
  if ((r.role === "policy") !== (r.policy !== undefined)) throw new Error(`run id of ${r.net}/${r.role}: a policy string goes with role "policy" and only with it`);
  if (r.policy !== undefined && !/^[LSR]+$/.test(r.policy)) throw new Error(`run id of ${r.net}: policy "${r.policy}" is not a string of L, S and R`);
  if (r.batch !== undefined && !(Number.isInteger(r.batch) && r.batch >= 1)) throw new Error(`run id of ${r.net}/${r.role}: batch ${r.batch} is not a whole number >= 1`);
  const role = r.policy === undefined ? r.role : `policy-${r.policy.toLowerCase()}`;
  return `${r.net}/${p === "float" ? "" : `qat${p}-`}${role}${r.batch === undefined ? "" : `-batch${r.batch}`}${seed === 1 ? "" : `-seed${seed}`}`;
}

/** The id's parts, or null when it is not of the form (an error names the id where one is needed: runId). */
export function parseRunId(id: string): RunId | null {
  const m = PATTERN.exec(id);
  if (!m || !isNetworkName(m[1])) return null;
  const seed = m[6] === undefined ? 1 : Number(m[6]);
  // "-seed1" is never written (formatRunId leaves it out): one id per run
  if (m[6] !== undefined && seed === 1) return null;
  const precision = m[2] === undefined ? "float" : Number(m[2]);
  const batch = m[5] === undefined ? {} : { batch: Number(m[5]) };
  if (m[4] !== undefined) return { net: m[1], role: "policy", precision, seed, policy: m[4].toUpperCase(), ...batch };
  return { net: m[1], role: m[3] as Role, precision, seed, ...batch };
}

export function runId(id: string): RunId {
  const r = parseRunId(id);
  if (!r) throw new Error(`run id "${id}": expected "<net>/[qat<bits>-]<role>[-batch<b>][-seed<s>]" with a known network and a role of ${ROLES.join(", ")} or policy-<l|s|r letters>`);
  return r;
}

/**
 * The id of the run a role at the same network, precision and batch, seed 1, has: a student's teacher, for instance
 * (a batch variant's teacher is the same batch's).
 */
export const sibling = (r: RunId, role: Role): string => formatRunId({ ...r, role, seed: 1, policy: undefined });
