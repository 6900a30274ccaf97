"""ONNX fixtures made by a real producer: PyTorch's torch.onnx.export on plain module definitions.

Networks (random weights from a fixed seed, batch-norm statistics set by a few training-mode passes on random
data, so that the exported BatchNormalization is not the identity):
  resnet8-plain.onnx        the Tailor authors' ResNet-8, plain block form: x' = ReLU(x); BN2(conv2(ReLU(BN1(conv1 x')))) + S(x')
  resnet8-shortenable.onnx  the same, shortenable form: ReLU(BN2(conv2(ReLU(BN1(conv1 x))))) + S(x)
  resnet20.onnx             CIFAR ResNet-20 (He et al. 2016) in its usual form: ReLU(BN2(conv2(ReLU(BN1(conv1 x)))) + S(x)),
                            1x1 conv + BN projections where the shape changes
  resnet18.onnx             ImageNet-shaped ResNet-18 (basic blocks, 7x7 stem, max pool), 224x224, 1000 classes
  resnet50.onnx             ImageNet-shaped ResNet-50 (bottlenecks, stride on the 3x3 conv: torchvision's v1.5)
Each network ends ReLU, global average pool, flatten, linear (the stem is conv-BN-ReLU). The block forms are the
ones of DESIGN.md section 2 (src/net/types.ts), written here from that description, not from our TypeScript.

Usage: /usr/bin/python3 scripts/make_onnx_fixtures.py --out DIR [--nets resnet8-plain,resnet20,...] [--seed 0]
Needs Debian's python3-torch (apt-get install python3-torch). The small ones are committed in test/fixtures/onnx/.
"""
import argparse
import os
import sys

try:
    import torch
    import torch.nn as nn
except ImportError:
    sys.stderr.write("make_onnx_fixtures.py: PyTorch is not importable: apt-get install python3-torch, and run /usr/bin/python3\n")
    sys.exit(3)


def conv_bn(cin, cout, k, stride):
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride, k // 2, bias=False), nn.BatchNorm2d(cout))


def shortcut(cin, cout, stride):
    return conv_bn(cin, cout, 1, stride) if stride != 1 or cin != cout else nn.Identity()


class PlainBlock(nn.Module):
    """the authors' plain form: the ReLU at the block input, none after the add"""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.u0, self.u1, self.s = conv_bn(cin, cout, 3, stride), conv_bn(cout, cout, 3, 1), shortcut(cin, cout, stride)

    def forward(self, x):
        x = torch.relu(x)
        return self.u1(torch.relu(self.u0(x))) + self.s(x)


class ShortenableBlock(nn.Module):
    """the authors' shortenable form (long skip): every unit ends in ReLU, the skip is added after it"""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.u0, self.u1, self.s = conv_bn(cin, cout, 3, stride), conv_bn(cout, cout, 3, 1), shortcut(cin, cout, stride)

    def forward(self, x):
        return torch.relu(self.u1(torch.relu(self.u0(x)))) + self.s(x)


class BasicBlock(nn.Module):
    """He et al.'s basic block: ReLU after the add"""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.u0, self.u1, self.s = conv_bn(cin, cout, 3, stride), conv_bn(cout, cout, 3, 1), shortcut(cin, cout, stride)

    def forward(self, x):
        return torch.relu(self.u1(torch.relu(self.u0(x))) + self.s(x))


class Bottleneck(nn.Module):
    """1x1 -> 3x3 (stride) -> 1x1 with 4x expansion, ReLU after the add"""

    def __init__(self, cin, mid, stride):
        super().__init__()
        self.u0, self.u1, self.u2 = conv_bn(cin, mid, 1, 1), conv_bn(mid, mid, 3, stride), conv_bn(mid, 4 * mid, 1, 1)
        self.s = shortcut(cin, 4 * mid, stride)

    def forward(self, x):
        return torch.relu(self.u2(torch.relu(self.u1(torch.relu(self.u0(x))))) + self.s(x))


