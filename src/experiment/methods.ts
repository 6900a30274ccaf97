/**
 * Every training method in one table: the block form of the network it trains, what it does to the skips, whether it
 * starts from a teacher and distils from it, and which teacher a result is measured against. The rules "which teacher
 * goes with which method" and "which block form goes with which method" live here and nowhere else.
 *
 * SkipRemover and SkipShortener are Tailor (Weng et al., section 3): a student initialised from the frozen teacher
 * is fine-tuned with knowledge distillation while one skip at a time, from the input end, is altered to `target`
 * (src/train/schedule.ts says when). The rest are the teacher and the paper's baselines.
 */
import type { BlockForm, SkipMode } from "../net/index.js";

/** A trained network's role in a study: its method, and for a teacher its block form. Run ids name roles. */
export type Role = "teacher" | "teacher-shortenable" | "remover" | "shortener" | "noskip" | "noskip-kd" | "shortened-scratch";

export interface MethodEntry {
  /** as the paper and our figures write it */
  label: string;
  /** the block form it trains; null: the run's own `form` (a teacher, a fine-tune) */
  form: BlockForm | null;
  /** Tailor: the mode each skip is altered to, one skip per step from the input end */
  target: SkipMode | null;
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

/** The role a run plays: a teacher (or a fine-tuned one) by its block form, any other run by its method. */
export function roleOf(m: Method, form: BlockForm): Role {
  if (m === "teacher" || m === "finetune") return form === "shortenable" ? "teacher-shortenable" : "teacher";
  return m;
}

/** The teacher of a Tailor method: the plain teacher for SkipRemover, the shortenable one for SkipShortener. */
export const teacherRoleOf = (m: TailorMethod): Role => METHOD_TABLE[m].measuredAgainst;

/** The role a result is measured against (a student's own teacher; a baseline's teacher of its form); null for a teacher. */
export function referenceRole(r: Role): Role | null {
  return r === "teacher" || r === "teacher-shortenable" ? null : METHOD_TABLE[r].measuredAgainst;
}

/** The block form a role runs in. */
export const roleForm = (r: Role): BlockForm => (r === "teacher" ? "plain" : r === "teacher-shortenable" ? "shortenable" : formOf(r));

/** The skip mode every skip of a role's final network has. */
export function roleSkips(r: Role): SkipMode {
  if (r === "teacher" || r === "teacher-shortenable") return "long";
  const e: MethodEntry = METHOD_TABLE[r];
  return e.target ?? e.fixed ?? "long";
}
