import matplotlib.pyplot as plt
import pytest
import torch

from ganlab import dashboard
from ganlab.config import Config
from ganlab.dashboard import LiveDashboard, dashboard_figure, progress_animation, save_progress_gif
from ganlab.data import DeviceBatches
from ganlab.history import History
from ganlab.session import train


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def fake_history(epochs=5):
    h = History()
    for e in range(epochs):
        h.record(0.7, 0.9, 0.6, 0.4, 1.0, torch.full((16, 1, 28, 28), -1 + e / 4))
    return h


def test_animation_has_one_frame_per_epoch():
    anim = progress_animation(fake_history(5))
    html = anim.to_jshtml()
    assert html.count("frames[") >= 5 and "anim" in html
    assert len(list(anim.new_frame_seq())) == 5


def test_gif_is_written(tmp_path):
    path = save_progress_gif(fake_history(3), tmp_path / "p" / "progress.gif")
    data = path.read_bytes()
    assert data[:6] in (b"GIF89a", b"GIF87a")
    from PIL import Image
    with Image.open(path) as gif:
        assert gif.n_frames == 3


def test_dashboard_figure_has_losses_and_samples():
    fig = dashboard_figure(fake_history(4))
    ax_loss, ax_img = fig.axes
    assert ax_loss.get_title() == "epoch 4: losses so far"
    assert ax_img.get_images()[0].get_array().shape == (4 * 30 + 2, 4 * 30 + 2)  # 16 samples: 4 x 4


def test_live_dashboard_displays_once_then_updates_in_place(monkeypatch):
    shown = []

    class Handle:
        def update(self, obj):
            shown.append(("update", obj))

    def display(obj, display_id=False):
        shown.append(("display", obj))
        assert display_id is True
        return Handle()

    monkeypatch.setattr("IPython.display.display", display)
    live = LiveDashboard()
    for epochs in (1, 2, 3):
        live.update(fake_history(epochs))
    assert [kind for kind, _ in shown] == ["display", "update", "update"]
    assert shown[-1][1].data[:4] == b"\x89PNG"


def test_live_training_outside_a_notebook_is_silent_and_callbacks_run(monkeypatch, mnist_sample):
    assert not dashboard.in_notebook()
    seen = []
    ds = mnist_sample(128)
    cfg = Config(batch_size=64, epochs=2, device="cpu")
    history = train(cfg, batches=DeviceBatches.from_config(cfg, ds), live=True,
                    on_epoch=lambda h: seen.append(len(h)))
    assert seen == [1, 2] and len(history) == 2
