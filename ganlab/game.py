"""A GAN as a small object the training loop drives: a *game* between a generator and a critic.

``fit`` (``from ganlab.train import fit``) asks a game for three things:

* ``step(real_img, labels)``: one round of the game on a batch; returns a detached stats tensor
  on the device whose first four entries are (D loss, G loss, D's mean verdict on real images,
  on fakes). The verdicts are probabilities for the DCGAN, raw critic scores for a WGAN. The loop
  adds the stats up and reads them once per epoch.
* ``progress_samples()``: the images, in [-1, 1], that the History keeps for this epoch.
* ``device``: where the batches go.

The hooks (``ganlab.hooks``) ask for more: ``parts()``, the named networks and optimizers a
checkpoint holds (``load_parts`` restores them), ``name``, ``G``, ``G_ema`` and
``sampling_generator``. ``GAN`` gives all of these; a game adds its networks, optimizers and
``step``. The course's DCGAN is the first one. Taught in notebook 07.
"""
from __future__ import annotations

import functools

import torch

from .checkpoint import load_part
from .config import Config
from .losses import fake_loss, real_loss
from .models import Discriminator, Generator, generate, weights_init
from .sampling import seeded_noise
from .speed import foreach_adam, keep_freed_memory, match_threads_to_cores, speed_up
from .train import make_optimizers, train_step

#: How many images of fixed noise the History keeps per epoch.
N_PROGRESS_SAMPLES = 64
#: Added to ``Config.seed`` for the fixed noise of the progress samples (its own stream).
PROGRESS_SEED_OFFSET = 12345


class GAN:
    """What every game shares: G, D, their optimizers, the fixed progress noise, checkpoint parts.

    G and D are built (seeded from ``cfg.seed``, then ``weights_init``) by ``build_generator`` and
    ``build_discriminator`` when not given. ``G_ema`` is None unless an averaged generator is kept
    (``ganlab.hooks.AverageGenerator``);
    ``sampling_generator`` is the generator whose images are shown, scored and saved as the result.
    On a CPU with ``cfg.speedups``, G and D (yours too, when you pass them) get ``ganlab.speed``'s
    layout and kernels: the same parameters and arithmetic, faster.
    """

    name = "gan"
    #: What ``step`` returns, in order; the first four go to the History's own lists, the rest to its extras.
    stat_names = ("d_loss", "g_loss", "d_real", "d_fake")

    def __init__(self, cfg: Config, G=None, D=None):
        torch.manual_seed(cfg.seed)  # the networks, then the run's noise, come from the config's seed
        init = functools.partial(weights_init, bn_gamma_mean=cfg.bn_gamma_mean)
        G = self.build_generator(cfg).apply(init) if G is None else G
        D = self.build_discriminator(cfg).apply(init) if D is None else D
        self.cfg, self.device = cfg, cfg.torch_device
        G.pixel_range = cfg.pixel_range  # G learns to draw in the range of the real images
        self.G, self.D = G.to(self.device).train(), D.to(self.device).train()
        self.G_opt, self.D_opt = make_optimizers(cfg, self.G, self.D)
        if cfg.speedups and self.device.type == "cpu":  # the same arithmetic, faster (ganlab.speed)
            match_threads_to_cores()
            keep_freed_memory()
            for net in (self.G, self.D):
                speed_up(net)
            for optimizer in (self.G_opt, self.D_opt):
                foreach_adam(optimizer)
        self.G_ema = None
        self.progress_noise = seeded_noise(N_PROGRESS_SAMPLES, cfg.noise_dim, cfg.seed + PROGRESS_SEED_OFFSET,
                                           self.device)

    def build_generator(self, cfg: Config):
        """This game's generator, untrained (``weights_init`` is applied after)."""
        raise NotImplementedError(f"{type(self).__name__} must define build_generator(cfg), or be given G.")

    def build_discriminator(self, cfg: Config):
        """This game's discriminator (or critic), untrained."""
        raise NotImplementedError(f"{type(self).__name__} must define build_discriminator(cfg), or be given D.")

    @property
    def sampling_generator(self):
        """The averaged generator when one is kept, else G."""
        return self.G_ema if self.G_ema is not None else self.G

    def step(self, real_img: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError(f"{type(self).__name__} must define step(real_img, labels).")

    def progress_samples(self) -> torch.Tensor:
        """The sampling generator's images of the fixed progress noise, in [-1, 1]."""
        return generate(self.sampling_generator, self.progress_noise)

    def parts(self) -> dict:
        """The networks and optimizers a checkpoint holds, by name."""
        parts = {"G": self.G, "D": self.D, "G_opt": self.G_opt, "D_opt": self.D_opt}
        if self.G_ema is not None:
            parts["G_ema"] = self.G_ema
        return parts

    def load_parts(self, state: dict, path="the checkpoint") -> None:
        """Load each part from a checkpoint's ``state`` (read from ``path``), with one line if one is
        missing or does not fit; an averaged generator missing there starts as G."""
        missing = [name for name in self.parts() if name != "G_ema" and name not in state]
        if missing:
            raise ValueError(f"{path} has no {', '.join(missing)}: it can be sampled and evaluated, not resumed.")
        for name, part in self.parts().items():
            load_part(part, state.get(name, state["G"]) if name == "G_ema" else state[name], path, name)


class DCGAN(GAN):
    """The course's game: its Generator and Discriminator, Adam, and ``train_step`` per batch.

    G and D are built seeded with ``weights_init`` when not given; either way G learns to draw
    in ``cfg.pixel_range``, the range of the real images. Taught in notebook 07.
    """

    name = "dcgan"

    def build_generator(self, cfg: Config):
        return Generator(cfg.noise_dim)

    def build_discriminator(self, cfg: Config):
        return Discriminator()

    def step(self, real_img, labels):
        step = train_step_reusing_fakes if self.cfg.reuse_fakes else train_step
        return step(self.G, self.D, self.G_opt, self.D_opt, real_img, self.cfg.noise_dim, self.cfg.label_smoothing)


def train_step_reusing_fakes(G, D, G_opt, D_opt, real_img, noise_dim: int, smoothing: float = 0.0):
    """PyTorch's DCGAN tutorial's step: the G move judges the very fakes the D move made.

    One generator forward pass fewer per step than the course's ``train_step`` (about a quarter of
    the arithmetic), at a price: G learns from fakes D has just been trained to reject, not fresh
    ones. ``Config(reuse_fakes=True)`` picks it; the README's speed section gives what it measured.
    """
    noise = torch.randn(real_img.size(0), noise_dim, device=real_img.device)
    fake_img = G(noise)
    D_opt.zero_grad()
    D_pred_fake = D(fake_img.detach())
    D_pred_real = D(real_img)
    D_loss = (fake_loss(D_pred_fake) + real_loss(D_pred_real, smoothing)) / 2
    D_loss.backward()
    D_opt.step()

    G_opt.zero_grad()
    G_loss = real_loss(D(fake_img))  # the same fakes, judged by the updated D
    G_loss.backward()
    G_opt.step()
    return torch.stack([D_loss, G_loss,
                        torch.sigmoid(D_pred_real).mean(), torch.sigmoid(D_pred_fake).mean()]).detach()
