"""Seconds per epoch: the course's loop against ganlab.train, in one process on one device.

usage: python benchmarks/train_speed.py [--epochs N] [--device cpu|cuda] [--variants default plain reuse_fakes]
                                        [--cli-epochs 20]

The course loop is ../shared/anchors/course_loop.py when it is there (the guided project's own
loop: PIL RandomRotation(+-20) + ToTensor, DataLoader(batch_size=128, shuffle=True), .item()
every step), else the same loop written below. ganlab.train runs its default path
(DeviceBatches on the device, losses summed on the device) in each variant asked for: "default"
(``Config()``: on a CPU, ganlab.speed's layout and kernels), "plain" (``speedups=False``: the course's
layers as written, ganlab's path before the speedups) and "reuse_fakes" (PyTorch's tutorial's step,
which computes less). Prints seconds per epoch for each, first epoch apart from the rest, each
variant's ratio to the course loop, and the fraction of the floor (the step's FLOPs at this CPU's
theoretical peak, benchmarks/flops.py); with --cli-epochs, also the wall time of
``python -m ganlab train --epochs N`` from process start to its last checkpoint. The seconds are
the training alone: the per-epoch quality scores (track) are off here, and so is the average of G's
weights (``ema_decay=0``; its cost: benchmarks/ema_cost.py); the CLI's wall time includes both.
The course loop runs first, before ganlab has set anything for the whole process (threads, glibc's
malloc), then "plain", then the rest.
Needs the full MNIST (GANLAB_DATA_DIR or --data-dir). Prints figures; asserts nothing.
"""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import importlib.util
import io
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
from torch.utils.data import DataLoader
from torchvision import datasets
from torchvision import transforms as T

from ganlab import Config, Discriminator, Generator, dataset_root, train

sys.path.insert(0, str(Path(__file__).resolve().parent))
from flops import dcgan_step_macs, theoretical_peak_gflops  # noqa: E402

ANCHOR = Path(__file__).resolve().parents[2] / "shared" / "anchors" / "course_loop.py"


def anchor_epochs(root: str, device: str, epochs: int) -> list[float]:
    """Run the anchor's own main() in this process and read its 'epoch E seconds S' lines."""
    spec = importlib.util.spec_from_file_location("course_loop", ANCHOR)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    printed = io.StringIO()
    argv = sys.argv
    sys.argv = [str(ANCHOR), "--root", root, "--epochs", str(epochs), "--device", device]
    try:
        with contextlib.redirect_stdout(printed):
            module.main()
    finally:
        sys.argv = argv
    return [float(m.group(1)) for m in re.finditer(r"seconds ([\d.]+)", printed.getvalue())]


def written_course_epochs(root: str, device: str, epochs: int) -> list[float]:
    """The course's loop written here (used when the anchor file is not beside the checkout)."""
    from ganlab import Discriminator, Generator, fake_loss, real_loss, weights_init

    torch.manual_seed(0)
    trainset = datasets.MNIST(root, download=False, train=True,
                              transform=T.Compose([T.RandomRotation((-20, +20)), T.ToTensor()]))
    trainloader = DataLoader(trainset, batch_size=128, shuffle=True)
    D = Discriminator().to(device).apply(weights_init)
    G = Generator(64).to(device).apply(weights_init)
    D_opt = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.99))
    G_opt = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.99))
    seconds = []
    for _ in range(epochs):
        start = time.perf_counter()
        total_d_loss = total_g_loss = 0.0
        for real_img, _ in trainloader:
            real_img = real_img.to(device)
            D_opt.zero_grad()
            fake_img = G(torch.randn(128, 64, device=device))
            D_loss = (fake_loss(D(fake_img)) + real_loss(D(real_img))) / 2
            total_d_loss += D_loss.item()
            D_loss.backward()
            D_opt.step()
            G_opt.zero_grad()
            G_loss = real_loss(D(G(torch.randn(128, 64, device=device))))
            total_g_loss += G_loss.item()
            G_loss.backward()
            G_opt.step()
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        seconds.append(time.perf_counter() - start)
    return seconds


def course_epochs(root: str, device: str, epochs: int) -> list[float]:
    if ANCHOR.is_file():
        return anchor_epochs(root, device, epochs)
    return written_course_epochs(root, device, epochs)


