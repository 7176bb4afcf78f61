"""The judge's eyes: a small convnet per dataset that labels 28x28 images and describes them.

``ganlab.metrics`` scores generated images with it. Its weights ship in ganlab/classifiers/
(one file per dataset, with the test accuracy in accuracy.json); ``python -m ganlab classifier
--dataset mnist`` retrains one, deterministically from its seed.
"""
from __future__ import annotations

import functools
import io
import json
import math
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from .checkpoint import atomic_write
from .config import Config
from .data import load_dataset
from .sampling import to_signed

#: Where the committed classifier weights and their accuracy record live.
CLASSIFIER_DIR = Path(__file__).resolve().parent / "classifiers"
ACCURACY_FILE = CLASSIFIER_DIR / "accuracy.json"
#: Epochs ``train_classifier`` uses when none are given: measured to pass 99 % on MNIST (99.15 %)
#: and 91 % on Fashion-MNIST (91.69 %) at seed 0; see classifiers/accuracy.json.
DEFAULT_EPOCHS = {"mnist": 6, "fashion": 12}
N_CLASSES = 10
_weights_version = 0  # bumped by save_classifier, so cached features of old weights go stale


class Classifier(nn.Module):
    """A small convnet that labels (B, 1, 28, 28) images in [-1, 1] with one of 10 classes.

    ``features(x)`` returns the 128 activations before the last layer: the description of
    an image that the Frechet distance compares. ``forward(x)`` returns 10 raw logits.
    """

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # (B, 32, 14, 14)
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # (B, 64, 7, 7)
            nn.Flatten(),
            nn.Linear(64 * 7 * 7, 128), nn.ReLU(),  # (B, 128)
        )
        self.head = nn.Sequential(nn.Dropout(0.5), nn.Linear(128, N_CLASSES))

    def features(self, images: torch.Tensor) -> torch.Tensor:
        """The (B, 128) penultimate activations."""
        return self.body(images)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(images))  # (B, 10) logits


#: The datasets ganlab has a classifier for (and so a Frechet distance, modes and confidence).
CLASSIFIED = ("mnist", "fashion")


def check_dataset(dataset: str) -> None:
    """Refuse a dataset name ganlab has no classifier for, in one sentence."""
    if dataset == "folder":
        raise ValueError("ganlab has no classifier for a folder of your own images, so no Frechet distance or "
                         "modes; train(..., track_detector=True) scores each epoch with a detector's AUC instead.")
    if dataset not in CLASSIFIED:
        raise ValueError(f"dataset must be one of {', '.join(CLASSIFIED)}; got {dataset!r}.")


def images_from_pixels(pixels: torch.Tensor) -> torch.Tensor:
    """uint8 (N, 28, 28) -> float (N, 1, 28, 28) in [-1, 1], as ToTensor + Normalize do."""
    return to_signed(pixels.unsqueeze(1), (0, 255))


def random_shift(images: torch.Tensor, max_pixels: int, generator: torch.Generator) -> torch.Tensor:
    """Move each image of a (B, 1, H, W) batch by its own random offset of up to +-max_pixels.

    The border that moves in is background (-1). A light augmentation: a digit a little off
    centre is still the same digit, so the classifier learns not to care.
    """
    b, _, h, w = images.shape
    padded = F.pad(images, (max_pixels,) * 4, value=-1.0)
    dy, dx = torch.randint(0, 2 * max_pixels + 1, (2, b, 1), generator=generator)
    rows = (dy + torch.arange(h))[:, :, None]  # (B, H, 1)
    cols = (dx + torch.arange(w))[:, None, :]  # (B, 1, W)
    return padded[torch.arange(b)[:, None, None], 0, rows, cols].unsqueeze(1)


@torch.no_grad()
def accuracy(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, batch_size: int = 1000) -> float:
    """Fraction of ``images`` (N, 1, 28, 28) that ``model`` labels correctly, in eval mode."""
    model.eval()
    device = next(model.parameters()).device
    correct = sum((model(images[i:i + batch_size].to(device)).argmax(1).cpu() == labels[i:i + batch_size])
                  .sum().item() for i in range(0, len(images), batch_size))
    return correct / len(images)