class Net(nn.Module):
    def __init__(self, stem, blocks, channels, classes, end_relu):
        super().__init__()
        self.stem, self.blocks, self.end_relu = stem, nn.Sequential(*blocks), end_relu
        self.fc = nn.Linear(channels, classes)

    def forward(self, x):
        x = self.blocks(self.stem(x))
        if self.end_relu:
            x = torch.relu(x)
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))


def cifar(block, per_stage, end_relu):
    blocks, cin = [], 16
    for s, f in enumerate([16, 32, 64]):
        for i in range(per_stage):
            blocks.append(block(cin, f, 2 if s > 0 and i == 0 else 1))
            cin = f
    stem = nn.Sequential(conv_bn(3, 16, 3, 1), nn.ReLU())
    return Net(stem, blocks, 64, 10, end_relu), (1, 3, 32, 32)


def imagenet(bottleneck, stages):
    blocks, cin = [], 64
    for s, n in enumerate(stages):
        f = 64 << s
        for i in range(n):
            stride = 2 if s > 0 and i == 0 else 1
            blocks.append(Bottleneck(cin, f, stride) if bottleneck else BasicBlock(cin, f, stride))
            cin = 4 * f if bottleneck else f
    stem = nn.Sequential(conv_bn(3, 64, 7, 2), nn.ReLU(), nn.MaxPool2d(3, 2, 1))
    return Net(stem, blocks, cin, 1000, False), (1, 3, 224, 224)


NETS = {
    # the plain form's last block adds without a ReLU after: the network's own ReLU comes before the pool
    "resnet8-plain": lambda: cifar(PlainBlock, 1, True),
    "resnet8-shortenable": lambda: cifar(ShortenableBlock, 1, True),
    "resnet20": lambda: cifar(BasicBlock, 3, False),
    "resnet18": lambda: imagenet(False, [2, 2, 2, 2]),
    "resnet50": lambda: imagenet(True, [3, 4, 6, 3]),
}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="folder to write <net>.onnx into (created)")
    ap.add_argument("--nets", default="resnet8-plain,resnet8-shortenable,resnet20", help="comma-separated, from: " + ",".join(NETS))
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    names = [n for n in a.nets.split(",") if n]
    for n in names:
        if n not in NETS:
            sys.stderr.write(f"--nets: unknown network {n!r}, expected one of {', '.join(NETS)}\n")
            sys.exit(2)
    os.makedirs(a.out, exist_ok=True)
    torch.set_num_threads(1)
    for n in names:
        torch.manual_seed(a.seed)
        model, shape = NETS[n]()
        # batch-norm scales and shifts drawn at random (as after training: a fresh BN's are all ones and zeros, which
        # torch's exporter would deduplicate into one initializer read through Identity nodes), statistics from a
        # few training-mode passes, then eval: the exported BN is not the identity
        with torch.no_grad():
            for m in model.modules():
                if isinstance(m, nn.BatchNorm2d):
                    m.weight.uniform_(0.5, 1.5)
                    m.bias.uniform_(-0.2, 0.2)
        model.train()
        with torch.no_grad():
            for _ in range(3):
                model(torch.randn(4, *shape[1:]))
        model.eval()
        out = os.path.join(a.out, f"{n}.onnx")
        tmp = out + ".tmp"
        # TrainingMode.EVAL would fold each BatchNormalization into its conv (torch/onnx/utils.py runs its eval
        # peephole pass only then); PRESERVE on the eval-mode model keeps them, with their running statistics, so
        # the imported network has the batch norms that fine-tuning (Tailor) trains
        torch.onnx.export(model, torch.randn(*shape), tmp, opset_version=13, input_names=["input"], output_names=["logits"],
                          dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}}, training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=True)
        os.replace(tmp, out)
        print(f"wrote {out} ({os.path.getsize(out)} bytes), torch {torch.__version__}")


if __name__ == "__main__":
    main()
