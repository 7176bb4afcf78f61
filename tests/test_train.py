import math
from pathlib import Path

import pytest
import torch
from conftest import InterruptAt

from ganlab.checkpoint import load_checkpoint, save_checkpoint
from ganlab.config import Config
from ganlab.data import DeviceBatches, make_loader
from ganlab.games import generator_from_checkpoint
from ganlab.history import History
from ganlab.models import Discriminator, Generator, weights_init
from ganlab.session import train
from ganlab.train import TrainingDiverged, make_optimizers, train_step


@pytest.fixture(scope="module")
def small_dataset(mnist_sample):
    return mnist_sample(200)  # 4 steps of 64 an epoch


def small_config(**overrides):
    return Config(**{"batch_size": 64, "epochs": 2, "device": "cpu", **overrides})


def losses(history):
    return list(zip(history.d_loss, history.g_loss))


def test_train_step_updates_both_networks_and_detaches_the_fakes():
    torch.manual_seed(0)
    cfg = small_config()
    G, D = Generator(64).apply(weights_init), Discriminator().apply(weights_init)
    G_opt, D_opt = make_optimizers(cfg, G, D)
    g_before = [p.clone() for p in G.parameters()]
    d_before = [p.clone() for p in D.parameters()]
    stats = train_step(G, D, G_opt, D_opt, torch.rand(16, 1, 28, 28) * 2 - 1, 64)
    assert stats.shape == (4,) and not stats.requires_grad
    d_loss, g_loss, d_real, d_fake = stats.tolist()
    assert 0 < d_loss < 2 and 0 < g_loss < 2 and 0 < d_real < 1 and 0 < d_fake < 1
    assert all(not torch.equal(a, b) for a, b in zip(g_before, G.parameters()))
    assert all(not torch.equal(a, b) for a, b in zip(d_before, D.parameters()))
    assert all(s["step"] == 1 for s in G_opt.state.values())  # G stepped once, in its own step


def test_train_records_history_and_checkpoint(small_dataset, tmp_path):
    cfg = small_config()
    path = tmp_path / "run" / "checkpoint.pt"
    history = train(cfg, batches=DeviceBatches.from_config(cfg, small_dataset), checkpoint=path)
    assert len(history) == 2 and len(history.samples) == 2
    assert history.samples[0].shape == (64, 1, 28, 28) and history.samples[0].dtype == torch.uint8
    assert all(math.isfinite(v) for v in history.d_loss + history.g_loss)
    state = load_checkpoint(path)
    assert state["epoch"] == 2 and state["config"] == cfg.to_dict()
    assert History.from_dict(state["history"]).d_loss == history.d_loss
    assert not list(path.parent.glob("*.tmp"))
    G, loaded_cfg = generator_from_checkpoint(path)
    assert loaded_cfg == Config.from_dict(cfg.to_dict(), device="auto") and not G.training


def test_same_seed_same_losses_on_cpu(small_dataset):
    cfg = small_config()
    a = train(cfg, batches=DeviceBatches.from_config(cfg, small_dataset))
    b = train(cfg, batches=DeviceBatches.from_config(cfg, small_dataset))
    assert losses(a) == losses(b)
    c = train(small_config(seed=1), batches=DeviceBatches.from_config(cfg, small_dataset))
    assert losses(c) != losses(a)


def test_resume_gives_the_same_losses_as_an_uninterrupted_run(small_dataset, tmp_path):
    cfg = small_config(epochs=3)
    whole = train(cfg, batches=DeviceBatches.from_config(cfg, small_dataset))
    path = tmp_path / "checkpoint.pt"
    first = train(small_config(epochs=1), batches=DeviceBatches.from_config(cfg, small_dataset),
                  checkpoint=path)
    assert len(first) == 1
    resumed = train(cfg, batches=DeviceBatches.from_config(cfg, small_dataset), resume=path)
    assert losses(resumed) == losses(whole)
    assert load_checkpoint(path)["epoch"] == 3


def test_fast_path_and_dataloader_train_identically_in_the_same_order(small_dataset):
    # Same images in the same order (no shuffle) and the same noise: the same losses. The
    # DataLoader gets its own generator: its iterator draws a seed, which would shift the noise.
    from torch.utils.data import DataLoader
    cfg = small_config(epochs=2)
    loader = DataLoader(small_dataset, batch_size=cfg.batch_size, shuffle=False, generator=torch.Generator())
    readable = train(cfg, batches=loader)
    fast = train(cfg, batches=DeviceBatches(small_dataset, cfg.batch_size, "cpu", shuffle=False))
    for a, b in zip(losses(readable), losses(fast)):
        assert a == pytest.approx(b, rel=1e-5)


