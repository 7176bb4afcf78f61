"""Per-epoch quality tracking in train: History's scores, keep_best, patience, EMA sampling."""
import importlib
import math

import pytest
import torch

from ganlab.checkpoint import best_checkpoint_path, load_checkpoint
from ganlab.config import Config
from ganlab.data import SAMPLE_DIR, DatasetNotFoundError, DeviceBatches
from ganlab.ema import ema_decay_at, reestimate_batchnorm, update_ema
from ganlab.game import DCGAN
from ganlab.games import generator_from_checkpoint
from ganlab.history import History
from ganlab.models import Generator, generate
from ganlab.sampling import to_signed
from ganlab.session import train

session_module = importlib.import_module("ganlab.session")


@pytest.fixture(scope="module")
def small_dataset(mnist_sample):
    return mnist_sample(128)  # 2 steps of 64 an epoch


def small_config(**overrides):
    return Config(**{"batch_size": 64, "epochs": 2, "device": "cpu", "data_dir": str(SAMPLE_DIR), **overrides})


def batches(cfg, ds):
    return DeviceBatches.from_config(cfg, ds)


class ScriptedTracker:
    """Stands in for QualityTracker: hands out the given distances, one per epoch."""

    def __init__(self, distances):
        self.distances = list(distances)

    def __call__(self, G):
        return {"frechet": self.distances.pop(0), "modes": 10, "kl_uniform": 0.01, "confidence": 0.9}


@pytest.fixture
def scripted(monkeypatch):
    def install(distances):
        tracker = ScriptedTracker(distances)
        monkeypatch.setattr(session_module, "QualityTracker", lambda cfg, n: tracker)
        return tracker
    return install


def test_train_tracks_real_scores_against_the_test_images(small_dataset):
    cfg = small_config()
    history = train(cfg, batches=batches(cfg, small_dataset), track=200)
    assert history.tracked and len(history.frechet) == 2
    assert all(math.isfinite(d) and d > 0 for d in history.frechet)
    assert all(0 <= m <= 10 for m in history.modes)
    assert all(0.1 <= c <= 1 for c in history.confidence)  # 10 classes: the top one has >= 0.1
    assert all(k >= 0 for k in history.kl_uniform)


def test_keep_best_saves_the_lowest_distance_epoch(small_dataset, tmp_path, scripted):
    scripted([5.0, 3.0, 4.0])
    cfg = small_config(epochs=3)
    path = tmp_path / "checkpoint.pt"
    history = train(cfg, batches=batches(cfg, small_dataset), checkpoint=path, keep_best=True)
    assert history.frechet == [5.0, 3.0, 4.0] and history.best_epoch() == 1
    best = load_checkpoint(best_checkpoint_path(path))
    assert best["epoch"] == 2 and load_checkpoint(path)["epoch"] == 3
    assert History.from_dict(best["history"]).frechet == [5.0, 3.0]
    assert best_checkpoint_path(path).name == "checkpoint_best.pt"
    assert not list(tmp_path.glob("*.tmp"))


def test_patience_stops_when_the_distance_stops_improving(small_dataset, scripted, capsys):
    scripted([5.0, 3.0, 4.0, 3.5, 1.0])
    cfg = small_config(epochs=5)
    history = train(cfg, batches=batches(cfg, small_dataset), patience=2)
    assert len(history) == 4  # epochs 3 and 4 did not beat epoch 2's 3.0
    assert "Stopping early after epoch 4" in capsys.readouterr().out


def test_patience_does_not_stop_an_improving_run(small_dataset, scripted):
    scripted([5.0, 4.0, 3.0])
    cfg = small_config(epochs=3)
    assert len(train(cfg, batches=batches(cfg, small_dataset), patience=1)) == 3


@pytest.mark.parametrize("kwargs, words", [
    (dict(keep_best=True), "needs checkpoint=PATH"),
    (dict(patience=2, track=0), "leave track at 2000"),
    (dict(patience=0), "patience must be a positive whole number"),
    (dict(track=-5), "track must be a whole number"),
])
def test_bad_stopping_arguments_raise_one_clear_sentence(small_dataset, kwargs, words):
    cfg = small_config()
    with pytest.raises(ValueError, match=words):
        train(cfg, batches=batches(cfg, small_dataset), **kwargs)


def test_without_a_test_set_tracking_is_off_unless_required(small_dataset, tmp_path, capsys):
    cfg = small_config(epochs=1, data_dir=str(tmp_path / "nothing"))
    history = train(cfg, batches=batches(cfg, small_dataset))
    assert history.frechet == [] and not history.tracked
    assert "Quality tracking is off:" in capsys.readouterr().out
    with pytest.raises(DatasetNotFoundError):
        train(cfg, batches=batches(cfg, small_dataset), patience=3)


