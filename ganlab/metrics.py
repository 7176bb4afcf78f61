"""Numbers for "how good are the samples?": a small classifier's view of generated images.

The GAN literature scores generators with an ImageNet network (Inception, for the FID). For
28x28 digits a small convnet trained on the same dataset does the job and fits in the
package: its 128 penultimate activations describe an image, and its class probabilities say
which digit (or garment) it sees.

* ``frechet_distance``: how far the generated images' features are from real ones, as two
  Gaussians (the FID's formula). Lower is better; two sets of real images read about 1.5 on MNIST, the floor.
* ``modes_covered`` / ``kl_from_uniform``: are all ten classes drawn, about equally often?
  A generator that only draws a few digits (mode collapse) covers few modes.
* ``mean_confidence``: how sure the classifier is; blurry, in-between shapes score low.

``evaluate(G)`` reports them all; ``reference()`` gives the same numbers for real images, so
a learner sees what "perfect" reads. For a conditional generator, ``label_agreement`` says how
often the classifier sees the class that was asked for, beside ``real_agreement``, the classifier's
own per-class accuracy on real test images: the ceiling. The classifier itself (architecture, training, the
committed weights) lives in ``ganlab.classifier``.
"""
from __future__ import annotations

import functools

import torch

from .classifier import check_dataset, classify, images_from_pixels, weights_version
from .config import Config
from .data import dataset_root, load_dataset
from .models import generate
from .sampling import seeded_noise


def _gaussian(feats) -> tuple[torch.Tensor, torch.Tensor]:
    feats = torch.as_tensor(feats).to(torch.float64)
    if feats.dim() != 2 or feats.size(0) < 2:
        raise ValueError(f"features must be an (N, d) tensor with N >= 2, got shape {tuple(feats.shape)}.")
    return feats.mean(0), torch.cov(feats.T).reshape(feats.size(1), feats.size(1))


def _sqrt_psd(matrix: torch.Tensor) -> torch.Tensor:
    """Square root of a symmetric positive semi-definite matrix, via its eigenvalues."""
    values, vectors = torch.linalg.eigh(matrix)
    return (vectors * values.clamp(min=0).sqrt()) @ vectors.T


def frechet_distance(feats_a, feats_b) -> float:
    """Frechet distance between Gaussians fitted to two (N, d) feature sets (the FID's formula).

    ||mu_a - mu_b||^2 + Tr(S_a + S_b - 2 (S_a S_b)^(1/2)), in float64. The trace of the
    square root is taken from the eigenvalues of sqrt(S_a) S_b sqrt(S_a), a symmetric matrix
    with the same eigenvalues as S_a S_b; tiny negatives from rounding are clamped to 0.
    """
    mu_a, cov_a = _gaussian(feats_a)
    mu_b, cov_b = _gaussian(feats_b)
    if mu_a.shape != mu_b.shape:
        raise ValueError(f"features differ in width: {mu_a.numel()} vs {mu_b.numel()}.")
    root_a = _sqrt_psd(cov_a)
    middle = root_a @ cov_b @ root_a
    trace_sqrt = torch.linalg.eigvalsh((middle + middle.T) / 2).clamp(min=0).sqrt().sum()
    distance = (mu_a - mu_b).square().sum() + cov_a.trace() + cov_b.trace() - 2 * trace_sqrt
    return max(distance.item(), 0.0)


def class_histogram(probs: torch.Tensor) -> torch.Tensor:
    """Fraction of images whose most likely class is each class: (N, K) probs -> (K,) sums to 1."""
    if probs.dim() != 2 or len(probs) == 0:
        raise ValueError(f"probs must be a non-empty (N, classes) tensor, got shape {tuple(probs.shape)}.")
    counts = torch.bincount(probs.argmax(1), minlength=probs.size(1))
    return counts.double() / len(probs)


def modes_covered(hist: torch.Tensor, threshold: float = 0.02) -> int:
    """How many classes get at least ``threshold`` of the images (10 of 10 for real digits)."""
    return int((torch.as_tensor(hist) >= threshold).sum())


def kl_from_uniform(hist: torch.Tensor) -> float:
    """KL(hist || uniform) in nats: 0 when every class is equally common, ln K for one class."""
    p = torch.as_tensor(hist, dtype=torch.float64)
    p = p[p > 0]  # 0 * log 0 counts as 0
    return float((p * (p * len(hist)).log()).sum())


def mean_confidence(probs: torch.Tensor) -> float:
    """The classifier's mean top probability: near 1 for clear images, low for ambiguous ones."""
    return float(probs.max(1).values.double().mean())


def score_features(feats: torch.Tensor, probs: torch.Tensor, real_feats: torch.Tensor) -> dict:
    """The metrics of images with these features and probs, against the real ones ``real_feats``."""
    hist = class_histogram(probs)
    return {"frechet": frechet_distance(feats, real_feats), "modes": modes_covered(hist),
            "kl_uniform": kl_from_uniform(hist), "confidence": mean_confidence(probs),
            "histogram": hist.tolist()}


@functools.lru_cache(maxsize=4)
def _test_features(dataset: str, root: str, weights: int) -> torch.Tensor:
    test_set = load_dataset(Config(dataset=dataset, data_dir=root), train=False, download=False)
    return classify(images_from_pixels(test_set.data), dataset)[0]


def real_features(dataset: str = "mnist", data_dir=None) -> torch.Tensor:
    """Classifier features (N, 128) of the real test set: the target every score compares to.

    Computed once per dataset folder and kept in memory.
    """
    check_dataset(dataset)
    root = dataset_root(Config(dataset=dataset, data_dir=data_dir), download=False)
    return _test_features(dataset, str(root), weights_version())


