/**
 * Red team, issue 32: one-line errors (the file, flag or field, and what was expected) where a stack trace, a
 * TypeError or a silent exit 0 showed: campaign --only resnet99 --status, an invalid plan file, --nice 100,
 * reproduce --out <existing file>, a garbage claim id, malformed JSON in a file the user gives, bn-check --checkpoint ,
 * and cost configurations with clockMHz 1e308, Infinity, 0, a negative or a string, or no object at all.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { loadClaimSpecs } from "../../src/experiment/claim-spec.js";
import { loadCostConfig } from "../../src/handoff/cost-config.js";
import { DEFAULT_HLS4ML, validateHls4mlConfig, MAX_CLOCK_MHZ } from "../../src/hw/hls4ml/config.js";
import { DEFAULT_PE_ARRAY, validatePeArrayConfig } from "../../src/hw/pe-array/config.js";
import { runScript } from "../helpers/spawn.js";

const ROOT = path.resolve(__dirname, "..", "..");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tailor-red-errors-"));
const write = (name: string, text: string) => {
  const f = path.join(tmp, name);
  fs.writeFileSync(f, text);
  return f;
};
const cli = (script: string, ...args: string[]) => runScript(path.join(ROOT, "scripts", `${script}.ts`), args, { cwd: ROOT, env: { TAILOR_NO_REEXEC: "1" } });

/** a failed command whose stderr is exactly one "error: ..." line matching `pattern`, and no "undefined" in it */
async function oneLine(r: Promise<{ status: number | null; stdout: string; stderr: string }>, pattern: RegExp): Promise<string> {
  const { status, stderr } = await r;
  expect(status, stderr).not.toBe(0);
  const lines = stderr.trim().split("\n");
  expect(lines, stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^error: /);
  expect(lines[0]).toMatch(pattern);
  expect(lines[0]).not.toMatch(/undefined|TypeError|    at /);
  return lines[0];
}

