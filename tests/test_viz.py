import math

import matplotlib.pyplot as plt
import pytest
import torch

from ganlab.history import History
from ganlab.viz import image_grid, plot_losses, save_grid, show_progress, show_tensor_images


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_grid_maps_minus_one_to_one_onto_zero_to_one():
    images = torch.full((4, 1, 28, 28), -1.0)
    images[1] = 1.0
    grid = image_grid(images, num_images=4, nrow=2)
    assert grid.shape == (3, 2 * 30 + 2, 2 * 30 + 2)  # make_grid pads 2 pixels around each
    assert grid.min() == 0 and grid.max() == 1


def test_show_one_channel_with_grad_in_grey():
    images = torch.rand(16, 1, 28, 28, requires_grad=True) * 2 - 1
    ax = show_tensor_images(images)
    shown = ax.get_images()[0]
    assert shown.get_array().shape == (4 * 30 + 2, 4 * 30 + 2)
    assert shown.get_cmap().name == "gray" and not ax.axison


def test_show_three_channels_and_flat_images():
    ax = show_tensor_images(torch.rand(9, 3, 8, 8) * 2 - 1, num_images=9, nrow=3)
    assert ax.get_images()[0].get_array().shape == (3 * 10 + 2, 3 * 10 + 2, 3)
    ax = show_tensor_images(torch.zeros(4, 784), num_images=4, nrow=2)
    assert ax.get_images()[0].get_array().shape == (2 * 30 + 2, 2 * 30 + 2)


@pytest.mark.parametrize("shape", [(28, 28), (4, 2, 28, 28), (4, 1, 1, 28, 28), (4, 783)])
def test_wrong_shapes_raise_clear_errors(shape):
    with pytest.raises(ValueError, match="show_tensor_images"):
        show_tensor_images(torch.zeros(shape))


def fake_history(epochs=4, scores=()):
    """A History of ``epochs`` made-up epochs; ``scores`` (frechet, modes) pairs score the first ones."""
    h = History()
    for e in range(epochs):
        h.record(0.7 - 0.05 * e, 0.9 + 0.1 * e, 0.6, 0.4, 1.0, torch.rand(8, 1, 28, 28) * 2 - 1)
        if e < len(scores):
            d, m = scores[e]
            h.record_quality({"frechet": d, "modes": m, "kl_uniform": 0.02, "confidence": 0.9})
    return h


def test_plot_losses_draws_both_curves():
    ax = plot_losses(fake_history())
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert list(lines["D loss"].get_ydata()) == pytest.approx([0.7, 0.65, 0.6, 0.55])
    assert list(lines["G loss"].get_xdata()) == [1, 2, 3, 4]


def test_show_progress_has_one_row_per_epoch():
    fig = show_progress(fake_history(8), epochs=[0, 3, 7], num_images=8)
    assert [ax.get_title(loc="left") for ax in fig.axes] == ["epoch 1", "epoch 4", "epoch 8"]


def test_history_samples_round_trip_within_one_grey_level():
    images = torch.rand(8, 1, 28, 28) * 2 - 1
    h = History()
    h.record(1, 1, 0.5, 0.5, 1, images)
    assert (h.sample_images() - images).abs().max() <= 1 / 127.5


def test_save_grid_writes_a_png(tmp_path):
    path = save_grid(torch.zeros(4, 1, 28, 28), tmp_path / "g" / "grid.png", nrow=2)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_quality_marks_the_best_epoch_and_needs_scores():
    from ganlab.viz import plot_history, plot_quality
    h = fake_history(3)
    with pytest.raises(ValueError, match="no quality scores"):
        plot_quality(h)
    assert len(plot_history(h).axes) == 1  # untracked: the losses alone
    h = fake_history(3, scores=((40.0, 9), (20.0, 10), (25.0, 10)))
    ax = plot_quality(h)
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert list(lines["Frechet distance"].get_ydata()) == [40.0, 20.0, 25.0]
    assert list(lines["best: epoch 2"].get_ydata()) == [20.0]
    assert len(plot_history(h).axes) == 3  # losses, distance, and the modes' twin axis


