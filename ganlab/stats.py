"""Correlation across epochs: does one per-epoch number move with another?

``pearson`` measures how well a straight line fits; ``spearman`` is Pearson's on the ranks, so
it asks only whether the two go up and down together, in any shape. Both run from -1 to 1; with
20 epochs, a value beyond about 0.44 in size would arise by chance less than 5 % of the time, if the
20 pairs were independent. Per-epoch curves are not: both trend with training, so two unrelated
curves can pass 0.44 easily; read it as a rough guide, not a test.
Taught in notebooks/next/wgan_gp.
"""
from __future__ import annotations

import math

import torch


def _pairs(x, y) -> tuple[torch.Tensor, torch.Tensor]:
    """The two sequences as float64 tensors, without the positions where either is NaN."""
    x, y = torch.as_tensor(x, dtype=torch.float64).flatten(), torch.as_tensor(y, dtype=torch.float64).flatten()
    if x.numel() != y.numel():
        raise ValueError(f"the two sequences differ in length: {x.numel()} and {y.numel()}.")
    keep = ~(x.isnan() | y.isnan())
    x, y = x[keep], y[keep]
    if x.numel() < 3:
        raise ValueError(f"a correlation needs at least 3 pairs of numbers, got {x.numel()}.")
    return x, y


def pearson(x, y) -> float:
    """Pearson's r: the covariance of x and y over the product of their spreads (NaN pairs skipped)."""
    x, y = _pairs(x, y)
    x, y = x - x.mean(), y - y.mean()
    spread = math.sqrt(float((x * x).sum() * (y * y).sum()))
    return float((x * y).sum()) / spread if spread else math.nan


def ranks(x: torch.Tensor) -> torch.Tensor:
    """1-based ranks, ties sharing the mean of their places: [10, 30, 20, 20] -> [1, 4, 2.5, 2.5]."""
    order = torch.argsort(x, stable=True)
    rank = torch.empty_like(x)
    rank[order] = torch.arange(1, len(x) + 1, dtype=x.dtype)
    for value in x.unique():
        tied = x == value
        rank[tied] = rank[tied].mean()
    return rank


def spearman(x, y) -> float:
    """Spearman's rho: Pearson's r of the ranks (NaN pairs skipped)."""
    x, y = _pairs(x, y)
    return pearson(ranks(x), ranks(y))
