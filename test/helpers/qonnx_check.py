#!/usr/bin/python3
"""Independent check of an exported QONNX model (src/export/qonnx.ts): read it with Debian's python3-onnx, run
onnx.checker.check_model, then execute the graph here in numpy, op by op, from the ONNX operator specs (Conv,
BatchNormalization, Relu, Add, MaxPool, GlobalAveragePool, Flatten, MatMul, Gemm; onnx/docs/Operators.md, opset 13)
and the QONNX Quant spec (fastmachinelearning/qonnx docs/qonnx-custom-ops/quant_op.md: y = (round(clamp(x / scale
+ zeropt, min_int, max_int)) - zeropt) * scale, rounding_mode ROUND = numpy.round, half to even). Nothing here reads
the TypeScript code; tensors are float32 between ops, as the model declares them (convolutions, batch norm, pooling
and products accumulate in float64 and are rounded to float32 once; Quant runs in float32 as the spec's sample does).

Usage: /usr/bin/python3 qonnx_check.py MODEL.onnx [--images FILE] [--tie-window W]
  FILE: raw little-endian float32 images, NCHW, of the model's input shape (the batch is FILE's size / one image)
Prints one JSON object: the checker's verdict, opsets, op counts, every Quant node's attributes and constants, the
logits of the images, and per image how many activation Quant inputs lay within W quantisation steps of a rounding
tie (x / scale within W of k + 1/2): where a float rounding difference could flip the integer.
Run with Debian's /usr/bin/python3 (the python3 on PATH cannot see Debian's packages).
"""
import json
import sys

try:
    import numpy as np
    import onnx
    from onnx import numpy_helper
except ImportError as e:  # the test fails with this message: setup-system.sh installs both
    print(f"qonnx_check: {e}: install Debian's python3-onnx and python3-numpy (apt-get install -y python3-onnx python3-numpy, "
          "or bash scripts/setup-system.sh) and run with /usr/bin/python3", file=sys.stderr)
    sys.exit(3)

QONNX_DOMAIN = "qonnx.custom_op.general"


