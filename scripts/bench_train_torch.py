"""PyTorch peer for `npm run bench`: the same ResNet-8 / -20 / -56 (the plain block form of src/net/types.ts, projection
shortcuts), SGD Nesterov momentum 0.9, weight decay 1e-4, cross-entropy, random data, 2 threads unless told, in PyTorch's default
NCHW memory format or channels_last.
Usage: /usr/bin/python3 scripts/bench_train_torch.py NET BATCH STEPS [nchw|channels_last] [THREADS]  ->  prints one JSON line."""
import json
import resource
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.c1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.b1 = nn.BatchNorm2d(cout)
        self.c2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.b2 = nn.BatchNorm2d(cout)
        self.proj = None
        if stride != 1 or cin != cout:
            self.proj = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        x = F.relu(x)
        out = self.b2(self.c2(F.relu(self.b1(self.c1(x)))))
        return out + (self.proj(x) if self.proj is not None else x)


class ResNet(nn.Module):
    def __init__(self, per_stage):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU())
        blocks, cin = [], 16
        for s, f in enumerate([16, 32, 64]):
            for i in range(per_stage):
                blocks.append(Block(cin, f, 2 if s > 0 and i == 0 else 1))
                cin = f
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        x = F.relu(self.blocks(self.stem(x)))
        return self.fc(F.adaptive_avg_pool2d(x, 1).flatten(1))


def main():
    net, batch, steps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    layout = sys.argv[4] if len(sys.argv) > 4 else "nchw"
    fmt = {"nchw": torch.contiguous_format, "channels_last": torch.channels_last}[layout]
    torch.set_num_threads(int(sys.argv[5]) if len(sys.argv) > 5 else 2)
    torch.manual_seed(0)
    # CIFAR ResNet-N: (N - 2) / 6 basic blocks a stage (ResNet-8, the authors', is the N = 8 case)
    model = ResNet((int(net[len("resnet"):]) - 2) // 6).to(memory_format=fmt)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4, nesterov=True)
    x = torch.randn(batch, 3, 32, 32).contiguous(memory_format=fmt)
    y = torch.randint(0, 10, (batch,))

    def step():
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()

    for _ in range(5):
        step()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    dt = time.perf_counter() - t0
    print(json.dumps({"net": net, "batch": batch, "layout": layout, "imagesPerSecond": batch * steps / dt, "torch": torch.__version__,
                      "threads": torch.get_num_threads(), "peakRssMiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


if __name__ == "__main__":
    main()
