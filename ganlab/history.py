"""What training remembers per epoch: mean losses, the discriminator's verdicts, timings, samples,
and (when tracked) the classifier's scores of the generator.

Taught in notebook 07.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import torch

from .sampling import from_signed, to_signed

#: Known-good runs shipped with ganlab (``reference_run``), written by tools/make_reference_run.py.
REFERENCE_RUNS = Path(__file__).resolve().parent / "reference_runs"
METRICS = ("d_loss", "g_loss", "d_real", "d_fake", "seconds")
#: Per-epoch scores from ``ganlab.metrics.QualityTracker``; empty lists when not tracked.
QUALITY = ("frechet", "modes", "kl_uniform", "confidence")


@dataclass
class History:
    """Per-epoch record of a training run; one list entry per finished epoch.

    ``d_real`` and ``d_fake`` are the mean probabilities D gave real and generated images:
    both drift towards 0.5 when neither network is winning. ``samples`` holds, per epoch,
    the generator's images for one fixed noise batch, as uint8 (0..255) to keep it small.
    The quality lists (``frechet`` and the rest, see ``ganlab.metrics``) are filled when
    ``train`` tracks them, and are empty otherwise. ``extras`` holds any further per-epoch stats a
    game reports by name (a WGAN-GP's Wasserstein estimate and gradient penalty). Taught in notebook 07.
    """

    d_loss: list = field(default_factory=list)  # mean discriminator loss
    g_loss: list = field(default_factory=list)  # mean generator loss
    d_real: list = field(default_factory=list)  # mean D(x): "real" probability for real images
    d_fake: list = field(default_factory=list)  # mean D(G(z)): "real" probability for fakes
    seconds: list = field(default_factory=list)  # wall time of the epoch
    samples: list = field(default_factory=list)  # (n, 1, 28, 28) uint8 per epoch
    frechet: list = field(default_factory=list)  # Frechet distance to real test images (lower is better)
    modes: list = field(default_factory=list)  # classes holding >= 2 % of the samples (of 10)
    kl_uniform: list = field(default_factory=list)  # KL of the class histogram from uniform
    confidence: list = field(default_factory=list)  # the classifier's mean top probability
    extras: dict = field(default_factory=dict)  # name -> per-epoch list, for a game's further stats

    #: True when Ctrl-C stopped the run that returned this History (not saved with it).
    interrupted = False

    def __len__(self) -> int:
        return len(self.d_loss)

    def __delitem__(self, epochs: slice) -> None:
        """Forget a slice of epochs, e.g. ``del history[3:]`` keeps the first three."""
        for name in (*METRICS, *QUALITY, "samples"):
            del getattr(self, name)[epochs]
        for values in self.extras.values():
            del values[epochs]

    def record(self, d_loss, g_loss, d_real, d_fake, seconds, samples: torch.Tensor,
               scores: dict | None = None, extras: dict | None = None) -> None:
        """Add one epoch; ``samples`` are generator outputs in [-1, 1], ``scores`` the hooks' (the tracker's
        QUALITY keys when the epoch was scored, any other score goes to ``extras``), ``extras`` a game's
        further stats."""
        for name, value in zip(METRICS, (d_loss, g_loss, d_real, d_fake, seconds)):
            getattr(self, name).append(float(value))
        scores = dict(scores or {})
        more = {name: scores.pop(name) for name in list(scores) if name not in QUALITY and name != "histogram"}
        for name, value in {**(extras or {}), **more}.items():
            self.extras.setdefault(name, [math.nan] * (len(self) - 1)).append(float(value))
        pixels = from_signed(samples.detach().cpu(), (0, 255)).round().clamp(0, 255)
        self.samples.append(pixels.to(torch.uint8))
        if any(name in scores for name in QUALITY):
            self.record_quality(scores)

    def record_quality(self, scores: dict) -> None:
        """Add the tracker's scores (a dict with the QUALITY keys) for the epoch just recorded.

        Epochs recorded without scores (a resumed run that was not tracked before) get NaN, so
        ``frechet[i]`` always belongs to epoch i + 1.
        """
        missing = len(self) - 1 - len(self.frechet)
        if missing < 0:
            raise ValueError(f"epoch {len(self)} already has quality scores; record() the next epoch "
                             "before scoring it")
        for name in QUALITY:
            getattr(self, name).extend([math.nan] * missing + [float(scores[name])])

    def epoch_line(self, epochs: int | None = None) -> str:
        """The printed line of the last epoch: its losses, D's verdicts, time, and scores if any."""
        i = len(self) - 1
        line = (f"epoch {i + 1:>2}/{epochs or len(self)}  D loss {self.d_loss[i]:.3f}  G loss {self.g_loss[i]:.3f}  "
                f"D(x) {self.d_real[i]:.2f}  D(G(z)) {self.d_fake[i]:.2f}  {self.seconds[i]:.1f} s")
        if self.tracked and not math.isnan(self.frechet[i]):
            line += f"  | distance {self.frechet[i]:.1f}  modes {self.modes[i]:.0f}"
        return line

    @property
    def tracked(self) -> bool:
        """True when every epoch has a place in the quality lists (NaN for an unscored one)."""
        return len(self) > 0 and len(self.frechet) == len(self)

    def best_epoch(self) -> int | None:
        """The 0-based epoch with the lowest Frechet distance (the first, on ties); None if none scored."""
        scored = [i for i, d in enumerate(self.frechet) if not math.isnan(d)]
        return min(scored, key=self.frechet.__getitem__) if scored else None

    def epochs_since_best(self) -> int:
        """How many scored epochs came after the best one (0: the last was the best)."""
        best = self.best_epoch()
        return 0 if best is None else len(self.frechet) - 1 - best

    def sample_images(self, epoch: int = -1) -> torch.Tensor:
        """The fixed-noise samples of ``epoch`` (0-based; -1 = last) as floats in [-1, 1]."""
        return to_signed(self.samples[epoch], (0, 255))

    def to_dict(self) -> dict:
        """Plain lists and tensors, what ``torch.load(weights_only=True)`` accepts."""
        values = {name: list(getattr(self, name)) for name in (*METRICS, *QUALITY, "samples")}
        return {**values, "extras": {name: list(v) for name, v in self.extras.items()}}

    @classmethod
    def from_dict(cls, values: dict) -> History:
        """Rebuild from ``to_dict()``; a checkpoint from before quality tracking loads too."""
        lists = {name: list(values.get(name, [])) for name in (*METRICS, *QUALITY, "samples")}
        return cls(**lists, extras={name: list(v) for name, v in values.get("extras", {}).items()})

    def to_json(self) -> str:
        """The per-epoch numbers (not the images) as JSON, one object per epoch."""
        names = METRICS + (QUALITY if self.tracked else ())
        rows = [{"epoch": i + 1, **{name: _json_number(getattr(self, name)[i]) for name in names},
                 **{name: _json_number(values[i]) for name, values in self.extras.items()}}
                for i in range(len(self))]
        return json.dumps(rows, indent=1)

    @classmethod
    def from_json(cls, text: str) -> History:
        """Rebuild the numbers written by ``to_json`` (no samples; null reads as NaN)."""
        return cls.from_rows(json.loads(text))

    @classmethod
    def from_rows(cls, rows: list) -> History:
        """Rebuild from ``to_json``'s rows, already parsed: one dict per epoch."""
        def column(name):
            return [math.nan if row.get(name) is None else row[name] for row in rows]

        names = [name for name in (*METRICS, *QUALITY) if rows and name in rows[0]]
        extras = [name for name in (rows[0] if rows else {}) if name not in (*METRICS, *QUALITY, "epoch")]
        return cls(**{name: column(name) for name in names}, extras={name: column(name) for name in extras})


