"""The Wasserstein GAN with gradient penalty (WGAN-GP, Gulrajani et al., 2017).

Three changes to the DCGAN's game:

* a **critic** instead of a discriminator: a raw score, no sigmoid and no cross-entropy. It is
  trained to make ``E[c(x)] - E[c(G(z))]`` large: real images high, fakes low. Once trained, that
  difference estimates the Wasserstein (earth mover's) distance between the two distributions;
  G is trained to make ``E[c(G(z))]`` large.
* the **gradient penalty** ``lambda (||grad c(x_hat)||_2 - 1)^2`` on images mixed as
  ``x_hat = eps x + (1 - eps) G(z)``, with ``eps`` drawn uniformly from [0, 1] per image. The
  estimate needs a critic whose slope is at most 1 everywhere; the penalty pulls its gradient norm
  towards 1 on the way between real and fake images, where it matters.
* ``n_critic`` critic updates (5) per generator update, each with fresh fakes, so G learns from a
  critic close to its optimum. Here all five use the real batch of the step, as the course notes'
  loop does (the paper draws a new real batch for each), so G gets one update per batch.

The critic has **no BatchNorm**: the penalty is a property of the critic's gradient for each
image on its own, and BatchNorm would make each image's score depend on the others in its batch.
The paper's Adam settings (lr 1e-4, betas 0.0 and 0.9) come with ``Config.for_model("wgan-gp")``.
Taught in notebooks/next/wgan_gp.
"""
from __future__ import annotations

import torch
from torch import nn

from .config import Config
from .game import GAN
from .models import Discriminator, Generator


def critic_block(in_channels: int, out_channels: int, kernel_size, stride) -> nn.Sequential:
    """Conv2d -> LeakyReLU(0.2): the discriminator's block without its BatchNorm."""
    return nn.Sequential(nn.Conv2d(in_channels, out_channels, kernel_size, stride), nn.LeakyReLU(0.2))


class Critic(Discriminator):
    """The course's Discriminator without BatchNorm: (B, 1, 28, 28) -> (B, 1) raw scores, any real number."""

    def __init__(self, in_channels: int = 1):
        super().__init__(in_channels, block=critic_block)


def mix(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """x_hat = eps * real + (1 - eps) * fake, one eps ~ U[0, 1] per image (the notes' "???")."""
    eps = torch.rand(real.size(0), 1, 1, 1, device=real.device)
    return eps * real + (1 - eps) * fake


def gradient_norms(critic: nn.Module, images: torch.Tensor, create_graph: bool = False) -> torch.Tensor:
    """||grad_x c(x)||_2 for each image: (B,). ``create_graph`` lets a loss built on it be trained."""
    images = images.detach().requires_grad_(True)
    grad, = torch.autograd.grad(critic(images).sum(), images, create_graph=create_graph)
    return grad.flatten(1).norm(dim=1)


def gradient_penalty(critic: nn.Module, real: torch.Tensor, fake: torch.Tensor, weight: float = 10.0):
    """(weight * mean (||grad c(x_hat)|| - 1)^2, the norms) on images ``mix``ed from real and fake."""
    norms = gradient_norms(critic, mix(real, fake), create_graph=True)
    return weight * (norms - 1).square().mean(), norms.detach()


class WGANGP(GAN):
    """The WGAN-GP game: the course's Generator against a ``Critic``, ``n_critic`` critic updates
    (with the gradient penalty) then one generator update per batch.

    Its stats, per epoch: critic loss, G loss, mean c(x), mean c(G(z)), and then the Wasserstein
    estimate (mean c(x) - mean c(G(z))), the gradient penalty and the mean gradient norm at the mixed
    images; the critic's numbers are averages over its ``n_critic`` updates.
    """

    name = "wgan-gp"
    stat_names = ("d_loss", "g_loss", "d_real", "d_fake", "wasserstein", "gradient_penalty", "grad_norm")

    def build_generator(self, cfg: Config):
        return Generator(cfg.noise_dim)

    def build_discriminator(self, cfg: Config):
        return Critic()

    def step(self, real_img, labels):
        critic, n_critic = self.D, self.cfg.n_critic
        critic_stats = torch.zeros(5, device=self.device)
        for _ in range(n_critic):
            with torch.no_grad():  # the critic's move trains the critic only: no graph through G
                fake = self.G(torch.randn(real_img.size(0), self.cfg.noise_dim, device=self.device))
            c_real, c_fake = critic(real_img).mean(), critic(fake).mean()
            penalty, norms = gradient_penalty(critic, real_img, fake, self.cfg.gp_weight)
            critic_loss = c_fake - c_real + penalty
            self.D_opt.zero_grad()
            critic_loss.backward()
            self.D_opt.step()
            critic_stats += torch.stack([critic_loss, c_real, c_fake, penalty, norms.mean()]).detach()
        critic_loss, c_real, c_fake, penalty, norm = critic_stats / n_critic

        self.G_opt.zero_grad()
        g_loss = -critic(self.G(torch.randn(real_img.size(0), self.cfg.noise_dim, device=self.device))).mean()
        g_loss.backward()
        self.G_opt.step()
        return torch.stack([critic_loss, g_loss.detach(), c_real, c_fake, c_real - c_fake, penalty, norm])
