"""PyTorch peer for `npm run bench:infer`: the network of a lowered layer graph that bench-infer.ts writes as JSON
(src/net/graph.ts: the same layers, skips and shapes as ours), random weights, eval mode, timed under
torch.inference_mode in one memory format, eagerly and TorchScript-frozen (torch.jit.freeze of torch.jit.trace, which
folds batch norm into the convolutions).
Usage: /usr/bin/python3 scripts/bench_infer_torch.py GRAPH.json BATCH SECONDS nchw|channels_last THREADS
  ->  prints one JSON line: images/s of each variant, the parameter count, torch's version."""
import json
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class GraphNet(nn.Module):
    """The layers in the graph's order (a topological one); each value is dropped after its last reader."""

    def __init__(self, graph):
        super().__init__()
        self.layers = graph["layers"]
        self.output = graph["output"]
        mods = {}
        for l in self.layers:
            op, key = l["op"], f"l{l['id']}"
            if op == "conv":
                if l["pad"] != l["padAfter"]:
                    raise ValueError(f"{l['name']}: asymmetric padding is not built here")
                mods[key] = nn.Conv2d(l["cin"], l["cout"], tuple(l["kernel"]), tuple(l["stride"]), tuple(l["pad"]), tuple(l["dilation"]), l["groups"], l["bias"])
                # He initialisation as ours (src/train/model.ts), so activations neither vanish (denormals) nor explode
                nn.init.kaiming_normal_(mods[key].weight, nonlinearity="relu")
            elif op == "bn":
                mods[key] = nn.BatchNorm2d(l["channels"], eps=graph["bnEps"])
            elif op == "maxpool":
                mods[key] = nn.MaxPool2d(l["kernel"], l["stride"], l["pad"])
            elif op == "dense":
                mods[key] = nn.Linear(l["cin"], l["cout"])
            elif op not in ("input", "relu", "add", "gap"):
                raise ValueError(f"{l['name']}: layer op {op} is not built here")
        self.mods = nn.ModuleDict(mods)
        last = {}
        for i, l in enumerate(self.layers):
            for r in l["inputs"]:
                last[r] = i
        self.drop = [[r for r in l["inputs"] if last[r] == i and r != self.output] for i, l in enumerate(self.layers)]

    def forward(self, x):
        v = {}
        for i, l in enumerate(self.layers):
            op, ins = l["op"], [v[r] for r in l["inputs"]]
            if op == "input":
                y = x
            elif op == "relu":
                y = F.relu(ins[0])
            elif op == "add":
                y = ins[0] + ins[1]
            elif op == "gap":
                y = F.adaptive_avg_pool2d(ins[0], 1)
            elif op == "dense":
                y = self.mods[f"l{l['id']}"](ins[0].flatten(1))
            else:
                y = self.mods[f"l{l['id']}"](ins[0])
            v[l["id"]] = y
            for r in self.drop[i]:
                del v[r]
        return v[self.output]


def images_per_second(fn, x, batch, seconds):
    # warm-up: the first calls pick kernels (and, for TorchScript, profile and optimise the graph)
    for _ in range(3):
        fn(x)
    reps, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds or reps < 3:
        fn(x)
        reps += 1
    return batch * reps / (time.perf_counter() - t0)


def main():
    graph_file, batch, seconds, layout, threads = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4], int(sys.argv[5])
    fmt = {"nchw": torch.contiguous_format, "channels_last": torch.channels_last}[layout]
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    with open(graph_file) as f:
        graph = json.load(f)
    model = GraphNet(graph).eval().to(memory_format=fmt)
    c, h, w = graph["input"]
    x = torch.randn(batch, c, h, w).contiguous(memory_format=fmt)
    out = {"layout": layout, "batch": batch, "threads": torch.get_num_threads(), "torch": torch.__version__,
           "parameters": sum(p.numel() for p in model.parameters())}
    with torch.inference_mode():
        out["eager"] = images_per_second(model, x, batch, seconds)
    with torch.no_grad():
        frozen = torch.jit.freeze(torch.jit.trace(model, x))
    with torch.inference_mode():
        out["frozen"] = images_per_second(frozen, x, batch, seconds)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
