"""The progress bar while an epoch trains, shaped for where the run is watched.

- In a Jupyter kernel (JupyterLab, Colab): one line of plain text, updated in place through a
  display handle. A widget bar (``tqdm.notebook``) would do the same while the kernel runs, but its
  output refers to a widget model that dies with the kernel: a saved notebook reopens with
  "Error displaying widget: model not found" where each bar was. Text has no model to lose.
- In a terminal: tqdm's bar on stderr, cleared at the end of each epoch (the epoch's line follows).
- Anywhere else (a log file, CI, ``nohup``): no bar. Carriage returns would pile up into one long
  line; the per-epoch lines say what the bar would have.

``TQDM_DISABLE=1`` turns the bar off everywhere (tqdm's own notebook bar ignores it; ganlab does not).
"""
from __future__ import annotations

import os
import sys
import time

from tqdm import tqdm


def in_notebook() -> bool:
    """True inside a Jupyter kernel (JupyterLab, Colab, nbclient), False in a shell or pytest."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and type(shell).__name__ in ("ZMQInteractiveShell", "Shell")


def bars_disabled_by_env() -> bool:
    """True when ``TQDM_DISABLE`` is set to anything but "", "0" or "false"."""
    return os.environ.get("TQDM_DISABLE", "").lower() not in ("", "0", "false")


def bar_kind(enabled: bool = True) -> str:
    """Which bar a run gets here: "notebook", "terminal" or "off" (see the module docstring)."""
    if not enabled or bars_disabled_by_env():
        return "off"
    if in_notebook():
        return "notebook"
    return "terminal" if getattr(sys.stderr, "isatty", lambda: False)() else "off"


class NotebookOutput:
    """One output of a notebook cell, replaced in place through a display handle.

    ``show(bundle)`` takes a raw MIME bundle (``{"text/plain": ...}``, or an image as base64); the
    first call displays it, later ones replace it. The progress bar and the live dashboard use it.
    """

    def __init__(self):
        self.handle = None

    def show(self, bundle: dict) -> None:
        from IPython.display import display

        if self.handle is None:
            self.handle = display(bundle, raw=True, display_id=True)
        else:
            self.handle.update(bundle, raw=True)

    def show_text(self, text: str) -> None:
        self.show({"text/plain": text})


class NotebookBar:
    """Iterate over ``batches`` and show tqdm's bar text on ``line`` at most every ``every`` seconds."""

    def __init__(self, batches, desc: str, line: NotebookOutput, every: float = 0.5):
        self.batches, self.desc, self.line, self.every = batches, desc, line, every

    def __len__(self) -> int:
        return len(self.batches)

    def __iter__(self):
        total, start, shown = len(self.batches), time.perf_counter(), None
        for n, batch in enumerate(self.batches):
            now = time.perf_counter()
            if shown is None or now - shown >= self.every:
                self.line.show_text(tqdm.format_meter(n, total, now - start, prefix=self.desc, ncols=90))
                shown = now
            yield batch


class ProgressBars:
    """The bars of one run: ``wrap(batches, desc)`` for each epoch, ``close()`` at the end.

    In a notebook every epoch's bar reuses one output line, so the cell shows one bar, not one
    per epoch, and ``close`` empties it.
    """

    def __init__(self, enabled: bool = True):
        self.kind = bar_kind(enabled)
        self.line = NotebookOutput() if self.kind == "notebook" else None

    def wrap(self, batches, desc: str):
        if self.kind == "terminal":
            return tqdm(batches, desc=desc, leave=False)
        if self.kind == "notebook":
            return NotebookBar(batches, desc, self.line)
        return batches

    def close(self) -> None:
        if self.line is not None and self.line.handle is not None:
            self.line.show_text("")