def test_history_quality_round_trips_and_old_checkpoints_load():
    h = fake_history(1)
    h.record_quality({"frechet": 9.0, "modes": 10, "kl_uniform": 0.01, "confidence": 0.95})
    assert h.tracked
    with pytest.raises(ValueError, match="already has quality scores"):
        h.record_quality({"frechet": 8.0, "modes": 10, "kl_uniform": 0.01, "confidence": 0.95})
    h.record(0.6, 1.0, 0.6, 0.4, 1.0, torch.zeros(8, 1, 28, 28))
    assert not h.tracked  # one of two epochs scored
    h.record_quality({"frechet": 7.5, "modes": 10, "kl_uniform": 0.02, "confidence": 0.96})
    again = History.from_dict(h.to_dict())
    assert again.frechet == [9.0, 7.5] and again.tracked and again.best_epoch() == 1
    assert again.epochs_since_best() == 0
    assert '"frechet": 7.5' in h.to_json()
    old = {k: v for k, v in h.to_dict().items() if k not in ("frechet", "modes", "kl_uniform", "confidence")}
    assert History.from_dict(old).frechet == [] and History.from_dict(old).best_epoch() is None
    assert "frechet" not in History.from_dict(old).to_json()


def test_history_json_round_trips_the_numbers_nan_included():
    h = History()
    for e in range(3):
        h.record(0.7 + e, 0.9, 0.6, 0.4, 1.5, torch.zeros(4, 1, 28, 28),
                 {"frechet": float("nan") if e == 1 else 10.0 - e, "modes": 10, "kl_uniform": 0.01, "confidence": 0.9})
    back = History.from_json(h.to_json())
    assert back.d_loss == h.d_loss and back.seconds == h.seconds and back.samples == []
    assert back.frechet[0] == 10.0 and math.isnan(back.frechet[1]) and back.frechet[2] == 8.0


@pytest.mark.parametrize("name", ["mnist", "mnist-ema"])
def test_each_shipped_mnist_reference_run_is_a_whole_20_epoch_run(name):
    import json

    from ganlab.config import Config
    from ganlab.history import REFERENCE_RUNS, reference_run

    record = json.loads((REFERENCE_RUNS / f"{name}.json").read_text())
    assert record["made_by"].startswith("python tools/make_reference_run.py ")
    cfg = Config.from_dict(record["config"])
    run = reference_run(name)
    assert len(run) == cfg.epochs == 20 and run.tracked
    assert all(math.isfinite(x) for x in run.d_loss + run.g_loss + run.frechet)
    assert run.modes[-1] == 10 and run.frechet[-1] < run.frechet[0]
    with pytest.raises(FileNotFoundError, match="No reference run named 'cifar': ganlab ships mnist, mnist-ema"):
        reference_run("cifar")


def test_the_two_mnist_references_are_todays_default_and_the_familys_recipe():
    """"mnist-ema" is make train's run of today's default (the average of G's weights, BatchNorm started as the
    course's); "mnist" a run of the family's recipe (last weights, BatchNorm N(1, 0.02)), which WGAN-GP, the fully
    connected GAN and the 64x64 DCGAN keep by default (the conditional DCGAN starts BatchNorm as the course does)."""
    import json

    from ganlab.config import Config
    from ganlab.history import REFERENCE_RUNS, reference_band, reference_run

    recipe = {name: Config.from_dict(json.loads((REFERENCE_RUNS / f"{name}.json").read_text())["config"],
                                     data_dir=None, device="auto") for name in ("mnist", "mnist-ema")}
    assert recipe["mnist-ema"] == Config() and recipe["mnist"] == Config(ema_decay=0.0, bn_gamma_mean=1.0)
    family = {model: Config.for_model(model, data_dir="x") for model in ("cdcgan", "wgan-gp", "mlp", "dcgan64")}
    assert {model: (cfg.ema_decay, cfg.bn_gamma_mean) for model, cfg in family.items()} == {
        "cdcgan": (0.0, 0.0), "wgan-gp": (0.0, 1.0), "mlp": (0.0, 1.0), "dcgan64": (0.0, 1.0)}  # last weights sampled
    averaged, last = reference_run("mnist-ema"), reference_run("mnist")
    assert averaged.d_loss != last.d_loss  # two trainings: the BatchNorm init differs
    assert reference_band("mnist-ema").label == "default recipe, 3 seeds"
    assert reference_band("mnist").label == "the family's recipe, last weights, 3 seeds"