#: The ganlab variants this benchmark knows: the Config changes each one makes.
VARIANTS = {"default": {}, "plain": {"speedups": False}, "reuse_fakes": {"reuse_fakes": True}}


def ganlab_epochs(cfg: Config) -> list[float]:
    history = train(cfg, progress=False, track=0)
    return history.seconds


def describe(seconds: list[float]) -> str:
    rest = seconds[1:]
    text = f"first {seconds[0]:.2f} s"
    if rest:
        text += f", then {statistics.mean(rest):.2f} s/epoch (mean of {len(rest)})"
    return text


def steady(seconds: list[float]) -> float:
    return statistics.mean(seconds[1:]) if len(seconds) > 1 else seconds[0]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=2, help="epochs of each loop (default 2)")
    ap.add_argument("--course-epochs", type=int, default=None, help="epochs of the course loop (default: --epochs)")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--cli-epochs", type=int, default=0, help="also time python -m ganlab train --epochs N")
    ap.add_argument("--variants", nargs="*", default=["default", "plain"], choices=sorted(VARIANTS),
                    help="ganlab variants to time (default: default plain)")
    args = ap.parse_args(argv)
    # The step and the loop, as the course has them: the average of G's weights that the DCGAN's default also keeps
    # is timed apart (benchmarks/ema_cost.py), so these figures stay comparable with the course loop's.
    cfg = Config(epochs=args.epochs, device=args.device, data_dir=args.data_dir, ema_decay=0.0)
    device = str(cfg.torch_device)
    root = str(dataset_root(cfg, download=False))
    name = torch.cuda.get_device_name(0) if device.startswith("cuda") else f"CPU, {torch.get_num_threads()} threads"
    source = ANCHOR if ANCHOR.is_file() else "written in this benchmark"
    print(f"device: {device} ({name}); torch {torch.__version__}; course loop: {source}")
    macs = dcgan_step_macs(Generator(cfg.noise_dim), Discriminator(), cfg.noise_dim)
    peak, how = theoretical_peak_gflops()
    floor = {variant: 2 * macs["reuse_fakes_step" if variant == "reuse_fakes" else "step"] * 60_000 / (peak * 1e9)
             for variant in VARIANTS}
    if not device.startswith("cuda"):
        print(f"floor: {floor['default']:.1f} s per epoch ({2 * macs['step'] / 1e6:.1f} MFLOP per image at {peak:.0f} "
              f"GFLOP/s: {how})")

    # The course loop runs first, as a learner's process runs it: before ganlab has set anything
    # process-wide (its thread count, glibc's malloc: ganlab.speed). "plain" runs before the speedups
    # for the same reason.
    print("course loop (PIL rotation, DataLoader, .item() per step):", flush=True)
    course = course_epochs(root, device, args.course_epochs or args.epochs)
    print(f"  {describe(course)}")
    ours = {}
    for variant in sorted(args.variants, key=lambda v: v != "plain"):
        print(f"ganlab.train, {variant} ({VARIANTS[variant] or 'Config()'}):", flush=True)
        ours[variant] = ganlab_epochs(dataclasses.replace(cfg, **VARIANTS[variant]))
        print(f"  {describe(ours[variant])}")
    print("\n| variant | s/epoch (steady) | vs the course loop | fraction of the floor |")
    print("|---|---|---|---|")
    for variant, seconds in ours.items():
        fraction = "-" if device.startswith("cuda") else f"{floor[variant] / steady(seconds):.0%}"
        ratio = steady(course) / steady(seconds)
        print(f"| ganlab {variant} | {steady(seconds):.1f} | {ratio:.2f}x faster | {fraction} |")
    print(f"| course loop | {steady(course):.1f} | 1.00x | - |")

    if args.cli_epochs:
        with tempfile.TemporaryDirectory() as out:
            env = {**os.environ, "GANLAB_DATA_DIR": str(Path(root).resolve()), "TQDM_DISABLE": "1"}
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "ganlab", "train", "--epochs", str(args.cli_epochs),
                            "--out", out, "--device", args.device, "--no-progress"],
                           check=True, env=env, stdout=subprocess.DEVNULL)
            print(f"python -m ganlab train --epochs {args.cli_epochs}: {time.perf_counter() - start:.1f} s "
                  "wall, process start to last checkpoint and files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
