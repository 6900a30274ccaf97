/** The networks Tailor compares: each altered network beside the teacher it came from (same block form). */
import { cifarResNet, imagenetResNet, lower, resnet8, withAllSkips, type LayerGraph, type NetSpec, type ResNetOptions } from "../net/index.js";

export type Method = "remover" | "shortener";
export const METHODS: Method[] = ["remover", "shortener"];

export const NETWORKS: Record<string, (o: ResNetOptions) => NetSpec> = {
  resnet8: (o) => resnet8(o),
  resnet20: (o) => cifarResNet(20, o),
  resnet56: (o) => cifarResNet(56, o),
  resnet18: (o) => imagenetResNet(18, o),
  resnet34: (o) => imagenetResNet(34, o),
  resnet50: (o) => imagenetResNet(50, o),
};

/** SkipRemover: the plain-form teacher and it without skips; SkipShortener: the shortenable teacher and it shortened. */
export function tailorPair(network: string, method: Method): { base: NetSpec; altered: NetSpec } {
  const build = NETWORKS[network];
  if (!build) throw new Error(`unknown network "${network}" (known: ${Object.keys(NETWORKS).join(", ")})`);
  const form = method === "remover" ? "plain" : "shortenable";
  const base = build({ form });
  return { base, altered: withAllSkips(base, method === "remover" ? "removed" : "shortened") };
}

/** The same pair lowered to layer graphs, as both cost models read them. */
export function tailorGraphs(network: string, method: Method): { base: LayerGraph; altered: LayerGraph } {
  const pair = tailorPair(network, method);
  return { base: lower(pair.base), altered: lower(pair.altered) };
}

export const pct = (altered: number, base: number) => (base === 0 ? 0 : (100 * (altered - base)) / base);
