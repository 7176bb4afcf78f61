import functools

import matplotlib.pyplot as plt
import pytest
import torch

from ganlab.explorer import (
    explorer_image,
    interpolate,
    interpolation_strip,
    latent_explorer,
    nearest_real,
    show_nearest_real,
    slerp,
    widgets_available,
)
from ganlab.models import Discriminator, Generator, generate, weights_init
from ganlab.sampling import seeded_noise


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture
def G():
    """A fresh G whose image moves with z. Started as the course's weights_init does (BatchNorm scales near 0)
    it draws nearly the same image for every z in eval mode (notebook 06), so these start it as PyTorch's
    tutorial does (scales near 1)."""
    torch.manual_seed(0)
    return Generator(16).apply(functools.partial(weights_init, bn_gamma_mean=1.0))


def test_the_explorer_draws_a_zero_to_one_generator_in_tanh_range():
    # Config(normalize=False) trains G to draw in [0, 1]; the explorer shows pictures in [-1, 1].
    torch.manual_seed(0)
    G = Generator(16).apply(weights_init)
    G.pixel_range = (0.0, 1.0)
    image, _ = explorer_image(G, None, 0, 1, 0.0, "slerp", [])
    raw = G.eval()(seeded_noise(1, 16, 0))
    torch.testing.assert_close(image, raw * 2 - 1, atol=1e-6, rtol=0)


@pytest.mark.parametrize("mode", ["linear", "slerp"])
def test_interpolation_endpoints_are_the_seeds_images(G, mode):
    images = interpolate(G, 3, 4, steps=5, mode=mode)
    assert images.shape == (5, 1, 28, 28)
    torch.testing.assert_close(images[0:1], generate(G, seeded_noise(1, 16, 3)), atol=1e-5, rtol=0)
    torch.testing.assert_close(images[-1:], generate(G, seeded_noise(1, 16, 4)), atol=1e-5, rtol=0)
    assert not torch.allclose(images[2], images[0])


def test_slerp_keeps_the_length_where_a_line_shrinks_it():
    a, b = torch.tensor([[1.0, 0.0]]), torch.tensor([[0.0, 1.0]])
    assert slerp(a, b, 0.5).norm().item() == pytest.approx(1.0)
    assert ((a + b) / 2).norm().item() == pytest.approx(0.7071, abs=1e-4)
    with pytest.raises(ValueError, match="'linear' or 'slerp'"):
        interpolate(Generator(16), 0, 1, mode="cubic")


def test_interpolation_strip_draws_one_row(G):
    fig = interpolation_strip(G, 0, 1, steps=6)
    assert fig.axes[0].get_images()[0].get_array().shape == (1 * 30 + 2, 6 * 30 + 2)


def test_nearest_real_finds_the_exact_copy():
    real = torch.rand(50, 1, 28, 28) * 2 - 1
    samples = real[[7, 21]] + 0.01
    neighbours = nearest_real(samples, real, k=3)
    assert neighbours.shape == (2, 3, 1, 28, 28)
    assert torch.equal(neighbours[0, 0], real[7]) and torch.equal(neighbours[1, 0], real[21])
    fig = show_nearest_real(samples, real, k=3)
    assert len(fig.axes) == 2 * 4


def test_explorer_image_scores_with_D(G):
    D = Discriminator()
    image, score = explorer_image(G, D, 0, 1, 0.0, "slerp", [0.0, 0.0])
    torch.testing.assert_close(image, generate(G, seeded_noise(1, 16, 0)))
    assert 0 < score < 1
    shifted, none = explorer_image(G, None, 0, 1, 0.0, "linear", [2.0, -1.0])
    assert none is None and not torch.allclose(shifted, image)


def test_explorer_falls_back_to_a_static_strip_without_a_front_end(G):
    assert not widgets_available()  # pytest is no notebook kernel
    assert latent_explorer(G) is None
    assert len(plt.get_fignums()) == 1  # the strip it drew


def test_explorer_builds_widgets_when_a_front_end_is_there_and_shows_them_once(G, monkeypatch):
    pytest.importorskip("ipywidgets")
    monkeypatch.setattr("ganlab.explorer.widgets_available", lambda: True)
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda *args, **kwargs: shown.append(args))
    assert latent_explorer(G, Discriminator(), n_coordinates=3) is None  # no cell value: shown once
    (box,), = shown
    sliders = box.children[0].children
    assert [s.description for s in sliders] == ["seed A", "seed B", "A -> B", "path", "z[0] +", "z[1] +", "z[2] +"]
