"""Beat the discriminator: a quiz for a class. Which of these images are fake?

``spot_the_fake_quiz(real, fake, judges)`` lays out a grid of real and generated images, shuffled.
Each learner marks the ones they think are fake (a toggle under each image) and presses "Check":
the answer appears, with their score beside the score of each judge (the GAN's D, a fresh
detector, ...) on the very same grid. It works with ipywidgets 8 (JupyterLab) and 7.7 (Colab).
Where no widget can run (GitHub, nbval, a headless run), it shows the numbered grid and the answer
key below it, hidden in a collapsed section of the page. Taught in notebooks/next/spot_the_fake.
"""
from __future__ import annotations

import io
import math
from dataclasses import dataclass

import matplotlib.pyplot as plt
import torch

from .detect import scores
from .explorer import widgets_available
from .viz import grid_picture


@dataclass
class Quiz:
    """A shuffled grid: ``images`` (N, C, H, W) in [-1, 1], ``is_fake`` (N,) bools, and each judge's
    verdicts (``judged[name]``: True where that judge calls the image fake)."""

    images: torch.Tensor
    is_fake: torch.Tensor
    judged: dict

    def score(self, marked_fake) -> float:
        """The share of the grid a set of verdicts gets right (True = "fake")."""
        marked = torch.as_tensor(list(marked_fake), dtype=torch.bool)
        return float((marked == self.is_fake).double().mean())

    def judges_scores(self) -> dict:
        return {name: self.score(verdicts) for name, verdicts in self.judged.items()}


def make_quiz(real: torch.Tensor, fake: torch.Tensor, judges: dict | None = None, n: int = 16, seed: int = 0) -> Quiz:
    """``n`` images, half real and half fake, in a seeded random order; each judge (a model whose
    logit is high for "real") calls an image fake where its logit is below 0."""
    half = n // 2
    if len(real) < n - half or len(fake) < half:
        raise ValueError(f"a quiz of {n} needs {n - half} real and {half} fake images; "
                         f"got {len(real)} and {len(fake)}.")
    generator = torch.Generator().manual_seed(seed)
    images = torch.cat([real[:n - half].cpu(), fake[:half].cpu()])
    is_fake = torch.cat([torch.zeros(n - half, dtype=torch.bool), torch.ones(half, dtype=torch.bool)])
    order = torch.randperm(n, generator=generator)
    images, is_fake = images[order], is_fake[order]
    judged = {name: (scores(model, images) < 0) for name, model in (judges or {}).items()}
    return Quiz(images, is_fake, judged)


def _png(image: torch.Tensor) -> bytes:
    fig, ax = plt.subplots(figsize=(1.3, 1.3), dpi=72)
    ax.imshow(grid_picture(image.unsqueeze(0), 1, 1), cmap="gray", vmin=0, vmax=1)
    ax.axis("off")
    fig.subplots_adjust(0, 0, 1, 1)
    png = io.BytesIO()
    fig.savefig(png, format="png")
    plt.close(fig)
    return png.getvalue()


def answer_text(quiz: Quiz, marked_fake=None) -> str:
    """The key (which numbers are fake), the learner's score if given, and each judge's, in plain text."""
    fakes = [str(i + 1) for i, fake in enumerate(quiz.is_fake.tolist()) if fake]
    lines = [f"The fakes: {', '.join(fakes)} ({len(fakes)} of {len(quiz.is_fake)})."]
    if marked_fake is not None:
        lines.append(f"You: {100 * quiz.score(marked_fake):.0f} % right.")
    lines += [f"{name}: {100 * right:.0f} % right." for name, right in quiz.judges_scores().items()]
    return "\n".join(lines)


def spot_the_fake_quiz(real: torch.Tensor, fake: torch.Tensor, judges: dict | None = None, n: int = 16,
                       seed: int = 0):
    """Show the quiz (see the module's docstring); returns the ``Quiz`` (its answer and judges).

    ``real`` and ``fake`` are image batches in [-1, 1]; ``judges`` maps a name to a model whose
    logit is high for "real" (the GAN's D, a detector of ``ganlab.detect``).
    """
    quiz = make_quiz(real, fake, judges, n, seed)
    from IPython.display import HTML, display

    if not widgets_available():
        rows, columns = math.ceil(n / 8), min(n, 8)
        fig, axes = plt.subplots(rows, columns, figsize=(columns * 1.3, rows * 1.5), squeeze=False)
        for i, ax in enumerate(axes.flat):
            ax.axis("off")
            if i < n:  # the last row may be short
                ax.imshow(grid_picture(quiz.images[i:i + 1], 1, 1), cmap="gray", vmin=0, vmax=1)
                ax.set_title(str(i + 1), fontsize=9)
        plt.tight_layout()
        plt.show()
        display(HTML("<details><summary>Write down the numbers you think are fake, then open the answer"
                     f"</summary><pre>{answer_text(quiz)}</pre></details>"))
        return quiz
    display(quiz_widget(quiz))
    return quiz


def quiz_widget(quiz: Quiz):
    """The quiz's ipywidgets box, built but not displayed: images with a "fake?" toggle each, and "Check"."""
    import ipywidgets as widgets

    toggles = [widgets.ToggleButton(value=False, description=f"{i + 1}: fake?", layout=widgets.Layout(width="96px"))
               for i in range(len(quiz.images))]
    cells = [widgets.VBox([widgets.Image(value=_png(image), format="png", width=90, height=90), toggle])
             for image, toggle in zip(quiz.images, toggles)]
    check = widgets.Button(description="Check", button_style="primary")
    result = widgets.HTML(value="")

    def on_check(_):
        text = answer_text(quiz, [toggle.value for toggle in toggles])
        result.value = "<pre class='ganlab-quiz-result'>" + text + "</pre>"
        for toggle, fake in zip(toggles, quiz.is_fake.tolist()):
            toggle.button_style = "success" if toggle.value == fake else "danger"

    check.on_click(on_check)
    grid = widgets.GridBox(cells, layout=widgets.Layout(grid_template_columns="repeat(8, 100px)"))
    return widgets.VBox([grid, check, result])
