"""An exponential moving average (EMA) of the generator's weights, for sampling.

GAN weights wobble from step to step as the two networks push each other around; the average of
the last ~1/(1 - decay) steps' weights sits in the middle of that wobble, and its samples are
often cleaner than the last step's. ``train`` keeps one when ``Config.ema_decay`` > 0.

BatchNorm needs care: its running statistics belong to the weights that produced them, so the
averaged weights get statistics of their own (``reestimate_batchnorm``), not an average or a copy
of the live generator's.
"""
from __future__ import annotations

import torch
from torch import nn

from .sampling import seeded_noise

#: Batches of noise that ``reestimate_batchnorm`` averages the statistics over.
BN_BATCHES = 20


def ema_decay_at(step: int, decay: float) -> float:
    """The decay for update number ``step`` (0-based): ramps up as (1 + step) / (10 + step) to ``decay``.

    Without the ramp the average would start as mostly the random initial weights: after one MNIST
    epoch (469 steps) at 0.999, 0.999 ** 469 = 63 % of it still would be.
    """
    return min(decay, (1 + step) / (10 + step))


@torch.no_grad()
def update_ema(G_ema: nn.Module, G: nn.Module, decay: float) -> None:
    """Move each weight of ``G_ema`` the fraction (1 - decay) of the way towards ``G``'s."""
    for p_ema, p in zip(G_ema.parameters(), G.parameters()):
        p_ema.lerp_(p, 1 - decay)


@torch.no_grad()
def reestimate_batchnorm(G: nn.Module, n_batches: int = BN_BATCHES, batch_size: int = 128,
                         seed: int = 0) -> None:
    """Recompute every BatchNorm layer's running statistics for G's current weights.

    Resets them, then runs ``n_batches`` batches of seeded noise through G in train mode with
    ``momentum=None`` (a plain average over the batches). G's mode and momenta are restored.
    """
    norms = [m for m in G.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    momenta = [m.momentum for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None
    was_training = G.training
    G.train()
    device = next(G.parameters()).device
    for noise in seeded_noise(n_batches * batch_size, G.noise_dim, seed, device).split(batch_size):
        G(noise)
    for m, momentum in zip(norms, momenta):
        m.momentum = momentum
    G.train(was_training)
