"""Saved work is never lost: no silent overwrite, truthful Ctrl-C, resume identical across processes."""
import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from conftest import InterruptAt

from ganlab.__main__ import INTERRUPTED, main
from ganlab.checkpoint import best_checkpoint_path, load_checkpoint
from ganlab.config import Config
from ganlab.data import SAMPLE_DIR, DeviceBatches
from ganlab.session import train

REPO = Path(__file__).resolve().parent.parent
train_module = importlib.import_module("ganlab.train")  # ganlab.train is also the function


def small_config(**overrides):
    return Config(**{"batch_size": 64, "epochs": 2, "device": "cpu", "data_dir": str(SAMPLE_DIR), **overrides})


@pytest.fixture
def batches(mnist_sample):
    return lambda cfg: DeviceBatches.from_config(cfg, mnist_sample(128))


def test_train_refuses_to_replace_a_saved_run_unless_told(batches, tmp_path):
    cfg = small_config()
    path = tmp_path / "checkpoint.pt"
    train(cfg, batches=batches(cfg), checkpoint=path, keep_best=True)
    saved, best = path.read_bytes(), best_checkpoint_path(path).read_bytes()
    with pytest.raises(FileExistsError, match="exists: pass resume=.* overwrite=True"):
        train(small_config(epochs=1), batches=batches(cfg), checkpoint=path, keep_best=True)
    assert path.read_bytes() == saved and best_checkpoint_path(path).read_bytes() == best
    path.unlink()  # the best copy alone is saved work too
    with pytest.raises(FileExistsError, match="checkpoint_best.pt exists"):
        train(small_config(epochs=1), batches=batches(cfg), checkpoint=path, keep_best=True)
    train(small_config(epochs=1), batches=batches(cfg), checkpoint=path, keep_best=True, overwrite=True)
    assert load_checkpoint(path)["epoch"] == 1


def test_resuming_into_another_existing_checkpoint_is_refused_too(batches, tmp_path):
    cfg = small_config(epochs=1)
    old, new = tmp_path / "old.pt", tmp_path / "new.pt"
    train(cfg, batches=batches(cfg), checkpoint=old, track=0)
    new.write_bytes(b"precious")
    with pytest.raises(FileExistsError, match="new.pt exists"):
        train(small_config(epochs=2), batches=batches(cfg), resume=old, checkpoint=new, track=0)
    assert new.read_bytes() == b"precious"
    new.unlink()
    history = train(small_config(epochs=2), batches=batches(cfg), resume=old, checkpoint=new, track=0)
    assert len(history) == 2 and load_checkpoint(new)["epoch"] == 2 and load_checkpoint(old)["epoch"] == 1


def test_resuming_a_checkpoint_of_another_game_is_one_line(batches, tmp_path):
    cfg = small_config(epochs=1)
    path = tmp_path / "checkpoint.pt"
    train(cfg, batches=batches(cfg), checkpoint=path, track=0)
    state = load_checkpoint(path)
    state["game"] = "wgan-gp"
    torch.save(state, path)
    with pytest.raises(ValueError, match="holds a wgan-gp run, not dcgan"):
        train(small_config(epochs=2), batches=batches(cfg), resume=path, track=0)


def test_empty_batches_are_refused_before_anything_runs(tmp_path):
    with pytest.raises(ValueError, match="batches is empty"):
        train(small_config(), batches=[], checkpoint=tmp_path / "c.pt", track=0)
    assert not (tmp_path / "c.pt").exists()


def test_the_cli_protects_a_best_checkpoint_left_alone(tmp_path, capsys):
    run = tmp_path / "mnist"
    run.mkdir()
    (run / "checkpoint_best.pt").write_bytes(b"precious")
    with pytest.raises(SystemExit):
        main(["train", "--out", str(tmp_path), "--data-dir", str(SAMPLE_DIR)])
    assert "checkpoint_best.pt exists: add --resume" in capsys.readouterr().err
    assert (run / "checkpoint_best.pt").read_bytes() == b"precious"


def test_resume_is_allowed_to_write_where_it_read(batches, tmp_path):
    cfg = small_config(epochs=1)
    path = tmp_path / "checkpoint.pt"
    train(cfg, batches=batches(cfg), checkpoint=path, track=0)
    history = train(small_config(epochs=2), batches=batches(cfg), resume=path, track=0)
    assert len(history) == 2 and load_checkpoint(path)["epoch"] == 2


def test_ctrl_c_in_the_first_epoch_says_nothing_was_saved(batches, tmp_path, capsys):
    cfg = small_config()
    path = tmp_path / "checkpoint.pt"
    history = train(cfg, batches=InterruptAt(batches(cfg), epoch=1, step=0), checkpoint=path, track=0)
    assert len(history) == 0 and history.interrupted and not path.exists()
    assert "Interrupted during epoch 1: returning the 0 finished epochs; no epoch finished, so nothing was " \
           "saved" in capsys.readouterr().out


