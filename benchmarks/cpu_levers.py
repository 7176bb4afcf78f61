"""Each CPU speed lever of the training step, measured alone and together, with what it does to the numbers.

usage: python benchmarks/cpu_levers.py [--steps 30] [--rounds 3] [--levers baseline speedups ...] [--compile]

Times the course's step (``train_step``, batch 128, a synthetic batch in [-1, 1]) under each lever.
The levers take turns, ``--rounds`` times, ``--steps`` steps each, after warm-up steps; the figure is
the median of all of a lever's steps, so a slow minute of a shared machine spreads over all of them.
For each lever it also runs 10 steps from the same networks and seed and reports the largest
difference from the baseline's losses: 0 where the arithmetic is bit for bit the same, float
rounding (which a GAN's game amplifies step by step) where only the order of the sums changed.
Prints one table; asserts nothing. ``--compile`` adds torch.compile (its compile time is printed).

Levers (ganlab.speed holds the ones ganlab uses):
  baseline          the course's modules as written, contiguous (NCHW) tensors, Adam's loop over tensors
  channels_last     G, D and the batch in NHWC memory order (oneDNN's preferred layout)
  matrix_kernels    G's transposed convolutions as matrix products (PixelConvTranspose2d for the first,
                    PatchConvTranspose2d for the others)
  foreach_adam      Adam updates all tensors per operation in one call (bit for bit the same)
  speedups          the three above: ganlab's default on a CPU (Config.speedups)
  speedups_before   speedups with G's two middle transposed convolutions left to oneDNN: close to ganlab's
                    default until 2026-12-05 (which gave the last layer F.fold's form, not the new one)
  threads_1         baseline on one thread, to see what the second core brings
  no_onednn         baseline with oneDNN (mkldnn) off: PyTorch's own convolution code
  compile           speedups' layout plus torch.compile of G and D (with --compile)
  reuse_fakes       speedups, and the G move reuses the D move's fakes (Config.reuse_fakes, PyTorch's DCGAN
                    tutorial): one G forward less per step; CHANGES what is computed
"""
from __future__ import annotations

import argparse
import contextlib
import copy
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from flops import dcgan_step_macs, theoretical_peak_gflops  # noqa: E402

from ganlab import Config, Discriminator, Generator, make_optimizers, train_step  # noqa: E402
from ganlab.game import train_step_reusing_fakes  # noqa: E402
from ganlab.models import weights_init  # noqa: E402
from ganlab.speed import PatchConvTranspose2d, foreach_adam, speed_up  # noqa: E402

MNIST_STEPS = 469
LEVERS = ["baseline", "channels_last", "matrix_kernels", "foreach_adam", "speedups", "speedups_before", "threads_1",
          "no_onednn", "reuse_fakes"]
CHANGES_ARITHMETIC = {"reuse_fakes"}


def build(lever: str, G0, D0, cfg):
    """(step function, G, D, G_opt, D_opt, context factory) for ``lever``, from copies of G0 and D0."""
    G, D = copy.deepcopy(G0), copy.deepcopy(D0)
    all_three = lever in ("speedups", "speedups_before", "reuse_fakes", "compile")
    if lever == "channels_last":
        G, D = G.to(memory_format=torch.channels_last), D.to(memory_format=torch.channels_last)
    if lever == "matrix_kernels" or all_three:
        G, D = speed_up(G), speed_up(D)
        if lever == "matrix_kernels":  # the kernels without the layout
            G, D = G.to(memory_format=torch.contiguous_format), D.to(memory_format=torch.contiguous_format)
        if lever == "speedups_before":  # the middle layers (more than 4 output channels) back to oneDNN
            for module in G.modules():
                if type(module) is PatchConvTranspose2d and module.out_channels > 4:
                    module.__class__ = torch.nn.ConvTranspose2d
    G_opt, D_opt = make_optimizers(cfg, G, D)
    if lever == "foreach_adam" or all_three:
        foreach_adam(G_opt), foreach_adam(D_opt)
    if lever == "compile":
        G, D = torch.compile(G), torch.compile(D)
    step = train_step_reusing_fakes if lever == "reuse_fakes" else train_step
    context = (lambda: torch.backends.mkldnn.flags(enabled=False)) if lever == "no_onednn" else contextlib.nullcontext
    return step, G, D, G_opt, D_opt, context


