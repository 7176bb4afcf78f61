"""Watch training: a live dashboard updated in place each epoch, and the progress animation.

Like viz, this module reads a History and trains nothing: ``train(..., live=True)`` adds
``LiveDashboard.update`` to the hooks called after every epoch. Both show plain images, never
widgets or scripts, so a saved notebook reopens as it was, untrusted or on GitHub. Taught in notebook 07.
"""
from __future__ import annotations

import base64
import io
import math
from pathlib import Path

import matplotlib.pyplot as plt
from PIL import Image, ImageDraw

from .progress import NotebookOutput
from .viz import image_grid, plot_losses, plot_quality


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
    ax_img.imshow(image_grid(history.sample_images(), num_images, nrow)[0].numpy(), cmap="gray", vmin=0, vmax=1)
    ax_img.set_title(f"fixed noise after epoch {len(history)}")
    ax_img.axis("off")
    fig.tight_layout()
    return fig


class LiveDashboard:
    """One output area in a notebook that shows the latest losses and samples, updated in place.

    ``start`` displays a one-line placeholder with ``display(..., display_id=True)`` before the
    first epoch; each ``update`` replaces it through the same handle with a PNG. So the notebook
    holds one picture, not one per epoch, and it stands above all the epoch lines, not between them.
    """

    def __init__(self):
        self.output = NotebookOutput()

    def start(self) -> None:
        self.output.show_text("The dashboard appears here after the first epoch.")

    def update(self, history) -> None:
        fig = dashboard_figure(history)
        png = io.BytesIO()
        fig.savefig(png, format="png", dpi=80)
        plt.close(fig)
        self.output.show({"image/png": base64.b64encode(png.getvalue()).decode("ascii"),
                    "text/plain": f"<dashboard after epoch {len(history)}>"})


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
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(self.data)
        return path


def progress_frames(history, num_images: int = 16, scale: int = 3) -> list[Image.Image]:
    """One greyscale picture per epoch: the fixed-noise grid, ``scale`` times larger, titled "epoch N"."""
    num_images = min(num_images, len(history.samples[-1]))
    nrow = math.ceil(num_images ** 0.5)
    frames = []
    for epoch in range(len(history)):
        grid = image_grid(history.sample_images(epoch), num_images, nrow)[0]
        pixels = Image.fromarray((grid.clamp(0, 1) * 255).round().byte().numpy())  # 2-D uint8: greyscale
        pixels = pixels.resize((pixels.width * scale, pixels.height * scale), Image.NEAREST)  # sharp pixels
        frame = Image.new("L", (pixels.width, pixels.height + 16), 255)
        frame.paste(pixels, (0, 16))
        ImageDraw.Draw(frame).text((4, 2), f"epoch {epoch + 1} of {len(history)}", fill=0)
        frames.append(frame)
    return frames


def progress_animation(history, num_images: int = 16, seconds_per_frame: float = 0.4) -> AnimatedGIF:
    """The fixed-noise samples as an animated GIF, one frame per epoch, the last held for 2 s.

    Taught in notebook 07.
    """
    frames = progress_frames(history, num_images)
    durations = [round(seconds_per_frame * 1000)] * (len(frames) - 1) + [2000]
    data = io.BytesIO()
    frames[0].save(data, format="GIF", save_all=True, append_images=frames[1:], duration=durations, loop=0)
    return AnimatedGIF(data.getvalue(), len(frames))


def save_progress_gif(history, path, num_images: int = 16) -> Path:
    """Write the progress animation as a GIF file."""
    return progress_animation(history, num_images).save(path)
