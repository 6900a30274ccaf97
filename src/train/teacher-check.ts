/**
 * The run's network comes from its teacher. A Tailor student is a copy of the teacher, so the teacher's NetSpec,
 * not --net / --form, decides what is trained; the config is made to say so (what it records is what ran), and a
 * flag that contradicts the teacher is an error naming it. The teacher must be a teacher: every skip long, of the
 * block form its method alters (plain for SkipRemover, shortenable for SkipShortener).
 */
import { policyForm, withAllSkips, type NetSpec } from "../net/index.js";
import { method, TRAINABLE_NETS } from "../experiment/index.js";
import { ConfigError, type TrainConfig } from "./config.js";
import { buildNet } from "./tailor.js";

const FORMS = ["plain", "shortenable"] as const;

/** The (net, form) of the config that builds this network (skip modes aside), or null. */
export function identifyNet(net: NetSpec): Pick<TrainConfig, "net" | "form"> | null {
  const key = JSON.stringify(withAllSkips(net, "long"));
  for (const n of TRAINABLE_NETS) for (const form of FORMS) if (JSON.stringify(withAllSkips(buildNet({ net: n, form }), "long")) === key) return { net: n, form };
  return null;
}

/**
 * Check a teacher against the config and return the config with the teacher's net and form. `given` holds the
 * config keys set explicitly on the command line; `file` names the teacher in errors.
 */
export function configFromTeacher(c: TrainConfig, teacher: NetSpec, file: string, given: ReadonlySet<keyof TrainConfig>): TrainConfig {
  const altered = teacher.blocks.filter((b) => b.skip !== "long");
  if (altered.length > 0) {
    throw new ConfigError(
      `--teacher ${file}: ${altered.length} of its ${teacher.blocks.length} skips are altered (${altered.map((b) => `${b.name} ${b.skip}`).join(", ")}): ` +
        `it is a student or a baseline, not a teacher; give the checkpoint of a run with --method teacher`,
    );
  }
  const id = identifyNet(teacher);
  if (!id) throw new ConfigError(`--teacher ${file}: its network "${teacher.name}" is none of ${TRAINABLE_NETS.join(", ")} (plain or shortenable)`);
  const m = method(c.method);
  // a Tailor student alters its teacher's skips, so the teacher has the student's block form
  const need = m.perSkip ? policyForm(c.policy) : m.target ? m.form : null;
  if (need && id.form !== need) {
    const who = m.label;
    // a policy: which of its letters asks for that form (1 = the skip nearest the input)
    const why = m.perSkip ? (need === "shortenable" ? `: --policy ${c.policy} shortens the skip at position ${c.policy.indexOf("S") + 1}` : `: --policy ${c.policy} shortens no skip`) : "";
    throw new ConfigError(
      `--teacher ${file}: --method ${c.method} (${who}) needs a teacher of the ${need} block form${why}, this one has the ${id.form} form ` +
        `(train one with --method teacher --form ${need})`,
    );
  }
  for (const k of ["net", "form"] as const) {
    if (given.has(k) && c[k] !== id[k]) {
      throw new ConfigError(`--${k} ${c[k]}: the teacher ${file} is a ${id.net} of the ${id.form} form; omit --${k} or pass --${k} ${id[k]}`);
    }
  }
  return { ...c, ...id };
}
