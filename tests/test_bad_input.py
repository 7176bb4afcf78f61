"""Bad input through the command line, as a user types it: one clear line, a non-zero exit, nothing lost.

Each case builds what it needs in a temporary folder, runs ``python -m ganlab ...`` in its own
process (forked from one that has imported ganlab: tests/forked_cli.py), and checks the exit
status, that no traceback was shown, and the line that explains.
docs/what_happens_when.md is the same table in words.
"""
import errno
import gzip
import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from ganlab.__main__ import main
from ganlab.checkpoint import load_checkpoint, save_checkpoint
from ganlab.config import Config
from ganlab.data import SAMPLE_DIR
from ganlab.history import History
from ganlab.models import Discriminator, Generator
from ganlab.train import TrainingDiverged, make_optimizers

sys.path.insert(0, str(Path(__file__).resolve().parent))
from conftest import write_idx  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


def checkpoint(tmp, name="ckpt.pt", other_generator=False, drop=(), nan=False, **cfg_fields):
    """A real checkpoint of untrained networks (fast), optionally broken in one way."""
    cfg = Config(device="cpu", **cfg_fields)
    G, D = Generator(100 if other_generator else cfg.noise_dim), Discriminator()
    if nan:
        with torch.no_grad():
            next(G.parameters()).fill_(float("nan"))
    G_opt, D_opt = make_optimizers(cfg, G, D)
    parts = {name: part for name, part in dict(G=G, D=D, G_opt=G_opt, D_opt=D_opt).items() if name not in drop}
    path = tmp / name
    save_checkpoint(path, cfg=cfg, history=History(), epoch=1, **parts)
    return path


def run_folder(tmp, config=None):
    """tmp/runs/mnist/checkpoint.pt, as train writes it."""
    path = tmp / "runs" / "mnist" / "checkpoint.pt"
    path.parent.mkdir(parents=True)
    checkpoint(tmp, **(config or {})).rename(path)
    return tmp / "runs"


def raw_folder(tmp, broken):
    """A data folder with one file broken in the named way."""
    raw = tmp / "data" / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for prefix, n in (("train", 20), ("t10k", 5)):
        write_idx(raw / f"{prefix}-images-idx3-ubyte.gz", torch.zeros(n, 28, 28), gz=True)
        write_idx(raw / f"{prefix}-labels-idx1-ubyte.gz", torch.arange(n) % 10, gz=True)
    gz = raw / "train-images-idx3-ubyte.gz"
    if broken == "truncated":
        gz.write_bytes(gz.read_bytes()[:40])
    elif broken == "not gzip":
        gz.write_bytes(b"<html>404</html>")
    elif broken == "32x32":
        write_idx(gz, torch.zeros(20, 32, 32), gz=True)
    elif broken == "labels as images":
        write_idx(gz, torch.arange(20) % 10, gz=True)
    return tmp / "data"


def junk(tmp, content):
    path = tmp / "junk.pt"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        torch.save(content, path)
    return path