describe("campaign", () => {
  it("--only resnet99 --status", async () => {
    await oneLine(cli("campaign", "--only", "resnet99", "--status"), /^error: --only: "resnet99" matches no run of plan depth \(runs: /);
  });

  it("an invalid plan file: not JSON, a run that is not an object, a config that is not one, a Tailor run too short", async () => {
    await oneLine(cli("campaign", "--plan", write("bad.json", "{bad"), "--status"), /bad\.json: not valid JSON/);
    await oneLine(cli("campaign", "--plan", write("run1.json", '{"name":"x","root":"r","runs":[1]}'), "--status"), /run1\.json: runs\[0\]: expected an object/);
    await oneLine(cli("campaign", "--plan", write("cfg.json", '{"name":"x","root":"r","runs":[{"id":"resnet8/t","config":5}]}'), "--status"), /cfg\.json: run "resnet8\/t": config: expected an object/);
    const short = JSON.stringify({
      name: "x",
      root: path.join(tmp, "plan-root"),
      runs: [
        { id: "resnet8/teacher", config: { epochs: 2 } },
        { id: "resnet8/remover", teacherRun: "resnet8/teacher", config: { method: "remover", epochs: 3, everyEpochs: 1 } },
      ],
    });
    await oneLine(cli("campaign", "--plan", write("short.json", short), "--status"), /short\.json: run "resnet8\/remover": epochs: SkipRemover alters the 3 skips of resnet8 .* at least 4 epochs, got 3/);
    expect(fs.existsSync(path.join(tmp, "plan-root"))).toBe(false);
  });

  it("--nice 100", async () => {
    await oneLine(cli("campaign", "--nice", "100", "--status"), /^error: --nice expects an integer from -20 to 19, got "100"$/);
  });
});

describe("reproduce", () => {
  it("--out an existing file, or a folder under one: refused before any work", async () => {
    const file = write("existing.md", "keep");
    await oneLine(cli("reproduce", "--only", "C1", "--out", file), /--out .*existing\.md: exists and is not a directory/);
    const t0 = Date.now();
    await oneLine(cli("reproduce", "--only", "C1", "--out", path.join(file, "sub")), /--out .*existing\.md\/sub: .*existing\.md is a file, not a directory/);
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(fs.readFileSync(file, "utf8")).toBe("keep");
  });

  it("a garbage claim id", async () => {
    await oneLine(cli("reproduce", "--only", "C1x;%s\u00e9"), /^error: --only C1x.*: expected one of C1, C2/);
    await oneLine(cli("reproduce", "--only", ""), /--only/);
  });
});

describe("claim specs and cost configurations", () => {
  it("a garbage claim in a claims file is an error naming the file and JSON path", () => {
    const spec = JSON.parse(fs.readFileSync(path.join(ROOT, "data", "claims.json"), "utf8"));
    spec.claims[0].id = 17;
    const f = write("claims-bad-id.json", JSON.stringify(spec));
    expect(() => loadClaimSpecs(f)).toThrow(/claims-bad-id\.json: claims\[0\]\.id/);
    spec.claims[0] = "garbage";
    const g = write("claims-garbage.json", JSON.stringify(spec));
    expect(() => loadClaimSpecs(g)).toThrow(/claims-garbage\.json: claims\[0\]/);
    const h = write("claims-malformed.json", '{"claims": [');
    expect(() => loadClaimSpecs(h)).toThrow(/claims-malformed\.json/);
    for (const file of [f, g, h]) {
      try {
        loadClaimSpecs(file);
      } catch (e) {
        expect((e as Error).message).not.toMatch(/undefined/);
      }
    }
  });

  it("clockMHz 1e308, Infinity, 0, negative, a string: errors naming the field and the range; a null config too", () => {
    const range = `clockMHz must be a number in (0, ${MAX_CLOCK_MHZ}] MHz`;
    for (const [v, shown] of [[1e308, "1e+308"], [Infinity, "Infinity"], [0, "0"], [-5, "-5"], ["200", '"200"'], [null, "null"]] as const) {
      expect(() => validateHls4mlConfig({ ...DEFAULT_HLS4ML, clockMHz: v as number })).toThrow(`hls4ml config: ${range}, got ${shown}`);
    }
    expect(() => validateHls4mlConfig({ ...DEFAULT_HLS4ML, clockMHz: MAX_CLOCK_MHZ })).not.toThrow();
    expect(() => validateHls4mlConfig(null as never)).toThrow("hls4ml config: expected an object of cost-model fields, got null");
    expect(() => validatePeArrayConfig({ ...DEFAULT_PE_ARRAY, clockMHz: 1e308 })).toThrow(`pe-array config: ${range}, got 1e+308`);
    expect(() => validatePeArrayConfig(null as never)).toThrow("pe-array config: expected an object of cost-model fields, got null");
    expect(() => loadCostConfig(write("null.json", "null"))).toThrow(/null\.json: expected a JSON object of fields over the defaults/);
    expect(() => loadCostConfig(write("clock.json", '{"clockMHz": 1e308}'))).toThrow(/clock\.json: hls4ml config: clockMHz must be a number in \(0, 1000\] MHz, got 1e\+308/);
  });

  it("npm run cost --config with clockMHz 1e308 or malformed JSON: one line", async () => {
    await oneLine(cli("cost", "--net", "resnet8", "--config", write("cost-clock.json", '{"clockMHz": 1e308}')), /--config .*cost-clock\.json: hls4ml config: clockMHz must be a number in \(0, 1000\] MHz, got 1e\+308/);
    await oneLine(cli("cost", "--net", "resnet8", "--config", write("cost-bad.json", "{clockMHz:")), /--config .*cost-bad\.json: not valid JSON/);
  });
});

describe("bn-check and export:qonnx inputs", () => {
  it("bn-check --checkpoint , (empty items) is an error, not an exit 0 that evaluated nothing", async () => {
    await oneLine(cli("bn-check", "--checkpoint", ","), /--checkpoint ",": an empty item in the comma-separated list/);
    await oneLine(cli("bn-check", "--checkpoint", "a.ckpt,,b.ckpt"), /an empty item/);
  });

  it("export:qonnx --results with malformed JSON names the file", async () => {
    await oneLine(cli("export-qonnx", "--checkpoint", write("x.ckpt", "not a checkpoint"), "--out", path.join(tmp, "x.onnx"), "--results", write("results.json", "{")), /.*(x\.ckpt|results\.json)/);
  });
});
