/** Shared CLI plumbing for the scripts: strict flag parsing with --help, and the process set-up for training. */
import { spawn } from "node:child_process";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { BUILT_IN_PLAN_INFO, CAMPAIGN_PID, PLAN_ROOTS } from "../src/campaign/paths.js";
import { livePid } from "../src/util/process.js";

export interface FlagSpec {
  type: "string" | "boolean";
  help: string;
  default?: string | boolean;
  /** a string flag that may be given several times: its value is then a string[] (in the order given) */
  multiple?: boolean;
}

/**
 * `--flag -1` as `--flag=-1`: node's parseArgs takes a value starting with a dash for a flag and stops with
 * "argument is ambiguous"; a negative number after a flag that takes a value is meant as that value.
 */
export function joinNegativeValues(argv: string[], flags: Record<string, FlagSpec>): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const t = argv[i];
    const next = argv[i + 1];
    if (t.startsWith("--") && !t.includes("=") && flags[t.slice(2)]?.type === "string" && next !== undefined && /^-(\d|\.\d|Infinity|NaN)/.test(next)) {
      out.push(`${t}=${next}`);
      i++;
    } else out.push(t);
  }
  return out;
}

/** The flags given on the command line (not defaulted), by name. */
export function givenFlags(flags: Record<string, FlagSpec>, argv = process.argv.slice(2)): Set<string> {
  const options = Object.fromEntries(Object.entries(flags).map(([k, f]) => [k, { type: f.type }]));
  const { tokens } = parseArgs({ args: joinNegativeValues(argv, flags), options: options as never, strict: false, allowPositionals: true, tokens: true });
  return new Set(tokens.filter((t) => t.kind === "option").map((t) => (t as { name: string }).name));
}

/** Parse argv strictly (an unknown flag is an error naming it); --help prints usage and exits. */
export function parseCli<T extends Record<string, FlagSpec>>(usage: string, flags: T, argv = process.argv.slice(2)) {
  argv = joinNegativeValues(argv, flags);
  const options = Object.fromEntries(
    Object.entries({ ...flags, help: { type: "boolean", help: "show this help" } as FlagSpec }).map(([k, f]) => [k, { type: f.type, default: f.default, ...(f.multiple ? { multiple: true } : {}) }]),
  );
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args: argv, options: options as never, strict: true, allowPositionals: false }).values as never;
  } catch (e) {
    console.error(`error: ${(e as Error).message}\n`);
    printHelp(usage, flags);
    process.exit(2);
  }
  if (values.help) {
    printHelp(usage, flags);
    process.exit(0);
  }
  return values as { [K in keyof T]: T[K]["type"] extends "boolean" ? boolean : string };
}

function printHelp(usage: string, flags: Record<string, FlagSpec>): void {
  console.log(usage + "\n\nOptions:");
  for (const [k, f] of Object.entries(flags)) {
    const def = f.default === undefined || f.default === false || f.default === "" ? "" : ` (default: ${f.default})`;
    console.log(`  --${k}${f.type === "string" ? " <value>" : ""}`.padEnd(30) + f.help + def);
  }
  console.log("  --help".padEnd(30) + "show this help");
}

/** A number flag: a clear error naming the flag when it is not a number in range. */
export function num(flag: string, v: string, opts: { int?: boolean; min?: number; max?: number } = {}): number {
  const n = Number(v);
  if (v.trim() === "" || !Number.isFinite(n) || (opts.int && !Number.isInteger(n)) || (opts.min !== undefined && n < opts.min) || (opts.max !== undefined && n > opts.max)) {
    const range = opts.min !== undefined && opts.max !== undefined ? ` from ${opts.min} to ${opts.max}` : opts.min !== undefined ? ` >= ${opts.min}` : opts.max !== undefined ? ` <= ${opts.max}` : "";
    console.error(`error: --${flag} expects ${opts.int ? "an integer" : "a number"}${range}, got "${v}"`);
    process.exit(2);
  }
  return n;
}

/**
 * The environment ensureHeapReuse sets; a parent that passes it to its children spares them the re-run.
 * - glibc malloc: keep large freed blocks in the heap (see ensureHeapReuse).
 * - V8: a 64 MiB young generation (semi-space) instead of 16. A training step leaves ~1 MB of short-lived tfjs
 *   bookkeeping (tensor objects, tape entries), so the default scavenged every ~30 ResNet-8 steps at 12-18 ms each
 *   (0.4-0.6 ms a step); at 64 MiB half as often and ~6 ms each (0.1 ms a step): measured here, ResNet-8 batch 32
 *   on 2 threads, 16.5 -> 15.7 ms a step.
 */
export function heapReuseEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const young = "--max-semi-space-size=64";
  const nodeOptions = base.NODE_OPTIONS?.includes("--max-semi-space-size") ? base.NODE_OPTIONS : [base.NODE_OPTIONS, young].filter(Boolean).join(" ");
  return {
    ...base,
    MALLOC_MMAP_THRESHOLD_: String(32 << 20),
    // 4 GiB (a 32-bit shift, 4 << 30, overflowed to 0: trim at every free, the opposite of the intent)
    MALLOC_TRIM_THRESHOLD_: String(4 * 2 ** 30),
    MALLOC_TOP_PAD_: String(256 << 20),
    NODE_OPTIONS: nodeOptions,
  };
}

