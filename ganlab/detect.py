"""Spot the fake: a discriminator as a detector, a fresh detector trained after the fact, and where they look.

* ``roc_auc``: how well a score separates real images from fakes: the probability that a random real
  image scores higher than a random fake (1: always, 0.5: a coin). It is the area under the ROC
  curve (``roc_curve``): the true-positive rate against the false-positive rate as the threshold moves.
* The GAN's own D is a detector; at equilibrium it is close to a coin (AUC near 0.5): G has learned
  to fool *that* D. With BatchNorm in D, how it is asked matters: ``scores`` (eval mode, running
  statistics) and ``scores_as_in_training`` (batches of one kind, their own statistics) can disagree.
  A **fresh detector** (``detector_auc``), trained after the fact on real against
  fake images and judged on images it did not train on, asks whether the fakes are detectable at all:
  the classifier two-sample test of Lopez-Paz & Oquab (2017). Its held-out AUC is a quality measure
  for any folder of images, with no pretrained network: 0.5 means it cannot tell them apart.
* ``saliency``: where a detector looks, as the size of its score's gradient at each pixel.

``DetectorScores`` tracks D's two AUCs and the fresh detector's after every epoch (``train(..., track_detector=True)``).
Taught in notebooks/next/spot_the_fake.
"""
from __future__ import annotations

from copy import deepcopy

import torch
from torch import nn

from .config import quick_mode
from .data import load_dataset
from .models import generate
from .sampling import seeded_noise, to_signed
from .train import Hook

#: Held-out real images, and as many fresh fakes, that ``DetectorScores`` judges per epoch.
DETECTOR_IMAGES = 1000
#: Training steps (batch 64) of each fresh detector: enough to separate early fakes, quick on a CPU.
DETECTOR_STEPS = 200
#: The fresh detector's steps per epoch in quick mode (``GANLAB_QUICK=1``): the scores mean little there anyway.
QUICK_DETECTOR_STEPS = 40
#: Added to ``Config.seed`` for the fixed noise of the fakes ``DetectorScores`` judges (its own stream).
DETECTOR_SEED_OFFSET = 24680


def roc_auc(real_scores, fake_scores) -> float:
    """P(a real image scores higher than a fake), ties counting half: the area under the ROC curve.

    Computed from ranks (the Mann-Whitney U statistic): sort all scores, add up the real ones' ranks.
    """
    real, fake = torch.as_tensor(real_scores, dtype=torch.float64), torch.as_tensor(fake_scores, dtype=torch.float64)
    if real.numel() == 0 or fake.numel() == 0:
        raise ValueError("roc_auc needs at least one real and one fake score.")
    both = torch.cat([real, fake])
    order = torch.argsort(both, stable=True)
    ranks = torch.empty_like(both)
    ranks[order] = torch.arange(1, len(both) + 1, dtype=torch.float64)
    for value in both.unique():  # ties share the mean of their ranks
        tied = both == value
        ranks[tied] = ranks[tied].mean()
    u = ranks[:len(real)].sum() - len(real) * (len(real) + 1) / 2  # pairs where the real one is higher
    return float(u / (len(real) * len(fake)))


def roc_curve(real_scores, fake_scores) -> tuple[torch.Tensor, torch.Tensor]:
    """(false-positive rate, true-positive rate) at every threshold, "real" the positive class: from (0, 0)
    (threshold above every score) to (1, 1) (below every score)."""
    real, fake = torch.as_tensor(real_scores, dtype=torch.float64), torch.as_tensor(fake_scores, dtype=torch.float64)
    every_score = torch.cat([real, fake]).unique().flip(0)  # high to low
    thresholds = torch.cat([torch.tensor([float("inf")], dtype=torch.float64), every_score])
    tpr = torch.stack([(real >= t).double().mean() for t in thresholds])
    fpr = torch.stack([(fake >= t).double().mean() for t in thresholds])
    return fpr, tpr