# (id, setup(tmp) -> {name: value} for the argument template, arguments, exit status, the explaining line)
CASES = [
    ("epochs zero", None, "train --epochs 0", 2, "must be a positive whole number, got 0"),
    ("epochs not a number", None, "train --epochs ten", 2, "must be a positive whole number, got ten"),
    ("lr too large", None, "train --lr 5", 2, "Config.lr must be between 0 and 1"),
    ("lr not a number", None, "train --lr fast", 2, "invalid float value: 'fast'"),
    ("rotation too large", None, "train --rotation 400", 2, "Config.rotation must be between 0 and 180"),
    ("unknown device", None, "train --device tpu", 2, "Config.device must be one of"),
    ("unknown dataset", None, "train --dataset cifar", 2, "invalid choice: 'cifar'"),
    ("fractional seed", None, "train --seed 1.5", 2, "invalid int value: '1.5'"),
    ("patience zero", None, "train --patience 0", 2, "must be a positive whole number, got 0"),
    ("out is a file", lambda t: {"out": (t / "file.txt").write_text("x") and t / "file.txt"},
     "train --out {out}", 2, "cannot write in"),
    ("resume without checkpoint", None, "train --out {tmp}/none --resume", 2, "--resume: no checkpoint at"),
    ("checkpoint exists", lambda t: {"out": run_folder(t)}, "train --out {out}", 2, "exists: add --resume"),
    ("resume another recipe", lambda t: {"out": run_folder(t, {"lr": 1e-3})}, "train --out {out} --resume",
     2, "was trained with lr=0.001, not lr=0.0002"),
    ("resume junk", lambda t: {"out": (t / "runs" / "mnist").mkdir(parents=True) or
                               (t / "runs" / "mnist" / "checkpoint.pt").write_bytes(b"junk") and t / "runs"},
     "train --out {out} --resume", 2, "is not a readable ganlab checkpoint"),
    ("resume without optimizer state", lambda t: {"out": run_folder(t, {"drop": ("G_opt", "D_opt")})},
     "train --out {out} --resume", 2, "has no G_opt, D_opt: it can be sampled and evaluated, not resumed"),
    ("data: truncated gz", lambda t: {"data": raw_folder(t, "truncated")},
     "train --data-dir {data} --out {tmp}/o", 1, "train-images-idx3-ubyte.gz is not a readable gzip file"),
    ("data: not gzip", lambda t: {"data": raw_folder(t, "not gzip")},
     "train --data-dir {data} --out {tmp}/o", 1, "is not a readable gzip file"),
    ("data: 32x32 images", lambda t: {"data": raw_folder(t, "32x32")},
     "train --data-dir {data} --out {tmp}/o", 1, "holds 32x32 images, not 28x28"),
    ("data: labels where images belong", lambda t: {"data": raw_folder(t, "labels as images")},
     "train --data-dir {data} --out {tmp}/o", 1, "holds labels where images belong"),
    ("sample: missing checkpoint", None, "sample --checkpoint {tmp}/none.pt", 2, "No checkpoint at"),
    ("sample: junk checkpoint", lambda t: {"ckpt": junk(t, b"\x00junk")}, "sample --checkpoint {ckpt}", 2,
     "is not a readable ganlab checkpoint"),
    ("sample: a saved number", lambda t: {"ckpt": junk(t, 5)}, "sample --checkpoint {ckpt}", 2,
     "holds a int, not a ganlab checkpoint"),
    ("sample: a saved None", lambda t: {"ckpt": junk(t, None)}, "sample --checkpoint {ckpt}", 2,
     "holds a NoneType, not a ganlab checkpoint"),
    ("sample: another architecture", lambda t: {"ckpt": checkpoint(t, other_generator=True)},
     "sample --checkpoint {ckpt}", 2, "does not fit ganlab's Generator (size mismatch for block_1.0.weight"),
    ("sample: out is a folder", lambda t: {"ckpt": checkpoint(t)}, "sample --checkpoint {ckpt} --out {tmp}", 2,
     "is a folder: give a file in it"),
    ("sample: out without extension", lambda t: {"ckpt": checkpoint(t)},
     "sample --checkpoint {ckpt} --out {tmp}/grid", 2, "needs an image file name ending in .png"),
    ("sample: out under a file", lambda t: {"ckpt": checkpoint(t), "file": (t / "f").write_text("x") and t / "f"},
     "sample --checkpoint {ckpt} --out {file}/grid.png", 2, "could not write"),
    ("sample: n zero", None, "sample --checkpoint x.pt --n 0", 2, "must be a positive whole number, got 0"),
    ("evaluate: one image", lambda t: {"ckpt": checkpoint(t)}, "evaluate --checkpoint {ckpt} --n 1", 2,
     "at least 2"),
    ("evaluate: NaN weights", lambda t: {"ckpt": checkpoint(t, nan=True)},
     "evaluate --checkpoint {ckpt} --n 50 --data-dir " + str(SAMPLE_DIR), 2, "NaN or infinite"),
    ("evaluate: missing checkpoint", None, "evaluate --checkpoint {tmp}/none.pt", 2, "No checkpoint at"),
    ("classifier in quick mode", None, "classifier --dataset mnist", 2, "unset it"),
    ("wgan-gp: n_critic zero", None, "train --model wgan-gp --n-critic 0", 2, "Config.n_critic must be a positive"),
    ("wgan-gp: negative penalty", None, "train --model wgan-gp --gp-weight -1", 2,
     "Config.gp_weight must be 0 or more"),
    ("folder: not a folder", None, "train --dataset folder --data-dir {tmp}/nowhere --out {tmp}/o", 2,
     "is not a folder: give the folder that holds your images"),
    ("folder: no images", lambda t: {"dir": (t / "pics").mkdir() or (t / "pics" / "a.txt").write_text("x")
                                     and t / "pics"},
     "train --dataset folder --data-dir {dir} --out {tmp}/o", 2, "holds no image Pillow can read"),
    ("folder: no data dir", None, "train --dataset folder --out {tmp}/o", 2, "needs data_dir=PATH"),
    ("folder: a bad background", None, "train --dataset folder --data-dir {tmp} --background nocolour --out {tmp}/o",
     2, "Config.background 'nocolour' is not a colour"),
    ("sample: label without labels", lambda t: {"ckpt": checkpoint(t)}, "sample --checkpoint {ckpt} --label 3", 2,
     "cannot draw a class on demand"),
]


