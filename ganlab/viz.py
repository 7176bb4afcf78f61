"""Pictures of what the networks see and make: image grids and loss curves.

viz reads tensors and a History; it trains nothing. Taught in notebook 03 (show_tensor_images)
and notebook 07 (plot_losses).
"""
from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import torch
from matplotlib.ticker import MaxNLocator
from torchvision.utils import make_grid, save_image

from .checkpoint import atomic_write
from .sampling import from_signed


def _as_image_batch(tensor: torch.Tensor) -> torch.Tensor:
    """Return a (B, C, H, W) view of ``tensor``; (B, H*W) with a square H*W is 1-channel."""
    tensor = tensor.detach().cpu().float()
    if tensor.dim() == 2:
        side = round(tensor.size(1) ** 0.5)
        if side * side != tensor.size(1):
            raise ValueError(f"show_tensor_images got a (B, {tensor.size(1)}) tensor; a flat image "
                             "needs a square number of pixels, e.g. (B, 784) for 28x28.")
        return tensor.view(-1, 1, side, side)
    if tensor.dim() != 4 or tensor.size(1) not in (1, 3):
        raise ValueError(f"show_tensor_images needs (B, C, H, W) with C = 1 or 3, or (B, H*W); got "
                         f"shape {tuple(tensor.shape)}. Add a batch dimension with .unsqueeze(0).")
    return tensor


def image_grid(tensor: torch.Tensor, num_images: int = 16, nrow: int = 4) -> torch.Tensor:
    """Lay the first ``num_images`` images in [-1, 1] out as one (C, H, W) grid in [0, 1]."""
    images = _as_image_batch(tensor)[:num_images]
    return make_grid(from_signed(images, (0, 1)), nrow=nrow).clamp(0, 1)  # imshow wants [0, 1]


def grid_picture(tensor: torch.Tensor, num_images: int = 16, nrow: int = 4):
    """``image_grid`` as an array imshow draws: (H, W) for one channel, (H, W, 3) for colour, in [0, 1]."""
    grid = image_grid(tensor, num_images, nrow)
    return grid[0].numpy() if _as_image_batch(tensor).size(1) == 1 else grid.permute(1, 2, 0).numpy()


def show_tensor_images(tensor_img: torch.Tensor, num_images: int = 16, nrow: int = 4, ax=None,
                       title: str | None = None):
    """Show a batch of images in [-1, 1] as one grid, without axes.

    Takes (B, C, H, W) or flat (B, H*W) tensors on any device, with or without grad.
    Line by line: detach and move to the CPU (matplotlib needs plain numbers), map [-1, 1]
    to [0, 1], tile with ``make_grid``, then permute (C, H, W) -> (H, W, C), the order
    matplotlib draws (a one-channel grid is drawn from its first channel with a gray colour
    map instead). Taught in notebook 03.
    """
    picture = grid_picture(tensor_img, num_images, nrow)  # make_grid copies 1 channel to 3: draw one, grey
    if ax is None:
        _, ax = plt.subplots(figsize=(nrow * 1.2, nrow * 1.2))
    ax.imshow(picture, cmap="gray", vmin=0, vmax=1)  # the colour map is ignored for (H, W, 3) colour
    ax.axis("off")
    if title:
        ax.set_title(title)
    return ax


def save_grid(tensor: torch.Tensor, path, nrow: int = 8) -> Path:
    """Save images in [-1, 1] as one PNG grid (torchvision's ``save_image``), written atomically."""
    pixels = from_signed(_as_image_batch(tensor), (0, 1)).clamp(0, 1)
    return atomic_write(path, lambda tmp: save_image(pixels, tmp, nrow=nrow, format="png"))


def plot_losses(history, ax=None, title: str = "Losses per epoch"):
    """Plot the mean D and G loss of every epoch of a History. Taught in notebook 07."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    epochs = range(1, len(history) + 1)
    ax.plot(epochs, history.d_loss, "o-", label="D loss")
    ax.plot(epochs, history.g_loss, "o-", label="G loss")
    ax.axhline(0.693, color="grey", ls=":", lw=1, label="ln 2 (D guessing)")
    ax.set_xlabel("epoch")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("binary cross-entropy")
    ax.set_title(title)
    ax.legend()
    return ax


def plot_quality(history, ax=None, title: str = "Quality per epoch", reference=None):
    """Plot the tracked Frechet distance per epoch (left axis, best epoch marked) and the modes
    covered (right axis). Needs a History from ``train(track=...)``. ``reference``, a
    ``ganlab.history.ReferenceBand``, draws known-good runs behind it (a band where several seeds were
    measured) and the real-vs-real floor. Taught in notebook 07."""
    if not history.frechet:
        raise ValueError("This History has no quality scores: train with track=2000 (the default) "
                         "and a dataset whose test set and classifier are present.")
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    epochs = range(1, len(history.frechet) + 1)
    if reference is not None:
        shown = range(1, min(reference.epochs(), max(len(history.frechet), 5)) + 1)
        low, high = reference.low()[:len(shown)], reference.high()[:len(shown)]
        if low == high:
            ax.plot(shown, low, "-", color="grey", alpha=0.6, label=reference.label)
        else:
            ax.fill_between(shown, low, high, color="grey", alpha=0.25, label=reference.label)
        if reference.floor is not None:
            ax.axhline(reference.floor, color="grey", ls="--", lw=1, label="real vs real (floor)")
    ax.plot(epochs, history.frechet, "o-", color="tab:green", label="Frechet distance")
    best = history.best_epoch()
    ax.plot([best + 1], [history.frechet[best]], "*", ms=14, color="gold", mec="black",
            label=f"best: epoch {best + 1}")
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("Frechet distance (log, lower is better)")
    modes_ax = ax.twinx()
    modes_ax.plot(epochs, history.modes, "s--", color="tab:purple", ms=4, alpha=0.7, label="modes covered")
    modes_ax.set_ylim(0, 10.5)
    modes_ax.set_ylabel("classes covered (of 10)")
    lines = ax.get_legend_handles_labels()
    more = modes_ax.get_legend_handles_labels()
    ax.legend(lines[0] + more[0], lines[1] + more[1], loc="upper right")
    ax.set_title(title)
    return ax


def plot_history(history, title: str = "Losses per epoch"):
    """The losses, and beside them the tracked quality when the History has it; returns the figure."""
    if not history.tracked:
        return plot_losses(history, title=title).figure
    fig, (ax_loss, ax_quality) = plt.subplots(1, 2, figsize=(12, 3.8))
    plot_losses(history, ax=ax_loss, title=title)
    plot_quality(history, ax=ax_quality)
    fig.tight_layout()
    return fig


def show_progress(history, epochs=None, num_images: int = 8):
    """Show the fixed-noise samples of several epochs as rows, to watch the digits form.

    Taught in notebook 07.
    """
    epochs = list(epochs) if epochs is not None else sorted({0, len(history) // 4, len(history) // 2,
                                                              len(history) - 1})
    fig, axes = plt.subplots(len(epochs), 1, figsize=(num_images * 0.9, len(epochs) * 1.1))
    for ax, epoch in zip(list(getattr(axes, "flat", [axes])), epochs):
        show_tensor_images(history.sample_images(epoch), num_images, nrow=num_images, ax=ax)
        ax.set_title(f"epoch {epoch + 1}", fontsize=9, loc="left")
    fig.tight_layout()
    return fig
