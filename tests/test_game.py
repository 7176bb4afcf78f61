"""A GAN is a game the one loop drives: the DCGAN and the WGAN-GP (ganlab.wgan), through ``fit``."""
import math

import pytest
import torch
from torch import nn

from ganlab.checkpoint import load_checkpoint
from ganlab.config import Config
from ganlab.data import SAMPLE_DIR, DeviceBatches
from ganlab.game import DCGAN
from ganlab.hooks import AverageGenerator, SaveCheckpoints, ScoreEachEpoch
from ganlab.metrics import QualityTracker
from ganlab.session import train
from ganlab.train import Hook, fit
from ganlab.wgan import WGANGP, gradient_penalty


def small_config(**overrides):
    return Config(**{"batch_size": 64, "epochs": 2, "device": "cpu", "data_dir": str(SAMPLE_DIR), **overrides})


@pytest.fixture(scope="module")
def wgan_run(mnist_sample, tmp_path_factory):
    """Two epochs of WGAN-GP on 128 sample images through the unchanged loop, hooks included."""
    cfg = small_config(model="wgan-gp", lr=1e-4, beta_1=0.0, beta_2=0.9)
    path = tmp_path_factory.mktemp("wgan") / "checkpoint.pt"
    game = WGANGP(cfg)
    G_before = [p.clone() for p in game.G.parameters()]
    hooks = [ScoreEachEpoch(QualityTracker(cfg, 200)), SaveCheckpoints(path, cfg)]
    history = fit(game, DeviceBatches.from_config(cfg, mnist_sample(128)), cfg.epochs, hooks=hooks)
    return game, history, path, G_before


def test_wgan_gp_trains_two_epochs_through_the_one_loop(wgan_run):
    game, history, _, G_before = wgan_run
    assert len(history) == 2 and history.tracked
    assert all(math.isfinite(v) for v in history.d_loss + history.g_loss + history.frechet)
    steps = 2 * 2  # two epochs of two batches
    assert [s["step"] for s in game.D_opt.state.values()] == [5 * steps] * len(game.D_opt.state)
    assert [s["step"] for s in game.G_opt.state.values()] == [steps] * len(game.G_opt.state)
    assert all(not torch.equal(a, b) for a, b in zip(G_before, game.G.parameters()))
    assert history.samples[-1].shape == (64, 1, 28, 28)


def test_wgan_gp_checkpoint_holds_its_parts_and_loads_back(wgan_run):
    game, history, path, _ = wgan_run
    state = load_checkpoint(path)
    assert state["game"] == "wgan-gp" and state["epoch"] == 2
    fresh = WGANGP(small_config(model="wgan-gp", seed=1))
    fresh.load_parts(state)
    for a, b in zip(fresh.D.parameters(), game.D.parameters()):
        assert torch.equal(a, b)
    assert fresh.D_opt.state_dict()["state"][0]["step"] == game.D_opt.state_dict()["state"][0]["step"]


def test_gradient_penalty_is_zero_for_a_unit_gradient_and_grows_with_its_norm():
    torch.manual_seed(0)
    linear = nn.Sequential(nn.Flatten(), nn.Linear(784, 1, bias=False))
    with torch.no_grad():
        linear[1].weight.copy_(torch.randn(1, 784)).div_(linear[1].weight.norm())  # ||grad|| = 1
    real, fake = torch.rand(8, 1, 28, 28), torch.rand(8, 1, 28, 28)
    assert gradient_penalty(linear, real, fake)[0].item() == pytest.approx(0.0, abs=1e-8)
    with torch.no_grad():
        linear[1].weight.mul_(3)  # ||grad|| = 3: 10 * (3 - 1)^2
    assert gradient_penalty(linear, real, fake)[0].item() == pytest.approx(40.0, rel=1e-5)


@pytest.mark.parametrize("ema_decay", [0.0, None])  # None: the DCGAN's default, which averages G's weights
def test_fit_on_the_dcgan_game_is_what_train_runs(mnist_sample, ema_decay):
    cfg = small_config(epochs=2, ema_decay=ema_decay)
    by_train = train(cfg, batches=DeviceBatches.from_config(cfg, mnist_sample(128)), track=0)
    game = DCGAN(cfg)
    hooks = [AverageGenerator(game, cfg.ema_decay, cfg.seed)] if cfg.ema_decay else []
    by_fit = fit(game, DeviceBatches.from_config(cfg, mnist_sample(128)), cfg.epochs, hooks=hooks)
    assert by_fit.d_loss == by_train.d_loss and by_fit.g_loss == by_train.g_loss
    assert torch.equal(by_fit.samples[-1], by_train.samples[-1])
    assert cfg.ema_decay == (0.999 if ema_decay is None else 0.0) and (game.G_ema is not None) == bool(cfg.ema_decay)


class Recorder(Hook):
    """Remembers the steps it saw and stops after ``stop_after`` epochs."""

    def __init__(self, stop_after):
        self.steps, self.stop_after = [], stop_after

    def after_step(self, game, step):
        self.steps.append(step)

    def before_record(self, game):
        return {"frechet": 1.0, "modes": 10, "kl_uniform": 0.0, "confidence": 1.0}

    def after_epoch(self, game, history):
        return "enough" if len(history) >= self.stop_after else None


def test_hooks_see_every_step_record_scores_and_can_stop_the_run(mnist_sample, capsys):
    cfg = small_config(epochs=5)
    recorder = Recorder(stop_after=2)
    history = fit(DCGAN(cfg), DeviceBatches.from_config(cfg, mnist_sample(128)), cfg.epochs, hooks=[recorder])
    assert len(history) == 2 and recorder.steps == [0, 1, 2, 3]
    assert history.frechet == [1.0, 1.0]
    out = capsys.readouterr().out
    assert "epoch  2/5" in out and "distance 1.0  modes 10" in out and out.rstrip().endswith("enough")
