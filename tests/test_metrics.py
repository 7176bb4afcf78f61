import json
import math

import pytest
import torch

from ganlab import classifier, metrics
from ganlab.__main__ import main
from ganlab.classifier import Classifier, load_classifier
from ganlab.config import Config
from ganlab.data import SAMPLE_DIR, DeviceBatches, load_sample_dataset
from ganlab.metrics import class_histogram, evaluate, frechet_distance, reference
from ganlab.models import Generator
from ganlab.session import train

TARGETS = {"mnist": 0.99, "fashion": 0.91}


def gaussian(n, mean, std, seed):
    return torch.randn(n, len(std), generator=torch.Generator().manual_seed(seed), dtype=torch.float64) \
        * torch.tensor(std) + torch.tensor(mean)


def test_frechet_distance_of_a_set_with_itself_is_zero():
    feats = gaussian(500, [0.0] * 8, [1.0, 2, 3, 4, 0.5, 1, 1, 1], seed=0)
    assert frechet_distance(feats, feats) == pytest.approx(0, abs=1e-6)


def test_frechet_distance_matches_the_closed_form_for_diagonal_gaussians():
    mean_a, std_a = torch.tensor([0.0, 1, 2]), torch.tensor([1.0, 2, 3])
    mean_b, std_b = torch.tensor([1.0, 1, 0]), torch.tensor([2.0, 1, 3])
    # Diagonal covariances a, b: ||mu_a - mu_b||^2 + sum (sqrt(a) - sqrt(b))^2 = 5 + 2 = 7.
    expected = ((mean_a - mean_b) ** 2).sum() + ((std_a - std_b) ** 2).sum()
    a = gaussian(200_000, mean_a.tolist(), std_a.tolist(), seed=1)
    b = gaussian(200_000, mean_b.tolist(), std_b.tolist(), seed=2)
    assert frechet_distance(a, b) == pytest.approx(expected.item(), rel=0.02)


def test_frechet_distance_is_symmetric_and_checks_shapes():
    a = gaussian(300, [0.0] * 5, [1.0] * 5, seed=3)
    b = gaussian(300, [0.5] * 5, [2.0] * 5, seed=4)
    assert frechet_distance(a, b) == pytest.approx(frechet_distance(b, a), rel=1e-9)
    with pytest.raises(ValueError, match="differ in width"):
        frechet_distance(a, b[:, :4])
    with pytest.raises(ValueError, match=r"\(N, d\)"):
        frechet_distance(a[0], b)


def test_histogram_modes_kl_and_confidence_on_constructed_probabilities():
    every_class = torch.eye(10).repeat(5, 1)  # each class predicted equally often, with certainty
    hist = class_histogram(every_class)
    assert hist.tolist() == pytest.approx([0.1] * 10)
    assert metrics.modes_covered(hist) == 10 and metrics.kl_from_uniform(hist) == pytest.approx(0, abs=1e-12)
    assert metrics.mean_confidence(every_class) == pytest.approx(1.0)

    one_class = torch.zeros(50, 10)
    one_class[:, 3] = 1
    hist = class_histogram(one_class)
    assert hist[3] == 1 and metrics.modes_covered(hist) == 1
    assert metrics.kl_from_uniform(hist) == pytest.approx(math.log(10))

    unsure = torch.full((50, 10), 0.1)
    assert metrics.mean_confidence(unsure) == pytest.approx(0.1)
    assert metrics.modes_covered(torch.tensor([0.97] + [0.01] * 3 + [0.0] * 6)) == 1  # below 2 %: not a mode
    with pytest.raises(ValueError, match="non-empty"):
        class_histogram(torch.zeros(0, 10))


def test_random_shift_moves_images_within_the_border():
    images = torch.full((4, 1, 28, 28), -1.0)
    images[:, :, 14, 14] = 1.0
    shifted = classifier.random_shift(images, 2, torch.Generator().manual_seed(0))
    assert shifted.shape == images.shape
    for image in shifted:
        (y, x), = (image[0] == 1).nonzero().tolist()
        assert abs(y - 14) <= 2 and abs(x - 14) <= 2
    assert torch.equal(classifier.random_shift(images, 0, torch.Generator()), images)


