/**
 * npm run explore: builds the cost explorer (scripts/web-build.ts) and serves the folder on this machine's loopback
 * address; prints the URL. The page itself fetches nothing but its own three files (the built folder also opens from
 * file:// without a server: npm run build:web).
 */
import * as fs from "node:fs";
import * as http from "node:http";
import * as path from "node:path";
import { num, parseCli } from "./cli.js";
import { buildWeb } from "./web-build.js";

const args = parseCli("Usage: npm run explore -- [--port N] [--out DIR]\nBuilds the cost explorer page and serves it on http://127.0.0.1:N/ until stopped (Ctrl-C).", {
  port: { type: "string", default: "8737", help: "the local port (0: any free port)" },
  out: { type: "string", default: "web/dist", help: "the folder to build into and serve" },
});
const port = num("port", args.port, { int: true, min: 0 });
const TYPES: Record<string, string> = { ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".json": "application/json" };

async function main(): Promise<void> {
  const b = await buildWeb(path.resolve(args.out));
  const files = new Set(b.files);
  const server = http.createServer((req, res) => {
    const name = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname).replace(/^\/+/, "") || "index.html";
    // only the built files, by name: nothing else of this machine is served
    if (!files.has(name)) {
      res.writeHead(404, { "content-type": "text/plain" }).end(`not found: ${name}\n`);
      return;
    }
    res.writeHead(200, { "content-type": TYPES[path.extname(name)] ?? "application/octet-stream" });
    fs.createReadStream(path.join(b.dir, name)).pipe(res);
  });
  server.on("error", (e) => {
    console.error(`error: --port ${port}: ${(e as Error).message} (choose another with --port, or 0 for any free one)`);
    process.exit(1);
  });
  server.listen(port, "127.0.0.1", () => {
    const a = server.address() as { port: number };
    console.log(`cost explorer: http://127.0.0.1:${a.port}/  (built into ${path.relative(process.cwd(), b.dir)}; Ctrl-C stops)`);
  });
}

main().catch((e) => {
  console.error(`error: explore: ${(e as Error).message}`);
  process.exit(1);
});