/**
 * Beside a running training campaign, whose lanes take every core, OpenMP threads spin-wait for cores that are busy:
 * `reproduce --only C8` on 2 threads beside the campaign's two lanes had not finished after 40 minutes (11 minutes
 * of CPU), and on 1 thread it evaluated 10,000 ResNet-56 images in 2.5 minutes (this machine, 2026-11-26).
 * Unless OMP_NUM_THREADS says otherwise, compute on one thread then, and say so.
 */
export function shareCoresWithCampaign(pidFiles = campaignPidFiles(), env: NodeJS.ProcessEnv = process.env): number | null {
  if (env.OMP_NUM_THREADS) return null;
  const found = liveCampaign(pidFiles, (_, pid) => pid === process.pid || pid === process.ppid);
  if (!found) return null;
  const { pidFile, pid } = found;
  env.OMP_NUM_THREADS = "1";
  console.error(`[tailor] a training campaign is running (pid ${pid}, ${pidFile}): computing on 1 thread beside it (set OMP_NUM_THREADS to choose, or stop it: ${stopCommand(pidFile)})`);
  return pid;
}

/** the command that stops the campaign of a built-in plan's pid file (the depth plan's needs no --plan) */
export function stopCommand(pidFile: string): string {
  const plan = Object.entries(BUILT_IN_PLAN_INFO).find(([, p]) => path.resolve(__dirname, "..", p.root, CAMPAIGN_PID) === path.resolve(pidFile))?.[0];
  return plan === undefined || plan === "depth" ? "npm run campaign -- --stop" : `npm run campaign -- --plan ${plan} --stop`;
}

/** the pid files of the built-in plans' campaigns, in this repository */
export const campaignPidFiles = (): string[] => PLAN_ROOTS.map((root) => path.resolve(__dirname, "..", root, CAMPAIGN_PID));

/** The first campaign among `pidFiles` whose process is alive, except those `skip` names; null when none. */
export function liveCampaign(pidFiles: string[], skip: (pidFile: string, pid: number) => boolean = () => false): { pidFile: string; pid: number } | null {
  for (const pidFile of pidFiles) {
    const pid = livePid(pidFile);
    if (pid !== null && !skip(pidFile, pid)) return { pidFile, pid };
  }
  return null;
}

/**
 * The pid of the process that started this one and wants it to stop when it is gone (TAILOR_STOP_WITH_PARENT; 0:
 * none). Taken out of the environment as this module loads, so that a process this one starts (reproduce's training
 * smoke test) does not inherit a "parent" that is not its own: it is given its own, or none.
 */
export const stopWithParentPid: number = (() => {
  const pid = Number(process.env.TAILOR_STOP_WITH_PARENT || 0);
  delete process.env.TAILOR_STOP_WITH_PARENT;
  return Number.isInteger(pid) && pid > 0 ? pid : 0;
})();

/** the signals a launcher passes on to the process it started (a stop request, a closed terminal) */
const FORWARDED_SIGNALS: NodeJS.Signals[] = ["SIGTERM", "SIGINT", "SIGHUP"];

/**
 * glibc returns large freed blocks to the OS and page-faults them back on the next allocation, which on this VM
 * costs more than the kernels that fill them. Keeping them in the heap needs the variables set before the process
 * starts, so run ourselves again once with them set (and V8's young generation enlarged: heapReuseEnv).
 *
 * Returns true when this process is only the launcher: the caller then does nothing more (no work, no output); this
 * process passes SIGTERM, SIGINT and SIGHUP on to the child and exits with its status. Issue 32: a synchronous
 * re-run left the trainer orphaned and training when the launcher was sent SIGTERM. The child runs in its own process
 * group, so a Ctrl-C on the terminal reaches it once (forwarded), not twice (a second SIGINT means "exit now" to
 * train); and it stops by itself, with a checkpoint, if the launcher is killed outright (TAILOR_STOP_WITH_PARENT).
 * Call it after parseCli and the checks that need no work: --help and bad flags then cost no second process.
 */
export function relaunchedWithHeapReuse(): boolean {
  if (process.env.MALLOC_MMAP_THRESHOLD_ || process.env.TAILOR_NO_REEXEC) return false;
  const env = { ...heapReuseEnv(), TAILOR_STOP_WITH_PARENT: String(process.pid) };
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], { stdio: "inherit", env, detached: true });
  const forward = (sig: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(sig);
  };
  for (const sig of FORWARDED_SIGNALS) process.on(sig, forward);
  child.on("error", (e) => {
    console.error(`error: could not start ${process.argv[1]} again with the heap settings: ${e.message}`);
    process.exit(1);
  });
  child.on("exit", (code, signal) => process.exit(code ?? 128 + (signal ? os.constants.signals[signal] : 0)));
  return true;
}
