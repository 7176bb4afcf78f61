"""A GAN as a small object the training loop drives: a *game* between a generator and a critic.

``fit`` (``ganlab.train``) asks a game for four things, and nothing else:

* ``step(real_img, labels)``: one round of the game on a batch; returns a detached stats tensor
  on the device whose first four entries are (D loss, G loss, D's mean verdict on real images,
  on fakes). The loop adds them up and reads them once per epoch.
* ``progress_samples()``: the images, in [-1, 1], that the History keeps for this epoch.
* ``device``: where the batches go.
* ``parts()``: the named networks and optimizers a checkpoint holds (``load_parts`` restores them).

``GAN`` gives the common parts; a game adds its networks, optimizers and ``step``. The course's
DCGAN is the first one. Taught in notebook 07.
"""
from __future__ import annotations

import functools

import torch

from .config import Config
from .models import Discriminator, Generator, generate, weights_init
from .sampling import seeded_noise
from .train import make_optimizers, train_step

#: How many images of fixed noise the History keeps per epoch.
N_PROGRESS_SAMPLES = 64
#: Added to ``Config.seed`` for the fixed noise of the progress samples (its own stream).
PROGRESS_SEED_OFFSET = 12345


class GAN:
    """What every game shares: G, D, their optimizers, the fixed progress noise, checkpoint parts.

    ``G_ema`` is None unless an averaged generator is kept (``ganlab.hooks.AverageGenerator``);
    ``sampling_generator`` is the generator whose images are shown, scored and saved as the result.
    """

    name = "gan"

    def __init__(self, cfg: Config, G, D):
        self.cfg, self.device = cfg, cfg.torch_device
        self.G, self.D = G.to(self.device).train(), D.to(self.device).train()
        self.G_opt, self.D_opt = make_optimizers(cfg, self.G, self.D)
        self.G_ema = None
        self.progress_noise = seeded_noise(N_PROGRESS_SAMPLES, cfg.noise_dim, cfg.seed + PROGRESS_SEED_OFFSET,
                                           self.device)

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

    def load_parts(self, state: dict) -> None:
        """Load each part from a checkpoint's ``state``; an averaged generator missing there starts as G."""
        for name, part in self.parts().items():
            part.load_state_dict(state.get(name, state["G"]) if name == "G_ema" else state[name])


class DCGAN(GAN):
    """The course's game: its Generator and Discriminator, Adam, and ``train_step`` per batch.

    G and D are built seeded with ``weights_init`` when not given; either way G learns to draw
    in ``cfg.pixel_range``, the range of the real images. Taught in notebook 07.
    """

    name = "dcgan"

    def __init__(self, cfg: Config, G=None, D=None):
        torch.manual_seed(cfg.seed)
        init = functools.partial(weights_init, bn_gamma_mean=cfg.bn_gamma_mean)
        G = Generator(cfg.noise_dim).apply(init) if G is None else G
        D = Discriminator().apply(init) if D is None else D
        G.pixel_range = cfg.pixel_range
        super().__init__(cfg, G, D)

    def step(self, real_img, labels):
        return train_step(self.G, self.D, self.G_opt, self.D_opt, real_img, self.cfg.noise_dim,
                          self.cfg.label_smoothing)
