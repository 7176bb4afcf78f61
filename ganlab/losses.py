"""The two losses of the course: how far the discriminator's logits are from "real" / "fake".

Taught in notebook 06.
"""
from __future__ import annotations

import torch
from torch import nn

_bce = nn.BCEWithLogitsLoss()


def real_loss(disc_pred: torch.Tensor, smoothing: float = 0.0) -> torch.Tensor:
    """Binary cross-entropy of logits against the label "real" (1, or 1 - smoothing).

    One-sided label smoothing (e.g. 0.1, real side only) keeps the discriminator from
    becoming over-confident. The generator's loss is ``real_loss(D(G(z)))`` with no smoothing.
    Taught in notebook 06.
    """
    target = torch.full_like(disc_pred, 1.0 - smoothing)
    return _bce(disc_pred, target)


def fake_loss(disc_pred: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy of logits against the label "fake" (0). Taught in notebook 06."""
    return _bce(disc_pred, torch.zeros_like(disc_pred))
