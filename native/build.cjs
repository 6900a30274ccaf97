#!/usr/bin/env node
// Builds the C++ training kernels with the node-gyp that ships inside npm, against the installed Node headers.
// Run by `npm ci` (the package's install script). A failed build is not fatal: tailor-ts then trains on the wasm
// backend (slower) and says so. `--required` makes a failure fatal (CI, where the fast backend is expected).
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const required = process.argv.includes("--required");
const here = __dirname;
function findNodeGyp() {
  if (process.env.npm_config_node_gyp && fs.existsSync(process.env.npm_config_node_gyp)) return process.env.npm_config_node_gyp;
  const npmDir = path.resolve(path.dirname(fs.realpathSync(process.execPath)), "..", "lib", "node_modules", "npm");
  const candidate = path.join(npmDir, "node_modules", "node-gyp", "bin", "node-gyp.js");
  return fs.existsSync(candidate) ? candidate : null;
}
const gyp = findNodeGyp();
const args = [gyp, "rebuild"];
// Use the headers the machine's Node was installed with (no download): /usr/include/node on Debian's layout.
const nodedir = process.env.npm_config_nodedir || path.resolve(path.dirname(fs.realpathSync(process.execPath)), "..");
if (fs.existsSync(path.join(nodedir, "include", "node", "node_api.h"))) args.push(`--nodedir=${nodedir}`);
let ok = false;
if (gyp) {
  const r = spawnSync(process.execPath, args, { cwd: here, stdio: ["ignore", "inherit", "inherit"] });
  ok = r.status === 0;
}
if (ok) {
  console.error("[tailor] native kernels built: native/build/Release/tailor_native.node");
} else {
  const msg = gyp ? "node-gyp failed (needs g++, make and Node's headers)" : "node-gyp not found";
  console.error(`[tailor] WARNING: native kernels not built: ${msg}; training will use the slower wasm backend.`);
  if (required) process.exit(1);
}
