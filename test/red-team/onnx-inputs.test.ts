/**
 * Red team, issue 32 extended to the ONNX files import:onnx reads: an oversized file is refused from its size before
 * it is read; tensor data kept in external files is refused (never read, whatever its path: the importer reads one
 * file), and a control-flow node with a nested graph (If/Loop/Scan) is refused naming the node.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { onnx } from "onnx-proto";
import { describe, expect, it } from "vitest";
import { MAX_ONNX_BYTES } from "../../src/import/onnx-decode.js";
import { ImportError, importOnnx } from "../../src/import/onnx-import.js";
import { runScript } from "../helpers/spawn.js";
import { initBackend } from "../../src/backend/index.js";
import { exportQonnx } from "../../src/export/qonnx.js";
import { resnet8 } from "../../src/net/index.js";
import { makeCheckpoint } from "../../src/train/checkpoint.js";
import { DEFAULT_CONFIG } from "../../src/train/config.js";
import { createModel } from "../../src/train/model.js";

const ROOT = path.resolve(__dirname, "..", "..");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tailor-red-onnx-"));
const FLOAT = onnx.TensorProto.DataType.FLOAT;
const importCli = (model: string, out: string) => runScript(path.join(ROOT, "scripts", "import-onnx.ts"), ["--model", model, "--out", out]);

const tensorInfo = (name: string, dims: number[]): onnx.IValueInfoProto => ({ name, type: { tensorType: { elemType: FLOAT, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } });

/** a model of one graph: x [1,3,32,32] -> nodes -> y */
function model(nodes: onnx.INodeProto[], initializers: onnx.ITensorProto[] = []): Uint8Array {
  return onnx.ModelProto.encode({
    irVersion: 8,
    producerName: "red-team",
    opsetImport: [{ domain: "", version: 13 }],
    graph: { name: "g", node: nodes, initializer: initializers, input: [tensorInfo("x", [1, 3, 32, 32])], output: [tensorInfo("y", [1, 10])] },
  }).finish();
}

function refusedBoth(file: string, message: RegExp) {
  let err: unknown;
  try {
    importOnnx(fs.readFileSync(file), file);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ImportError);
  expect((err as Error).message).toMatch(message);
  return importCli(file, path.join(tmp, `out-${path.basename(file)}`));
}

describe("import:onnx: inputs beyond the supported family", () => {
  it("an If node with then/else subgraphs: refused naming the node and its attribute", async () => {
    const branch = (v: number): onnx.IGraphProto => ({
      name: `b${v}`,
      node: [{ opType: "Constant", output: ["y"], attribute: [{ name: "value_float", type: onnx.AttributeProto.AttributeType.FLOAT, f: v }] }],
      output: [tensorInfo("y", [])],
    });
    const file = path.join(tmp, "nested.onnx");
    fs.writeFileSync(
      file,
      model([
        { opType: "ReduceMean", name: "cond", input: ["x"], output: ["c"] },
        { opType: "If", name: "choose_branch", input: ["c"], output: ["y"], attribute: [{ name: "then_branch", type: onnx.AttributeProto.AttributeType.GRAPH, g: branch(1) }, { name: "else_branch", type: onnx.AttributeProto.AttributeType.GRAPH, g: branch(0) }] },
      ]),
    );
    const r = await refusedBoth(file, /nested\.onnx: node "choose_branch" \(If\) holds a nested graph \(attribute "then_branch"\); subgraphs \(If, Loop, Scan\) are not imported/);
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toMatch(/^error: .*node "choose_branch" \(If\)/);
    expect(fs.existsSync(path.join(tmp, "out-nested.onnx"))).toBe(false);
  });

  it("a Loop's body graph (GRAPH attribute named body) is refused the same way", () => {
    const file = path.join(tmp, "loop.onnx");
    fs.writeFileSync(file, model([{ opType: "Loop", name: "repeat", input: ["", ""], output: ["y"], attribute: [{ name: "body", type: onnx.AttributeProto.AttributeType.GRAPH, g: { name: "body" } }] }]));
    expect(() => importOnnx(fs.readFileSync(file), file)).toThrow(/node "repeat" \(Loop\) holds a nested graph \(attribute "body"\)/);
  });

  it("external data is refused and never opened, even at a path outside the model's folder (a named pipe there would block a read)", async () => {
    const inner = path.join(tmp, "model-dir");
    fs.mkdirSync(inner);
    const fifo = path.join(tmp, "outside.bin");
    expect(spawnSync("mkfifo", [fifo]).status).toBe(0);
    const file = path.join(inner, "external.onnx");
    const weight: onnx.ITensorProto = {
      name: "w",
      dims: [10, 3],
      dataType: FLOAT,
      dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
      externalData: [{ key: "location", value: "../outside.bin" }, { key: "offset", value: "0" }, { key: "length", value: "120" }],
    };
    fs.writeFileSync(file, model([{ opType: "Flatten", name: "flat", input: ["x"], output: ["f"] }, { opType: "Gemm", name: "fc", input: ["f", "w"], output: ["y"], attribute: [{ name: "transB", type: onnx.AttributeProto.AttributeType.INT, i: 1 }] }], [weight]));
    const r = await refusedBoth(file, /external\.onnx: initializer "w" keeps its data in an external file; save the model with its weights inside/);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/initializer "w" keeps its data in an external file/);
    expect(fs.existsSync(path.join(tmp, "out-external.onnx"))).toBe(false);
  });

  it("a file above the size bound is refused from its size, before it is read (a sparse file: no disk used)", async () => {
    const file = path.join(tmp, "huge.onnx");
    fs.writeFileSync(file, "");
    fs.truncateSync(file, MAX_ONNX_BYTES + 1);
    const t0 = Date.now();
    const r = await importCli(file, path.join(tmp, "out-huge"));
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe(`error: --model ${file}: ${MAX_ONNX_BYTES + 1} bytes, more than the ${MAX_ONNX_BYTES} read (the importer takes float CNNs of the ResNet family, ResNet-152 is ~240 MB)`);
  });

  it("a valid model with --out under /proc fails at once, naming --out", async () => {
    await initBackend({ quiet: true });
    const file = path.join(tmp, "resnet8.onnx");
    fs.writeFileSync(file, exportQonnx(makeCheckpoint(createModel(resnet8(), 1), null, { ...DEFAULT_CONFIG, epochs: 1 }, 0, [], null, {})).bytes);
    const t0 = Date.now();
    const r = await importCli(file, "/proc/nope/imported");
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe("error: --out /proc/nope/imported: lies under /proc, a kernel file system; expected a folder on a disk");
  });
});