def _check_n(n: int) -> None:
    if isinstance(n, bool) or not isinstance(n, int) or n < 2:
        raise ValueError(f"n must be a whole number of images, at least 2 (a distance compares spreads), got {n!r}.")


def evaluate(G, dataset: str = "mnist", n: int = 10_000, batch_size: int = 500, seed: int = 0,
             real: torch.Tensor | None = None, data_dir=None) -> dict:
    """Score generator ``G`` on ``n`` images drawn from seeded noise; return a dict of metrics.

    Keys: ``frechet`` (to the real test set), ``modes`` (of 10), ``kl_uniform``,
    ``confidence`` and ``histogram`` (10 class fractions). ``real`` gives other reference
    features (e.g. ``classify(images)[0]``); by default the whole real test set's.
    ``generate`` hands the images over in [-1, 1], whatever range G draws in. Taught in notebook 07.
    """
    check_dataset(dataset)
    _check_n(n)
    real = real_features(dataset, data_dir) if real is None else real
    device = next(G.parameters()).device
    noise = seeded_noise(n, G.noise_dim, seed)
    images = (generate(G, z.to(device)).cpu() for z in noise.split(batch_size))
    return score_features(*classify(images, dataset), real)


#: How many images ``train`` scores after each epoch (its ``track`` argument).
TRACK_SAMPLES = 2000
#: Added to ``Config.seed`` for the tracker's fixed noise (its own stream).
TRACK_SEED_OFFSET = 54321


class QualityTracker:
    """Score a generator after every epoch, cheaply: ``n`` images from the same noise each time.

    Used by ``train`` (``track=2000``): 2,000 images cost about a second on a CPU, and fixed
    noise makes epoch-to-epoch changes the generator's, not the sample's. With fewer images
    the Frechet distance reads higher than ``evaluate``'s 10,000 (it is biased upwards by
    roughly 1/n), so compare tracked figures with each other, not with ``evaluate``'s.
    """

    def __init__(self, cfg: Config, n: int = TRACK_SAMPLES, batch_size: int = 500):
        _check_n(n)
        self.dataset, self.batch_size = cfg.dataset, batch_size
        self.real = real_features(cfg.dataset, cfg.data_dir)
        self.noise = seeded_noise(n, cfg.noise_dim, cfg.seed + TRACK_SEED_OFFSET)

    def __call__(self, G) -> dict:
        """The metrics of ``evaluate`` for this generator, on the tracker's fixed noise."""
        device = next(G.parameters()).device
        images = (generate(G, z.to(device)).cpu() for z in self.noise.split(self.batch_size))
        return score_features(*classify(images, self.dataset), self.real)


def reference(dataset: str = "mnist", n: int = 10_000, seed: int = 0, real: torch.Tensor | None = None,
              data_dir=None) -> dict:
    """``evaluate``'s metrics for ``n`` real training images (at most all of them): the ideal.

    The training set has no image in common with the test set, so the Frechet distance is
    not 0 but what two samples of the same distribution give: the floor to compare against.
    Taught in notebook 07.
    """
    check_dataset(dataset)
    _check_n(n)
    real = real_features(dataset, data_dir) if real is None else real
    train_set = load_dataset(Config(dataset=dataset, data_dir=data_dir), download=False)
    pick = torch.randperm(len(train_set.data), generator=torch.Generator().manual_seed(seed))[:n]
    return score_features(*classify(images_from_pixels(train_set.data[pick]), dataset), real)


def _agreement(asked: torch.Tensor, seen: torch.Tensor, n_classes: int = 10) -> dict:
    """Overall and per-class fraction of ``seen == asked``, and the (asked, seen) confusion counts."""
    confusion = torch.zeros(n_classes, n_classes, dtype=torch.long)
    confusion.index_put_((asked.long(), seen.long()), torch.ones_like(asked, dtype=torch.long), accumulate=True)
    per_class = (confusion.diag().double() / confusion.sum(1).clamp(min=1)).tolist()
    return {"agreement": float((asked == seen).double().mean()), "per_class": per_class,
            "confusion": confusion.tolist()}


def label_agreement(G, dataset: str = "mnist", n: int = 10_000, batch_size: int = 500, seed: int = 0) -> dict:
    """How often the classifier sees the class a conditional generator was asked for.

    ``n`` images from seeded noise, the classes asked for in turn (image i is class i % 10). Returns
    ``agreement`` (overall fraction), ``per_class`` (10 fractions) and ``confusion`` (10 x 10 counts,
    a row per class asked for, a column per class seen). Taught in notebooks/next/conditional_dcgan.
    """
    check_dataset(dataset)
    _check_n(n)
    device = next(G.parameters()).device
    noise = seeded_noise(n, G.noise_dim, seed)
    asked = torch.arange(n) % 10
    images = (generate(G, z.to(device), y.to(device)).cpu() for z, y in zip(noise.split(batch_size),
                                                                               asked.split(batch_size)))
    _, probs = classify(images, dataset)
    return _agreement(asked, probs.argmax(1))


def real_agreement(dataset: str = "mnist", data_dir=None) -> dict:
    """``label_agreement``'s numbers for the real test images and their true labels.

    The judge's accuracy on real images: a reference, not a bound. A conditional generator can score
    above it in a class, since it draws clear, typical images while the test set also holds awkward ones.
    """
    check_dataset(dataset)
    test_set = load_dataset(Config(dataset=dataset, data_dir=data_dir), train=False, download=False)
    _, probs = classify(images_from_pixels(test_set.data), dataset)
    return _agreement(torch.as_tensor(test_set.targets), probs.argmax(1))