@torch.no_grad()
def scores(model: nn.Module, images: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
    """The model's score (its logit: high means "real") of each image, in eval mode: (N,)."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    out = torch.cat([model(x.to(device)).flatten().cpu() for x in images.split(batch_size)])
    model.train(was_training)
    return out


@torch.no_grad()
def scores_as_in_training(model: nn.Module, images: torch.Tensor, batch_size: int = 128) -> torch.Tensor:
    """The scores a discriminator gives ``images`` the way it sees them in training: in train mode, in
    batches of one kind (all real or all fake), so its BatchNorm layers use each batch's own statistics.

    In eval mode BatchNorm uses running averages taken over real *and* fake batches alike, which neither
    kind of batch ever had: a D can separate the two in training and not in eval mode, or the other way
    round. A copy is scored, so the model's running statistics stay as they were.
    """
    copy = deepcopy(model).train()
    device = next(copy.parameters()).device
    return torch.cat([copy(x.to(device)).flatten().cpu() for x in images.split(batch_size)])


class Detector(nn.Module):
    """A small real-or-fake convnet for images of any size and channel count: (B, C, H, W) -> (B, 1) logits."""

    def __init__(self, channels: int = 1):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(channels, 16, 3, 2, 1), nn.LeakyReLU(0.2),  # (B, 16, H/2, W/2)
            nn.Conv2d(16, 32, 3, 2, 1), nn.LeakyReLU(0.2),  # (B, 32, H/4, W/4)
            nn.Conv2d(32, 64, 3, 2, 1), nn.LeakyReLU(0.2),  # (B, 64, H/8, W/8)
            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 1),  # (B, 1)
        )

    def forward(self, images):
        return self.net(images)


def train_detector(real: torch.Tensor, fake: torch.Tensor, steps: int = DETECTOR_STEPS, batch_size: int = 64,
                   lr: float = 1e-3, seed: int = 0) -> Detector:
    """Train a fresh ``Detector`` to tell ``real`` (label 1) from ``fake`` (label 0) images, in [-1, 1].

    Every random draw comes from ``seed``, inside a forked random stream: training a detector never
    moves the stream a GAN trains from.
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        detector = Detector(real.size(1))
        optimizer = torch.optim.Adam(detector.parameters(), lr=lr)
        images = torch.cat([real, fake]).detach().float().cpu()
        labels = torch.cat([torch.ones(len(real)), torch.zeros(len(fake))])
        loss_fn = nn.BCEWithLogitsLoss()
        for _ in range(steps):
            pick = torch.randint(0, len(images), (batch_size,))
            loss = loss_fn(detector(images[pick]).flatten(), labels[pick])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return detector.eval()


def detector_auc(real: torch.Tensor, fake: torch.Tensor, steps: int = DETECTOR_STEPS, seed: int = 0) -> dict:
    """The classifier two-sample test: train a fresh detector on the first half of each set, then its
    AUC on the second halves, which it never saw. Returns ``auc`` (held out), ``train_auc`` and ``detector``."""
    n_real, n_fake = len(real) // 2, len(fake) // 2
    if min(n_real, n_fake) < 2:
        raise ValueError(f"detector_auc needs at least 4 real and 4 fake images, got {len(real)} and {len(fake)}.")
    detector = train_detector(real[:n_real], fake[:n_fake], steps, seed=seed)
    held_out = roc_auc(scores(detector, real[n_real:]), scores(detector, fake[n_fake:]))
    seen = roc_auc(scores(detector, real[:n_real]), scores(detector, fake[:n_fake]))
    return {"auc": held_out, "train_auc": seen, "detector": detector}


def saliency(model: nn.Module, images: torch.Tensor) -> torch.Tensor:
    """|d score / d pixel|, the channels added up: (B, H, W). Bright where a small change moves the score most."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    x = images.detach().to(device).requires_grad_(True)
    grad, = torch.autograd.grad(model(x).sum(), x)
    model.train(was_training)
    return grad.abs().sum(1).cpu()


class DetectorScores(Hook):
    """Before each epoch is recorded: D's AUC and a fresh detector's held-out AUC, on ``real`` held-out
    images against as many fresh fakes of the sampling generator (fixed noise). Recorded as the
    History's extras ``d_auc`` (D in eval mode, as a detector scoring any mix of images), ``d_auc_training``
    (D as it sees batches in training: ``scores_as_in_training``) and ``detector_auc``."""

    def __init__(self, real: torch.Tensor, noise: torch.Tensor, steps: int = DETECTOR_STEPS):
        self.real, self.noise, self.steps = real, noise, steps

    def before_record(self, game) -> dict:
        device = game.device
        fake = torch.cat([generate(game.sampling_generator, z.to(device)).cpu() for z in self.noise.split(500)])
        return {"d_auc": roc_auc(scores(game.D, self.real), scores(game.D, fake)),
                "d_auc_training": roc_auc(scores_as_in_training(game.D, self.real),
                                          scores_as_in_training(game.D, fake)),
                "detector_auc": detector_auc(self.real, fake, self.steps)["auc"]}


def held_out_images(cfg, n: int = DETECTOR_IMAGES) -> torch.Tensor:
    """Up to ``n`` real images training never sees, in [-1, 1]: the test set's (or a folder's held-out tenth)."""
    test = load_dataset(cfg, train=False, download=False)
    pixels = torch.as_tensor(test.data)
    pixels = pixels.unsqueeze(1) if pixels.dim() == 3 else pixels
    pick = torch.randperm(len(pixels), generator=torch.Generator().manual_seed(cfg.seed))[:n]
    return to_signed(pixels[pick], (0, 255))


def detector_hook(cfg, n: int = DETECTOR_IMAGES) -> DetectorScores:
    """The ``DetectorScores`` of ``train(..., track_detector=True)``: ``n`` held-out real images, and the
    fixed noise of as many fakes (its own seeded stream)."""
    if cfg.model == "cdcgan":
        raise ValueError("track_detector judges D's scores of images alone; a conditional D also needs their "
                         "labels: train without track_detector.")
    steps = QUICK_DETECTOR_STEPS if quick_mode() else DETECTOR_STEPS  # quick mode (CI) checks the path, fast
    return DetectorScores(held_out_images(cfg, n), seeded_noise(n, cfg.noise_dim, cfg.seed + DETECTOR_SEED_OFFSET),
                          steps)
