"""Explore what the trained generator learned: interpolations, latent sliders, nearest real images.

Taught in notebooks 07 and 08.
"""
from __future__ import annotations

import os

import matplotlib.pyplot as plt
import torch

from .models import generate
from .sampling import seeded_noise
from .viz import show_tensor_images


def slerp(a: torch.Tensor, b: torch.Tensor, t: float) -> torch.Tensor:
    """Spherical interpolation: walks the arc between a and b, where Gaussian noise mostly lives.

    A straight line between two noise vectors passes closer to the origin than either end, through
    vectors shorter than the generator ever saw; the arc keeps their length.
    """
    a_unit, b_unit = a / a.norm(dim=1, keepdim=True), b / b.norm(dim=1, keepdim=True)
    omega = torch.acos((a_unit * b_unit).sum(dim=1, keepdim=True).clamp(-1, 1))
    if omega.abs().max() < 1e-6:
        return (1 - t) * a + t * b
    return (torch.sin((1 - t) * omega) * a + torch.sin(t * omega) * b) / torch.sin(omega)


def interpolate(G, seed_a: int, seed_b: int, steps: int = 8, mode: str = "slerp") -> torch.Tensor:
    """Images along the way from seed_a's noise to seed_b's: (steps, 1, 28, 28) in [-1, 1]."""
    if mode not in ("linear", "slerp"):
        raise ValueError(f"mode must be 'linear' or 'slerp', got {mode!r}.")
    device = next(G.parameters()).device
    a, b = seeded_noise(1, G.noise_dim, seed_a, device), seeded_noise(1, G.noise_dim, seed_b, device)
    ts = torch.linspace(0, 1, steps).tolist()
    mix = (lambda t: (1 - t) * a + t * b) if mode == "linear" else (lambda t: slerp(a, b, t))
    return generate(G, torch.cat([mix(t) for t in ts]))


def interpolation_strip(G, seed_a: int = 0, seed_b: int = 1, steps: int = 8, mode: str = "slerp"):
    """Show one row of images morphing from seed_a's image to seed_b's."""
    fig, ax = plt.subplots(figsize=(steps * 1.1, 1.5))
    show_tensor_images(interpolate(G, seed_a, seed_b, steps, mode), steps, nrow=steps, ax=ax)
    ax.set_title(f"{mode} interpolation, seed {seed_a} -> seed {seed_b}", fontsize=9)
    return fig


def nearest_real(samples: torch.Tensor, real: torch.Tensor, k: int = 3) -> torch.Tensor:
    """For each sample, its k closest real images by pixel distance: (n, k, 1, 28, 28).

    If the generator had memorised its training set, these would be copies of the samples.
    """
    flat_samples = samples.detach().flatten(1).float().cpu()
    flat_real = real.flatten(1).float().cpu()
    distances = torch.cdist(flat_samples, flat_real)  # (n, N)
    index = distances.topk(k, largest=False).indices  # (n, k)
    return real.cpu()[index]


def show_nearest_real(samples: torch.Tensor, real: torch.Tensor, k: int = 3):
    """One row per sample: the sample (left), then its k nearest real training images.

    Taught in notebook 07.
    """
    neighbours = nearest_real(samples, real, k)
    n = samples.size(0)
    fig, axes = plt.subplots(n, k + 1, figsize=((k + 1) * 1.1, n * 1.1), squeeze=False)
    for row in range(n):
        images = [samples[row].detach().cpu(), *neighbours[row]]
        for col, image in enumerate(images):
            axes[row][col].imshow(image.squeeze(0).numpy(), cmap="gray", vmin=-1, vmax=1)
            axes[row][col].axis("off")
    axes[0][0].set_title("sample", fontsize=8)
    for col in range(1, k + 1):
        axes[0][col].set_title(f"nearest {col}", fontsize=8)
    fig.tight_layout()
    return fig


def widgets_available() -> bool:
    """True when interactive widgets can be shown: ipywidgets is there, a kernel runs, and
    ``GANLAB_STATIC`` is unset (the notebook tools set it for headless runs)."""
    from .progress import in_notebook

    if os.environ.get("GANLAB_STATIC", "0") not in ("", "0") or not in_notebook():
        return False
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        return False
    return True


def explorer_image(G, D, seed_a, seed_b, t, mode, offsets):
    """The explorer's picture: the noise at ``t`` between two seeds, plus coordinate offsets."""
    device = next(G.parameters()).device
    a, b = seeded_noise(1, G.noise_dim, seed_a, device), seeded_noise(1, G.noise_dim, seed_b, device)
    z = (1 - t) * a + t * b if mode == "linear" else slerp(a, b, t)
    z = z.clone()
    z[0, :len(offsets)] += torch.tensor(offsets, dtype=z.dtype, device=device)
    image = generate(G, z)
    score = None
    if D is not None:
        was_training = D.training
        D.eval()
        with torch.no_grad():
            score = torch.sigmoid(D(image)).item()
        D.train(was_training)
    return image, score


def latent_explorer(G, D=None, n_coordinates: int = 4) -> None:
    """Show sliders for two seeds, the way between them (linear or spherical) and a few latent
    coordinates, with the image large and D's "real" probability when D is given.

    Displays the explorer and returns None, so it appears once, wherever the call stands in a cell
    (``explorer_widget`` builds it without showing it). Works with ipywidgets 7.7 (Colab) and 8.
    Without a widget front end (GitHub, nbval, headless runs) it shows a static interpolation
    strip instead. Taught in notebooks 07 and 08.
    """
    if not widgets_available():
        interpolation_strip(G, 0, 1, steps=8, mode="slerp")
        plt.show()
        return None
    from IPython.display import display

    display(explorer_widget(G, D, n_coordinates))
    return None


def explorer_widget(G, D=None, n_coordinates: int = 4):
    """The latent explorer's ipywidgets box, built but not displayed (see ``latent_explorer``)."""
    import ipywidgets as widgets

    seed_a = widgets.IntSlider(value=0, min=0, max=999, description="seed A")
    seed_b = widgets.IntSlider(value=1, min=0, max=999, description="seed B")
    t = widgets.FloatSlider(value=0.0, min=0.0, max=1.0, step=0.05, description="A -> B")
    mode = widgets.Dropdown(options=["slerp", "linear"], value="slerp", description="path")
    coords = [widgets.FloatSlider(value=0.0, min=-3.0, max=3.0, step=0.1, description=f"z[{i}] +")
              for i in range(n_coordinates)]
    out = widgets.Output()

    def draw(**values):
        offsets = [values[f"c{i}"] for i in range(n_coordinates)]
        image, score = explorer_image(G, D, values["seed_a"], values["seed_b"], values["t"],
                                      values["mode"], offsets)
        with out:
            out.clear_output(wait=True)
            fig, ax = plt.subplots(figsize=(3.2, 3.4))
            ax.imshow(image[0, 0].cpu().numpy(), cmap="gray", vmin=-1, vmax=1)
            ax.axis("off")
            if score is not None:
                ax.set_title(f"D says real with p = {score:.2f}")
            plt.show()

    controls = {"seed_a": seed_a, "seed_b": seed_b, "t": t, "mode": mode,
                **{f"c{i}": slider for i, slider in enumerate(coords)}}
    widgets.interactive_output(draw, controls)
    return widgets.HBox([widgets.VBox([seed_a, seed_b, t, mode, *coords]), out])
