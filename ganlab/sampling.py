"""Noise in, pixels out: the seeded noise that pictures and scores draw, and the pixel ranges.

Every generated image ganlab hands out (to pictures, to the classifier, to the History) is in
tanh's [-1, 1], whatever range the generator was trained to draw in. ``to_signed`` and
``from_signed`` convert into and out of that range (the training batches, which copy ToTensor and
Normalize step by step, are ``ganlab.data``'s business); ``seeded_noise`` is the one way a fixed,
named batch of noise is drawn.
"""
from __future__ import annotations

import torch

#: The range of tanh, and of every image ganlab hands out.
SIGNED = (-1.0, 1.0)


def seeded_noise(n: int, noise_dim: int, seed: int, device="cpu") -> torch.Tensor:
    """The (n, noise_dim) noise that ``seed`` names: drawn on the CPU, so the same on every machine."""
    return torch.randn(n, noise_dim, generator=torch.Generator().manual_seed(seed)).to(device)


def to_signed(images: torch.Tensor, pixel_range=(0.0, 1.0)) -> torch.Tensor:
    """Map images from ``pixel_range`` to [-1, 1]: (0, 255) for bytes, (0, 1) for ToTensor's floats.

    Computed as ToTensor then Normalize((0.5,), (0.5,)) would: divide to [0, 1], then (x - 0.5) / 0.5.
    Images already in [-1, 1] come back unchanged.
    """
    low, high = pixel_range
    if (low, high) == SIGNED:
        return images
    return images.float().sub(low).div(high - low).sub(0.5).div(0.5)


def from_signed(images: torch.Tensor, pixel_range=(0.0, 1.0)) -> torch.Tensor:
    """Map images in [-1, 1] to ``pixel_range``: (0, 1) for imshow and PNGs, (0, 255) for bytes."""
    low, high = pixel_range
    return images.add(1).mul((high - low) / 2).add(low)
