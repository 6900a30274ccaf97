/**
 * A run's id in a campaign plan and in every report that looks a run up: "<net>/[qat<bits>-]<role>[-seed<s>]", for
 * example "resnet20/shortener", "resnet20/qat4-remover-seed2". One format, one parse: nothing else builds or splits
 * these strings.
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
}

const ROLES: Role[] = ["teacher-shortenable", "teacher", "remover", "shortener", "noskip-kd", "noskip", "shortened-scratch"];
const PATTERN = new RegExp(`^([a-z0-9]+)/(?:qat(\\d+)-)?(${ROLES.join("|")})(?:-seed(\\d+))?$`);

export function formatRunId(r: { net: string; role: Role; precision?: Precision; seed?: number }): string {
  const p = r.precision ?? "float";
  const seed = r.seed ?? 1;
  return `${r.net}/${p === "float" ? "" : `qat${p}-`}${r.role}${seed === 1 ? "" : `-seed${seed}`}`;
}

/** The id's parts, or null when it is not of the form (an error names the id where one is needed: runId). */
export function parseRunId(id: string): RunId | null {
  const m = PATTERN.exec(id);
  if (!m || !isNetworkName(m[1])) return null;
  const seed = m[4] === undefined ? 1 : Number(m[4]);
  // "-seed1" is never written (formatRunId leaves it out): one id per run
  if (m[4] !== undefined && seed === 1) return null;
  return { net: m[1], role: m[3] as Role, precision: m[2] === undefined ? "float" : Number(m[2]), seed };
}

export function runId(id: string): RunId {
  const r = parseRunId(id);
  if (!r) throw new Error(`run id "${id}": expected "<net>/[qat<bits>-]<role>[-seed<s>]" with a known network and a role of ${ROLES.join(", ")}`);
  return r;
}

/** The id of the run a role at the same network, precision and seed 1 has: a student's teacher, for instance. */
export const sibling = (r: RunId, role: Role): string => formatRunId({ ...r, role, seed: 1 });
