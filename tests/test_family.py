"""The GANs after the course (notebooks/next/): conditional DCGAN, WGAN-GP, MLP GAN, and their tools."""
import math

import pytest
import torch
from torch import nn

from ganlab import Config, train
from ganlab.conditional import ConditionalDiscriminator, ConditionalGenerator, balanced_labels
from ganlab.control import ink, steer, steering_table
from ganlab.data import SAMPLE_DIR, DeviceBatches, load_sample_dataset
from ganlab.games import GAMES, discriminator_from_checkpoint, generator_from_checkpoint, make_game
from ganlab.history import History
from ganlab.metrics import label_agreement, real_agreement
from ganlab.mlp import MLPDiscriminator, MLPGenerator
from ganlab.models import generate
from ganlab.stats import pearson, ranks, spearman
from ganlab.wgan import Critic, mix


def small(model: str, **overrides) -> Config:
    return Config.for_model(model, **{"batch_size": 64, "epochs": 2, "device": "cpu", "data_dir": str(SAMPLE_DIR),
                                      **overrides})


#: The games of 28x28 digits (dcgan64 trains on a folder of pictures: tests/test_own_images.py).
DIGIT_GAMES = [model for model in GAMES if model != "dcgan64"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Two epochs of every digit game on 256 sample images, each with a checkpoint."""
    sample = load_sample_dataset("mnist")
    sample.data, sample.targets = sample.data[:256], sample.targets[:256]
    out = {}
    for model in DIGIT_GAMES:
        cfg = small(model)
        path = tmp_path_factory.mktemp(model) / "checkpoint.pt"
        history = train(cfg, batches=DeviceBatches.from_config(cfg, sample), checkpoint=path, track=200,
                        progress=False)
        out[model] = (cfg, history, path)
    return out


def test_every_game_trains_scores_and_saves_through_the_one_loop(runs):
    for model, (cfg, history, path) in runs.items():
        assert len(history) == 2 and history.tracked, model
        assert all(math.isfinite(v) for v in history.d_loss + history.g_loss + history.frechet), model
        G, saved_cfg = generator_from_checkpoint(path)
        assert saved_cfg.model == model and type(G) is type(make_game(cfg).G)
        assert generate(G, torch.randn(5, cfg.noise_dim)).shape == (5, 1, 28, 28)
        assert type(discriminator_from_checkpoint(path)) is type(make_game(cfg).D)


def test_the_conditional_generator_draws_the_class_asked_for_from_the_same_noise():
    torch.manual_seed(0)
    G = ConditionalGenerator(64).eval()
    noise = torch.randn(1, 64).repeat(10, 1)
    images = G(noise, torch.arange(10))
    assert images.shape == (10, 1, 28, 28)
    assert not torch.allclose(images[3], images[7])  # the label changes the picture
    torch.testing.assert_close(G(noise), images)  # no labels: the classes in turn, 0..9
    assert balanced_labels(13).tolist() == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2]
    D = ConditionalDiscriminator()
    assert D.net.block_1[0].in_channels == 11
    assert D(images, torch.arange(10)).shape == (10, 1)


class LookupGenerator(nn.Module):
    """Not a GAN: hands back real sample images of the class asked for (``drawn`` fixes the class drawn)."""

    def __init__(self, drawn=None):
        super().__init__()
        sample = load_sample_dataset("mnist", train=False)
        self.images = sample.data.unsqueeze(1).float() / 127.5 - 1
        self.labels = torch.as_tensor(sample.targets)
        self.noise_dim, self.drawn = 4, drawn
        self.anchor = nn.Parameter(torch.zeros(1))  # so it has a device

    def forward(self, noise, labels):
        labels = labels if self.drawn is None else torch.full_like(labels, self.drawn)
        index = [torch.nonzero(self.labels == y)[i % 5].item() for i, y in enumerate(labels.tolist())]
        return self.images[index]


def test_label_agreement_counts_what_the_classifier_sees_against_what_was_asked():
    honest = label_agreement(LookupGenerator(), n=200)
    assert honest["agreement"] > 0.95 and len(honest["per_class"]) == 10
    assert sum(map(sum, honest["confusion"])) == 200
    stubborn = label_agreement(LookupGenerator(drawn=0), n=200)  # always a real 0, whatever is asked
    assert stubborn["per_class"][0] > 0.9 and max(stubborn["per_class"][1:]) < 0.1
    assert stubborn["agreement"] == pytest.approx(0.1, abs=0.02)
    ceiling = real_agreement("mnist", data_dir=str(SAMPLE_DIR))
    assert 0.97 < ceiling["agreement"] <= 1 and all(0.8 <= v <= 1 for v in ceiling["per_class"])


def test_the_critic_has_no_batchnorm_and_the_mix_lies_between_real_and_fake():
    assert not any(isinstance(m, nn.BatchNorm2d) for m in Critic().modules())
    torch.manual_seed(0)
    real, fake = torch.ones(64, 1, 2, 2), torch.zeros(64, 1, 2, 2)
    eps = mix(real, fake)[:, 0, 0, 0]  # with real 1 and fake 0 the mix is eps itself
    assert torch.all((eps >= 0) & (eps <= 1)) and eps.std() > 0.2  # one eps per image, spread over [0, 1]
    assert torch.all(mix(real, fake).flatten(1).std(1) == 0)  # one eps for all pixels of an image


def test_the_wgan_records_its_wasserstein_estimate_penalty_and_gradient_norm(runs):
    _, history, _ = runs["wgan-gp"]
    assert set(history.extras) == {"wasserstein", "gradient_penalty", "grad_norm"}
    for epoch in range(2):
        assert history.extras["wasserstein"][epoch] == pytest.approx(history.d_real[epoch] - history.d_fake[epoch],
                                                                     abs=1e-5)
        assert history.extras["gradient_penalty"][epoch] >= 0 and history.extras["grad_norm"][epoch] > 0
    assert not runs["dcgan"][1].extras


def test_the_mlp_networks_are_the_tutorials_sizes():
    G, D = MLPGenerator(64), MLPDiscriminator()
    assert sum(p.numel() for p in G.parameters()) == (64 * 256 + 256) + (256 * 784 + 784)
    assert sum(p.numel() for p in D.parameters()) == (784 * 256 + 256) + (256 + 1)
    assert G(torch.randn(3, 64)).shape == (3, 1, 28, 28) and D(torch.randn(3, 1, 28, 28)).shape == (3, 1)
    deep = MLPDiscriminator(hidden=(1024, 512, 256), dropout=0.3)
    assert sum(isinstance(m, nn.Dropout) for m in deep.modules()) == 3


@pytest.mark.parametrize("bad, says", [(dict(n_critic=0), "n_critic"), (dict(gp_weight=-1.0), "gp_weight"),
                                       (dict(model="vae"), "Config.model")])
def test_wgan_settings_and_models_out_of_range_are_refused_in_one_line(bad, says):
    with pytest.raises(ValueError) as error:
        Config(**bad)
    assert says in str(error.value) and "\n" not in str(error.value)


def test_for_model_takes_the_papers_optimizer_and_changes_win():
    assert (Config.for_model("wgan-gp").lr, Config.for_model("wgan-gp").beta_1) == (1e-4, 0.0)
    assert Config.for_model("wgan-gp", lr=5e-5).lr == 5e-5
    assert Config.for_model("cdcgan") == Config(model="cdcgan")


@pytest.mark.slow
def test_sample_with_a_label_draws_that_class_and_refuses_what_it_cannot(runs, tmp_path, ganlab_cli):
    _, _, cdcgan = runs["cdcgan"]
    _, _, dcgan = runs["dcgan"]
    done = ganlab_cli("sample", "--checkpoint", cdcgan, "--label", "3", "--n", "4", "--out", tmp_path / "3.png")
    assert done.returncode == 0 and (tmp_path / "3.png").is_file(), done.stderr
    for checkpoint, label, says in ((dcgan, "3", "cannot draw a class on demand"), (cdcgan, "12", "classes 0-9")):
        result = ganlab_cli("sample", "--checkpoint", checkpoint, "--label", label, "--out", tmp_path / "x.png")
        assert result.returncode == 2 and says in result.stderr.splitlines()[-1], result.stderr
        assert not (tmp_path / "x.png").exists()


@pytest.mark.slow
def test_resuming_a_checkpoint_as_another_game_is_refused_and_leaves_it_whole(runs, tmp_path, ganlab_cli):
    import shutil

    _, _, wgan = runs["wgan-gp"]
    out = tmp_path / "runs"
    (out / "mnist").mkdir(parents=True)
    shutil.copy(wgan, out / "mnist" / "checkpoint.pt")
    before = (out / "mnist" / "checkpoint.pt").read_bytes()
    result = ganlab_cli("train", "--model", "dcgan", "--resume", "--out", out, "--data-dir", SAMPLE_DIR,
                        "--epochs", "3", "--device", "cpu", "--no-progress")
    assert result.returncode == 2 and "holds a wgan-gp run, not dcgan" in result.stderr.splitlines()[-1]
    assert (out / "mnist" / "checkpoint.pt").read_bytes() == before


def test_pearson_and_spearman_on_lines_curves_ties_and_gaps():
    x = [1.0, 2.0, 3.0, 4.0, 5.0]
    assert pearson(x, [2 * v + 1 for v in x]) == pytest.approx(1.0)
    assert pearson(x, [-v for v in x]) == pytest.approx(-1.0)
    curve = [v ** 3 for v in x]  # goes up with x, but not on a line
    assert spearman(x, curve) == pytest.approx(1.0) and pearson(x, curve) < 0.99
    assert ranks(torch.tensor([10.0, 30.0, 20.0, 20.0])).tolist() == [1.0, 4.0, 2.5, 2.5]
    assert pearson([1, 2, float("nan"), 4], [2, 4, 100, 8]) == pytest.approx(1.0)  # NaN pairs skipped
    with pytest.raises(ValueError, match="differ in length"):
        pearson([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="at least 3"):
        spearman([1, 2], [2, 1])


def test_steering_raises_the_target_logit_and_reports_its_cost():
    from ganlab.classifier import load_classifier

    torch.manual_seed(0)
    G = make_game(small("dcgan", bn_gamma_mean=1.0)).G  # from the course's init G's image barely moves with z
    noise = torch.randn(16, 64)
    out = steer(G, noise, target=3, steps=5, step_size=0.5)
    classifier = load_classifier("mnist")
    with torch.no_grad():
        before, after = classifier(out["start"])[:, 3], classifier(out["images"])[:, 3]
    assert after.mean() > before.mean()
    assert out["classes"].shape == (6, 16) and not torch.equal(out["noise"], noise)
    rows = steering_table(G, steps=2, step_size=0.5, n=20, classes=2)
    assert [row["target"] for row in rows] == [0, 1]
    assert sum(row["starts"] for row in rows) == 20  # an untrained G draws one class: the other is the target
    assert all((row["starts"] == 0 or 0 <= row["success"] <= 1) and row["moved"] > 0 for row in rows)
    assert ink(torch.full((2, 1, 4, 4), -1.0)).tolist() == [0.0, 0.0]


def test_history_keeps_a_games_further_stats_through_every_round_trip():
    history = History()
    for epoch in range(3):
        history.record(0.5, 0.7, 1.0, -1.0, 2.0, torch.zeros(2, 1, 28, 28),
                       extras={"wasserstein": 2.0 + epoch, "grad_norm": 1.0})
    again = History.from_dict(history.to_dict())
    assert again.extras == {"wasserstein": [2.0, 3.0, 4.0], "grad_norm": [1.0, 1.0, 1.0]}
    from_json = History.from_json(history.to_json())
    assert from_json.extras == again.extras
    del again[1:]
    assert again.extras["wasserstein"] == [2.0] and len(again) == 1