def test_dataloader_path_trains_like_the_fast_path(small_dataset):
    cfg = small_config(epochs=3, batches_on_device=False)
    slow = train(cfg, batches=make_loader(cfg, small_dataset))
    fast = train(cfg, batches=DeviceBatches.from_config(cfg, small_dataset))
    for history in (slow, fast):  # same invariants; the shuffles differ, so not the same numbers
        assert len(history) == 3
        assert all(0.2 < v < 3 for v in history.d_loss + history.g_loss)
        assert all(0 < v < 1 for v in history.d_real + history.d_fake)


def test_interrupt_returns_history_and_keeps_the_checkpoint_whole(small_dataset, tmp_path, capsys):
    cfg = small_config(epochs=5)
    path = tmp_path / "checkpoint.pt"
    batches = InterruptAt(DeviceBatches.from_config(cfg, small_dataset), epoch=2, step=2)
    history = train(cfg, batches=batches, checkpoint=path)
    assert len(history) == 1
    assert load_checkpoint(path)["epoch"] == 1
    assert "Interrupted during epoch 2" in capsys.readouterr().out


class PoisonAt:
    """Batches whose given step carries NaN pixels, so the losses become NaN there."""

    def __init__(self, batches, epoch, step):
        self.batches, self.bad_epoch, self.bad_step, self.epoch = batches, epoch, step, 0

    def __len__(self):
        return len(self.batches)

    def __iter__(self):
        self.epoch += 1
        for i, (images, labels) in enumerate(self.batches):
            if (self.epoch, i) == (self.bad_epoch, self.bad_step):
                images = torch.full_like(images, float("nan"))
            yield images, labels


def test_nan_loss_stops_with_epoch_and_step_and_keeps_last_checkpoint(small_dataset, tmp_path):
    cfg = small_config(epochs=3)
    path = tmp_path / "checkpoint.pt"
    batches = PoisonAt(DeviceBatches.from_config(cfg, small_dataset), epoch=2, step=1)
    with pytest.raises(TrainingDiverged, match=r"epoch 2, step 2") as info:
        train(cfg, batches=batches, checkpoint=path)
    assert str(path) in str(info.value)
    state = load_checkpoint(path)
    assert state["epoch"] == 1
    assert all(torch.isfinite(t).all() for t in state["G"].values() if t.is_floating_point())


def test_checkpoint_write_is_atomic(tmp_path, monkeypatch):
    cfg = small_config()
    G, D = Generator(64), Discriminator()
    G_opt, D_opt = make_optimizers(cfg, G, D)
    path = tmp_path / "checkpoint.pt"
    save_checkpoint(path, G=G, D=D, G_opt=G_opt, D_opt=D_opt, cfg=cfg, history=History(), epoch=1)
    before = path.read_bytes()

    real_write = Path.write_bytes

    def crash(self, data):
        real_write(self, b"half a file")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "write_bytes", crash)
    with pytest.raises(OSError, match=f"could not write {path}: No space left on device"):
        save_checkpoint(path, G=G, D=D, G_opt=G_opt, D_opt=D_opt, cfg=cfg, history=History(), epoch=2)
    assert path.read_bytes() == before
    assert load_checkpoint(path)["epoch"] == 1
    assert not list(tmp_path.glob("*.tmp"))


def test_bad_checkpoints_give_one_line_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="No checkpoint at"):
        load_checkpoint(tmp_path / "missing.pt")
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="not a readable ganlab checkpoint"):
        load_checkpoint(junk)
    torch.save({"weights": torch.zeros(2)}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="not a ganlab checkpoint"):
        load_checkpoint(tmp_path / "other.pt")


def test_quick_mode_caps_the_epochs(small_dataset, monkeypatch, capsys):
    monkeypatch.setenv("GANLAB_QUICK", "1")
    monkeypatch.setattr("ganlab.config._quick_announced", False)
    cfg = small_config(epochs=20)
    history = train(cfg, batches=DeviceBatches.from_config(cfg, small_dataset))
    assert len(history) == 3
    assert "GANLAB_QUICK=1" in capsys.readouterr().out