@pytest.mark.parametrize("dataset", ["mnist", "fashion"])
def test_committed_classifiers_load_and_reached_their_targets(dataset):
    model = load_classifier(dataset)
    assert isinstance(model, Classifier) and not model.training
    assert classifier.classifier_path(dataset).stat().st_size <= 2_000_000
    record = json.loads(classifier.ACCURACY_FILE.read_text())[dataset]
    assert record["test_accuracy"] >= TARGETS[dataset]
    assert record["command"].startswith(f"python -m ganlab classifier --dataset {dataset}")
    assert {"epochs", "seed"} <= set(record)
    assert model.features(torch.zeros(2, 1, 28, 28)).shape == (2, 128)


def test_mnist_classifier_labels_the_committed_sample():
    sample = load_sample_dataset("mnist", train=False)
    images = classifier.images_from_pixels(sample.data)
    assert classifier.accuracy(load_classifier("mnist"), images, torch.as_tensor(sample.targets)) >= 0.97
    feats, probs = classifier.classify(images)
    assert feats.shape == (len(images), 128) and probs.sum(1).allclose(torch.ones(len(images)))


def test_missing_weights_name_the_command_that_makes_them(tmp_path, monkeypatch):
    monkeypatch.setattr(classifier, "CLASSIFIER_DIR", tmp_path)
    load_classifier.cache_clear()
    try:
        with pytest.raises(FileNotFoundError, match="python -m ganlab classifier --dataset fashion"):
            load_classifier("fashion")
    finally:
        load_classifier.cache_clear()
    with pytest.raises(ValueError, match="dataset must be one of"):
        load_classifier("cifar")


def test_an_untrained_generator_scores_worse_than_real_images():
    torch.manual_seed(0)
    fake = evaluate(Generator(), "mnist", n=200, batch_size=64, data_dir=SAMPLE_DIR)
    real = reference("mnist", n=200, data_dir=SAMPLE_DIR)
    for scores in (fake, real):
        assert set(scores) == {"frechet", "modes", "kl_uniform", "confidence", "histogram"}
        assert isinstance(scores["frechet"], float) and isinstance(scores["modes"], int)
        assert len(scores["histogram"]) == 10 and sum(scores["histogram"]) == pytest.approx(1)
        assert 0 <= scores["kl_uniform"] <= math.log(10) and 0.1 <= scores["confidence"] <= 1
    assert fake["frechet"] > 5 * real["frechet"]
    assert real["modes"] == 10 and real["confidence"] > 0.9
    for n in (0, 1):
        with pytest.raises(ValueError, match="n must be a whole number of images, at least 2"):
            evaluate(Generator(), n=n, data_dir=SAMPLE_DIR)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    """A checkpoint of a 1-epoch train on 128 images of the committed sample: tiny, but real."""
    path = tmp_path_factory.mktemp("run") / "checkpoint.pt"
    cfg = Config(epochs=1, device="cpu", batch_size=64)
    batches = DeviceBatches(Subset128(load_sample_dataset("mnist")), cfg.batch_size)
    train(cfg, batches=batches, checkpoint=path, progress=False)
    return path


class Subset128:
    """The first 128 images of a dataset, with the ``data``/``targets`` DeviceBatches reads."""

    def __init__(self, dataset):
        self.data, self.targets = dataset.data[:128], dataset.targets[:128]


