"""What training remembers per epoch: mean losses, the discriminator's verdicts, timings, samples."""
from __future__ import annotations

import json
from dataclasses import dataclass, field

import torch

METRICS = ("d_loss", "g_loss", "d_real", "d_fake", "seconds")


@dataclass
class History:
    """Per-epoch record of a training run; one list entry per finished epoch.

    ``d_real`` and ``d_fake`` are the mean probabilities D gave real and generated images:
    both drift towards 0.5 when neither network is winning. ``samples`` holds, per epoch,
    the generator's images for one fixed noise batch, as uint8 (0..255) to keep it small.
    """

    d_loss: list = field(default_factory=list)  # mean discriminator loss
    g_loss: list = field(default_factory=list)  # mean generator loss
    d_real: list = field(default_factory=list)  # mean D(x): "real" probability for real images
    d_fake: list = field(default_factory=list)  # mean D(G(z)): "real" probability for fakes
    seconds: list = field(default_factory=list)  # wall time of the epoch
    samples: list = field(default_factory=list)  # (n, 1, 28, 28) uint8 per epoch

    def __len__(self) -> int:
        return len(self.d_loss)

    def record(self, d_loss, g_loss, d_real, d_fake, seconds, samples: torch.Tensor) -> None:
        """Add one epoch; ``samples`` are generator outputs in [-1, 1]."""
        for name, value in zip(METRICS, (d_loss, g_loss, d_real, d_fake, seconds)):
            getattr(self, name).append(float(value))
        pixels = samples.detach().cpu().add(1).mul(127.5).round().clamp(0, 255)
        self.samples.append(pixels.to(torch.uint8))

    def sample_images(self, epoch: int = -1) -> torch.Tensor:
        """The fixed-noise samples of ``epoch`` (0-based; -1 = last) as floats in [-1, 1]."""
        return self.samples[epoch].float().div(127.5).sub(1)

    def to_dict(self) -> dict:
        """Plain lists and tensors, what ``torch.load(weights_only=True)`` accepts."""
        return {name: list(getattr(self, name)) for name in (*METRICS, "samples")}

    @classmethod
    def from_dict(cls, values: dict) -> History:
        return cls(**{name: list(values.get(name, [])) for name in (*METRICS, "samples")})

    def to_json(self) -> str:
        """The per-epoch numbers (not the images) as JSON, one object per epoch."""
        rows = [{"epoch": i + 1, **{name: getattr(self, name)[i] for name in METRICS}}
                for i in range(len(self))]
        return json.dumps(rows, indent=1)
