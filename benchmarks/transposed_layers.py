"""The generator's transposed convolutions one at a time: oneDNN's kernel against ganlab's matrix forms.

usage: python benchmarks/transposed_layers.py [--steps 20] [--rounds 3] [--batch 128]

For each of the course generator's four ConvTranspose2d layers, at the shapes a batch of 128 gives
them, times forward and backward (the weight's gradient, and the input's for every layer but the first,
whose input is the noise: as in training) three ways:
oneDNN with channels_last tensors (what ``speed_up`` gave the two middle layers until 2026-12-05),
``F.fold``'s form (the last layer's until then, rebuilt here for the comparison) and ganlab's form
(``PixelConvTranspose2d`` for the first layer, ``PatchConvTranspose2d`` for the others). The forms take
turns ``--rounds`` times; the figure is the median of every step of a form. GFLOP/s counts the
layer's multiply-adds once for each product: forward, weight gradient and (after the first) input
gradient. glibc's malloc keeps freed memory, as in training (``keep_freed_memory``). Prints one
table; asserts nothing.
"""
from __future__ import annotations

import argparse
import copy
import statistics
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn

from ganlab import Generator
from ganlab.speed import PatchConvTranspose2d, PixelConvTranspose2d, keep_freed_memory, match_threads_to_cores


class FoldConvTranspose2d(nn.ConvTranspose2d):
    """The last layer's form until 2026-12-05: one product, then ``F.fold`` adds the patches (NCHW)."""

    def forward(self, x, output_size=None):
        b, c, h, w = x.shape
        (kh, kw), (sh, sw) = self.kernel_size, self.stride
        patches = x.permute(0, 2, 3, 1).reshape(b, h * w, c) @ self.weight.reshape(c, -1)
        y = F.fold(patches.transpose(1, 2), ((h - 1) * sh + kh, (w - 1) * sw + kw), self.kernel_size,
                   stride=self.stride)
        return y + self.bias.view(1, -1, 1, 1)


def timed(layer: nn.Module, x: torch.Tensor, steps: int) -> list[float]:
    """Seconds of ``steps`` forward-and-backward passes of ``layer`` on ``x``."""
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        y = layer(x)
        y.backward(torch.ones_like(y))
        times.append(time.perf_counter() - start)
    return times


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--batch", type=int, default=128)
    args = ap.parse_args(argv)
    match_threads_to_cores()
    keep_freed_memory()
    torch.manual_seed(0)
    G = Generator(64)
    layers = [m for m in G.modules() if isinstance(m, nn.ConvTranspose2d)]
    side = 1
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, batch {args.batch}")
    print("\n| layer | input | oneDNN (channels_last) | F.fold's form | ganlab's form | ganlab's form vs oneDNN |")
    print("|---|---|---|---|---|---|")
    for index, layer in enumerate(layers):
        x = torch.randn(args.batch, layer.in_channels, side, side).to(memory_format=torch.channels_last)
        x.requires_grad_(index > 0)  # the noise needs no gradient
        ganlab_class = PixelConvTranspose2d if index == 0 else PatchConvTranspose2d
        forms = {"oneDNN": nn.ConvTranspose2d, "fold": FoldConvTranspose2d, "ganlab": ganlab_class}
        built = {}
        for name, cls in forms.items():
            built[name] = copy.deepcopy(layer).to(memory_format=torch.channels_last)
            built[name].__class__ = cls
            timed(built[name], x, 3)  # warm-up
        times = {name: [] for name in forms}
        for _ in range(args.rounds):
            for name, module in built.items():
                times[name] += timed(module, x, args.steps)
        kh, kw = layer.kernel_size
        products = 2 if index == 0 else 3
        macs = products * args.batch * side * side * layer.in_channels * layer.out_channels * kh * kw
        cells = []
        for name in forms:
            median = statistics.median(times[name])
            cells.append(f"{median * 1e3:.2f} ms, {2 * macs / median / 1e9:.0f} GFLOP/s")
        ratio = statistics.median(times["oneDNN"]) / statistics.median(times["ganlab"])
        print(f"| {index + 1}: {layer.in_channels}->{layer.out_channels}, {kh}x{kw}, stride {layer.stride[0]} | "
              f"{side}x{side} | {' | '.join(cells)} | {ratio:.2f}x |")
        side = (side - 1) * layer.stride[0] + kh
    return 0


if __name__ == "__main__":
    sys.exit(main())