def test_cli_evaluate_prints_the_table_beside_real_images(checkpoint, capsys):
    assert main(["evaluate", "--checkpoint", str(checkpoint), "--n", "100", "--data-dir", str(SAMPLE_DIR)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"{checkpoint}: dcgan on mnist, 1 epoch at lr 0.0002")
    assert "generated (100)" in lines[1] and "real (100)" in lines[1]
    assert lines[2].startswith("Frechet distance") and len(lines[2].split()) >= 6
    assert sum(line.lstrip().startswith("% classified as") for line in lines) == 10


def test_cli_evaluate_falls_back_to_the_sample_in_one_line(checkpoint, tmp_path, capsys, monkeypatch):
    from ganlab import data
    monkeypatch.setattr(data, "_download", lambda root, dataset: False)  # tests stay offline
    assert main(["evaluate", "--checkpoint", str(checkpoint), "--n", "50", "--data-dir", str(tmp_path / "none")]) == 0
    first, second = capsys.readouterr().out.splitlines()[:2]
    assert first.startswith("MNIST is not in") and "200-image test sample instead" in first
    assert first.endswith("compare these figures only with others made this way.")
    assert second.endswith("compared with 200 real test images (the real column: 50 training images).")


@pytest.mark.parametrize("argv, words", [
    (["evaluate", "--checkpoint", "nope.pt"], "No checkpoint at nope.pt"),
    (["evaluate", "--checkpoint", "x.pt", "--n", "0"], "--n: must be a positive whole number"),
    (["evaluate"], "the following arguments are required: --checkpoint"),
    (["classifier", "--dataset", "cifar"], "invalid choice: 'cifar'"),
    (["classifier", "--epochs", "-1"], "--epochs: must be a positive whole number"),
    (["classifier"], "GANLAB_QUICK=1 would train the classifier on the 1,000-image sample"),
])
def test_bad_arguments_exit_2_with_one_line(argv, words, capsys, monkeypatch):
    monkeypatch.setenv("GANLAB_QUICK", "1")  # the classifier refuses quick mode before any training
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert words in capsys.readouterr().err.strip().splitlines()[-1]


def test_cli_classifier_writes_weights_and_its_accuracy_record(tmp_path, make_raw_folder, monkeypatch, capsys):
    target = tmp_path / "classifiers"
    monkeypatch.setattr(classifier, "CLASSIFIER_DIR", target)
    monkeypatch.setattr(classifier, "ACCURACY_FILE", target / "accuracy.json")
    target.mkdir()
    (target / "accuracy.json").write_text(json.dumps({"fashion": {"test_accuracy": 0.92}}))
    root = make_raw_folder()  # 20 random training images: a fast run, not a good classifier
    try:
        assert main(["classifier", "--epochs", "1", "--data-dir", str(root), "--device", "cpu"]) == 0
        assert "Test accuracy" in capsys.readouterr().out.splitlines()[-1]
        records = json.loads((target / "accuracy.json").read_text())
        assert records["fashion"] == {"test_accuracy": 0.92}  # the other dataset's line is kept
        assert records["mnist"]["command"] == ("python -m ganlab classifier --dataset mnist --epochs 1 --seed 0 "
                                               "--device cpu")
        state = torch.load(target / "mnist.pt", weights_only=True)
        Classifier().load_state_dict(state)
        assert not list(target.glob("*.tmp"))
    finally:
        load_classifier.cache_clear()


def test_evaluate_scores_a_zero_to_one_generator_as_its_tanh_twin():
    # The generator owns its pixel range: the same weights drawing in [0, 1] (pixel_range (0, 1),
    # output 0.5 * tanh + 0.5) must score as the [-1, 1] generator does, with no flag passed.
    torch.manual_seed(0)
    signed = Generator(64)
    unit = Generator(64)
    unit.load_state_dict(signed.state_dict())
    unit.pixel_range = (0.0, 1.0)
    unit.block_4[1] = _HalfTanh()
    real = torch.randn(300, 128)
    a = evaluate(signed, n=300, real=real)
    b = evaluate(unit, n=300, real=real)
    assert a["frechet"] == pytest.approx(b["frechet"], rel=1e-4)
    assert a["histogram"] == pytest.approx(b["histogram"], abs=1e-9)


class _HalfTanh(torch.nn.Module):
    def forward(self, x):
        return torch.tanh(x) * 0.5 + 0.5
