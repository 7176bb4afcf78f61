"""Datasets, where they live, their transforms, and the batches training reads.

Two ways to feed the training loop, with the same interface (iterate for (images, labels)
batches, ``len()`` batches per epoch), both giving pixels in [-1, 1], or in ToTensor's [0, 1]
with ``Config(normalize=False)``:

* ``make_loader(cfg)``: the course's ``DataLoader`` over torchvision's dataset, PIL transforms
  on one CPU thread per image. Clear, and what notebook 03 teaches.
* ``DeviceBatches``: the whole training set as one uint8 tensor on the training device,
  shuffled, scaled and (optionally) rotated there, a batch at a time. The same images in the
  same value range, many times faster; the trainer's default (``Config.batches_on_device``).

Taught in notebooks 02 and 03.
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import math
import os
import stat
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets
from torchvision import transforms as T

from .config import QUICK_FOLDER_IMAGES, Config, announce_quick_mode, quick_mode
from .folder import EMOJI_NAME, EMOJI_SAMPLE, load_folder
from .idx import RAW_FILES, BadDataFileError, check_pairs, copy_checked, idx_problem, unpack_gz

DATASET_CLASSES = {"mnist": datasets.MNIST, "fashion": datasets.FashionMNIST}
#: The ten class names of each dataset, by label. Taught in notebook 08.
CLASS_NAMES = {
    "mnist": [str(digit) for digit in range(10)],
    "fashion": ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"],
}
#: The small committed sample (1,000 training and 200 test images per dataset).
SAMPLE_DIR = Path(__file__).resolve().parent / "sample_data"
_CHECKOUT = Path(__file__).resolve().parent.parent
#: Used when no folder is named: data/ of the repository checkout, or of the working
#: directory for an installed ganlab (on Colab: /content/data).
REPO_DATA_DIR = _CHECKOUT / "data" if (_CHECKOUT / "pyproject.toml").is_file() else Path.cwd() / "data"


class DatasetNotFoundError(FileNotFoundError):
    """The dataset's files are not in the data folder and could not be downloaded."""


def resolve_data_dir(data_dir: str | os.PathLike | None = None) -> Path:
    """Pick the data folder: the argument, else ``$GANLAB_DATA_DIR``, else ``data/``."""
    if data_dir:
        return Path(data_dir).expanduser()
    if os.environ.get("GANLAB_DATA_DIR"):
        return Path(os.environ["GANLAB_DATA_DIR"]).expanduser()
    return REPO_DATA_DIR


def emoji_folder(data_dir=None) -> Path:
    """The emoji folder the notebooks train on: ``emoji-google-64`` in the data folder (``data_dir``,
    else ``$GANLAB_DATA_DIR``, else ``data/``) when it is there; else, saying so in one line, the
    95-picture sample inside ganlab, so the notebooks run on a fresh clone and on Colab."""
    full = resolve_data_dir(data_dir) / EMOJI_NAME
    if full.is_dir():
        return full
    print(f"No {EMOJI_NAME} folder in {full.parent}: using ganlab's sample of 95 emoji instead "
          "(data/README.md says where the 3,786 come from).")
    return EMOJI_SAMPLE


def _raw_dir(root: Path, dataset: str) -> Path:
    return root / DATASET_CLASSES[dataset].__name__ / "raw"


def _unpack_root(root: Path, dataset: str) -> Path:
    """Where .gz files under ``root`` are unpacked: beside them if writable, else a cache.

    "Writable" reads the folder's mode bits too, so a folder marked read-only is respected
    even by root, who could write there anyway.
    """
    raw = _raw_dir(root, dataset)
    if os.access(raw, os.W_OK) and raw.stat().st_mode & stat.S_IWUSR:
        return root
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "ganlab"
    return cache / hashlib.sha1(str(root.resolve()).encode()).hexdigest()[:12]


def prepare_raw_files(root: Path, dataset: str) -> Path | None:
    """Return a folder torchvision can read ``dataset`` from, unpacking ``.gz`` files if needed.

    torchvision's ``MNIST(download=False)`` wants all four files unpacked in
    ``<root>/MNIST/raw/``. Each file is checked first (``ganlab.idx``: header, size, 28x28);
    where only a ``.gz`` copy is there, or the unpacked one is broken, it is unpacked atomically,
    beside it or, for a read-only folder, into ``~/.cache/ganlab``. Returns None when the files are
    not there at all; raises BadDataFileError, naming the file, when one is there but unusable.
    """
    root = Path(root)
    raw = _raw_dir(root, dataset)
    if not all((raw / name).is_file() or (raw / f"{name}.gz").is_file() for name in RAW_FILES):
        return None
    if all(idx_problem(raw / name, name) is None for name in RAW_FILES):
        check_pairs(raw)
        return root
    target_root = _unpack_root(root, dataset)
    target = _raw_dir(target_root, dataset)
    target.mkdir(parents=True, exist_ok=True)
    for name in RAW_FILES:
        source, gz = raw / name, raw / f"{name}.gz"
        if idx_problem(target / name, name) is None:
            continue
        if source != target / name and idx_problem(source, name) is None:
            copy_checked(source, target / name)
        elif gz.is_file():
            unpack_gz(gz, target / name, name)
        else:
            raise BadDataFileError(f"{source} {idx_problem(source, name)}: put a good copy (or its .gz) there.")
    check_pairs(target)
    return target_root


