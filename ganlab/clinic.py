"""The GAN clinic: the classic bugs of a first GAN, each one switch away from the healthy recipe.

``Config(bug=NAME)`` trains the course's DCGAN with one bug in it (``BUGS`` says what each one is,
in one line of code); ``train`` runs it through the same loop, scores and dashboard as the healthy
run, so a learner can watch what the bug does and what ``ganlab.diagnose`` says about it. Two more
classics are about *looking* at samples, not training, and are shown in the notebook instead:
sampling in eval mode too early, and showing tanh's [-1, 1] without mapping it back to [0, 1].
Taught in notebooks/next/gan_clinic.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .config import BUG_VALUES, Config
from .game import DCGAN
from .losses import fake_loss, real_loss
from .models import Discriminator, Generator


@dataclass(frozen=True)
class Bug:
    """One classic bug: what it is, the line that has it, and the line that fixes it."""

    what: str
    buggy: str
    healthy: str


#: The bugs ``Config(bug=...)`` can switch on, by name.
BUGS = {
    "no_detach": Bug("the D move's fakes are not detached: D's backward runs on through G",
                     "D_pred_fake = D(fake_img)", "D_pred_fake = D(fake_img.detach())"),
    "double_sigmoid": Bug("D ends in a sigmoid, and BCEWithLogitsLoss applies another",
                          "nn.Linear(64, 1), nn.Sigmoid()", "nn.Linear(64, 1)"),
    "pixels_0_1": Bug("real pixels in [0, 1] (no Normalize) against G's tanh, whose range is [-1, 1]",
                      "T.Compose([T.ToTensor()])", "T.Compose([T.ToTensor(), T.Normalize((0.5,), (0.5,))])"),
    "saturating_loss": Bug("G minimises log(1 - D(G(z))), the minimax loss as written, not -log D(G(z))",
                           "G_loss = -fake_loss(D(G(noise)))", "G_loss = real_loss(D(G(noise)))"),
    "fake_label_for_G": Bug("G is trained with the *fake* label: it learns to be caught",
                            "G_loss = fake_loss(D(G(noise)))", "G_loss = real_loss(D(G(noise)))"),
    "lr_0.002": Bug("the course notes' learning rate, ten times the DCGAN paper's",
                    "Config(lr=0.002)", "Config(lr=2e-4)"),
    "strong_D": Bug("D learns ten times faster than G (its own lr x 10)",
                    "D_opt = Adam(D.parameters(), lr=10 * cfg.lr, ...)",
                    "D_opt = Adam(D.parameters(), lr=cfg.lr, ...)"),
    "no_batchnorm_G": Bug("the generator's blocks without BatchNorm",
                          "ConvTranspose2d -> ReLU", "ConvTranspose2d -> BatchNorm2d -> ReLU"),
    "noise_dim_2": Bug("two noise numbers instead of 64: too little randomness to draw every digit",
                       "Config(noise_dim=2)", "Config(noise_dim=64)"),
}


class WithSigmoid(nn.Module):
    """A discriminator whose logits are squashed by a sigmoid: the double-sigmoid bug."""

    def __init__(self, D: nn.Module):
        super().__init__()
        self.D = D

    def forward(self, images):
        return torch.sigmoid(self.D(images))


def generator_without_batchnorm(noise_dim: int) -> Generator:
    """The course's Generator with every BatchNorm2d replaced by an identity."""
    G = Generator(noise_dim)
    for block in (G.block_1, G.block_2, G.block_3):
        block[1] = nn.Identity()
    return G


def clinic_step(G, D, G_opt, D_opt, real_img, noise_dim: int, bug: str):
    """The course's ``train_step`` with ``bug`` in it (the steps it changes: no_detach, saturating_loss,
    fake_label_for_G; the other bugs are in the data, the networks or the optimizer)."""
    batch_size = real_img.size(0)
    noise = torch.randn(batch_size, noise_dim, device=real_img.device)
    fake_img = G(noise)
    D_opt.zero_grad()
    D_pred_fake = D(fake_img if bug == "no_detach" else fake_img.detach())
    D_pred_real = D(real_img)
    D_loss = (fake_loss(D_pred_fake) + real_loss(D_pred_real)) / 2
    D_loss.backward()
    D_opt.step()

    G_opt.zero_grad()
    noise = torch.randn(batch_size, noise_dim, device=real_img.device)
    D_pred = D(G(noise))
    if bug == "saturating_loss":
        G_loss = -fake_loss(D_pred)  # = log(1 - D(G(z))), minimised
    elif bug == "fake_label_for_G":
        G_loss = fake_loss(D_pred)
    else:
        G_loss = real_loss(D_pred)
    G_loss.backward()
    G_opt.step()
    return torch.stack([D_loss, G_loss, torch.sigmoid(D_pred_real).mean(), torch.sigmoid(D_pred_fake).mean()]).detach()


