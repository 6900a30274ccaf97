/** The networks a role trains and ends with, and Tailor's teacher/student pairs, built from the registry and the method table. */
import { lower, withAllSkips, type LayerGraph, type NetSpec } from "../net/index.js";
import { roleForm, roleSkips, teacherRoleOf, type Role, type TailorMethod } from "./methods.js";
import { network } from "./networks.js";

/** The network a role ends with: its block form, and every skip in the mode its method leaves it. */
export function roleNet(net: string, role: Role): NetSpec {
  const base = network(net).build({ form: roleForm(role) });
  const mode = roleSkips(role);
  return mode === "long" ? base : withAllSkips(base, mode);
}

/** Tailor's comparison: a method's student network beside the teacher it came from (same network, same block form). */
export function tailorPair(net: string, m: TailorMethod): { base: NetSpec; altered: NetSpec } {
  return { base: roleNet(net, teacherRoleOf(m)), altered: roleNet(net, m) };
}

/** The same pair lowered to layer graphs, as both cost models read them. */
export function tailorGraphs(net: string, m: TailorMethod): { base: LayerGraph; altered: LayerGraph } {
  const pair = tailorPair(net, m);
  return { base: lower(pair.base), altered: lower(pair.altered) };
}
