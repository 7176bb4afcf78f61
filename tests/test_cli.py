import json
import subprocess
import sys
from pathlib import Path

import pytest

from ganlab.__main__ import main
from ganlab.data import SAMPLE_DIR

REPO = Path(__file__).resolve().parent.parent


def test_train_then_sample_end_to_end_on_the_committed_sample(tmp_path, capsys):
    out = tmp_path / "runs"
    assert main(["train", "--epochs", "1", "--out", str(out), "--data-dir", str(SAMPLE_DIR),
                 "--device", "cpu", "--no-progress", "--keep-best"]) == 0
    run = out / "mnist"
    for name in ("checkpoint.pt", "checkpoint_best.pt", "losses.png", "history.json", "samples/epoch_01.png"):
        assert (run / name).is_file(), name
    rows = json.loads((run / "history.json").read_text())
    assert [r["epoch"] for r in rows] == [1] and rows[0]["d_loss"] > 0
    assert rows[0]["frechet"] > 0 and 0 <= rows[0]["modes"] <= 10  # scored against the sample's test set
    assert "Wrote" in capsys.readouterr().out

    assert main(["train", "--epochs", "2", "--out", str(out), "--data-dir", str(SAMPLE_DIR),
                 "--device", "cpu", "--no-progress", "--resume"]) == 0
    assert len(json.loads((run / "history.json").read_text())) == 2
    assert "Resuming" in capsys.readouterr().out

    grid = tmp_path / "grid.png"
    assert main(["sample", "--checkpoint", str(run / "checkpoint.pt"), "--n", "9", "--out", str(grid)]) == 0
    assert grid.read_bytes()[:4] == b"\x89PNG"


