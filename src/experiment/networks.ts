/**
 * Every network the project knows, in one place: how it is built, whether it trains here (on CIFAR-10), and which
 * cost-model sweeps include it. A network is added by one entry here; training, the sweeps, the campaign plans and
 * the CLIs take their lists from this table.
 */
import { cifarResNet, imagenetResNet, resnet8, type NetSpec, type ResNetOptions } from "../net/index.js";

export interface NetworkEntry {
  /** as the paper and our figures write it */
  label: string;
  build: (o?: ResNetOptions) => NetSpec;
  /** trains here: a CIFAR-10 network (`train --net` accepts it) */
  trains: boolean;
  /** the cost-model sweeps (src/report/hls4ml-sweep.ts, pe-sweep.ts) that include it */
  sweeps: { hls4ml: boolean; peArray: boolean };
}

const cifar = (depth: number, sweeps: NetworkEntry["sweeps"]) =>
  ({ label: `ResNet-${depth}`, build: (o?: ResNetOptions) => cifarResNet(depth, o), trains: true as const, sweeps }) satisfies NetworkEntry;
const imagenet = (depth: 18 | 34 | 50) =>
  ({ label: `ResNet-${depth}`, build: (o?: ResNetOptions) => imagenetResNet(depth, o), trains: false as const, sweeps: { hls4ml: false, peArray: true } }) satisfies NetworkEntry;
const both = { hls4ml: true, peArray: true };
const none = { hls4ml: false, peArray: false };

export const NETWORKS = {
  // the authors' ResNet-8 (their code; the MLPerf Tiny ResNet)
  resnet8: { label: "ResNet-8", build: (o?: ResNetOptions) => resnet8(o), trains: true as const, sweeps: both },
  // the CIFAR ResNets of He et al. (3 stages of n basic blocks)
  resnet20: cifar(20, both),
  resnet32: cifar(32, none),
  resnet44: cifar(44, none),
  resnet56: cifar(56, both),
  resnet110: cifar(110, none),
  // ImageNet ResNets: costed only (the PE array is sized for them)
  resnet18: imagenet(18),
  resnet34: imagenet(34),
  resnet50: imagenet(50),
} satisfies Record<string, NetworkEntry>;

export type NetworkName = keyof typeof NETWORKS;
/** the networks that train here: TrainConfig.net */
export type NetName = { [K in NetworkName]: (typeof NETWORKS)[K]["trains"] extends true ? K : never }[NetworkName];

export const NETWORK_NAMES = Object.keys(NETWORKS) as NetworkName[];
export const TRAINABLE_NETS = NETWORK_NAMES.filter((n): n is NetName => NETWORKS[n].trains);

export const isNetworkName = (n: string): n is NetworkName => Object.hasOwn(NETWORKS, n);

/** The entry of a network; an unknown name is an error that lists the known ones. */
export function network(name: string): NetworkEntry {
  if (!isNetworkName(name)) throw new Error(`unknown network "${name}" (known: ${NETWORK_NAMES.join(", ")})`);
  return NETWORKS[name];
}

/** The networks a cost-model sweep includes, in the table's order. */
export const sweepNetworks = (model: keyof NetworkEntry["sweeps"]): NetworkName[] => NETWORK_NAMES.filter((n) => NETWORKS[n].sweeps[model]);

/** "resnet56" -> "ResNet-56" (a name outside the table is shown as it is) */
export const networkLabel = (n: string): string => (isNetworkName(n) ? NETWORKS[n].label : n);

/** a network that trains here (TrainConfig.net) */
export const isTrainable = (n: string): n is NetName => isNetworkName(n) && NETWORKS[n].trains;
