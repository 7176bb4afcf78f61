"""Save and load training state: models, optimizers, config, history, epoch and random streams.

Checkpoints are written atomically (a temporary file, then a rename), so a crash or Ctrl-C
while saving never leaves a half-written file where the last good one was. They load with
``torch.load(..., weights_only=True)``: only tensors and plain Python values, no pickled code.
Taught in notebook 07.
"""
from __future__ import annotations

import io
import os
from pathlib import Path

import torch

from .config import Config


def save_checkpoint(path, *, cfg: Config, history, epoch: int, game: str = "dcgan", **parts) -> Path:
    """Write everything needed to resume after ``epoch`` finished epochs to ``path``.

    ``parts`` are the game's networks and optimizers by name (``G``, ``D``, ``G_opt``, ``D_opt``,
    and ``G_ema`` when an averaged generator is kept); each is stored as its ``state_dict()``,
    and a part given as None is left out. ``game`` names the kind of GAN.
    """
    path = Path(path)
    state = {name: part.state_dict() for name, part in parts.items() if part is not None}
    state.update({
        "game": game,
        "config": cfg.to_dict(),
        "history": history.to_dict(),
        "epoch": epoch,
        "rng_cpu": torch.get_rng_state(),
        "rng_cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
    })
    buffer = io.BytesIO()  # serialised first, so a full disk reads as an OSError, not a torch error
    torch.save(state, buffer)
    return atomic_write(path, lambda tmp: tmp.write_bytes(buffer.getvalue()))


class CouldNotWrite(OSError):
    """A file could not be written (a full disk, a read-only folder); the file it would replace is kept."""

    def __str__(self) -> str:
        return f"could not write {self.filename}: {self.strerror}; the previous file, if any, is kept"


def best_checkpoint_path(checkpoint) -> Path:
    """Where ``keep_best`` keeps the lowest-distance epoch: ``checkpoint.pt`` -> ``checkpoint_best.pt``.

    Taught in notebook 07.
    """
    checkpoint = Path(checkpoint)
    return checkpoint.with_name(f"{checkpoint.stem}_best{checkpoint.suffix}")


def atomic_write(path, write) -> Path:
    """Call ``write(tmp)``, then rename tmp to ``path``: a crash mid-write leaves the old file whole.

    The rename (``os.replace``) is atomic on POSIX and Windows; the data reach the disk before it
    (``fsync``), and the temporary name carries the process id, so two processes never share one.
    Checkpoints, the weights of ganlab's classifier (``ganlab.classifier``) and the command line's
    run outputs (sample grids, history.json, the GIF, the loss chart) are saved this way. ``write``
    gets a path ending in ".tmp": say the file's format explicitly where a writer guesses it from
    the extension.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        with open(tmp, "rb+") as written:
            os.fsync(written.fileno())
        os.replace(tmp, path)
    except OSError as error:  # a full disk or a read-only folder: no half file is left behind
        tmp.unlink(missing_ok=True)
        raise CouldNotWrite(error.errno, error.strerror or str(error), str(path)) from None
    except BaseException:  # Ctrl-C mid-write: the same
        tmp.unlink(missing_ok=True)
        raise
    return path


def load_checkpoint(path, map_location="cpu") -> dict:
    """Read a checkpoint written by ``save_checkpoint``; one clear error if it cannot be."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No checkpoint at {path}; train first (python -m ganlab train) "
                                "or give the path of a .pt file it wrote.")
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as error:
        raise ValueError(f"{path} is not a readable ganlab checkpoint ({type(error).__name__}); "
                         "it may be truncated or from another program.") from None
    if not isinstance(state, dict):
        raise ValueError(f"{path} holds a {type(state).__name__}, not a ganlab checkpoint.")
    missing = {"G", "D", "config", "epoch"} - set(state)
    if missing:
        raise ValueError(f"{path} lacks {sorted(missing)}: not a ganlab checkpoint.")
    return state


def restore_rng(state: dict) -> None:
    """Put the random streams back where they were when ``state`` was saved."""
    torch.set_rng_state(state["rng_cpu"])
    if state.get("rng_cuda") and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["rng_cuda"])


def load_part(part, state: dict, path, what: str) -> None:
    """``part.load_state_dict(state)``, with one line naming the file when the shapes do not fit."""
    try:
        part.load_state_dict(state)
    except (RuntimeError, ValueError, KeyError) as error:
        lines = [line.strip() for line in str(error).splitlines() if line.strip()]
        detail = next((line for line in lines if "size mismatch" in line or "key" in line.lower()), lines[-1])
        raise ValueError(f"{path}: its {what} does not fit ganlab's {type(part).__name__} ({detail.rstrip('.')}); "
                         "was it saved by another architecture or version?") from None