def _missing_data_message(root: Path, dataset: str) -> str:
    raw = _raw_dir(root, dataset)
    return (f"{DATASET_CLASSES[dataset].__name__} is not in {raw} and could not be downloaded: "
            f"put {', '.join(RAW_FILES)} there (.gz or unpacked), or set GANLAB_DATA_DIR to a "
            f"folder that holds {DATASET_CLASSES[dataset].__name__}/raw/.")


def _download(root: Path, dataset: str) -> bool:
    """Try torchvision's download quietly; True if it worked."""
    chatter = io.StringIO()
    try:
        with contextlib.redirect_stdout(chatter), contextlib.redirect_stderr(chatter):
            DATASET_CLASSES[dataset](str(root), train=True, download=True)
    except Exception:  # no network, a mirror down, a read-only folder: all mean "not here"
        return False
    print(f"Downloaded {DATASET_CLASSES[dataset].__name__} to {root}.")
    return True


def make_transform(rotation: float = 0.0, normalize: bool = True) -> T.Compose:
    """Build the course's transform: optional RandomRotation, ToTensor, Normalize to [-1, 1].

    ``ToTensor`` turns a PIL image (h, w) of bytes 0..255 into a float tensor (c, h, w) in
    [0, 1]; ``Normalize((0.5,), (0.5,))`` computes (x - 0.5) / 0.5, so pixels land in [-1, 1],
    the range of the generator's tanh output. ``normalize=False`` leaves them in [0, 1], as
    the course notes do. Taught in notebook 02.
    """
    steps = [T.RandomRotation((-rotation, rotation))] if rotation > 0 else []
    steps += [T.ToTensor()] + ([T.Normalize((0.5,), (0.5,))] if normalize else [])
    return T.Compose(steps)


def data_source(cfg: Config) -> Path:
    """The folder ``cfg.dataset`` is looked for in: the committed sample in quick mode, else the data folder."""
    return SAMPLE_DIR if quick_mode() else resolve_data_dir(cfg.data_dir)


def data_origin(cfg: Config, read_from) -> str:
    """Where ``cfg.dataset``'s images were read (``read_from``, torchvision's raw folder), and whether
    ganlab unpacked them from ``.gz`` files, there or, for a read-only folder, into a cache."""
    source, read_from = _raw_dir(data_source(cfg), cfg.dataset), Path(read_from)
    if read_from.resolve() != source.resolve():
        return f"unpacked once from the .gz files in {source} into {read_from} (that folder is read-only)"
    if any(source.glob("*.gz")):
        return f"from {source} (unpacked there from its .gz files, once)"
    return f"from {source}"


def dataset_root(cfg: Config | None = None, *, download: bool = True) -> Path:
    """Return the folder to hand torchvision for ``cfg.dataset``, ready to read.

    Looks in the data folder (``cfg.data_dir``, else ``$GANLAB_DATA_DIR``, else ``data/``),
    unpacks ``.gz`` files, else tries torchvision's download. With ``GANLAB_QUICK=1`` it is the
    small committed sample, and a line says so. Raises DatasetNotFoundError, in one line naming
    the folder, the files and the variable, when the files are neither there nor downloadable.
    Taught in notebook 02.
    """
    cfg = cfg or Config()
    if quick_mode():
        announce_quick_mode()
    root = data_source(cfg)
    ready = prepare_raw_files(root, cfg.dataset)
    if ready is None and download and not quick_mode() and _download(root, cfg.dataset):
        ready = root
    if ready is None:
        raise DatasetNotFoundError(_missing_data_message(root, cfg.dataset))
    return ready


def load_dataset(cfg: Config | None = None, *, train: bool = True, transform=None,
                 download: bool = True) -> datasets.MNIST:
    """Load ``cfg.dataset`` with torchvision and the course's transform (see ``dataset_root``).

    ``Config(dataset="folder", data_dir=PATH)`` reads your own images instead (``ganlab.folder``):
    64x64 RGB, ``train=False`` the held-out tenth. Taught in notebook 02.
    """
    cfg = cfg or Config()
    if cfg.dataset == "folder":  # your own images: 64x64 RGB, a tenth held out as the "test" split
        images = load_folder(cfg.data_dir, "train" if train else "test", cfg.background,
                             min_images=cfg.batch_size if train else 1, quiet=not train)
        if quick_mode():
            announce_quick_mode()
            del images[QUICK_FOLDER_IMAGES:]
        return images
    root = dataset_root(cfg, download=download)
    if transform is None:
        transform = make_transform(cfg.rotation, cfg.normalize)
    return DATASET_CLASSES[cfg.dataset](str(root), train=train, download=False, transform=transform)