def test_update_ema_moves_a_fraction_towards_the_weights():
    torch.manual_seed(0)
    G, G_ema = Generator(8), Generator(8)
    before = [p.clone() for p in G_ema.parameters()]
    update_ema(G_ema, G, decay=0.75)
    for old, new, target in zip(before, G_ema.parameters(), G.parameters()):
        torch.testing.assert_close(new, 0.75 * old + 0.25 * target)


def test_ema_decay_ramps_up_from_a_short_memory():
    assert ema_decay_at(0, 0.999) == pytest.approx(0.1)
    assert ema_decay_at(90, 0.999) == pytest.approx(91 / 100)
    assert ema_decay_at(100_000, 0.999) == 0.999


def test_batchnorm_statistics_are_reestimated_for_the_weights():
    torch.manual_seed(0)
    G = Generator(8)
    G.block_1[1].running_mean.fill_(5.0)  # stale statistics, e.g. another generator's
    reestimate_batchnorm(G, n_batches=1, batch_size=64, seed=3)
    noise = torch.randn(64, 8, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        first_layer = G.block_1[0](noise.view(-1, 8, 1, 1))
    torch.testing.assert_close(G.block_1[1].running_mean, first_layer.mean((0, 2, 3)))
    assert G.training and G.block_1[1].momentum == 0.1  # mode and momentum restored


def test_ema_generator_is_saved_sampled_and_resumed(small_dataset, tmp_path):
    cfg = small_config(epochs=2, ema_decay=0.9)
    whole = train(cfg, batches=batches(cfg, small_dataset), track=0)
    path = tmp_path / "checkpoint.pt"
    train(small_config(epochs=1, ema_decay=0.9), batches=batches(cfg, small_dataset), checkpoint=path, track=0)
    resumed = train(cfg, batches=batches(cfg, small_dataset), resume=path, track=0)
    assert torch.equal(resumed.samples[-1], whole.samples[-1])  # the averaged G continued exactly
    state = load_checkpoint(path)
    assert set(state["G_ema"]) == set(state["G"])
    assert any(not torch.equal(state["G_ema"][k], state["G"][k]) for k in state["G"])
    G, _ = generator_from_checkpoint(path)
    assert all(torch.equal(v, state["G_ema"][k]) for k, v in G.state_dict().items())


def test_keep_best_and_patience_carry_across_a_resume(small_dataset, tmp_path, scripted):
    path = tmp_path / "checkpoint.pt"
    scripted([5.0, 3.0])
    train(small_config(epochs=2), batches=batches(small_config(), small_dataset), checkpoint=path, keep_best=True)
    scripted([4.0, 3.0])  # epoch 4 ties epoch 2: a tie is not an improvement
    history = train(small_config(epochs=5), batches=batches(small_config(), small_dataset), resume=path,
                    keep_best=True, patience=2)
    assert history.frechet == [5.0, 3.0, 4.0, 3.0] and history.best_epoch() == 1
    assert load_checkpoint(best_checkpoint_path(path))["epoch"] == 2


def test_resuming_an_untracked_run_pads_its_epochs(small_dataset, tmp_path, scripted):
    path = tmp_path / "checkpoint.pt"
    train(small_config(epochs=1), batches=batches(small_config(), small_dataset), checkpoint=path, track=0)
    scripted([4.0])
    history = train(small_config(epochs=2), batches=batches(small_config(), small_dataset), resume=path)
    assert math.isnan(history.frechet[0]) and history.frechet[1] == 4.0
    assert history.tracked and history.best_epoch() == 1
    assert '"frechet": null' in history.to_json()


def test_resume_refuses_a_different_recipe(small_dataset, tmp_path):
    path = tmp_path / "checkpoint.pt"
    train(small_config(epochs=1), batches=batches(small_config(), small_dataset), checkpoint=path, track=0)
    with pytest.raises(ValueError, match=r"trained with lr=0.0002, not lr=0.002: resume with the same values"):
        train(small_config(epochs=2, lr=0.002), batches=batches(small_config(), small_dataset), resume=path, track=0)
    longer = train(small_config(epochs=2, data_dir=None), batches=batches(small_config(), small_dataset),
                   resume=path, track=0)  # more epochs and another data folder are fine
    assert len(longer) == 2


def test_a_zero_to_one_generator_is_stored_and_shown_in_tanh_range(small_dataset):
    cfg = small_config(epochs=1, normalize=False, ema_decay=0.0)  # the samples are G's own, not an average's
    G = Generator(cfg.noise_dim)
    torch.manual_seed(0)
    history = train(cfg, G=G, batches=batches(cfg, small_dataset), track=0)
    assert G.pixel_range == (0.0, 1.0)  # train told G the range it learns to draw in
    progress_noise = DCGAN(cfg).progress_noise
    expected = to_signed(G.eval()(progress_noise), (0.0, 1.0)).clamp(-1, 1)
    assert torch.equal(generate(G, progress_noise), to_signed(G(progress_noise), (0.0, 1.0)))
    assert (history.sample_images() - expected).abs().max() <= 1 / 127.5