def test_missing_data_falls_back_to_the_sample_in_one_line(tmp_path, capsys, monkeypatch):
    from ganlab import data
    monkeypatch.setattr(data, "_download", lambda root, dataset: False)  # tests stay offline
    assert main(["train", "--epochs", "1", "--out", str(tmp_path), "--data-dir", str(tmp_path / "none"),
                 "--device", "cpu", "--no-progress"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("MNIST is not in") and lines[0].endswith("committed 1,000-image sample instead.")


@pytest.mark.parametrize("argv, words", [
    (["train", "--epochs", "0"], "--epochs: must be a positive whole number"),
    (["train", "--dataset", "cifar"], "invalid choice: 'cifar'"),
    (["train", "--lr", "3"], "lr must be between 0 and 1"),
    (["train", "--ema-decay", "1"], "ema_decay must be in [0, 1)"),
    (["train", "--bn-gamma-mean", "5"], "bn_gamma_mean must be between -1 and 2"),
    (["sample", "--checkpoint", "nope.pt"], "No checkpoint at nope.pt"),
    (["sample"], "the following arguments are required: --checkpoint"),
    (["fly"], "invalid choice: 'fly'"),
])
def test_bad_arguments_exit_2_with_one_line(argv, words, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert words in err[-1]


def test_resume_without_checkpoint_and_overwrite_are_refused(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["train", "--out", str(tmp_path), "--resume"])
    assert "no checkpoint at" in capsys.readouterr().err
    (tmp_path / "mnist").mkdir()
    (tmp_path / "mnist" / "checkpoint.pt").write_bytes(b"precious")
    with pytest.raises(SystemExit):
        main(["train", "--out", str(tmp_path)])
    assert "add --resume" in capsys.readouterr().err
    assert (tmp_path / "mnist" / "checkpoint.pt").read_bytes() == b"precious"


@pytest.mark.parametrize("command", [[], ["train"], ["sample"]])
def test_help_on_every_command(command, ganlab_cli):
    result = ganlab_cli(*command, "--help", cwd=REPO)
    assert result.returncode == 0 and "usage: python -m ganlab" in result.stdout


def test_the_tests_command_server_answers_as_a_fresh_interpreter_does(ganlab_cli, tmp_path):
    """Most tests run ``python -m ganlab`` through tests/forked_cli.py: check it against the real thing."""
    commands = [["train", "--help"], ["sample", "--checkpoint", str(tmp_path / "none.pt")]]
    fresh = [subprocess.Popen([sys.executable, "-m", "ganlab", *argv], cwd=tmp_path, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for argv in commands]
    for argv, process in zip(commands, fresh):
        stdout, stderr = process.communicate(timeout=120)
        forked = ganlab_cli(*argv, cwd=tmp_path)
        assert (forked.returncode, forked.stdout, forked.stderr) == (process.returncode, stdout, stderr)
    assert fresh[0].returncode == 0 and fresh[1].returncode == 2 and "No checkpoint at" in stderr


def test_the_data_line_says_where_the_images_came_from(tmp_path):
    from ganlab.config import Config
    from ganlab.data import data_origin

    cfg = Config(data_dir=str(tmp_path))
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    assert data_origin(cfg, raw) == f"from {raw}"
    (raw / "train-images-idx3-ubyte.gz").write_bytes(b"")
    assert data_origin(cfg, raw) == f"from {raw} (unpacked there from its .gz files, once)"
    cache = tmp_path / "cache" / "MNIST" / "raw"
    assert data_origin(cfg, cache) == (f"unpacked once from the .gz files in {raw} into {cache} "
                                       "(that folder is read-only)")


def test_in_quick_mode_the_data_line_names_the_committed_sample(monkeypatch):
    from ganlab.config import Config
    from ganlab.data import SAMPLE_DIR, data_origin, load_dataset

    monkeypatch.setenv("GANLAB_QUICK", "1")
    cfg = Config(data_dir="/nowhere")
    line = data_origin(cfg, load_dataset(cfg).raw_folder)
    assert str(SAMPLE_DIR / "MNIST" / "raw") in line and "/nowhere" not in line


def test_ema_decay_on_the_command_line_and_resuming_a_run_that_sampled_its_last_weights(tmp_path, capsys):
    from ganlab.checkpoint import load_checkpoint

    common = ["train", "--out", str(tmp_path), "--data-dir", str(SAMPLE_DIR), "--device", "cpu", "--no-progress"]
    assert main([*common, "--epochs", "1", "--ema-decay", "0"]) == 0
    state = load_checkpoint(tmp_path / "mnist" / "checkpoint.pt")
    assert state["config"]["ema_decay"] == 0.0 and "G_ema" not in state
    capsys.readouterr()
    with pytest.raises(SystemExit):  # today's default averages G's weights: another recipe, refused in one line
        main([*common, "--epochs", "2", "--resume"])
    assert "pass Config(ema_decay=0.0), or --ema-decay 0" in capsys.readouterr().err.strip().splitlines()[-1]
    assert main([*common, "--epochs", "2", "--resume", "--ema-decay", "0"]) == 0
    assert load_checkpoint(tmp_path / "mnist" / "checkpoint.pt")["epoch"] == 2


def test_the_tutorials_batchnorm_init_on_the_command_line_and_resuming_a_run_made_with_it(tmp_path, capsys):
    """A run with the DCGAN's defaults from before the recipe study, resumed: the one-line refusal names every
    value that differs and how to pass it."""
    from ganlab.checkpoint import load_checkpoint

    common = ["train", "--out", str(tmp_path), "--data-dir", str(SAMPLE_DIR), "--device", "cpu", "--no-progress"]
    assert main([*common, "--epochs", "1", "--bn-gamma-mean", "1", "--ema-decay", "0"]) == 0
    assert load_checkpoint(tmp_path / "mnist" / "checkpoint.pt")["config"]["bn_gamma_mean"] == 1.0
    capsys.readouterr()
    with pytest.raises(SystemExit):  # today's defaults: refused in one line
        main([*common, "--epochs", "2", "--resume"])
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert "bn_gamma_mean=1.0, ema_decay=0.0, not bn_gamma_mean=0.0, ema_decay=0.999" in error
    assert error.endswith("from before the recipe study: pass Config(bn_gamma_mean=1.0, ema_decay=0.0), "
                          "or --bn-gamma-mean 1 --ema-decay 0.")
    with pytest.raises(SystemExit):  # one of the two given: the other is still named
        main([*common, "--epochs", "2", "--resume", "--ema-decay", "0"])
    assert capsys.readouterr().err.strip().splitlines()[-1].endswith(
        "pass Config(bn_gamma_mean=1.0), or --bn-gamma-mean 1.")
    assert main([*common, "--epochs", "2", "--resume", "--bn-gamma-mean", "1", "--ema-decay", "0"]) == 0
    assert load_checkpoint(tmp_path / "mnist" / "checkpoint.pt")["epoch"] == 2


def test_a_resume_with_other_values_than_the_old_defaults_is_not_called_old(tmp_path):
    from ganlab.config import Config
    from ganlab.hooks import check_resume_config

    saved = Config(ema_decay=0.5, data_dir="x").to_dict()
    with pytest.raises(ValueError, match=r"To resume it, pass Config\(ema_decay=0.5\), or --ema-decay 0.5\.$"):
        check_resume_config(Config(data_dir="x"), saved, "run.pt")
