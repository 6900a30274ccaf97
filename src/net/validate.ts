import type { BlockSpec, ConvSpec, NetSpec } from "./types.js";

const SKIP_MODES = ["long", "removed", "shortened"];
const FORMS = ["plain", "shortenable"];
const CONV_KINDS = [undefined, "standard", "separable"];

export class NetSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NetSpecError";
  }
}

function positiveInt(v: unknown, where: string): void {
  if (typeof v !== "number" || !Number.isInteger(v) || v <= 0) {
    throw new NetSpecError(`${where}: expected a positive integer, got ${JSON.stringify(v)}`);
  }
}

const PADDINGS = [undefined, "symmetric", "same", "valid"];

function checkConv(c: ConvSpec, where: string, poolAllowed = false): void {
  if (c === null || typeof c !== "object") throw new NetSpecError(`${where}: expected a conv object`);
  positiveInt(c.kernel, `${where}.kernel`);
  positiveInt(c.stride, `${where}.stride`);
  positiveInt(c.out, `${where}.out`);
  if (c.dilation !== undefined) positiveInt(c.dilation, `${where}.dilation`);
  if (!CONV_KINDS.includes(c.kind)) {
    throw new NetSpecError(`${where}.kind: unknown conv kind ${JSON.stringify(c.kind)} (expected "standard" or "separable")`);
  }
  if (!PADDINGS.includes(c.padding)) throw new NetSpecError(`${where}.padding: expected "symmetric", "same" or "valid", got ${JSON.stringify(c.padding)}`);
  if (c.bn !== undefined && typeof c.bn !== "boolean") throw new NetSpecError(`${where}.bn: expected true or false, got ${JSON.stringify(c.bn)}`);
  if (c.pool !== undefined) {
    if (!poolAllowed) throw new NetSpecError(`${where}.pool: a pool after a conv is allowed in the stem and the tail only (a block's unit spans one skip)`);
    positiveInt(c.pool?.kernel, `${where}.pool.kernel`);
    if (c.pool.stride !== undefined) positiveInt(c.pool.stride, `${where}.pool.stride`);
    if (![undefined, "valid", "symmetric"].includes(c.pool.padding)) {
      throw new NetSpecError(`${where}.pool.padding: expected "valid" or "symmetric", got ${JSON.stringify(c.pool.padding)}`);
    }
  }
}

function checkBlock(b: BlockSpec, i: number, cin: number): number {
  const where = `block ${JSON.stringify(b?.name ?? i)}`;
  if (typeof b?.name !== "string" || b.name === "") throw new NetSpecError(`blocks[${i}].name: expected a non-empty string`);
  if (!FORMS.includes(b.form)) {
    throw new NetSpecError(`${where}: unknown block form ${JSON.stringify(b.form)} (expected "plain" or "shortenable")`);
  }
  if (!SKIP_MODES.includes(b.skip)) {
    throw new NetSpecError(`${where}: unknown skip mode ${JSON.stringify(b.skip)} (expected long, removed or shortened)`);
  }
  if (!Array.isArray(b.units) || b.units.length === 0) throw new NetSpecError(`${where}: expected at least one unit`);
  b.units.forEach((u, k) => checkConv(u, `${where}.units[${k}]`));
  if (b.hasSkip === false && b.skip !== "removed") {
    throw new NetSpecError(`${where}: skip mode "${b.skip}" on a block that has no skip (hasSkip: false)`);
  }
  if (b.skip === "shortened" && b.form !== "shortenable") {
    throw new NetSpecError(`${where}: skip mode "shortened" needs the "shortenable" block form, got "${b.form}"`);
  }
  const cout = b.units[b.units.length - 1].out;
  const stride = b.units.reduce((p, u) => p * u.stride, 1);
  if (b.shortcut === "identity" && b.skip === "long" && (cout !== cin || stride !== 1)) {
    throw new NetSpecError(
      `${where}: identity shortcut but the block changes shape (channels ${cin} -> ${cout}, stride ${stride}); use shortcut "auto" or "projection"`,
    );
  }
  if (b.shortcut !== undefined && !["auto", "identity", "projection"].includes(b.shortcut)) {
    throw new NetSpecError(`${where}.shortcut: expected "auto", "identity" or "projection", got ${JSON.stringify(b.shortcut)}`);
  }
  return cout;
}

/** Throws a NetSpecError naming the offending field or block. */
export function validateNetSpec(net: NetSpec): void {
  if (net === null || typeof net !== "object") throw new NetSpecError("NetSpec: expected an object");
  if (net.dims !== 1 && net.dims !== 2) throw new NetSpecError(`${net.name}: dims must be 1 or 2, got ${net.dims}`);
  positiveInt(net.input?.channels, "input.channels");
  positiveInt(net.input?.height, "input.height");
  positiveInt(net.input?.width, "input.width");
  if (!Array.isArray(net.stem?.convs)) throw new NetSpecError("stem.convs: expected an array");
  net.stem.convs.forEach((c, i) => checkConv(c, `stem.convs[${i}]`, true));
  let c = net.stem.convs.length ? net.stem.convs[net.stem.convs.length - 1].out : net.input.channels;
  if (!Array.isArray(net.blocks)) throw new NetSpecError("blocks: expected an array");
  const names = new Set<string>();
  net.blocks.forEach((b, i) => {
    if (names.has(b?.name)) throw new NetSpecError(`block ${JSON.stringify(b.name)}: duplicate block name`);
    names.add(b?.name);
    c = checkBlock(b, i, c);
  });
  (net.tail ?? []).forEach((t, i) => checkConv(t, `tail[${i}]`, true));
  if (net.head?.kind !== "gap-dense" && net.head?.kind !== "conv1x1" && net.head?.kind !== "flatten-dense") {
    throw new NetSpecError(`head.kind: expected "gap-dense", "conv1x1" or "flatten-dense", got ${JSON.stringify((net.head as { kind?: unknown } | undefined)?.kind)}`);
  }
  positiveInt(net.head.classes, "head.classes");
  if (net.head.kind === "flatten-dense") {
    if (!Array.isArray(net.head.hidden)) throw new NetSpecError("head.hidden: expected an array of dense layers (may be empty)");
    net.head.hidden.forEach((d, i) => {
      positiveInt(d?.out, `head.hidden[${i}].out`);
      if (d.bn !== undefined && typeof d.bn !== "boolean") throw new NetSpecError(`head.hidden[${i}].bn: expected true or false, got ${JSON.stringify(d.bn)}`);
    });
  }
}
