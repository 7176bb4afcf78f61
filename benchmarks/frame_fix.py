"""Does a discriminator that reads every pixel remove the course generator's grey frame? Measured.

usage: python benchmarks/frame_fix.py [--epochs 20] [--seed 0] [--n 10000] [--out runs/frame_fix]
       python benchmarks/frame_fix.py --measure CHECKPOINT [CHECKPOINT ...] [--n 10000]

The course's discriminator starts with 3x3 windows two pixels apart and no padding: on 28x28 images
it never reads the last row or the last column (``ganlab.clinic.window_counts``), so the generator
gets no gradient there, and the bottom and right edges of its samples stay grey. This trains the
family's recipe (below) with ``discriminator_that_sees_every_pixel`` (4x4 windows: the same 13x13 output, every
later block unchanged) for ``--epochs`` epochs from ``--seed``, then prints each edge's mean
brightness ([0, 1]) and the Frechet distance, on ``--n`` samples, beside the shipped reference run
(``make train``'s 20 epochs of the family's recipe, the same seed, its last weights: both sample
their last weights, ``ema_decay=0``, and start BatchNorm's scales at N(1, 0.02)) and real MNIST. With
``--measure``, it trains nothing and prints the edges of each checkpoint's generator instead (any of ganlab's
MNIST GANs: its last weights, and its average when the run kept one; a conditional generator draws each class
alike), with the model, dataset, BatchNorm init and seed its run trained with. Asserts nothing.
Taught in notebooks/next/gan_clinic (section 13).
"""
from __future__ import annotations

import argparse
import functools
import time
from pathlib import Path

import torch

from ganlab import Config, generate, load_dataset, train, weights_init
from ganlab.checkpoint import load_checkpoint
from ganlab.clinic import discriminator_that_sees_every_pixel, edge_means
from ganlab.conditional import N_CLASSES
from ganlab.config import FAMILY_RECIPE
from ganlab.games import generator_from_checkpoint, reference_generator
from ganlab.metrics import evaluate
from ganlab.sampling import seeded_noise


def samples(G, n: int, noise_dim: int, device, labels: torch.Tensor | None = None) -> torch.Tensor:
    """``n`` images of G from noise seed 0, in chunks of 500; ``labels``, if given, for a conditional G."""
    noise = seeded_noise(n, noise_dim, seed=0).split(500)
    if labels is None:
        return torch.cat([generate(G, z.to(device)).cpu() for z in noise])
    return torch.cat([generate(G, z.to(device), y.to(device)).cpu() for z, y in zip(noise, labels.split(500))])


def edges_of_checkpoints(paths: list[Path], n: int) -> None:
    """Print one row per generator of each checkpoint: its run's model, dataset, BatchNorm init and seed, and
    the edges."""
    print("| checkpoint | model | dataset | BatchNorm init | seed | weights | top | bottom | left | right | ring |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for path in paths:
        G, cfg = generator_from_checkpoint(path)  # the average when the run kept one
        state = load_checkpoint(path)
        weights = [("average", None), ("last", state["G"])] if "G_ema" in state else [("last", None)]
        labels = torch.arange(n) % N_CLASSES if cfg.model == "cdcgan" else None
        for name, last in weights:
            if last is not None:
                G.load_state_dict(last)  # the same network, sped up alike: the state_dict fits
            e = edge_means(samples(G, n, cfg.noise_dim, "cpu", labels))
            print(f"| {path} | {cfg.model} | {cfg.dataset} | N({cfg.bn_gamma_mean:g}, 0.02) | {cfg.seed} | {name} | "
                  + " | ".join(f"{e[side]:.4f}" for side in ("top", "bottom", "left", "right", "ring")) + " |")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--out", type=Path, default=Path("runs/frame_fix"))
    ap.add_argument("--measure", type=Path, nargs="+", metavar="CHECKPOINT",
                    help="train nothing: print the edges of these checkpoints' generators")
    args = ap.parse_args(argv)
    if args.measure:
        edges_of_checkpoints(args.measure, args.n)
        return 0
    cfg = Config(epochs=args.epochs, seed=args.seed, **FAMILY_RECIPE)  # reference_generator("mnist")'s recipe
    checkpoint = args.out / "checkpoint.pt"
    start = time.perf_counter()
    if not checkpoint.is_file():
        torch.manual_seed(cfg.seed)
        init = functools.partial(weights_init, bn_gamma_mean=cfg.bn_gamma_mean)
        D = discriminator_that_sees_every_pixel().apply(init)
        train(cfg, D=D, checkpoint=checkpoint, progress=False)
    print(f"trained {args.epochs} epochs in {(time.perf_counter() - start) / 60:.1f} min ({checkpoint})")
    device = cfg.torch_device
    fixed, _ = generator_from_checkpoint(checkpoint, device=device)
    course_d = reference_generator("mnist", device)
    real = load_dataset(cfg).data[: args.n].unsqueeze(1).float() / 127.5 - 1
    print(f"\n| {args.n:,} images | top | bottom | left | right | ring | Frechet distance |")
    print("|---|---|---|---|---|---|---|")
    rows = (("the course's D (reference run \"mnist\", 20 epochs)", course_d),
            (f"D that reads every pixel ({args.epochs} epochs)", fixed), ("real MNIST", None))
    for name, G in rows:
        with torch.no_grad():
            images = real if G is None else samples(G, args.n, cfg.noise_dim, device)
            distance = "" if G is None else f"{evaluate(G, cfg.dataset, n=args.n)['frechet']:.2f}"
        e = edge_means(images)
        print(f"| {name} | " + " | ".join(f"{e[side]:.4f}" for side in ("top", "bottom", "left", "right", "ring"))
              + f" | {distance} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
