"""The conditional DCGAN: ask for a class, get that class.

The course's two networks, each told which class is meant:

* the generator reads its noise with a one-hot class vector appended: ``noise_dim + 10`` numbers
  in, so the same noise can be drawn as a 3 or as a 7;
* the discriminator reads the image with the class as 10 more channels, all 0 but the class's
  own, which is all 1: it judges "is this a real 3?", not only "is this real?", so a fake of the
  wrong class loses too.

The step is the course's (``train_step``), with the real batch's labels passed along to both
networks, and the fakes made for those same labels. Taught in notebooks/next/conditional_dcgan.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .config import Config
from .game import GAN
from .losses import fake_loss, real_loss
from .models import Discriminator, Generator

#: MNIST and Fashion-MNIST both have ten classes.
N_CLASSES = 10


def one_hot(labels: torch.Tensor, n_classes: int = N_CLASSES) -> torch.Tensor:
    """(B,) class numbers -> (B, n_classes) float rows of 0s with a 1 at the class."""
    return F.one_hot(labels.long(), n_classes).float()


def balanced_labels(n: int, n_classes: int = N_CLASSES, device="cpu") -> torch.Tensor:
    """0, 1, ..., n_classes - 1, 0, 1, ...: n labels with every class equally often (to one)."""
    return torch.arange(n, device=device) % n_classes


class ConditionalGenerator(nn.Module):
    """The course's Generator, reading ``noise_dim`` noise numbers plus the class one-hot.

    ``G(noise, labels)`` draws ``labels[i]`` from ``noise[i]``. Called with noise alone it draws the
    classes in turn (``balanced_labels``), so everything made for an unconditional generator (the
    samples each epoch, the quality scores, ``generate``) works with it too.
    """

    def __init__(self, noise_dim: int = 64, n_classes: int = N_CLASSES):
        super().__init__()
        self.noise_dim, self.n_classes = noise_dim, n_classes
        self.net = Generator(noise_dim + n_classes)  # (B, noise_dim + 10) -> (B, 1, 28, 28)

    def forward(self, noise, labels=None):
        if labels is None:
            labels = balanced_labels(noise.size(0), self.n_classes, noise.device)
        return self.net(torch.cat([noise, one_hot(labels, self.n_classes)], dim=1))


class ConditionalDiscriminator(nn.Module):
    """The course's Discriminator, reading the image plus 10 class channels: (B, 11, 28, 28) in."""

    def __init__(self, n_classes: int = N_CLASSES):
        super().__init__()
        self.n_classes = n_classes
        self.net = Discriminator(in_channels=1 + n_classes)

    def forward(self, images, labels):
        b, _, h, w = images.shape
        classes = one_hot(labels, self.n_classes).view(b, self.n_classes, 1, 1).expand(b, self.n_classes, h, w)
        return self.net(torch.cat([images, classes], dim=1))  # (B, 1) logits


def conditional_train_step(G, D, G_opt, D_opt, real_img, labels, noise_dim: int, smoothing: float = 0.0):
    """The course's ``train_step`` with the class: D judges (image, label) pairs, G draws to order.

    The fakes are made for the real batch's own labels, so D sees each class as often real as fake.
    Returns (D loss, G loss, mean D(x), mean D(G(z))) as a detached tensor on the device.
    """
    batch_size = real_img.size(0)

    noise = torch.randn(batch_size, noise_dim, device=real_img.device)
    fake_img = G(noise, labels)
    D_opt.zero_grad()
    D_pred_fake = D(fake_img.detach(), labels)
    D_pred_real = D(real_img, labels)
    D_loss = (fake_loss(D_pred_fake) + real_loss(D_pred_real, smoothing)) / 2
    D_loss.backward()
    D_opt.step()

    G_opt.zero_grad()
    noise = torch.randn(batch_size, noise_dim, device=real_img.device)
    G_loss = real_loss(D(G(noise, labels), labels))
    G_loss.backward()
    G_opt.step()

    return torch.stack([D_loss, G_loss,
                        torch.sigmoid(D_pred_real).mean(), torch.sigmoid(D_pred_fake).mean()]).detach()


class ConditionalDCGAN(GAN):
    """The conditional DCGAN game: the course's networks and step, with the class passed along."""

    name = "cdcgan"

    def build_generator(self, cfg: Config):
        return ConditionalGenerator(cfg.noise_dim)

    def build_discriminator(self, cfg: Config):
        return ConditionalDiscriminator()

    def step(self, real_img, labels):
        return conditional_train_step(self.G, self.D, self.G_opt, self.D_opt, real_img, labels, self.cfg.noise_dim,
                                      self.cfg.label_smoothing)
