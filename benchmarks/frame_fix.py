"""Does a discriminator that reads every pixel remove the course generator's grey frame? Measured.

usage: python benchmarks/frame_fix.py [--epochs 20] [--seed 0] [--n 10000] [--out runs/frame_fix]

The course's discriminator starts with 3x3 windows two pixels apart and no padding: on 28x28 images
it never reads the last row or the last column (``ganlab.clinic.window_counts``), so the generator
gets no gradient there, and the bottom and right edges of its samples stay grey. This trains the
family's recipe (below) with ``discriminator_that_sees_every_pixel`` (4x4 windows: the same 13x13 output, every
later block unchanged) for ``--epochs`` epochs from ``--seed``, then prints each edge's mean
brightness ([0, 1]) and the Frechet distance, on ``--n`` samples, beside the shipped reference run
(``make train``'s 20 epochs of the family's recipe, the same seed, its last weights: both sample
their last weights, ``ema_decay=0``, and start BatchNorm's scales at N(1, 0.02)) and real MNIST. Asserts nothing.
Taught in notebooks/next/gan_clinic (section 13).
"""
from __future__ import annotations

import argparse
import functools
import time
from pathlib import Path

import torch

from ganlab import Config, generate, load_dataset, train, weights_init
from ganlab.clinic import discriminator_that_sees_every_pixel, edge_means
from ganlab.config import FAMILY_RECIPE
from ganlab.games import generator_from_checkpoint, reference_generator
from ganlab.metrics import evaluate
from ganlab.sampling import seeded_noise


def samples(G, n: int, noise_dim: int, device) -> torch.Tensor:
    return torch.cat([generate(G, z.to(device)).cpu() for z in seeded_noise(n, noise_dim, seed=0).split(500)])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--out", type=Path, default=Path("runs/frame_fix"))
    args = ap.parse_args(argv)
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
