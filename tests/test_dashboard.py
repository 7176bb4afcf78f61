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


def healthy_looking_history(epochs=5):
    """A History diagnose finds nothing in: losses that fit D's verdicts, samples that differ."""
    h = History()
    for e in range(epochs):
        samples = torch.linspace(-1, 1, 16).view(16, 1, 1, 1).expand(16, 1, 28, 28) * (e + 1) / epochs
        h.record(0.7, 0.95, 0.6, 0.4, 1.0, samples)
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


def test_animation_of_every_third_epoch_keeps_the_last_and_titles_the_true_epoch():
    import io

    from PIL import Image

    from ganlab.dashboard import shown_epochs

    assert shown_epochs(30, 3) == [2, 5, 8, 11, 14, 17, 20, 23, 26, 29]
    assert shown_epochs(7, 3) == [2, 5, 6] and shown_epochs(2, 3) == [1] and shown_epochs(4, 1) == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="every must be 1 or more"):
        shown_epochs(5, 0)
    anim = progress_animation(fake_history(5), every=2)  # epochs 2, 4 and 5
    with Image.open(io.BytesIO(anim.data)) as gif:
        assert gif.n_frames == anim.frames == 3
        means = []
        for frame in range(3):
            gif.seek(frame)
            means.append(np.array(gif.convert("L"))[40:60, 40:60].mean() / 255)
    assert means == pytest.approx([1 / 8, 3 / 8, 4 / 8], abs=0.01)


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
        def __init__(self, number):
            self.number = number

        def update(self, obj, raw=False):
            shown.append((self.number, "update", obj))

    def display(obj, raw=False, display_id=False):
        assert display_id is True and raw is True
        shown.append((len({n for n, _, _ in shown}), "display", obj))
        return Handle(shown[-1][0])

    monkeypatch.setattr("IPython.display.display", display)
    live = LiveDashboard()
    live.start()
    for epochs in (1, 2, 3):
        live.update(healthy_looking_history(epochs))
    # two outputs shown before the first epoch (the picture's place, the findings line), then updated in place
    assert [(n, kind) for n, kind, _ in shown] == [(0, "display"), (1, "display")] + [(0, "update"), (1, "update")] * 3
    assert set(shown[0][2]) == {"text/plain"}  # the placeholder, shown before the first epoch
    import base64
    picture = [obj for n, _, obj in shown if n == 0][-1]
    assert base64.b64decode(picture["image/png"])[:4] == b"\x89PNG"
    assert picture["text/plain"] == "<dashboard after epoch 3>"
    assert [obj for n, _, obj in shown if n == 1][-1]["text/plain"].startswith("Checks (ganlab.diagnose): nothing")


def test_findings_name_the_warnings_and_once_stale_the_best_epoch_and_how_to_load_it():
    from ganlab.dashboard import STALE_EPOCHS, findings

    history = History(d_loss=[0.6] * 6, g_loss=[1.0] * 6, d_real=[0.6] * 6, d_fake=[0.4] * 6, seconds=[1.0] * 6,
                      frechet=[50.0, 30.0, 31.0, 32.0, 33.0, 34.0], modes=[10] * 6, kl_uniform=[0.01] * 6,
                      confidence=[0.9] * 6)
    said = findings(history, "runs/x/checkpoint.pt", keep_best=True)
    assert len(said) == 1 and "best was epoch 2 (30.0)" in said[0]
    assert 'generator_from_checkpoint("runs/x/checkpoint_best.pt")' in said[0]
    assert "keep_best=True" in findings(history)[0]
    fresh = History(**{k: v[:2] for k, v in history.to_dict().items() if k not in ("samples", "extras")})
    assert findings(fresh) == [] and STALE_EPOCHS == 3
    bad = History(d_loss=[0.5] * 3, g_loss=[-0.1, -0.2, -0.3], d_real=[0.6] * 3, d_fake=[0.4] * 3, seconds=[1.0] * 3)
    assert any("negative" in line for line in findings(bad))


def test_live_training_outside_a_notebook_is_silent_and_callbacks_run(monkeypatch, mnist_sample):
    assert not progress.in_notebook()
    seen = []
    ds = mnist_sample(128)
    cfg = Config(batch_size=64, epochs=2, device="cpu")
    history = train(cfg, batches=DeviceBatches.from_config(cfg, ds), live=True,
                    on_epoch=lambda h: seen.append(len(h)))
    assert seen == [1, 2] and len(history) == 2
