/** npm run build:web: the cost explorer as a folder that opens from file://, offline (scripts/web-build.ts). */
import * as path from "node:path";
import { parseCli } from "./cli.js";
import { buildWeb } from "./web-build.js";

const args = parseCli("Usage: npm run build:web -- [--out DIR]\nBuilds the cost explorer page (web/) into DIR: open DIR/index.html in a browser, no server or network needed.", {
  out: { type: "string", default: "web/dist", help: "the folder to build into (replaced)" },
  "no-minify": { type: "boolean", help: "keep the bundle readable" },
});

buildWeb(path.resolve(args.out), { minify: !args["no-minify"] })
  .then((b) => console.log(`built ${b.files.join(", ")} (${(b.bytes / 1e6).toFixed(1)} MB) into ${path.relative(process.cwd(), b.dir) || "."}: open ${path.join(b.dir, "index.html")}`))
  .catch((e) => {
    console.error(`error: build:web: ${(e as Error).message}`);
    process.exit(1);
  });
