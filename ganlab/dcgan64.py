"""The 64x64 colour DCGAN: PyTorch's DCGAN tutorial's networks, for a folder of your own images.

Worked back from 64x64, as notebooks 04 and 05 do for 28x28: every transposed convolution of the
generator doubles the picture's side (4x4 kernels, stride 2, padding 1: out = 2 * in), from a 4x4
start to 64x64, halving the feature maps each time; the discriminator mirrors it, halving the side
with 4x4 convolutions of stride 2 down to 4x4, then one 4x4 convolution to a single score.

    G: z (nz, 1, 1) -> 8w x 4x4 -> 4w x 8x8 -> 2w x 16x16 -> w x 32x32 -> 3 x 64x64 (tanh)
    D: 3 x 64x64 -> w x 32x32 -> 2w x 16x16 -> 4w x 8x8 -> 8w x 4x4 -> 1 x 1x1 (a logit)

BatchNorm after every layer but G's last and D's first, ReLU in G, LeakyReLU(0.2) in D, weights from
N(0, 0.02), Adam(2e-4, betas 0.5 and 0.999), nz = 100 (``Config.for_model("dcgan64")``). The
tutorial's width w is 64; ``Config.width`` sets it: the arithmetic grows with its square, so 16 or
32 keep a CPU run practical (notebooks/next/your_own_images measures each). The step is the
course's ``train_step``. D ends without a sigmoid, as the course's does: ``BCEWithLogitsLoss``.
Taught in notebooks/next/your_own_images.
"""
from __future__ import annotations

from torch import nn

from .config import Config
from .game import DCGAN


def up_block(in_channels: int, out_channels: int, first: bool = False) -> nn.Sequential:
    """ConvTranspose2d (4x4) -> BatchNorm2d -> ReLU: the side goes 1 -> 4 (``first``) or doubles."""
    stride, padding = (1, 0) if first else (2, 1)
    return nn.Sequential(nn.ConvTranspose2d(in_channels, out_channels, 4, stride, padding, bias=False),
                         nn.BatchNorm2d(out_channels), nn.ReLU(True))


def down_block(in_channels: int, out_channels: int, batchnorm: bool = True) -> nn.Sequential:
    """Conv2d (4x4, stride 2, padding 1) -> BatchNorm2d -> LeakyReLU(0.2): the side halves."""
    layers = [nn.Conv2d(in_channels, out_channels, 4, 2, 1, bias=False)]
    return nn.Sequential(*layers, *([nn.BatchNorm2d(out_channels)] if batchnorm else []), nn.LeakyReLU(0.2, True))


class Generator64(nn.Module):
    """(B, noise_dim) noise -> (B, 3, 64, 64) colour images in [-1, 1]."""

    def __init__(self, noise_dim: int = 100, width: int = 64, channels: int = 3):
        super().__init__()
        self.noise_dim, self.pixel_range = noise_dim, (-1.0, 1.0)
        self.net = nn.Sequential(
            up_block(noise_dim, width * 8, first=True),  # (B, 8w, 4, 4)
            up_block(width * 8, width * 4),  # (B, 4w, 8, 8)
            up_block(width * 4, width * 2),  # (B, 2w, 16, 16)
            up_block(width * 2, width),  # (B, w, 32, 32)
            nn.ConvTranspose2d(width, channels, 4, 2, 1, bias=False), nn.Tanh(),  # (B, 3, 64, 64)
        )

    def forward(self, noise):
        return self.net(noise.view(noise.size(0), self.noise_dim, 1, 1))


class Discriminator64(nn.Module):
    """(B, 3, 64, 64) images -> (B, 1) logits: high means "real"."""

    def __init__(self, width: int = 64, channels: int = 3):
        super().__init__()
        self.net = nn.Sequential(
            down_block(channels, width, batchnorm=False),  # (B, w, 32, 32)
            down_block(width, width * 2),  # (B, 2w, 16, 16)
            down_block(width * 2, width * 4),  # (B, 4w, 8, 8)
            down_block(width * 4, width * 8),  # (B, 8w, 4, 4)
            nn.Conv2d(width * 8, 1, 4, 1, 0, bias=False),  # (B, 1, 1, 1)
            nn.Flatten(),  # (B, 1)
        )

    def forward(self, images):
        return self.net(images)


class DCGAN64(DCGAN):
    """The course's game and step with the tutorial's 64x64 networks, ``cfg.width`` wide."""

    name = "dcgan64"

    def build_generator(self, cfg: Config):
        return Generator64(cfg.noise_dim, cfg.width)

    def build_discriminator(self, cfg: Config):
        return Discriminator64(cfg.width)
