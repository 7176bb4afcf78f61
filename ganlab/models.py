"""The course's discriminator and generator, built from one repeated block each.

Taught in notebooks 04 (discriminator), 05 (generator) and 06 (weights_init).
"""
from __future__ import annotations

import torch
from torch import nn

from .sampling import SIGNED, to_signed


def disc_block(in_channels: int, out_channels: int, kernel_size, stride) -> nn.Sequential:
    """Return Conv2d -> BatchNorm2d -> LeakyReLU(0.2), the discriminator's repeated block.

    LeakyReLU keeps a small gradient (0.2x) for negative inputs, so the generator still gets
    a signal through the discriminator where a ReLU would pass none. Taught in notebook 04.
    """
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size, stride),
        nn.BatchNorm2d(out_channels),
        nn.LeakyReLU(0.2),
    )


class Discriminator(nn.Module):
    """Score a (B, 1, 28, 28) batch of images with one raw logit each: high means "real".

    No sigmoid at the end: ``BCEWithLogitsLoss`` applies it inside the loss, in a numerically
    stable way. ``in_channels`` is 1 for the course's grey images; the conditional DCGAN feeds it
    the class as 10 more channels (``ganlab.conditional``); ``block`` builds each block (the WGAN-GP's
    critic passes one without BatchNorm, ``ganlab.wgan``). Taught in notebook 04.
    """

    def __init__(self, in_channels: int = 1, block=None):
        super().__init__()
        block = block or disc_block
        self.block_1 = block(in_channels, 16, (3, 3), 2)
        self.block_2 = block(16, 32, (5, 5), 2)
        self.block_3 = block(32, 64, (5, 5), 2)
        self.flatten = nn.Flatten()
        self.linear = nn.Linear(in_features=64, out_features=1)

    def forward(self, images):
        x = self.block_1(images)  # (B, 16, 13, 13)
        x = self.block_2(x)  # (B, 32, 5, 5)
        x = self.block_3(x)  # (B, 64, 1, 1)
        x = self.flatten(x)  # (B, 64)
        return self.linear(x)  # (B, 1) logits


def gen_block(in_channels: int, out_channels: int, kernel_size, stride,
              final_block: bool = False) -> nn.Sequential:
    """Return ConvTranspose2d -> BatchNorm2d -> ReLU, or ConvTranspose2d -> Tanh if final.

    The final block has no BatchNorm and ends in tanh so the image lands in [-1, 1], the
    range the real images are normalised to. Taught in notebook 05.
    """
    if final_block:
        return nn.Sequential(
            nn.ConvTranspose2d(in_channels, out_channels, kernel_size, stride),
            nn.Tanh(),
        )
    return nn.Sequential(
        nn.ConvTranspose2d(in_channels, out_channels, kernel_size, stride),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(),
    )


class Generator(nn.Module):
    """Turn (B, noise_dim) random vectors into (B, 1, 28, 28) images in [-1, 1].

    ``pixel_range`` is the range of the real images it learns to copy: tanh's (-1, 1) unless it
    is trained on ToTensor's [0, 1] pixels (``Config(normalize=False)``; ``train`` sets it then).
    ``generate`` reads it, so every sample leaves the package in [-1, 1]. Taught in notebook 05.
    """

    def __init__(self, noise_dim: int = 64):
        super().__init__()
        self.noise_dim = noise_dim
        self.pixel_range = SIGNED
        self.block_1 = gen_block(noise_dim, 256, (3, 3), 2)
        self.block_2 = gen_block(256, 128, (4, 4), 1)
        self.block_3 = gen_block(128, 64, (3, 3), 2)
        self.block_4 = gen_block(64, 1, (4, 4), 2, final_block=True)

    def forward(self, noise):
        x = noise.view(-1, self.noise_dim, 1, 1)  # (B, noise_dim, 1, 1)
        x = self.block_1(x)  # (B, 256, 3, 3)
        x = self.block_2(x)  # (B, 128, 6, 6)
        x = self.block_3(x)  # (B, 64, 13, 13)
        return self.block_4(x)  # (B, 1, 28, 28)


def weights_init(m: nn.Module, bn_gamma_mean: float = 0.0) -> None:
    """Initialise as the course does; use with ``model.apply(weights_init)``.

    Conv and transposed-conv weights ~ N(0, 0.02), as in the DCGAN paper. BatchNorm scales ~ N(0, 0.02)
    and shifts 0, as the course's ``weights_init`` draws them: every BatchNorm layer starts nearly
    switched off, yet training starts as fast (Adam's step does not shrink with the gradient).
    PyTorch's DCGAN tutorial starts the scales at N(1, 0.02): pass ``bn_gamma_mean=1.0`` (through
    ``functools.partial``). Over 20 epochs the two measured alike on MNIST, and the course's far better
    on Fashion-MNIST (README, "The recipe study").
    Taught in notebook 06.
    """
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(m.weight, 0.0, 0.02)
    if isinstance(m, nn.BatchNorm2d):
        nn.init.normal_(m.weight, bn_gamma_mean, 0.02)
        nn.init.constant_(m.bias, 0)


@torch.no_grad()
def generate(G: nn.Module, noise: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
    """Images from ``noise`` in [-1, 1], drawn in eval mode (BatchNorm's running statistics).

    G's mode is restored afterwards. A generator that draws in another range (its
    ``pixel_range``, e.g. (0, 1)) has its images mapped to [-1, 1]. ``labels`` asks a conditional
    generator for those classes (``ganlab.conditional``). Taught in notebook 07.
    """
    was_training = G.training
    G.eval()
    images = G(noise) if labels is None else G(noise, labels)
    G.train(was_training)
    return to_signed(images, getattr(G, "pixel_range", SIGNED))


#: The course's own names for the two blocks.
get_disc_block = disc_block
get_gen_block = gen_block