def clinic_config(bug: str, **changes) -> Config:
    """The healthy recipe with ``bug`` switched on: the Config changes some bugs are made of, too."""
    if bug not in BUGS:
        raise ValueError(f"unknown bug {bug!r}; the clinic has {', '.join(BUGS)}.")
    return Config(**{"bug": bug, **BUG_VALUES.get(bug, {}), **changes})


class ClinicDCGAN(DCGAN):
    """The course's DCGAN with ``cfg.bug`` in it; ``cfg.bug`` "" is the healthy game."""

    name = "dcgan"

    def build_generator(self, cfg: Config):
        return (generator_without_batchnorm if cfg.bug == "no_batchnorm_G" else Generator)(cfg.noise_dim)

    def build_discriminator(self, cfg: Config):
        return WithSigmoid(Discriminator()) if cfg.bug == "double_sigmoid" else Discriminator()

    def __init__(self, cfg: Config, G=None, D=None):
        super().__init__(cfg, G, D)
        if cfg.bug == "strong_D":
            for group in self.D_opt.param_groups:
                group["lr"] = 10 * cfg.lr

    def step(self, real_img, labels):
        return clinic_step(self.G, self.D, self.G_opt, self.D_opt, real_img, self.cfg.noise_dim, self.cfg.bug)


# The grey frame: where the course's generator paints its edges, and why.

def edge_means(images: torch.Tensor) -> dict:
    """Mean brightness in [0, 1] of the outermost rows and columns of (B, 1, H, W) images in [-1, 1],
    and of the whole one-pixel ring (its corners counted once)."""
    x = (images.detach().float().cpu() + 1) / 2
    ring = torch.cat([x[:, 0, 0, :], x[:, 0, -1, :], x[:, 0, 1:-1, 0], x[:, 0, 1:-1, -1]], dim=1)
    return {"top": float(x[:, 0, 0, :].mean()), "bottom": float(x[:, 0, -1, :].mean()),
            "left": float(x[:, 0, :, 0].mean()), "right": float(x[:, 0, :, -1].mean()), "ring": float(ring.mean())}


def window_counts(kernel_size: int, stride: int, windows: int, size: int | None = None) -> torch.Tensor:
    """How many of a layer's ``windows`` x ``windows`` kernel placements touch each pixel: (size, size).

    For a transposed convolution that is how many kernel taps write each output pixel; for a
    convolution, how many of its windows read each input pixel (0: the layer never sees it).
    """
    ones = torch.ones(1, 1, windows, windows)
    counts = torch.nn.functional.conv_transpose2d(ones, torch.ones(1, 1, kernel_size, kernel_size), stride=stride)
    size = size or counts.size(-1)
    return torch.nn.functional.pad(counts, (0, size - counts.size(-1), 0, size - counts.size(-1)))[0, 0]


class RingBlackedOut(nn.Module):
    """A generator whose images get their outermost ring of pixels set to black (-1): a sampling-time fix."""

    def __init__(self, G: nn.Module):
        super().__init__()
        self.G, self.noise_dim = G, G.noise_dim
        self.pixel_range = getattr(G, "pixel_range", (-1.0, 1.0))

    def forward(self, noise):
        images = self.G(noise).clone()
        low = self.pixel_range[0]
        images[..., 0, :], images[..., -1, :], images[..., :, 0], images[..., :, -1] = low, low, low, low
        return images


def discriminator_that_sees_every_pixel() -> Discriminator:
    """The course's Discriminator with 4x4 kernels in its first convolution instead of 3x3.

    The course's 3x3 windows, 2 pixels apart, end at row 26: rows 0-26 feed the 13x13 output, and
    the last row and column are read by no window (``window_counts``). 4x4 windows, 2 apart, give the
    same 13x13 and end at row 27, so every later block and shape stays as it is.
    """
    D = Discriminator()
    D.block_1[0] = nn.Conv2d(1, 16, (4, 4), 2)
    return D
