"""Watch training: a live dashboard updated in place each epoch, and the progress animation.

Like viz, this module reads a History and trains nothing: ``train(..., live=True)`` adds
``LiveDashboard.update`` to the hooks called after every epoch; under the picture it says what
``ganlab.diagnose`` finds, as soon as it finds it. Both show plain images, never
widgets or scripts, so a saved notebook reopens as it was, untrusted or on GitHub. Taught in notebook 07.
"""
from __future__ import annotations

import base64
import io
import math
from pathlib import Path

import matplotlib.pyplot as plt
from PIL import Image, ImageDraw

from .checkpoint import atomic_write, best_checkpoint_path
from .diagnose import diagnose
from .progress import NotebookOutput
from .viz import grid_picture, plot_losses, plot_quality


def dashboard_figure(history, num_images: int = 36):
    """One figure: the losses so far (left), the tracked quality if any, this epoch's samples (right)."""
    if history.tracked:
        fig, (ax_loss, ax_quality, ax_img) = plt.subplots(1, 3, figsize=(15, 4),
                                                          gridspec_kw={"width_ratios": [3, 3, 2]})
        plot_quality(history, ax=ax_quality, title="quality so far")
    else:
        fig, (ax_loss, ax_img) = plt.subplots(1, 2, figsize=(11, 4), gridspec_kw={"width_ratios": [3, 2]})
    plot_losses(history, ax=ax_loss, title=f"epoch {len(history)}: losses so far")
    num_images = min(num_images, len(history.samples[-1]))
    nrow = math.ceil(num_images ** 0.5)
    ax_img.imshow(grid_picture(history.sample_images(), num_images, nrow), cmap="gray", vmin=0, vmax=1)
    ax_img.set_title(f"fixed noise after epoch {len(history)}")
    ax_img.axis("off")
    fig.tight_layout()
    return fig


#: Epochs without a better distance after which the dashboard points to the best epoch's checkpoint.
STALE_EPOCHS = 3


def findings(history, checkpoint=None, keep_best: bool = False) -> list[str]:
    """What the dashboard says under its picture: ``diagnose``'s warnings, and, once the distance has
    not improved for ``STALE_EPOCHS`` epochs, which epoch was best and the one line that loads it."""
    said = diagnose(history)
    if history.tracked and history.epochs_since_best() >= STALE_EPOCHS:
        best = history.best_epoch()
        line = (f"The distance has not improved for {history.epochs_since_best()} epochs: the best was epoch "
                f"{best + 1} ({history.frechet[best]:.1f}).")
        if checkpoint is not None and keep_best:
            line += f' Load it with: G, cfg = generator_from_checkpoint("{best_checkpoint_path(checkpoint)}")'
        else:
            line += " Train with checkpoint=PATH and keep_best=True to keep that epoch's networks."
        said.append(line)
    return said


class LiveDashboard:
    """One output area in a notebook that shows the latest losses and samples, updated in place,
    and under it what ``diagnose`` finds as soon as it finds it.

    ``start`` displays a one-line placeholder with ``display(..., display_id=True)`` before the
    first epoch; each ``update`` replaces it through the same handle with a PNG. So the notebook
    holds one picture, not one per epoch, and it stands above all the epoch lines, not between them.
    The findings line below it (``findings``) is replaced the same way.
    """

    def __init__(self, checkpoint=None, keep_best: bool = False):
        self.output, self.notes = NotebookOutput(), NotebookOutput()
        self.checkpoint, self.keep_best = checkpoint, keep_best

    def start(self) -> None:
        self.output.show_text("The dashboard appears here after the first epoch.")
        self.notes.show_text("Checks (ganlab.diagnose): nothing to report.")

    def update(self, history) -> None:
        fig = dashboard_figure(history)
        png = io.BytesIO()
        fig.savefig(png, format="png", dpi=80)
        plt.close(fig)
        self.output.show({"image/png": base64.b64encode(png.getvalue()).decode("ascii"),
                          "text/plain": f"<dashboard after epoch {len(history)}>"})
        said = findings(history, self.checkpoint, self.keep_best)
        self.notes.show_text("\n".join(f"Warning: {line}" for line in said) if said
                             else f"Checks (ganlab.diagnose): nothing to report after epoch {len(history)}.")


class AnimatedGIF:
    """An animated GIF held in memory: a notebook shows it (``image/gif``), ``save(path)`` writes it.

    An image needs no script, so it plays where an HTML/JavaScript animation cannot: in a notebook
    opened untrusted (every downloaded one), in a reopened one, on GitHub.
    """

    def __init__(self, data: bytes, frames: int):
        self.data, self.frames = data, frames

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"image/gif": base64.b64encode(self.data).decode("ascii"),
                "text/plain": f"<animated GIF: {self.frames} frames>"}

    def save(self, path) -> Path:
        """Write the GIF to ``path`` atomically (a crash mid-write leaves any older file whole)."""
        return atomic_write(path, lambda tmp: tmp.write_bytes(self.data))


def shown_epochs(epochs: int, every: int = 1) -> list[int]:
    """The epochs (0-based) an animation shows: every ``every``-th one, and always the last."""
    if every < 1:
        raise ValueError(f"every must be 1 or more (1 shows every epoch), got {every}")
    shown = list(range(every - 1, epochs, every))
    return shown if shown and shown[-1] == epochs - 1 else shown + [epochs - 1]


def progress_frames(history, num_images: int = 16, scale: int | None = None, every: int = 1) -> list[Image.Image]:
    """One picture per epoch (grey, or colour for colour samples): the fixed-noise grid, ``scale`` times
    larger (3 for 28x28 digits, 1 for 64x64 pictures: about 250 pixels a side for 16), titled "epoch N".

    ``every=3`` keeps every third epoch (and the last): a colour GIF costs about 100 KB a frame, so a
    long colour run's animation would otherwise swell the notebook that shows it.
    """
    scale = scale or max(1, 84 // history.samples[-1].size(-1))
    num_images = min(num_images, len(history.samples[-1]))
    nrow = math.ceil(num_images ** 0.5)
    frames = []
    for epoch in shown_epochs(len(history), every):
        picture = grid_picture(history.sample_images(epoch), num_images, nrow)  # (H, W) grey or (H, W, 3)
        pixels = Image.fromarray((picture.clip(0, 1) * 255).round().astype("uint8"))
        pixels = pixels.resize((pixels.width * scale, pixels.height * scale), Image.NEAREST)  # sharp pixels
        frame = Image.new(pixels.mode, (pixels.width, pixels.height + 16), "white")
        frame.paste(pixels, (0, 16))
        ImageDraw.Draw(frame).text((4, 2), f"epoch {epoch + 1} of {len(history)}", fill="black")
        frames.append(frame)
    return frames


def progress_animation(history, num_images: int = 16, seconds_per_frame: float = 0.4,
                       every: int = 1) -> AnimatedGIF:
    """The fixed-noise samples as an animated GIF, one frame per epoch (or per ``every`` epochs, and
    the last), the last held for 2 s.

    Taught in notebook 07.
    """
    frames = progress_frames(history, num_images, every=every)
    durations = [round(seconds_per_frame * 1000)] * (len(frames) - 1) + [2000]
    data = io.BytesIO()
    frames[0].save(data, format="GIF", save_all=True, append_images=frames[1:], duration=durations, loop=0)
    return AnimatedGIF(data.getvalue(), len(frames))


def save_progress_gif(history, path, num_images: int = 16) -> Path:
    """Write the progress animation as a GIF file."""
    return progress_animation(history, num_images).save(path)
