/**
 * The CIFAR-10 cache that training and evaluation read, built when absent: scripts/prepare-data.ts from the shared
 * JPEG copy when this machine has it, else from the official archive (needs internet). Used by the scripts that
 * must work on a fresh clone (reproduce, campaign).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { TEST_FILE, TRAIN_FILES } from "../src/data/cifar10.js";

/** whether `dir` holds all six batch files of the cache */
export const cifarCacheComplete = (dir: string): boolean => [...TRAIN_FILES, TEST_FILE].every((f) => fs.existsSync(path.join(dir, f)));

/** Builds `dir` unless all six batch files are there; `say` is told first. Throws naming the command that failed. */
export function ensureCifarCache(dir: string, say: (msg: string) => void = console.log): void {
  if (cifarCacheComplete(dir)) return;
  const jpeg = path.resolve(__dirname, "..", "..", "shared", "data", "cifar10-jpeg.tar.gz");
  const flags = fs.existsSync(jpeg) ? [] : ["--download"];
  say(`${dir}: no CIFAR-10 cache yet; building it (npm run prepare-data${flags.length ? " -- --download" : ""})`);
  // through tsx's own CLI, not this process's flags: a caller that runs TypeScript another way (a vitest worker) has
  // no loader in process.execArgv, and node alone cannot run a .ts file (a fresh clone's CI failed so)
  const tsx = path.resolve(__dirname, "..", "node_modules", "tsx", "dist", "cli.mjs");
  const r = spawnSync(process.execPath, [tsx, path.join(__dirname, "prepare-data.ts"), "--out", dir, ...flags], { stdio: "inherit" });
  if (r.status !== 0) throw new Error(`could not prepare CIFAR-10 in ${dir} (npm run prepare-data${flags.length ? " -- --download" : ""} exited ${r.status}; npm run prepare-data -- --help)`);
}