def test_ctrl_c_during_a_checkpoint_write_keeps_the_last_one_and_the_history_agrees(batches, tmp_path,
                                                                                   monkeypatch, capsys):
    cfg = small_config(epochs=3)
    path = tmp_path / "checkpoint.pt"
    real_write, calls = Path.write_bytes, []

    def interrupted_second_write(self, data):
        calls.append(self)
        if len(calls) == 2:
            real_write(self, data[: len(data) // 2])
            raise KeyboardInterrupt
        return real_write(self, data)

    monkeypatch.setattr(Path, "write_bytes", interrupted_second_write)
    history = train(cfg, batches=batches(cfg), checkpoint=path, track=0)
    assert load_checkpoint(path)["epoch"] == 1
    assert len(history) == 1 and history.interrupted  # epoch 2 was recorded, never saved: not returned
    assert not list(tmp_path.glob("*.tmp"))
    assert "the checkpoint of epoch 1 at" in capsys.readouterr().out


def test_an_interrupted_cli_run_exits_130_with_outputs_matching_the_checkpoint(tmp_path, monkeypatch):
    real_epoch, calls = train_module.train_epoch, []

    def interrupt_in_epoch_2(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real_epoch(*args, **kwargs)

    monkeypatch.setattr(train_module, "train_epoch", interrupt_in_epoch_2)
    out = tmp_path / "runs"
    status = main(["train", "--epochs", "3", "--out", str(out), "--data-dir", str(SAMPLE_DIR),
                   "--device", "cpu", "--no-progress"])
    assert status == INTERRUPTED == 130
    run = out / "mnist"
    assert load_checkpoint(run / "checkpoint.pt")["epoch"] == 1
    assert [row["epoch"] for row in json.loads((run / "history.json").read_text())] == [1]
    assert sorted(p.name for p in (run / "samples").iterdir()) == ["epoch_01.png"]


def test_an_interrupted_cli_run_in_epoch_1_writes_nothing_and_exits_130(tmp_path, monkeypatch):
    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(train_module, "train_epoch", interrupt)
    out = tmp_path / "runs"
    assert main(["train", "--epochs", "2", "--out", str(out), "--data-dir", str(SAMPLE_DIR),
                 "--device", "cpu", "--no-progress"]) == INTERRUPTED
    assert not (out / "mnist" / "history.json").exists() and not (out / "mnist" / "checkpoint.pt").exists()


def run_cli(*args):
    env = {**os.environ, "TQDM_DISABLE": "1"}
    env.pop("GANLAB_QUICK", None)
    result = subprocess.run([sys.executable, "-m", "ganlab", "train", "--data-dir", str(SAMPLE_DIR), "--device",
                             "cpu", "--no-progress", *args], cwd=REPO, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout


def _tensors(state, prefix=""):
    """Every tensor in a nested state dict, by its path."""
    found = {}
    items = state.items() if isinstance(state, dict) else enumerate(state) if isinstance(state, list) else []
    for key, value in items:
        if isinstance(value, torch.Tensor):
            found[f"{prefix}{key}"] = value
        else:
            found.update(_tensors(value, f"{prefix}{key}."))
    return found


@pytest.mark.slow
def test_ctrl_c_then_resume_in_a_new_process_is_bit_identical_to_the_uninterrupted_run(tmp_path):
    import signal
    import time

    run_cli("--epochs", "3", "--out", str(tmp_path / "whole"))
    env = {**os.environ, "TQDM_DISABLE": "1", "PYTHONUNBUFFERED": "1"}
    env.pop("GANLAB_QUICK", None)
    saved = tmp_path / "cut" / "mnist" / "checkpoint.pt"
    process = subprocess.Popen([sys.executable, "-m", "ganlab", "train", "--data-dir", str(SAMPLE_DIR), "--device",
                                "cpu", "--no-progress", "--epochs", "3", "--out", str(tmp_path / "cut")],
                               cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               # A shell's background job (`make test &`, nohup) starts with Ctrl-C ignored, and
                               # Python then keeps ignoring it: give the child Ctrl-C's default back.
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 120
    while not saved.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)  # Ctrl-C, once epoch 1 is saved
    out, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    assert "Interrupted during epoch" in out and "Traceback" not in err
    assert 1 <= load_checkpoint(saved)["epoch"] < 3
    # The quality tracker builds the classifier; built after the random state was restored, it
    # moved the stream, and the resumed epochs trained on other noise than the uninterrupted run.
    assert "Resuming" in run_cli("--epochs", "3", "--out", str(tmp_path / "cut"), "--resume")
    whole = load_checkpoint(tmp_path / "whole" / "mnist" / "checkpoint.pt")
    cut = load_checkpoint(saved)
    assert whole["history"]["d_loss"] == cut["history"]["d_loss"]
    for part in ("G", "D", "G_opt", "D_opt"):
        for key, value in _tensors(whole[part]).items():
            assert torch.equal(value, _tensors(cut[part])[key]), f"{part} {key} differs"


def test_ctrl_c_while_the_run_outputs_are_written_keeps_the_older_files_whole(tmp_path, monkeypatch):
    """history.json, the sample grids, the GIF and the loss chart are written like checkpoints: a Ctrl-C
    mid-write leaves the older file as it was, and no half-written or temporary file behind."""
    from ganlab.dashboard import AnimatedGIF
    from ganlab.viz import save_grid

    grid = save_grid(torch.zeros(4, 1, 28, 28), tmp_path / "grid.png")
    gif = AnimatedGIF(b"GIF89a old", 1).save(tmp_path / "progress.gif")
    older = {path: path.read_bytes() for path in (grid, gif)}

    def half_then_ctrl_c(*args, **kwargs):
        Path(args[1] if len(args) > 1 else kwargs["fp"]).write_bytes(b"\x89PNG half")
        raise KeyboardInterrupt

    monkeypatch.setattr("ganlab.viz.save_image", half_then_ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        save_grid(torch.ones(4, 1, 28, 28), grid)
    monkeypatch.setattr(Path, "write_bytes", lambda self, data: (Path.write_text(self, "half"), 1 / 0))
    with pytest.raises(ZeroDivisionError):
        AnimatedGIF(b"GIF89a new", 1).save(gif)
    assert {path: path.read_bytes() for path in (grid, gif)} == older
    assert sorted(p.name for p in tmp_path.iterdir()) == ["grid.png", "progress.gif"]
