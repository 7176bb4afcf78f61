"""Watch training: a live dashboard updated in place each epoch, and the progress animation.

Like viz, this module reads a History and trains nothing: ``train(..., live=True)`` adds
``LiveDashboard.update`` to the hooks called after every epoch. Taught in notebook 07.
"""
from __future__ import annotations

import io
import math
from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib import animation

from .viz import image_grid, plot_losses, plot_quality


def in_notebook() -> bool:
    """True inside a Jupyter kernel (JupyterLab, Colab, nbclient), False in a shell or pytest."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and type(shell).__name__ in ("ZMQInteractiveShell", "Shell")


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

    The first ``update`` displays a PNG with ``display(..., display_id=True)``; later ones
    replace it through the same handle, so the notebook holds one picture, not one per epoch.
    """

    def __init__(self):
        self.handle = None

    def update(self, history) -> None:
        from IPython.display import Image, display

        fig = dashboard_figure(history)
        png = io.BytesIO()
        fig.savefig(png, format="png", dpi=80)
        plt.close(fig)
        image = Image(data=png.getvalue())
        if self.handle is None:
            self.handle = display(image, display_id=True)
        else:
            self.handle.update(image)


def progress_animation(history, num_images: int = 16, interval: int = 400):
    """An animation of the fixed-noise samples, one frame per epoch (``.to_jshtml()`` for notebooks).

    Taught in notebook 07.
    """
    num_images = min(num_images, len(history.samples[-1]))
    nrow = math.ceil(num_images ** 0.5)
    fig, ax = plt.subplots(figsize=(4, 4.3))
    ax.axis("off")
    frames = [image_grid(history.sample_images(e), num_images, nrow)[0].numpy() for e in range(len(history))]
    shown = ax.imshow(frames[0], cmap="gray", vmin=0, vmax=1, interpolation="nearest")  # sharp pixels, 3x smaller HTML
    title = ax.set_title("epoch 1")

    def draw(epoch):
        shown.set_data(frames[epoch])
        title.set_text(f"epoch {epoch + 1}")
        return shown, title

    anim = animation.FuncAnimation(fig, draw, frames=len(frames), interval=interval, blit=False)
    plt.close(fig)  # the animation keeps the figure; don't also show it as a still
    return anim


def save_progress_gif(history, path, num_images: int = 16, fps: int = 3) -> Path:
    """Write the progress animation as a GIF (matplotlib's Pillow writer)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    progress_animation(history, num_images).save(path, writer=animation.PillowWriter(fps=fps))
    return path