def command_for(case, tmp):
    """Build the case's files in ``tmp``; its command line, folder and environment."""
    name, setup, arguments, _, _ = case
    values = {"tmp": tmp, **(setup(tmp) if setup else {})}
    argv = [part.format(**values) for part in arguments.split()]
    env = {**os.environ, "TQDM_DISABLE": "1", "GANLAB_QUICK": "1" if "quick" in name else "0",
           "GANLAB_DATA_DIR": str(SAMPLE_DIR)}  # the small sample: cases that reach the data load it fast
    return {"argv": [*argv, *(["--no-progress"] if argv[0] == "train" else [])], "cwd": str(tmp), "env": env}


@pytest.fixture(scope="module")
def results(tmp_path_factory, ganlab_cli):
    """Every case's result, each from its own process, a few at a time. The processes are forked from
    one that imported ganlab once (tests/forked_cli.py): forty fresh interpreters would spend over a
    minute importing torch."""
    commands = [command_for(case, tmp_path_factory.mktemp(f"case{i}")) for i, case in enumerate(CASES)]
    return dict(zip((case[0] for case in CASES), ganlab_cli.run_many(commands)))


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=[case[0] for case in CASES])
def test_bad_input_ends_in_one_clear_line(case, results):
    name, _, _, status, line = case
    result = results[name]
    assert "Traceback" not in result.stderr + result.stdout
    assert result.returncode == status, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert line in last, result.stderr
    if status == 1:  # our own one line (status 2 is argparse's usage line, then its error line)
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_every_case_id_is_unique():
    assert len({case[0] for case in CASES}) == len(CASES)


def test_a_full_disk_while_saving_is_one_line_and_keeps_the_last_checkpoint(tmp_path, monkeypatch, capsys):
    out = tmp_path / "runs"
    real_write, writes = Path.write_bytes, []

    def disk_fills_on_the_second_checkpoint(self, data):
        if self.name.startswith("checkpoint.pt"):
            writes.append(self)
            if len(writes) == 2:
                real_write(self, data[:100])
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(self, data)

    monkeypatch.setattr(Path, "write_bytes", disk_fills_on_the_second_checkpoint)
    status = main(["train", "--epochs", "3", "--out", str(out), "--data-dir", str(SAMPLE_DIR), "--device", "cpu",
                   "--no-progress"])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 1 and len(err) == 1
    assert f"could not write {out / 'mnist' / 'checkpoint.pt'}: No space left on device" in err[0]
    assert load_checkpoint(out / "mnist" / "checkpoint.pt")["epoch"] == 1
    assert not list((out / "mnist").glob("*.tmp"))


def test_divergence_from_the_command_line_is_one_line(tmp_path, monkeypatch, capsys):
    def diverge(*args, **kwargs):
        raise TrainingDiverged("Loss became NaN/inf in epoch 1, step 3: training stopped. Try a smaller lr.")

    monkeypatch.setattr(importlib.import_module("ganlab.train"), "train_epoch", diverge)
    status = main(["train", "--epochs", "1", "--out", str(tmp_path), "--data-dir", str(SAMPLE_DIR), "--device", "cpu",
                   "--no-progress"])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 1 and len(err) == 1 and "Loss became NaN/inf in epoch 1, step 3" in err[0]


@pytest.mark.slow
def test_debug_shows_the_traceback(tmp_path):
    result = subprocess.run([sys.executable, "-m", "ganlab", "sample", "--checkpoint", str(junk(tmp_path, 5)),
                             "--debug"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 2 and "holds a int" in result.stderr  # argument errors stay one line
    data = raw_folder(tmp_path, "truncated")
    result = subprocess.run([sys.executable, "-m", "ganlab", "train", "--data-dir", str(data), "--out",
                             str(tmp_path / "o"), "--debug", "--no-progress"], cwd=tmp_path, capture_output=True,
                            text=True, timeout=300, env={**os.environ, "GANLAB_QUICK": "0"})
    assert result.returncode == 1 and "Traceback" in result.stderr and "BadDataFileError" in result.stderr


def test_gzip_module_is_what_a_truncated_download_looks_like(tmp_path):
    # The cases above truncate a .gz to 40 bytes; check that really is an unreadable gzip stream.
    data = raw_folder(tmp_path, "truncated")
    with pytest.raises((EOFError, OSError)):
        with gzip.open(data / "MNIST" / "raw" / "train-images-idx3-ubyte.gz") as f:
            f.read()
