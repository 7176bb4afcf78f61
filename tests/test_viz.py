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


def fake_history(epochs=4):
    h = History()
    for e in range(epochs):
        h.record(0.7 - 0.05 * e, 0.9 + 0.1 * e, 0.6, 0.4, 1.0, torch.rand(8, 1, 28, 28) * 2 - 1)
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
