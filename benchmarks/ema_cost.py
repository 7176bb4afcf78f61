"""What the averaged generator (``Config().ema_decay``, the DCGAN's default) costs per MNIST epoch.

usage: python benchmarks/ema_cost.py [--rounds 5]

After every training step ``ganlab.hooks.AverageGenerator`` moves the average a step towards G
(``ganlab.ema.update_ema``: one lerp over G's 747,841 weights), and before each epoch is recorded it
re-estimates the average's BatchNorm statistics (``reestimate_batchnorm``: 20 batches of 128 through G).
This times both on the CPU, with the networks as ``train`` builds them (``Config()``: the CPU speedups),
for one epoch's 469 steps; ``benchmarks/train_speed.py`` times the step itself, without the average.
Prints figures; asserts nothing.
"""
from __future__ import annotations

import argparse
import copy
import statistics
import time

import torch

from ganlab import Config
from ganlab.ema import reestimate_batchnorm, update_ema
from ganlab.game import DCGAN

STEPS_PER_EPOCH = 469  # 60,000 MNIST images in batches of 128


def median_seconds(work, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args(argv)
    torch.manual_seed(0)
    game = DCGAN(Config(device="cpu"))
    G, G_ema = game.G, copy.deepcopy(game.G)
    update_ema(G_ema, G, 0.999)  # warm up

    def one_epoch_of_updates():
        for _ in range(STEPS_PER_EPOCH):
            update_ema(G_ema, G, 0.999)

    updates = median_seconds(one_epoch_of_updates, args.rounds)
    reestimate = median_seconds(lambda: reestimate_batchnorm(G_ema), args.rounds)
    print(f"CPU, {torch.get_num_threads()} threads; medians of {args.rounds} rounds")
    per_step = updates / STEPS_PER_EPOCH * 1e3
    print(f"update_ema, {STEPS_PER_EPOCH} steps (one epoch): {updates:.3f} s ({per_step:.2f} ms a step)")
    print(f"reestimate_batchnorm, once an epoch: {reestimate:.3f} s")
    print(f"the average costs {updates + reestimate:.2f} s per MNIST epoch")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
