"""Spot the fake (ganlab.detect, ganlab.quiz): AUC by hand, detectors that can and cannot tell, the quiz."""
import pytest
import torch
from torch import nn

from ganlab import Config, train
from ganlab.data import SAMPLE_DIR, DeviceBatches, load_sample_dataset
from ganlab.detect import Detector, detector_auc, roc_auc, roc_curve, saliency, scores, scores_as_in_training
from ganlab.quiz import answer_text, make_quiz, quiz_widget, spot_the_fake_quiz


def sample_images(n: int, train: bool = True) -> torch.Tensor:
    data = load_sample_dataset("mnist", train=train).data[:n]
    return data.unsqueeze(1).float() / 127.5 - 1


def test_auc_by_hand_is_the_share_of_real_fake_pairs_the_score_orders_right():
    # 3 real x 3 fake = 9 pairs; the real score is higher in 3 (0.9) + 1 (0.4 > 0.1) + 2 (0.6) = 6 of them
    assert roc_auc([0.9, 0.4, 0.6], [0.5, 0.1, 0.7]) == pytest.approx(6 / 9)
    assert roc_auc([3.0, 2.0], [1.0, 0.0]) == 1.0 and roc_auc([0.0], [1.0]) == 0.0
    assert roc_auc([1.0, 1.0], [1.0, 1.0]) == 0.5  # ties count half: a coin
    with pytest.raises(ValueError):
        roc_auc([], [1.0])


def test_the_roc_curve_runs_from_0_0_to_1_1_and_its_area_is_the_auc():
    real, fake = torch.randn(50) + 1, torch.randn(40)
    fpr, tpr = roc_curve(real, fake)
    assert (fpr[0], tpr[0]) == (0, 0) and (fpr[-1], tpr[-1]) == (1, 1)
    assert torch.all(fpr.diff() >= 0) and torch.all(tpr.diff() >= 0)
    assert torch.trapezoid(tpr, fpr).item() == pytest.approx(roc_auc(real, fake), abs=1e-9)


def test_a_fresh_detector_separates_noise_from_digits_and_not_digits_from_digits():
    digits = sample_images(400)
    noise = torch.rand(400, 1, 28, 28) * 2 - 1
    assert detector_auc(digits, noise, steps=100)["auc"] > 0.95
    other_digits = sample_images(200, train=False).repeat(2, 1, 1, 1)
    same = detector_auc(digits, other_digits, steps=100)
    assert abs(same["auc"] - 0.5) < 0.2  # real against real: about a coin on held-out images


def test_detector_and_scores_fit_any_image_size_and_saliency_shows_where_the_model_reads():
    assert Detector(3)(torch.randn(2, 3, 64, 64)).shape == (2, 1)

    class Centre(nn.Module):  # a "detector" that reads the centre pixel only
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.ones(1))

        def forward(self, x):
            return self.w * x[:, :, 14:15, 14:15].flatten(1)

    maps = saliency(Centre(), torch.randn(3, 1, 28, 28))
    assert maps.shape == (3, 28, 28) and maps[:, 14, 14].min() == 1 and maps.sum() == 3
    assert scores(Centre(), torch.ones(5, 1, 28, 28)).tolist() == [1.0] * 5


def test_training_can_track_both_aucs_per_epoch(mnist_sample):
    cfg = Config(epochs=2, batch_size=64, device="cpu", data_dir=str(SAMPLE_DIR))
    history = train(cfg, batches=DeviceBatches.from_config(cfg, mnist_sample(128)), track=0, progress=False,
                    track_detector=True)
    assert set(history.extras) == {"d_auc", "d_auc_training", "detector_auc"}
    assert all(0 <= v <= 1 for name in history.extras for v in history.extras[name])
    with pytest.raises(ValueError, match="conditional"):
        train(Config(model="cdcgan", epochs=1, device="cpu", data_dir=str(SAMPLE_DIR)), track_detector=True)


def test_scores_as_in_training_use_each_batchs_statistics_and_leave_the_running_ones_alone():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.Flatten(), nn.Linear(4 * 26 * 26, 1))
    net[1].running_mean.fill_(5.0)  # running statistics far from any batch's: eval mode differs
    images = torch.randn(10, 1, 28, 28)
    before = {name: t.clone() for name, t in net.state_dict().items()}
    as_trained = scores_as_in_training(net, images, batch_size=5)
    with torch.no_grad():
        by_hand = torch.cat([net.train()(x).flatten() for x in images.split(5)])
    net.load_state_dict(before)
    assert torch.allclose(as_trained, by_hand) and not torch.allclose(as_trained, scores(net, images))
    assert all(torch.equal(before[name], t) for name, t in net.state_dict().items())


class Always(nn.Module):
    def __init__(self, logit):
        super().__init__()
        self.logit = nn.Parameter(torch.tensor(float(logit)))

    def forward(self, x):
        return self.logit.expand(x.size(0), 1)


def test_a_quiz_is_half_fake_shuffled_by_its_seed_and_scored_against_each_judge():
    real, fake = torch.full((10, 1, 28, 28), -1.0), torch.ones(10, 1, 28, 28)
    quiz = make_quiz(real, fake, {"says real": Always(2.0), "says fake": Always(-2.0)}, n=16, seed=3)
    assert quiz.is_fake.sum() == 8 and torch.equal(quiz.images[quiz.is_fake], torch.ones(8, 1, 28, 28))
    assert torch.equal(make_quiz(real, fake, n=16, seed=3).is_fake, quiz.is_fake)
    assert quiz.judges_scores() == {"says real": 0.5, "says fake": 0.5}
    assert quiz.score(quiz.is_fake.tolist()) == 1.0
    text = answer_text(quiz, [False] * 16)
    assert "You: 50 % right." in text and "says real: 50 % right." in text and text.startswith("The fakes: ")
    with pytest.raises(ValueError, match="needs 8 real and 8 fake"):
        make_quiz(real[:3], fake, n=16)


def test_the_quiz_shows_a_static_grid_and_a_hidden_key_where_no_widget_runs(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj, **kw: shown.append(obj))
    quiz = spot_the_fake_quiz(sample_images(8), torch.rand(8, 1, 28, 28) * 2 - 1, n=16)
    html = shown[-1].data
    assert "<details>" in html and "The fakes: " in html and len(quiz.is_fake) == 16


def test_the_static_quiz_draws_every_picture_when_the_last_row_is_short(monkeypatch):
    import matplotlib.pyplot as plt

    drawn = []
    monkeypatch.setattr("ganlab.quiz.widgets_available", lambda: False)
    monkeypatch.setattr("IPython.display.display", lambda obj, **kw: None)
    monkeypatch.setattr(plt, "show", lambda: drawn.extend(ax.get_title() for ax in plt.gcf().axes if ax.images))
    spot_the_fake_quiz(sample_images(8), torch.rand(8, 1, 28, 28) * 2 - 1, n=12)
    plt.close("all")
    assert drawn == [str(i) for i in range(1, 13)]  # 8 in the first row, 4 in the second


def test_the_quiz_widget_marks_checks_and_colours_each_answer():
    quiz = make_quiz(sample_images(8), torch.rand(8, 1, 28, 28) * 2 - 1, {"D": Always(1.0)}, n=16)
    box = quiz_widget(quiz)
    grid, check, result = box.children
    toggles = [cell.children[1] for cell in grid.children]
    for toggle, fake in zip(toggles, quiz.is_fake.tolist()):
        toggle.value = fake  # a perfect learner
    check.click()
    assert "You: 100 % right." in result.value and "D: 50 % right." in result.value
    assert {toggle.button_style for toggle in toggles} == {"success"}
