/**
 * Every training method in one table: the block form of the network it trains, what it does to the skips, whether it
 * starts from a teacher and distils from it, and which teacher a result is measured against. The rules "which teacher
 * goes with which method" and "which block form goes with which method" live here and nowhere else.
 *
 * SkipRemover and SkipShortener are Tailor (Weng et al., section 3): a student initialised from the frozen teacher
 * is fine-tuned with knowledge distillation while one skip at a time, from the input end, is altered to `target`
 * (src/train/schedule.ts says when). The rest are the teacher and the paper's baselines.
 */
import { policyForm, policyModes, type BlockForm, type SkipMode } from "../net/index.js";

/**
 * A trained network's role in a study: its method, and for a teacher its block form. Run ids name roles. A "policy"
 * run's form, skips and teacher depend on its policy string (the run id carries it): the role-level functions below
 * refuse it, and the *Of(policy) ones answer.
 */
export type Role = "teacher" | "teacher-shortenable" | "remover" | "shortener" | "noskip" | "noskip-kd" | "shortened-scratch" | "policy";

export interface MethodEntry {
  /** as the paper and our figures write it */
  label: string;
  /** the block form it trains; null: the run's own `form` (a teacher, a fine-tune) */
  form: BlockForm | null;
  /** Tailor: the mode each skip is altered to, one skip per step from the input end */
  target: SkipMode | null;
  /** Tailor toward a per-skip policy (the config's `policy`): each skip altered to its own letter's mode */
  perSkip?: boolean;
  /** a baseline's skips, set before the first step and never altered */
  fixed: SkipMode | null;
  /** initialised from the teacher checkpoint's weights */
  fromTeacher: boolean;
  /** knowledge distillation from the teacher checkpoint */
  kd: boolean;
  /** the teacher its result is measured against (same network and precision); null for a teacher */
  measuredAgainst: Role | null;
}

export const METHOD_TABLE = {
  teacher: { label: "teacher", form: null, target: null, fixed: null, fromTeacher: false, kd: false, measuredAgainst: null },
  remover: { label: "SkipRemover", form: "plain", target: "removed", fixed: null, fromTeacher: true, kd: true, measuredAgainst: "teacher" },
  shortener: { label: "SkipShortener", form: "shortenable", target: "shortened", fixed: null, fromTeacher: true, kd: true, measuredAgainst: "teacher-shortenable" },
  // Tailor toward a per-skip policy (issue 27): the paper's schedule, each altered skip to its own mode; its block form
  // and teacher follow from the policy (shortenable when it shortens a skip: policyForm)
  policy: { label: "Tailor (per-skip policy)", form: null, target: null, perSkip: true, fixed: null, fromTeacher: true, kd: true, measuredAgainst: null },
  // the paper's baselines, from scratch on the teacher's schedule
  noskip: { label: "no skips (scratch)", form: "plain", target: null, fixed: "removed", fromTeacher: false, kd: false, measuredAgainst: "teacher" },
  "noskip-kd": { label: "no skips + KD (scratch)", form: "plain", target: null, fixed: "removed", fromTeacher: false, kd: true, measuredAgainst: "teacher" },
  "shortened-scratch": { label: "short skips (scratch)", form: "shortenable", target: null, fixed: "shortened", fromTeacher: false, kd: false, measuredAgainst: "teacher-shortenable" },
  // continue a teacher's weights without KD, skips unchanged: the float teacher fine-tuned under quantisation
  finetune: { label: "fine-tuned teacher", form: null, target: null, fixed: null, fromTeacher: true, kd: false, measuredAgainst: null },
} as const satisfies Record<string, MethodEntry>;

export type Method = keyof typeof METHOD_TABLE;
export const METHODS = Object.keys(METHOD_TABLE) as Method[];
/** Tailor's two methods: what the cost models compare with their teachers */
export type TailorMethod = "remover" | "shortener";
export const TAILOR_METHODS: TailorMethod[] = ["remover", "shortener"];