def run_steps(built, batch, cfg, n: int) -> list[float]:
    step, G, D, G_opt, D_opt, context = built
    times = []
    with context():
        for _ in range(n):
            start = time.perf_counter()
            step(G, D, G_opt, D_opt, batch, cfg.noise_dim)
            times.append(time.perf_counter() - start)
    return times


def losses_from_seed(lever, G0, D0, cfg, batch, steps: int = 10) -> torch.Tensor:
    """The (steps, 2) losses of ``steps`` steps from G0, D0 and seed 1."""
    step, G, D, G_opt, D_opt, context = build(lever, G0, D0, cfg)
    torch.manual_seed(1)
    with context():
        return torch.stack([step(G, D, G_opt, D_opt, batch, cfg.noise_dim)[:2] for _ in range(steps)])


@contextlib.contextmanager
def threads_for(lever: str):
    threads = torch.get_num_threads()
    torch.set_num_threads(1 if lever == "threads_1" else threads)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=10, help="timed steps per lever per round (default 10)")
    ap.add_argument("--rounds", type=int, default=3, help="rounds of taking turns (default 3)")
    ap.add_argument("--levers", nargs="*", default=None, help=f"default: {' '.join(LEVERS)}")
    ap.add_argument("--compile", action="store_true", help="also measure torch.compile")
    args = ap.parse_args(argv)
    levers = args.levers or LEVERS + (["compile"] if args.compile else [])

    cfg = Config(device="cpu")
    torch.manual_seed(0)
    G0, D0 = Generator(cfg.noise_dim).apply(weights_init), Discriminator().apply(weights_init)
    batch = torch.rand(cfg.batch_size, 1, 28, 28, generator=torch.Generator().manual_seed(0)) * 2 - 1
    macs = dcgan_step_macs(G0, D0, cfg.noise_dim)
    peak, how = theoretical_peak_gflops()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; peak {peak:.0f} GFLOP/s ({how})")

    built, first, times = {}, {}, {lever: [] for lever in levers}
    for lever in levers:
        with threads_for(lever):
            built[lever] = build(lever, G0, D0, cfg)
            first[lever] = run_steps(built[lever], batch, cfg, 1)[0]  # compiles, for compile
            run_steps(built[lever], batch, cfg, 3)
    for _ in range(args.rounds):
        for lever in levers:
            with threads_for(lever):
                times[lever] += run_steps(built[lever], batch, cfg, args.steps)
    base = statistics.median(times["baseline"]) if "baseline" in times else None
    base_losses = losses_from_seed("baseline", G0, D0, cfg, batch) if base else None

    print("\n| lever | same arithmetic | ms/step | s/epoch (469 steps) | speed-up | % of peak | "
          "max loss difference (10 steps) | first step |")
    print("|---|---|---|---|---|---|---|---|")
    for lever in levers:
        median = statistics.median(times[lever])
        with threads_for(lever):
            losses = losses_from_seed(lever, G0, D0, cfg, batch)
        flops = 2 * macs["reuse_fakes_step" if lever == "reuse_fakes" else "step"] * cfg.batch_size
        speedup = f"{base / median:.2f}x" if base else "-"
        diff = f"{(losses - base_losses).abs().max().item():.1e}" if base else "-"
        same = "no" if lever in CHANGES_ARITHMETIC else "yes"
        print(f"| {lever} | {same} | {median * 1e3:.1f} | {median * MNIST_STEPS:.1f} | {speedup} | "
              f"{flops / median / 1e9 / peak:.0%} | {diff} | {first[lever]:.1f} s |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
