"""The course's constants in one validated dataclass, and the choice of device.

Taught in notebook 01.
"""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass

import torch
from PIL import ImageColor

DATASETS = ("mnist", "fashion", "folder")
DEVICES = ("auto", "cuda", "mps", "cpu")
#: The kinds of GAN ganlab trains (``ganlab.games``): the course's DCGAN, and those of notebooks/next/.
MODELS = ("dcgan", "cdcgan", "wgan-gp", "mlp", "dcgan64")
#: The classic bugs ``Config(bug=...)`` can switch on (``ganlab.clinic.BUGS`` says what each one is).
BUG_NAMES = ("no_detach", "double_sigmoid", "pixels_0_1", "saturating_loss", "fake_label_for_G", "lr_0.002",
             "strong_D", "no_batchnorm_G", "noise_dim_2")
#: The bugs that are a Config value: a Config with such a bug must carry that value too.
BUG_VALUES = {"lr_0.002": {"lr": 0.002}, "noise_dim_2": {"noise_dim": 2}, "pixels_0_1": {"normalize": False}}
#: What ``Config.for_model`` changes for a model, from its paper: WGAN-GP's Adam (Gulrajani et al., 2017);
#: the 64x64 DCGAN's noise size and Adam (PyTorch's DCGAN tutorial), and the folder it trains on.
MODEL_RECIPES = {"wgan-gp": {"lr": 1e-4, "beta_1": 0.0, "beta_2": 0.9},
                 "dcgan64": {"dataset": "folder", "noise_dim": 100, "beta_2": 0.999}}
#: The family's recipe: how benchmarks/family.py trains and samples every model of notebooks/next/, like with
#: like, and the default of each model that EMA_DEFAULTS or BN_GAMMA_DEFAULTS does not name. It is also
#: the course's DCGAN's recipe before the recipe study changed its defaults, and what a Config saved before
#: these fields existed trained with: the last weights sampled, BatchNorm scales from N(1, 0.02).
FAMILY_RECIPE = {"ema_decay": 0.0, "bn_gamma_mean": 1.0}
#: ``ema_decay`` when a Config does not give one. The 20-epoch recipe study measured the averaged
#: generator on the course's DCGAN only (README, "The recipe study"); the other models sample their
#: last weights, as they did when their notebooks were measured.
EMA_DEFAULTS = {"dcgan": 0.999}
#: ``bn_gamma_mean`` when a Config does not give one. The course's DCGAN and the conditional DCGAN start
#: their BatchNorm scales as the course does, N(0, 0.02): the recipe study found it no worse over 20 epochs
#: on MNIST and far better on Fashion-MNIST, and the conditional DCGAN's three seeds from it measured 3.5x or
#: more closer to real images than its runs from N(1, 0.02), on both datasets (README). The other models keep
#: N(1, 0.02), the value they were measured with (WGAN-GP from the course's value read worse on both seeds
#: tried, README).
BN_GAMMA_DEFAULTS = {"dcgan": 0.0, "cdcgan": 0.0}

#: In quick mode (``GANLAB_QUICK=1``) training is capped at this many epochs, and a folder of your own
#: images at this many (the first, in order).
QUICK_EPOCHS = 3
QUICK_FOLDER_IMAGES = 256

#: Fields that must be numbers, and fields that must be True or False (checked before their ranges).
NUMBER_FIELDS = ("lr", "beta_1", "beta_2", "rotation", "label_smoothing", "bn_gamma_mean", "ema_decay", "gp_weight")
SWITCH_FIELDS = ("batches_on_device", "normalize", "speedups", "reuse_fakes")

#: Old field names a saved Config may still use, and their names now.
RENAMED = {"fast": "batches_on_device"}

_quick_announced = False


