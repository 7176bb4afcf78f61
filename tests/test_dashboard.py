import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from ganlab import progress
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


def test_animation_is_a_gif_with_one_frame_per_epoch_showing_that_epochs_samples():
    import base64
    import io

    from PIL import Image

    anim = progress_animation(fake_history(5))
    bundle = anim._repr_mimebundle_()
    assert set(bundle) == {"image/gif", "text/plain"}  # an image: plays untrusted, needs no script
    assert base64.b64decode(bundle["image/gif"]) == anim.data and anim.data[:6] == b"GIF89a"
    with Image.open(io.BytesIO(anim.data)) as gif:
        assert gif.n_frames == 5 and gif.info["loop"] == 0
        means = []
        for frame in range(5):
            gif.seek(frame)
            pixels = torch.tensor(np.array(gif.convert("L")), dtype=torch.float)
            means.append(pixels[40:60, 40:60].mean().item() / 255)  # inside the first sample, below the title
    # fake_history's samples are flat at -1 + e/4 in [-1, 1], i.e. e/8 in [0, 1]
    assert means == pytest.approx([e / 8 for e in range(5)], abs=0.01)


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
        def update(self, obj, raw=False):
            shown.append(("update", obj))

    def display(obj, raw=False, display_id=False):
        shown.append(("display", obj))
        assert display_id is True and raw is True
        return Handle()

    monkeypatch.setattr("IPython.display.display", display)
    live = LiveDashboard()
    live.start()
    for epochs in (1, 2, 3):
        live.update(fake_history(epochs))
    assert [kind for kind, _ in shown] == ["display", "update", "update", "update"]
    assert set(shown[0][1]) == {"text/plain"}  # the placeholder, shown before the first epoch
    import base64
    assert base64.b64decode(shown[-1][1]["image/png"])[:4] == b"\x89PNG"
    assert shown[-1][1]["text/plain"] == "<dashboard after epoch 3>"


def test_live_training_outside_a_notebook_is_silent_and_callbacks_run(monkeypatch, mnist_sample):
    assert not progress.in_notebook()
    seen = []
    ds = mnist_sample(128)
    cfg = Config(batch_size=64, epochs=2, device="cpu")
    history = train(cfg, batches=DeviceBatches.from_config(cfg, ds), live=True,
                    on_epoch=lambda h: seen.append(len(h)))
    assert seen == [1, 2] and len(history) == 2
