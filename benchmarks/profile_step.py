"""Where one training step's time goes on this CPU, and how close it comes to the CPU's peak.

usage: python benchmarks/profile_step.py [--steps 20] [--batch 128] [--channels-last] [--rows 20]

Prints, for ganlab's default step (the course's ``train_step`` on a batch of 128):
1. the arithmetic, counted from the layer shapes (benchmarks/flops.py): multiply-adds per image of
   each network's forward pass and of the whole step, and FLOPs per MNIST epoch;
2. the CPU's fp32 peak, two ways: in theory (cores x clock x FMA width, said how) and measured
   (a 2048 x 2048 matrix product, the best case torch reaches here);
3. the median seconds per step over ``--steps`` steps (after 5 warm-up steps), what that makes per
   epoch (469 steps), and the fraction of either peak it reaches; the floor (the step's FLOPs at the
   theoretical peak) per epoch;
4. torch.profiler's table of the operators that took the most time in 5 steps;
5. each operator's wall time per step by input shapes (the matrix products with their GFLOP/s), and
   the matrix products' share of the step;
6. the best this step could do with the same operators: the matrix products and convolutions at the
   measured peak, everything else (BatchNorm, activations, the patches' adds and copies, Adam, the
   losses) as fast as it ran, as a fraction of the floor. Beyond it, only a shorter rest helps: fewer
   operators, or fewer passes over memory (fused operators).
Synthetic batches (uniform in [-1, 1]): the arithmetic does not depend on the pixels. Asserts nothing.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from flops import dcgan_step_macs, measured_matmul_gflops, theoretical_peak_gflops  # noqa: E402

from ganlab import Config  # noqa: E402
from ganlab.game import DCGAN  # noqa: E402

MNIST_IMAGES = 60_000


def step_seconds(game, batch: torch.Tensor, steps: int, warmup: int = 5) -> list[float]:
    """Wall seconds of each of ``steps`` steps on ``batch``, after ``warmup`` untimed ones."""
    labels = torch.zeros(batch.size(0), dtype=torch.long)
    for _ in range(warmup):
        game.step(batch, labels)
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        game.step(batch, labels)
        times.append(time.perf_counter() - start)
    return times


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--rows", type=int, default=20, help="operators in the profiler table")
    ap.add_argument("--channels-last", action="store_true", help="profile with channels_last tensors")
    args = ap.parse_args(argv)

    cfg = Config(device="cpu", batch_size=args.batch)
    game = DCGAN(cfg)
    macs = dcgan_step_macs(game.G, game.D, cfg.noise_dim)
    step_flops = 2 * macs["step"]
    epoch_flops = step_flops * MNIST_IMAGES
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, batch {args.batch}, "
          f"channels_last {args.channels_last}")
    print("\n1. Arithmetic (multiply-adds per image, from the layer shapes)")
    for net in ("G", "D"):
        layers = ", ".join(f"{name} {m / 1e6:.3f} M" for name, m in macs[f"{net}_layers"])
        print(f"  {net} forward: {macs[f'{net}_forward'] / 1e6:.3f} M  ({layers})")
    print(f"  the step: D move {macs['D_move'] / 1e6:.2f} M + G move {macs['G_move'] / 1e6:.2f} M = "
          f"{macs['step'] / 1e6:.2f} M MACs = {step_flops / 1e6:.1f} MFLOP per image; "
          f"{epoch_flops / 1e12:.2f} TFLOP per MNIST epoch")

    peak, how = theoretical_peak_gflops()
    measured = measured_matmul_gflops()
    print("\n2. This CPU's fp32 peak")
    print(f"  theoretical: {peak:.0f} GFLOP/s = {how}")
    print(f"  measured: {measured:.0f} GFLOP/s for a 2048 x 2048 fp32 matrix product ({measured / peak:.0%} of theory)")

    batch = torch.rand(args.batch, 1, 28, 28) * 2 - 1
    if args.channels_last:
        batch = batch.contiguous(memory_format=torch.channels_last)
    times = step_seconds(game, batch, args.steps)
    median = statistics.median(times)
    per_epoch = median * MNIST_IMAGES / args.batch
    achieved = step_flops * args.batch / median / 1e9
    floor = epoch_flops / (peak * 1e9)
    print(f"\n3. Time: median {median * 1e3:.1f} ms per step of {args.batch} (range {min(times) * 1e3:.1f}-"
          f"{max(times) * 1e3:.1f}) -> {per_epoch:.1f} s per MNIST epoch of steps alone")
    print(f"  achieved {achieved:.1f} GFLOP/s: {achieved / peak:.0%} of the theoretical peak, "
          f"{achieved / measured:.0%} of the measured one")
    print(f"  floor at the theoretical peak: {floor:.1f} s per epoch; at the measured one: "
          f"{epoch_flops / (measured * 1e9):.1f} s")

    from torch.profiler import ProfilerActivity, profile
    labels = torch.zeros(args.batch, dtype=torch.long)
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(5):
            game.step(batch, labels)
    print("\n4. Operators by self time, 5 steps (torch.profiler; its own overhead included)")
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=args.rows,
                                    max_name_column_width=40))

    per_call = operator_times(game, batch, labels, steps=10)
    print("\n5. Operators by wall time per step, by input shapes (10 steps, each call timed alone; the matrix")
    print("   products' rate counted from their shapes)")
    for seconds, name, shapes, calls in per_call[:args.rows]:
        rate = ""
        if name == "aten.mm.default":
            (m, k), (_, n) = shapes
            rate = f"  {2 * m * k * n * calls / seconds / 1e9:.0f} GFLOP/s"
        print(f"  {seconds * 1e3:6.2f} ms  x{calls:<3} {name:38s} {shapes}{rate}")
    matmul = sum(row[0] for row in per_call if row[1] == "aten.mm.default")
    total = sum(row[0] for row in per_call)
    print(f"  matrix products: {matmul * 1e3:.1f} of {total * 1e3:.1f} ms per step ({matmul / total:.0%})")

    arithmetic = sum(row[0] for row in per_call if row[1] in ARITHMETIC_OPERATORS)
    rest_timed = total - arithmetic
    # Timing each call alone adds a little to every call, so the calls' sum exceeds the step: the step's own
    # median less the products and convolutions gives the rest a smaller, kinder figure; the bound takes it.
    rest = min(rest_timed, median - arithmetic)
    at_peak = step_flops * args.batch / (measured * 1e9)
    best = at_peak + rest
    floor_step = floor * args.batch / MNIST_IMAGES
    print("\n6. The most these operators allow (from 3. and 5.)")
    print(f"  matrix products and convolutions: {arithmetic * 1e3:.1f} ms per step; everything else (BatchNorm, "
          f"activations, adds and copies, Adam, the losses): {rest_timed * 1e3:.1f} ms call by call, "
          f"{(median - arithmetic) * 1e3:.1f} ms as the step's median less the products and convolutions")
    groups = {}
    for seconds, name, _, _ in per_call:
        if name not in ARITHMETIC_OPERATORS:
            group = next((g for g, words in REST_GROUPS.items() if any(w in name for w in words)), "other")
            groups[group] = groups.get(group, 0.0) + seconds
    print("  everything else by kind, call by call: " + ", ".join(
        f"{g} {t * 1e3:.1f} ms" for g, t in sorted(groups.items(), key=lambda item: -item[1])))
    print(f"  every multiply-add of the step at the measured peak ({at_peak * 1e3:.1f} ms) and the rest as it ran "
          f"({rest * 1e3:.1f} ms): {best * 1e3:.1f} ms per step, {best * MNIST_IMAGES / args.batch:.1f} s per epoch "
          f"of steps alone: {floor_step / best:.0%} of the floor ({floor_step * 1e3:.1f} ms)")
    return 0


#: The operators that do the step's multiply-adds (the rest only move, scale or add up numbers).
ARITHMETIC_OPERATORS = {"aten.mm.default", "aten.addmm.default", "aten.bmm.default", "aten.convolution.default",
                        "aten.convolution_backward.default"}
#: How section 6 sorts the other operators (by words in their names; the first group that matches).
REST_GROUPS = {"BatchNorm": ("batch_norm",), "Adam": ("_foreach",),
               "activations": ("relu", "threshold", "tanh", "sigmoid"),
               "adds, copies, zeros": ("add", "copy", "fill", "zero", "clone", "empty"),
               "losses, sums, scaling": ("binary_cross", "sum", "mean", "div", "mul", "stack")}


def operator_times(game, batch, labels, steps: int) -> list[tuple[float, str, tuple, int]]:
    """(seconds per step, operator, input shapes, calls per step) for every operator the step runs, slowest
    first: each call timed by the wall clock as it runs (a CPU operator returns when it is done), without the
    profiler's bookkeeping, which inflates short operators."""
    from collections import defaultdict

    from torch.utils._python_dispatch import TorchDispatchMode

    seconds = defaultdict(list)

    class Timed(TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            start = time.perf_counter()
            out = func(*args, **(kwargs or {}))
            shapes = tuple(tuple(a.shape) for a in args if isinstance(a, torch.Tensor))
            seconds[(str(func), shapes)].append(time.perf_counter() - start)
            return out

    with Timed():
        for _ in range(steps):
            game.step(batch, labels)
    rows = [(sum(t) / steps, name, shapes, len(t) // steps) for (name, shapes), t in seconds.items()]
    return sorted(rows, key=lambda row: row[0], reverse=True)


if __name__ == "__main__":
    sys.exit(main())