@dataclass
class Config:
    """Hold every hyperparameter of the course's DCGAN, checked when it is made.

    Names and values follow the guided project, with three changes a GAN needs: two from the DCGAN
    paper (Radford et al., 2015: lr, and pixels scaled to tanh's range), and one that drops a course
    augmentation a GAN would copy into its samples (rotation). Each has a switch, so a learner can put
    the course's value back and compare:

    * ``lr`` 2e-4, the DCGAN paper's rate, where the course notes print 0.002: a GAN is two
      networks chasing each other, and a large step lets either overshoot the other.
    * ``rotation`` 0: the course augments with ``RandomRotation(+-20)``, but a GAN learns to draw
      what it is shown, so rotated, jagged training digits come back as rotated, jagged samples.
      ``rotation=20`` follows the course.
    * ``normalize`` True: real pixels in [-1, 1], the range of the generator's tanh, so D cannot
      tell real from fake by the range alone. ``False`` keeps ToTensor's [0, 1] as the notes do;
      the generator then learns to draw in [0, 1] (its ``pixel_range``), and ``generate`` still
      hands its images out in [-1, 1].

    The BatchNorm scales start as the course's ``weights_init`` draws them, ``bn_gamma_mean`` 0.0
    (N(0, 0.02)), for the DCGAN and the conditional DCGAN. PyTorch's DCGAN tutorial starts them at
    N(1, 0.02), ``bn_gamma_mean=1.0``, which ganlab used until the recipe study measured both: over 20
    epochs the course's value was no worse (alone 11.8 against 15.3 on average; with the averaged
    generator 8.7 against 10.2, and on a second CPU 11.4 against 9.5: each inside the seeds' spread),
    and on Fashion-MNIST far better (with the averaged generator 9.3 against 53.5, three seeds each).
    The conditional DCGAN's three seeds from it measured 3.5x or more closer to real images than its
    runs from N(1, 0.02) (MNIST 5.2-6.4 against 25.6-54.0, Fashion-MNIST 9.6-24.3 against 86.5). The
    other models keep 1.0 (``BN_GAMMA_DEFAULTS``). It applies when ``train`` builds the networks;
    networks passed in keep theirs.

    And one addition the recipe study chose: the DCGAN samples from ``ema_decay`` 0.999, a moving
    average of the generator's weights (``ganlab.ema``). It only watches, so training is unchanged;
    over 20 epochs its samples measured better on each of three seeds (distance 10.2 against 15.3 on
    average). ``ema_decay=0`` samples the last weights, as the course does; the other models do that
    by default (``EMA_DEFAULTS``). The README and notebook 07 show what each change measures, with
    the commands that produced the figures.

    Two switches are about speed, not the recipe. ``speedups`` (on) runs the networks on a CPU with
    ``ganlab.speed``'s layout and kernels: the same arithmetic, 1.4x to 1.6x faster an epoch. ``reuse_fakes``
    (off) lets the generator's move reuse the discriminator's fakes, as PyTorch's DCGAN tutorial
    does: a quarter less arithmetic, but no longer the course's step.

    Taught in notebook 01.
    """

    device: str = "auto"  # "auto" picks cuda, else mps (Apple), else cpu
    batch_size: int = 128  # images per training step (the course's value)
    noise_dim: int = 64  # length of the random vector z the generator turns into an image
    lr: float = 2e-4  # Adam learning rate (the DCGAN paper's; the course notes print 0.002)
    beta_1: float = 0.5  # Adam's first-moment decay: 0.5 (not 0.9) keeps GAN updates responsive
    beta_2: float = 0.99  # Adam's second-moment decay (the course's value)
    epochs: int = 20  # passes over the training set
    dataset: str = "mnist"  # "mnist" (digits), "fashion" (Fashion-MNIST clothes), or "folder" (your own, data_dir)
    seed: int = 0  # seeds weights, noise, shuffling: same CPU, threads, torch -> same run
    rotation: float = 0.0  # RandomRotation degrees for real images; the course uses 20
    data_dir: str | None = None  # dataset folder; None: $GANLAB_DATA_DIR, else data/
    label_smoothing: float = 0.0  # one-sided: real label 1 - this for the discriminator
    batches_on_device: bool = True  # the dataset kept on the device (DeviceBatches), or the course's DataLoader
    normalize: bool = True  # real pixels in [-1, 1] like G's tanh (True) or the notes' [0, 1]
    bn_gamma_mean: float | None = None  # BatchNorm scale init ~ N(this, 0.02); None: BN_GAMMA_DEFAULTS, else 1.0
    ema_decay: float | None = None  # sample from an average of G's weights; 0: the last weights; None: EMA_DEFAULTS
    speedups: bool = True  # on a CPU: channels_last memory and faster kernels, same arithmetic (ganlab.speed)
    reuse_fakes: bool = False  # G's move reuses the D move's fakes (PyTorch's tutorial): faster, not the course's
    model: str = "dcgan"  # the kind of GAN: dcgan (the course's), cdcgan, wgan-gp or mlp (ganlab.games)
    n_critic: int = 5  # wgan-gp: critic updates per generator update (Gulrajani et al., 2017)
    gp_weight: float = 10.0  # wgan-gp: the gradient penalty's weight, lambda in the paper
    bug: str = ""  # "" (healthy), or one classic bug switched on for the GAN clinic (ganlab.clinic)
    width: int = 64  # dcgan64: feature maps of G's last and D's first layer (the tutorial's 64; 16-32 on a CPU)
    background: str = "white"  # folder: the colour transparent pixels are composited onto (a name or #rrggbb)

    def __post_init__(self) -> None:
        if self.ema_decay is None:  # resolved once: dataclasses.replace(cfg, model=...) keeps this number
            self.ema_decay = EMA_DEFAULTS.get(self.model, FAMILY_RECIPE["ema_decay"])
        if self.bn_gamma_mean is None:  # the same
            self.bn_gamma_mean = BN_GAMMA_DEFAULTS.get(self.model, FAMILY_RECIPE["bn_gamma_mean"])
        for name in NUMBER_FIELDS:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"Config.{name} must be a number, got {value!r} (a {type(value).__name__}).")
        for name in SWITCH_FIELDS:
            value = getattr(self, name)
            if not isinstance(value, bool):
                raise ValueError(f"Config.{name} must be True or False, got {value!r} (a {type(value).__name__}).")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise ValueError(f"Config.seed must be a whole number, got {self.seed!r}.")
        for name in ("batch_size", "noise_dim", "epochs", "n_critic", "width"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                hint = " (critic updates per generator update; WGAN-GP's paper uses 5)" if name == "n_critic" else ""
                raise ValueError(f"Config.{name} must be a positive whole number, got {value!r}{hint}.")
        if not 0 < self.lr < 1:
            raise ValueError(f"Config.lr must be between 0 and 1 (exclusive), got {self.lr!r}; "
                             "the DCGAN value is 2e-4.")
        for name in ("beta_1", "beta_2"):
            value = getattr(self, name)
            if not 0 <= value < 1:
                raise ValueError(f"Config.{name} must be in [0, 1), got {value!r}.")
        if self.dataset not in DATASETS:
            raise ValueError(f"Config.dataset must be one of {', '.join(DATASETS)}; "
                             f"got {self.dataset!r}.")
        if not 0 <= self.rotation <= 180:
            raise ValueError(f"Config.rotation must be between 0 and 180 degrees, got {self.rotation!r}.")
        if not 0 <= self.label_smoothing < 0.5:
            raise ValueError("Config.label_smoothing must be in [0, 0.5), "
                             f"got {self.label_smoothing!r}; 0.1 is a common choice.")
        if not 0 <= self.ema_decay < 1:
            raise ValueError(f"Config.ema_decay must be in [0, 1), got {self.ema_decay!r}; "
                             "0 turns it off, 0.999 is a common choice.")
        if not -1 <= self.bn_gamma_mean <= 2:
            raise ValueError(f"Config.bn_gamma_mean must be between -1 and 2, got {self.bn_gamma_mean!r}; "
                             "0.0 is the course's value, 1.0 PyTorch's DCGAN tutorial's.")
        if self.model not in MODELS:
            raise ValueError(f"Config.model must be one of {', '.join(MODELS)}; got {self.model!r}.")
        if (self.dataset == "folder") != (self.model == "dcgan64"):
            raise ValueError(f"Config(model={self.model!r}, dataset={self.dataset!r}): the 64x64 DCGAN trains on a "
                             "folder of your own images, and a folder trains only it: use "
                             "Config.for_model('dcgan64', data_dir=PATH).")
        if self.dataset == "folder" and not self.data_dir:
            raise ValueError("Config(dataset='folder') needs data_dir=PATH, the folder of your images.")
        try:
            ImageColor.getrgb(self.background)
        except (ValueError, AttributeError):
            raise ValueError(f"Config.background {self.background!r} is not a colour: give a name (white, black) "
                             "or #rrggbb.") from None
        if self.bug and (self.bug not in BUG_NAMES or self.model != "dcgan"):
            raise ValueError(f"Config.bug must be one of {', '.join(BUG_NAMES)} (with model 'dcgan'), or '' for "
                             f"none; got {self.bug!r} with model {self.model!r}.")
        wrong = {name: value for name, value in BUG_VALUES.get(self.bug, {}).items() if getattr(self, name) != value}
        if wrong:
            raise ValueError(f"Config(bug={self.bug!r}) is the bug {wrong}: give those values too, or build it with "
                             f"ganlab.clinic.clinic_config({self.bug!r}).")
        if self.gp_weight < 0:
            raise ValueError(f"Config.gp_weight must be 0 or more, got {self.gp_weight!r}; the paper's value is 10.")
        if self.device not in DEVICES:
            raise ValueError(f"Config.device must be one of {', '.join(DEVICES)}; got {self.device!r}.")
        if self.device == "cuda" and not torch.cuda.is_available():
            raise ValueError("Config.device is 'cuda' but no GPU is visible; on Colab choose "
                             "Runtime > Change runtime type > GPU, or use device='auto'.")
        if self.device == "mps" and not _mps_available():
            raise ValueError("Config.device is 'mps' but Apple's Metal backend is not available "
                             "here; use device='auto'.")

    @classmethod
    def for_model(cls, model: str, **changes) -> Config:
        """The Config of ``model`` with its paper's optimizer where it has one (``MODEL_RECIPES``).

        ``Config(model="wgan-gp")`` keeps the DCGAN's Adam (lr 2e-4, betas 0.5, 0.99);
        ``Config.for_model("wgan-gp")`` takes WGAN-GP's (1e-4, betas 0.0, 0.9). ``changes`` win.
        """
        return cls(**{"model": model, **MODEL_RECIPES.get(model, {}), **changes})

    @property
    def pixel_range(self) -> tuple[float, float]:
        """The range of the real pixels, and so of what the generator learns to draw."""
        return (-1.0, 1.0) if self.normalize else (0.0, 1.0)

    @property
    def torch_device(self) -> torch.device:
        """The device training runs on: ``device`` with "auto" resolved."""
        return torch.device(resolve_device(self.device))

    def to_dict(self) -> dict:
        """Return the fields as a plain dict (what a checkpoint stores)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict, **overrides) -> Config:
        """Rebuild a Config from ``to_dict()``'s output; unknown keys are an error.

        Fields saved under an older name (``RENAMED``) are read under their new one; a Config saved before
        ``ema_decay`` existed sampled its last weights, so it reads as ``ema_decay=0``, and one saved before
        ``bn_gamma_mean`` existed started its BatchNorm scales at N(1, 0.02), so it reads as 1.0.
        """
        saved = {RENAMED.get(name, name): value for name, value in values.items()}
        values = {**FAMILY_RECIPE, **saved}
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"Unknown Config fields {unknown}; was this saved by another version?")
        return cls(**{**values, **overrides})


def _mps_available() -> bool:
    return bool(getattr(torch.backends, "mps", None)) and torch.backends.mps.is_available()


def resolve_device(device: str = "auto") -> str:
    """Turn "auto" into "cuda", "mps" or "cpu", whichever is here (in that order). Taught in notebook 01."""
    if device != "auto":
        return device
    if torch.cuda.is_available():
        return "cuda"
    if _mps_available():
        return "mps"
    return "cpu"


def quick_mode() -> bool:
    """True when ``GANLAB_QUICK=1``: the committed sample and a few epochs, for tests and CI."""
    return os.environ.get("GANLAB_QUICK", "0").strip().lower() in ("1", "true", "yes")


def announce_quick_mode() -> None:
    """Print, once per process, the line that says quick mode shrank the run."""
    global _quick_announced
    if quick_mode() and not _quick_announced:
        _quick_announced = True
        print(f"GANLAB_QUICK=1: using the small committed sample (or a folder's first {QUICK_FOLDER_IMAGES} "
              f"images) and at most {QUICK_EPOCHS} epochs (unset GANLAB_QUICK for the full run).")