export const isMethod = (m: string): m is Method => Object.hasOwn(METHOD_TABLE, m);
export const method = (m: Method): MethodEntry => METHOD_TABLE[m];
/** a teacher checkpoint is read: for its weights, its logits, or both */
export const needsTeacher = (m: Method): boolean => METHOD_TABLE[m].fromTeacher || METHOD_TABLE[m].kd;
export const methodLabel = (m: string): string => (isMethod(m) ? METHOD_TABLE[m].label : m);

/** The block form a method trains, or the form given when the method leaves it to the run (a teacher). */
export const formOf = (m: Method, own: BlockForm = "plain"): BlockForm => METHOD_TABLE[m].form ?? own;

/** A method that alters skips while training (Tailor): SkipRemover, SkipShortener, a per-skip policy. */
export const isTailor = (m: Method): boolean => method(m).target !== null || method(m).perSkip === true;

/**
 * The mode Tailor alters each skip to, from the input end (a long target: the skip is kept, not altered), or null for
 * a method that alters none. `policy` is the run's policy string, read for a per-skip method only.
 */
export function tailorTargets(m: Method, skips: number, policy: string): SkipMode[] | null {
  const e: MethodEntry = METHOD_TABLE[m];
  if (e.perSkip) {
    const modes = policyModes(policy, "policy");
    if (modes.length !== skips) throw new Error(`policy ${policy}: expected ${skips} letters (one per skip, from the input end), got ${modes.length}`);
    return modes;
  }
  return e.target ? Array<SkipMode>(skips).fill(e.target) : null;
}

/** The mode each skip of a run's final network has: Tailor's targets, a baseline's fixed mode, else long. */
export function finalSkipModes(m: Method, skips: number, policy: string): SkipMode[] {
  const e: MethodEntry = METHOD_TABLE[m];
  return tailorTargets(m, skips, policy) ?? Array<SkipMode>(skips).fill(e.fixed ?? "long");
}

/** The block form a run trains: its method's, its policy's (a per-skip run), or its own (a teacher). */
export const runForm = (m: Method, own: BlockForm, policy: string): BlockForm => (method(m).perSkip ? policyForm(policy) : formOf(m, own));

/** The teacher role a per-skip policy starts from and is measured against: the teacher of the policy's block form. */
export const policyTeacherRole = (policy: string): Role => (policyForm(policy) === "shortenable" ? "teacher-shortenable" : "teacher");

const perSkipRole = (r: Role, what: string): never => {
  throw new Error(`${what} of a "${r}" run depends on its policy string: use the policy's own functions (policyForm, policyTeacherRole)`);
};

/** The role a run plays: a teacher (or a fine-tuned one) by its block form, any other run by its method. */
export function roleOf(m: Method, form: BlockForm): Role {
  if (m === "teacher" || m === "finetune") return form === "shortenable" ? "teacher-shortenable" : "teacher";
  return m;
}

/** The teacher of a Tailor method: the plain teacher for SkipRemover, the shortenable one for SkipShortener. */
export const teacherRoleOf = (m: TailorMethod): Role => METHOD_TABLE[m].measuredAgainst;

/** The role a result is measured against (a student's own teacher; a baseline's teacher of its form); null for a teacher. */
export function referenceRole(r: Role): Role | null {
  if (r === "policy") return perSkipRole(r, "the reference");
  return r === "teacher" || r === "teacher-shortenable" ? null : METHOD_TABLE[r].measuredAgainst;
}

/** The block form a role runs in. */
export const roleForm = (r: Role): BlockForm => (r === "policy" ? perSkipRole(r, "the block form") : r === "teacher" ? "plain" : r === "teacher-shortenable" ? "shortenable" : formOf(r));

/** The skip mode every skip of a role's final network has. */
export function roleSkips(r: Role): SkipMode {
  if (r === "teacher" || r === "teacher-shortenable") return "long";
  if (r === "policy") return perSkipRole(r, "the skip modes");
  const e: MethodEntry = METHOD_TABLE[r];
  return e.target ?? e.fixed ?? "long";
}