def train_classifier(dataset: str = "mnist", epochs: int | None = None, seed: int = 0, data_dir=None,
                     device: str = "auto", batch_size: int = 128, lr: float = 1e-3, shift: int = 1,
                     progress: bool = True) -> tuple[Classifier, float]:
    """Train a ``Classifier`` on the full training set; return it (eval mode) and its test accuracy.

    Adam with a cosine-decaying learning rate, and random shifts of up to ``shift`` pixels. Every
    random draw comes from ``seed``, so on the CPU the same call gives the same weights.
    """
    check_dataset(dataset)
    epochs = DEFAULT_EPOCHS[dataset] if epochs is None else epochs
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs <= 0:
        raise ValueError(f"epochs must be a positive whole number, got {epochs!r}.")
    cfg = Config(dataset=dataset, data_dir=data_dir, device=device)
    train_set, test_set = load_dataset(cfg), load_dataset(cfg, train=False)
    images, labels = images_from_pixels(train_set.data), torch.as_tensor(train_set.targets)

    torch.manual_seed(seed)  # weights and dropout
    shuffle = torch.Generator().manual_seed(seed)  # order and shifts
    model = Classifier().to(cfg.torch_device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    steps = epochs * math.ceil(len(images) / batch_size)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps)
    for epoch in range(epochs):
        model.train()
        start, total = time.perf_counter(), torch.zeros((), device=cfg.torch_device)
        order = torch.randperm(len(images), generator=shuffle)
        for i in range(0, len(order), batch_size):
            index = order[i:i + batch_size]
            batch = random_shift(images[index], shift, shuffle).to(cfg.torch_device)
            loss = F.cross_entropy(model(batch), labels[index].to(cfg.torch_device))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            total += loss.detach() * len(index)  # summed on the device: no sync per step
        if progress:
            print(f"epoch {epoch + 1:>2}/{epochs}  loss {total.item() / len(images):.4f}  "
                  f"{time.perf_counter() - start:.1f} s")
    test_accuracy = accuracy(model, images_from_pixels(test_set.data), torch.as_tensor(test_set.targets))
    return model.cpu().eval(), test_accuracy


def classifier_path(dataset: str) -> Path:
    """The committed weights of ``dataset``'s classifier: ganlab/classifiers/<dataset>.pt."""
    return CLASSIFIER_DIR / f"{dataset}.pt"


def save_classifier(model: Classifier, dataset: str, record: dict) -> Path:
    """Write the weights to ``classifier_path(dataset)`` and ``record`` into accuracy.json."""
    global _weights_version
    check_dataset(dataset)
    buffer = io.BytesIO()  # serialised first, so a full disk reads as an OSError, not a torch error
    torch.save(model.state_dict(), buffer)
    path = atomic_write(classifier_path(dataset), lambda tmp: tmp.write_bytes(buffer.getvalue()))
    records = json.loads(ACCURACY_FILE.read_text()) if ACCURACY_FILE.is_file() else {}
    records[dataset] = record
    atomic_write(ACCURACY_FILE, lambda tmp: tmp.write_text(json.dumps(records, indent=1, sort_keys=True) + "\n"))
    load_classifier.cache_clear()
    _weights_version += 1
    return path


def weights_version() -> int:
    """How many times weights were saved in this process: caches of features key on it."""
    return _weights_version


@functools.cache
def load_classifier(dataset: str = "mnist") -> Classifier:
    """The committed classifier of ``dataset``, on the CPU in eval mode (loaded once, then cached)."""
    check_dataset(dataset)
    path = classifier_path(dataset)
    if not path.is_file():
        raise FileNotFoundError(f"No classifier weights at {path}; create them with: "
                                f"python -m ganlab classifier --dataset {dataset}")
    with torch.random.fork_rng(devices=[]):  # building it must not move training's random stream
        model = Classifier()
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    return model.eval()


@torch.no_grad()
def classify(batches, dataset: str = "mnist") -> tuple[torch.Tensor, torch.Tensor]:
    """Run ``dataset``'s classifier over image batches; return (features (N, 128), probs (N, 10)).

    ``batches`` is one (B, 1, 28, 28) tensor in [-1, 1] or an iterable of them; all on the CPU.
    """
    model = load_classifier(dataset)
    if isinstance(batches, torch.Tensor):
        batches = batches.split(500)
    feats, probs = [], []
    for images in batches:
        images = images.detach().float().cpu()
        if not torch.isfinite(images).all():
            raise ValueError("some images to score are NaN or infinite: the generator's weights are broken "
                             "(did training diverge?); score an earlier checkpoint.")
        f = model.features(images)
        feats.append(f)
        probs.append(model.head(f).softmax(1))  # eval mode: dropout is off
    return torch.cat(feats), torch.cat(probs)
