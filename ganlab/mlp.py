"""The fully connected GAN most first tutorials build: no convolutions, every pixel on its own.

The generator maps the noise through one hidden layer of 256 units to 784 = 28 x 28 pixels; the
discriminator maps the 784 pixels through 256 units to one logit (the "100 -> 256 -> 784" and
"784 -> 256 -> 1" networks of many tutorials, with ganlab's noise_dim of 64). ``hidden`` makes
them deeper, e.g. the 256-512-1024 generator and 1024-512-256 discriminator with dropout that other
tutorials use. The game and its step are the course's DCGAN's: only the networks differ, which is
the point of the comparison in notebooks/next/why_convolutions.
"""
from __future__ import annotations

from torch import nn

from .config import Config
from .game import DCGAN

IMAGE_PIXELS = 28 * 28


def _layers(sizes, dropout: float = 0.0) -> list:
    """Linear -> LeakyReLU(0.2) (-> Dropout) for each step between consecutive sizes."""
    layers = []
    for n_in, n_out in zip(sizes, sizes[1:]):
        layers += [nn.Linear(n_in, n_out), nn.LeakyReLU(0.2)] + ([nn.Dropout(dropout)] if dropout else [])
    return layers


class MLPGenerator(nn.Module):
    """(B, noise_dim) noise -> hidden layers -> 784 pixels -> tanh -> (B, 1, 28, 28) in [-1, 1]."""

    def __init__(self, noise_dim: int = 64, hidden=(256,)):
        super().__init__()
        self.noise_dim = noise_dim
        self.net = nn.Sequential(*_layers((noise_dim, *hidden)), nn.Linear(hidden[-1], IMAGE_PIXELS), nn.Tanh())

    def forward(self, noise):
        return self.net(noise).view(-1, 1, 28, 28)


class MLPDiscriminator(nn.Module):
    """(B, 1, 28, 28) images -> 784 pixels -> hidden layers -> (B, 1) logits."""

    def __init__(self, hidden=(256,), dropout: float = 0.0):
        super().__init__()
        self.net = nn.Sequential(nn.Flatten(), *_layers((IMAGE_PIXELS, *hidden), dropout), nn.Linear(hidden[-1], 1))

    def forward(self, images):
        return self.net(images)


class MLPGAN(DCGAN):
    """The course's game and step (``DCGAN``'s) with fully connected networks (PyTorch's default init:
    ``weights_init`` only touches convolutions and BatchNorm)."""

    name = "mlp"

    def build_generator(self, cfg: Config):
        return MLPGenerator(cfg.noise_dim)

    def build_discriminator(self, cfg: Config):
        return MLPDiscriminator()