def load_sample_dataset(dataset: str = "mnist", *, train: bool = True, transform=None):
    """Load the small committed sample of ``dataset`` (works with no data and no internet)."""
    cls = DATASET_CLASSES[dataset]
    root = prepare_raw_files(SAMPLE_DIR, dataset)
    return cls(str(root), train=train, download=False, transform=transform or make_transform())


def make_loader(cfg: Config, dataset=None) -> DataLoader:
    """Return the course's DataLoader: ``batch_size`` images a batch, reshuffled every epoch.

    Taught in notebook 03.
    """
    dataset = dataset if dataset is not None else load_dataset(cfg)
    return DataLoader(dataset, batch_size=cfg.batch_size, shuffle=True)


def rotate_batch(images: torch.Tensor, max_degrees: float) -> torch.Tensor:
    """Rotate each image of a (B, C, H, W) batch by its own angle, uniform in +-max_degrees.

    One ``affine_grid`` + ``grid_sample`` call for the whole batch, on whatever device the
    batch is on. Call it on images in [0, 1]: the area rotated in from outside is filled with
    0, black, as PIL's RandomRotation does.
    """
    angles = (torch.rand(images.size(0), device=images.device) * 2 - 1) * math.radians(max_degrees)
    cos, sin, zero = angles.cos(), angles.sin(), torch.zeros_like(angles)
    theta = torch.stack([torch.stack([cos, -sin, zero], 1), torch.stack([sin, cos, zero], 1)], 1)
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    return F.grid_sample(images, grid, mode="nearest", padding_mode="zeros", align_corners=False)


class DeviceBatches:
    """Serve shuffled training batches from a copy of the dataset kept on ``device``.

    The images stay uint8 on the device (MNIST: 47 MB); each epoch draws a fresh permutation,
    and each batch is sliced, scaled exactly as ToTensor + Normalize would (or ToTensor alone
    with ``normalize=False``), and optionally
    rotated, without touching PIL or the CPU. Iterating gives (images, labels) like the
    DataLoader, last partial batch included, so both feed the same ``train_step``.

    It reads the torchvision dataset's raw ``data`` and ``targets`` tensors, so the dataset's
    own ``transform`` is not used (the scaling above replaces it) and a ``Subset`` will not do:
    slice ``data``/``targets`` instead. Taught in notebook 03.
    """

    def __init__(self, dataset, batch_size: int, device: str | torch.device = "cpu",
                 rotation: float = 0.0, shuffle: bool = True, normalize: bool = True):
        images = torch.as_tensor(dataset.data)
        self.images = (images.unsqueeze(1) if images.dim() == 3 else images).to(device)  # (N, C, H, W) uint8
        self.labels = torch.as_tensor(dataset.targets).to(device)
        self.batch_size = batch_size
        self.rotation = rotation
        self.shuffle = shuffle
        self.normalize = normalize

    @classmethod
    def from_config(cls, cfg: Config, dataset=None) -> DeviceBatches:
        """Build the batches ``cfg`` asks for (its dataset, batch size, device, rotation, range)."""
        dataset = dataset if dataset is not None else load_dataset(cfg)
        return cls(dataset, cfg.batch_size, cfg.torch_device, cfg.rotation, normalize=cfg.normalize)

    def __len__(self) -> int:
        return math.ceil(len(self.images) / self.batch_size)

    def __iter__(self):
        n = len(self.images)
        order = (torch.randperm(n) if self.shuffle else torch.arange(n)).to(self.images.device)
        for start in range(0, len(order), self.batch_size):
            index = order[start:start + self.batch_size]
            images = self.images[index].float().div_(255)  # what ToTensor does
            if self.rotation > 0:
                images = rotate_batch(images, self.rotation)
            if self.normalize:
                images = images.sub_(0.5).div_(0.5)  # what Normalize does
            if images.size(1) > 1:  # colour: channels side by side in memory, the layout convolutions run fastest on
                images = images.contiguous(memory_format=torch.channels_last)
            yield images, self.labels[index]


def make_batches(cfg: Config, dataset=None):
    """Return what the trainer iterates: DeviceBatches if ``cfg.batches_on_device``, else the DataLoader.

    Taught in notebook 03.
    """
    if cfg.batches_on_device or cfg.dataset == "folder":  # a folder's images are already one tensor
        return DeviceBatches.from_config(cfg, dataset)
    return make_loader(cfg, dataset)
