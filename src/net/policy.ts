/**
 * A skip policy: the mode of each skip, from the input end, one letter a skip: L long, S shortened, R removed
 * ("SSRRLLLLL" for a ResNet-20). The paper's two methods are the all-removed and all-shortened policies; a per-skip
 * codesign (issue 27) chooses a letter per skip. The compact form is for command lines and run ids.
 */
import { skipBlocks, skipModes } from "./skip.js";
import type { NetSpec, SkipMode } from "./types.js";
import { NetSpecError } from "./validate.js";

export const POLICY_LETTER: Record<SkipMode, string> = { long: "L", shortened: "S", removed: "R" };
const MODE_OF: Record<string, SkipMode> = { L: "long", S: "shortened", R: "removed" };

/**
 * The modes a policy string names, from the input end; `flag` names the option in errors, which give the position and
 * the letters expected. The length is checked against a network by withPolicy.
 */
export function policyModes(policy: string, flag = "--policy"): SkipMode[] {
  if (!policy) throw new NetSpecError(`${flag}: expected one letter per skip from the input end, L (long), S (shortened) or R (removed), e.g. SSRRLLLLL`);
  return [...policy].map((c, k) => {
    const mode = MODE_OF[c];
    if (!mode) throw new NetSpecError(`${flag} ${policy}: position ${k + 1} is "${c}", expected L (long), S (shortened) or R (removed)`);
    return mode;
  });
}

/** The block form a policy runs in: a shortened skip needs the shortenable form; removing and keeping need neither. */
export const policyForm = (policy: string): "plain" | "shortenable" => (policy.includes("S") ? "shortenable" : "plain");

/** The network's current skips as a policy string. */
export const policyOf = (net: NetSpec): string => skipModes(net).map((m) => POLICY_LETTER[m]).join("");

/**
 * `net` with each skip set to its letter of `policy`; `flag` names the option in errors, which give the position
 * (1 = the skip nearest the input) and what was expected.
 */
export function withPolicy(net: NetSpec, policy: string, flag = "--policy"): NetSpec {
  const idx = skipBlocks(net);
  if (policy.length !== idx.length) {
    throw new NetSpecError(`${flag} ${policy}: expected ${idx.length} letters (one per skip of ${net.name}, from the input end), got ${policy.length}`);
  }
  const modes = policyModes(policy, flag);
  const blocks = net.blocks.slice();
  modes.forEach((mode, k) => {
    const b = blocks[idx[k]];
    if (mode === "shortened" && b.form !== "shortenable") {
      throw new NetSpecError(`${flag} ${policy}: position ${k + 1} shortens a skip of block ${b.name}, whose form is ${b.form}; a shortened skip needs the shortenable form (a teacher of --form shortenable)`);
    }
    blocks[idx[k]] = { ...b, skip: mode };
  });
  return { ...net, blocks };
}
