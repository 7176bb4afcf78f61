"""The progress bar: text in a notebook (one line every epoch reuses), tqdm in a terminal, nothing elsewhere."""
import io
import re
import subprocess
import sys

import pytest

from ganlab import progress
from ganlab.config import Config
from ganlab.data import DeviceBatches
from ganlab.session import train


class FakeTTY(io.StringIO):
    def isatty(self):
        return True


@pytest.mark.parametrize("env, enabled, notebook, tty, kind", [
    ("", True, True, False, "notebook"),
    ("", True, False, True, "terminal"),
    ("", True, False, False, "off"),      # a log file, CI, nohup: no carriage returns piling up
    ("1", True, True, True, "off"),       # TQDM_DISABLE wins everywhere, a notebook included
    ("true", True, False, True, "off"),
    ("0", True, False, True, "terminal"),
    ("", False, True, True, "off"),       # train(..., progress=False)
])
def test_the_bar_fits_where_the_run_is_watched(monkeypatch, env, enabled, notebook, tty, kind):
    monkeypatch.setenv("TQDM_DISABLE", env)
    monkeypatch.setattr(progress, "in_notebook", lambda: notebook)
    monkeypatch.setattr(sys, "stderr", FakeTTY() if tty else io.StringIO())
    assert progress.bar_kind(enabled) == kind


@pytest.fixture
def fake_notebook(monkeypatch):
    """Pretend to be a kernel; record what is displayed and how each output is updated."""
    outputs = []

    class Handle:
        def __init__(self, index):
            self.index = index

        def update(self, bundle, raw=False):
            assert raw is True
            outputs[self.index].append(bundle["text/plain"])

    def display(bundle, raw=False, display_id=False):
        assert raw is True and display_id is True and set(bundle) == {"text/plain"}
        outputs.append([bundle["text/plain"]])
        return Handle(len(outputs) - 1)

    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    monkeypatch.setattr(progress, "in_notebook", lambda: True)
    monkeypatch.setattr("IPython.display.display", display)
    return outputs


def test_in_a_notebook_every_epoch_reuses_one_plain_text_line_emptied_at_the_end(fake_notebook, mnist_sample):
    cfg = Config(batch_size=64, epochs=2, device="cpu")
    history = train(cfg, batches=DeviceBatches.from_config(cfg, mnist_sample(200)))
    assert len(history) == 2
    (line,) = fake_notebook  # one output for the whole run, not one per epoch, and no widget
    assert line[0].startswith("epoch 1/2:") and "0/4" in line[0]  # 200 images in batches of 64
    assert any(text.startswith("epoch 2/2:") for text in line)
    assert line[-1] == ""  # emptied, so a finished or saved notebook shows no stale bar


def test_the_notebook_line_is_emptied_when_training_stops_with_an_error(fake_notebook, mnist_sample):
    class Boom(Exception):
        pass

    def explode(history):
        raise Boom

    cfg = Config(batch_size=64, epochs=3, device="cpu")
    with pytest.raises(Boom):
        train(cfg, batches=DeviceBatches.from_config(cfg, mnist_sample(200)), on_epoch=explode)
    assert fake_notebook[0][-1] == ""


@pytest.mark.slow
def test_without_a_terminal_the_cli_writes_plain_epoch_lines_and_no_carriage_returns(tmp_path):
    run = subprocess.run([sys.executable, "-m", "ganlab", "train", "--epochs", "1", "--out", str(tmp_path),
                          "--data-dir", str(tmp_path / "nothing-here")],
                         capture_output=True, text=True, timeout=600, env={"PATH": "/usr/bin:/bin"})
    assert run.returncode == 0, run.stderr
    assert "\r" not in run.stdout + run.stderr
    assert re.search(r"^epoch +1/1 ", run.stdout, re.M)