def _json_number(value: float) -> float | None:
    """NaN (an unscored epoch) as JSON's null, which every reader accepts."""
    return None if math.isnan(value) else value


def _reference_record(name: str) -> dict:
    """The JSON a shipped reference run is stored as, or one clear error naming what ganlab ships."""
    path = REFERENCE_RUNS / f"{name}.json"
    if not path.is_file():
        shipped = sorted(p.stem for p in REFERENCE_RUNS.glob("*.json"))
        raise FileNotFoundError(f"No reference run named {name!r}: ganlab ships {', '.join(shipped) or 'none'}.")
    return json.loads(path.read_text())


def reference_run(name: str = "mnist") -> History:
    """The per-epoch numbers (no samples) of a shipped known-good run: "mnist" or "mnist-ema" (below).

    Shipped with the package so any notebook can draw a run beside its own without running 07 first:
    on Colab each notebook has a runtime of its own. Two, each from ``make train`` (20 epochs, seed 0):

    * "mnist-ema": today's default, sampling the average of G's weights (``Config().ema_decay``), its
      BatchNorm scales started as the course's (``bn_gamma_mean`` 0). Notebook 08 and the clinic draw
      it beside their own runs, which train and sample the same way.
    * "mnist": the family's recipe, ganlab's before the recipe study: the last weights sampled
      (``ema_decay=0``) and BatchNorm scales started at N(1, 0.02) (``bn_gamma_mean=1``). The family's
      table (``benchmarks/family.py``) trains every model so, and notebooks/next/ set their models beside
      it, like with like; the conditional DCGAN's page also sets its own default beside it.

    One run, not a band: another seed reads a few points differently. Taught in notebook 08.
    """
    return History.from_rows(_reference_record(name)["epochs"])