def attrs_of(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def conv(x, w, b, a):
    # Operators.md Conv: pads = [x1_begin, x2_begin, x1_end, x2_end]; group splits input and output channels
    kh, kw = w.shape[2], w.shape[3]
    sh, sw = a.get("strides", [1, 1])
    dh, dw = a.get("dilations", [1, 1])
    pt, pl, pb, pr = a.get("pads", [0, 0, 0, 0])
    group = a.get("group", 1)
    n, c, h, wd = x.shape
    m = w.shape[0]
    xp = np.zeros((n, c, h + pt + pb, wd + pl + pr), dtype=np.float64)
    xp[:, :, pt:pt + h, pl:pl + wd] = x
    oh = (h + pt + pb - dh * (kh - 1) - 1) // sh + 1
    ow = (wd + pl + pr - dw * (kw - 1) - 1) // sw + 1
    y = np.zeros((n, m, oh, ow), dtype=np.float64)
    cg, mg = c // group, m // group
    w64 = w.astype(np.float64)
    for g in range(group):
        xs = xp[:, g * cg:(g + 1) * cg]
        for ky in range(kh):
            for kx in range(kw):
                patch = xs[:, :, ky * dh: ky * dh + sh * (oh - 1) + 1: sh, kx * dw: kx * dw + sw * (ow - 1) + 1: sw]
                y[:, g * mg:(g + 1) * mg] += np.einsum("nchw,mc->nmhw", patch, w64[g * mg:(g + 1) * mg, :, ky, kx])
    if b is not None:
        y += b.astype(np.float64)[None, :, None, None]
    return y.astype(np.float32)


def batchnorm(x, scale, bias, mean, var, a):
    eps = a.get("epsilon", 1e-5)
    shape = (1, -1) + (1,) * (x.ndim - 2)
    r = lambda t: t.astype(np.float64).reshape(shape)
    y = (x.astype(np.float64) - r(mean)) / np.sqrt(r(var) + np.float64(np.float32(eps))) * r(scale) + r(bias)
    return y.astype(np.float32)


def maxpool(x, a):
    kh, kw = a["kernel_shape"]
    sh, sw = a.get("strides", [1, 1])
    pt, pl, pb, pr = a.get("pads", [0, 0, 0, 0])
    n, c, h, w = x.shape
    xp = np.full((n, c, h + pt + pb, w + pl + pr), -np.inf, dtype=np.float32)
    xp[:, :, pt:pt + h, pl:pl + w] = x
    oh = (h + pt + pb - kh) // sh + 1
    ow = (w + pl + pr - kw) // sw + 1
    y = np.full((n, c, oh, ow), -np.inf, dtype=np.float32)
    for ky in range(kh):
        for kx in range(kw):
            y = np.maximum(y, xp[:, :, ky: ky + sh * (oh - 1) + 1: sh, kx: kx + sw * (ow - 1) + 1: sw])
    return y


def int_range(signed, narrow, bits):
    # quant_op.md min_int / max_int
    if signed:
        return (-(2 ** (bits - 1)) + 1 if narrow else -(2 ** (bits - 1))), 2 ** (bits - 1) - 1
    return 0, (2 ** bits - 2 if narrow else 2 ** bits - 1)


def quant(x, scale, zeropt, bits, a):
    mode = a.get("rounding_mode", b"ROUND")
    mode = mode.decode() if isinstance(mode, bytes) else mode
    if mode.upper() != "ROUND":
        raise ValueError(f"Quant rounding_mode {mode}: this checker implements ROUND only")
    lo, hi = int_range(a.get("signed", 1), a.get("narrow", 0), int(bits))
    s = np.float32(scale)
    v = x.astype(np.float32) / s + np.float32(zeropt)
    v = np.clip(v, np.float32(lo), np.float32(hi))
    return ((np.round(v) - np.float32(zeropt)) * s).astype(np.float32), v


def main(argv):
    if len(argv) < 1 or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if argv else 2
    path = argv[0]
    images = None
    tie = 1e-3
    i = 1
    while i < len(argv):
        if argv[i] == "--images":
            images = argv[i + 1]
            i += 2
        elif argv[i] == "--tie-window":
            tie = float(argv[i + 1])
            i += 2
        else:
            print(f"qonnx_check: unknown argument {argv[i]}", file=sys.stderr)
            return 2
    model = onnx.load(path)
    onnx.checker.check_model(model)
    # full_check adds ONNX's strict shape inference, which checks every declared value_info shape against the ops
    # (it has no schema for QONNX's Quant, a custom domain: there it takes the declared output shape); reported as text
    try:
        onnx.checker.check_model(model, full_check=True)
        full = "ok"
    except Exception as e:  # noqa: BLE001 - reported as text
        full = f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
    g = model.graph
    opsets = {o.domain or "ai.onnx": o.version for o in model.opset_import}
    inits = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    ops = {}
    quants = []
    for n in g.node:
        key = n.op_type if not n.domain else f"{n.domain}.{n.op_type}"
        ops[key] = ops.get(key, 0) + 1
        if n.op_type == "Quant":
            a = attrs_of(n)
            quants.append({
                "name": n.name, "input": n.input[0], "on_initializer": n.input[0] in inits, "domain": n.domain,
                "signed": a.get("signed"), "narrow": a.get("narrow"),
                "rounding_mode": a.get("rounding_mode", b"").decode(),
                "scale": float(inits[n.input[1]]), "zeropt": float(inits[n.input[2]]),
                "bitwidth": float(inits[n.input[3]]), "bitwidth_ndim": int(inits[n.input[3]].ndim),
            })
    out = {
        "check_model": "ok", "full_check": full, "onnx_version": onnx.__version__, "ir_version": model.ir_version, "opsets": opsets,
        "producer": model.producer_name, "metadata": {p.key: p.value for p in model.metadata_props},
        "inputs": [[d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim] for v in g.input],
        "outputs": [o.name for o in g.output], "ops": ops, "quant": quants,
    }
    if images is not None:
        dims = [d.dim_value for d in g.input[0].type.tensor_type.shape.dim[1:]]
        raw = np.fromfile(images, dtype="<f4")
        per = int(np.prod(dims))
        if raw.size == 0 or raw.size % per:
            print(f"qonnx_check: {images}: {raw.size} floats, not a whole number of {dims} images", file=sys.stderr)
            return 2
        x = raw.reshape([raw.size // per] + dims)
        env = dict(inits)
        env[g.input[0].name] = x
        ties = np.zeros(x.shape[0], dtype=np.int64)
        for n in g.node:
            a = attrs_of(n)
            v = [env[name] if name else None for name in n.input]
            t = n.op_type
            if n.domain == QONNX_DOMAIN and t == "Quant":
                y, pre = quant(v[0], v[1], v[2], v[3], a)
                if n.input[0] not in inits:  # an activation: count its near-ties per image
                    frac = np.abs(pre - np.floor(pre) - np.float32(0.5))
                    ties += (frac < tie).reshape(pre.shape[0], -1).sum(axis=1)
            elif n.domain not in ("", "ai.onnx"):
                raise ValueError(f"node {n.name}: domain {n.domain} not implemented")
            elif t == "Conv":
                y = conv(v[0], v[1], v[2] if len(v) > 2 else None, a)
            elif t == "BatchNormalization":
                y = batchnorm(v[0], v[1], v[2], v[3], v[4], a)
            elif t == "Relu":
                y = np.maximum(v[0], np.float32(0))
            elif t == "Add":
                y = (v[0].astype(np.float64) + v[1].astype(np.float64)).astype(np.float32)
            elif t == "MaxPool":
                y = maxpool(v[0], a)
            elif t == "GlobalAveragePool":
                y = v[0].astype(np.float64).mean(axis=tuple(range(2, v[0].ndim)), keepdims=True).astype(np.float32)
            elif t == "Flatten":
                ax = a.get("axis", 1)
                y = v[0].reshape(int(np.prod(v[0].shape[:ax])), -1)
            elif t == "MatMul":
                y = np.matmul(v[0].astype(np.float64), v[1].astype(np.float64)).astype(np.float32)
            elif t == "Gemm":
                A = v[0].T if a.get("transA", 0) else v[0]
                B = v[1].T if a.get("transB", 0) else v[1]
                y = a.get("alpha", 1.0) * (A.astype(np.float64) @ B.astype(np.float64))
                if len(v) > 2:
                    y = y + a.get("beta", 1.0) * v[2].astype(np.float64)
                y = y.astype(np.float32)
            else:
                raise ValueError(f"node {n.name}: op {t} not implemented by this checker")
            env[n.output[0]] = y
        logits = env[g.output[0].name]
        out["logits"] = logits.astype(float).tolist()
        out["near_ties"] = ties.tolist()
        out["tie_window"] = tie
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