def reference_scores(name: str = "mnist") -> dict:
    """The last epoch's scores of ``reference_run(name)`` on 10,000 samples (``evaluate``'s keys and ``n``).

    Lets a notebook set its own generator beside the reference run's without training that one again.
    Taught in notebooks/next/.
    """
    record = _reference_record(name)
    if "evaluation" not in record:
        raise ValueError(f"Reference run {name!r} has no scores: rewrite it with tools/make_reference_run.py.")
    return record["evaluation"]


@dataclass
class ReferenceBand:
    """Known-good per-epoch distances to draw behind a run's own: one list per seed of one recipe (the
    default's for "mnist-ema", the family's for "mnist"; tracked on 2,000 samples, as ``train`` tracks),
    and the floor, what 2,000 real training images read against the test set. Runs of the same recipe
    differ from seed to seed (and a little from run to run): the band's width shows by how much."""

    runs: dict  # seed -> per-epoch tracked distance
    floor: float | None = None
    label: str = "known-good runs"

    def epochs(self) -> int:
        return max(len(run) for run in self.runs.values())

    def _column(self, epoch: int) -> list[float]:
        return [run[epoch] for run in self.runs.values() if epoch < len(run) and not math.isnan(run[epoch])]

    def low(self) -> list[float]:
        return [min(self._column(e), default=math.nan) for e in range(self.epochs())]

    def high(self) -> list[float]:
        return [max(self._column(e), default=math.nan) for e in range(self.epochs())]


def reference_band(name: str = "mnist") -> ReferenceBand:
    """The band of known-good runs shipped as ``name`` ("mnist" or "mnist-ema": ``reference_run``'s JSON,
    with the seeds of the recipe study where they were measured). Taught in notebooks/next/gan_clinic."""
    record = _reference_record(name)
    band = record.get("band", {})
    runs = {int(seed): [math.nan if d is None else d for d in values] for seed, values in band.get("runs", {}).items()}
    if not runs:
        runs = {record["config"].get("seed", 0): History.from_rows(record["epochs"]).frechet}
    seeds = len(runs)
    recipe = "default recipe" if record["config"].get("ema_decay") else "the family's recipe, last weights"
    return ReferenceBand(runs, band.get("floor"), f"{recipe}, {seeds} seed{'s' if seeds > 1 else ''}")
