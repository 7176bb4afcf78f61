"""benchmarks/frame_fix.py --measure prints the edges of a checkpoint's generators, as ganlab.clinic measures them."""
import importlib.util
from pathlib import Path

import pytest
import torch

from ganlab import Config, generate, train
from ganlab.checkpoint import load_checkpoint
from ganlab.clinic import edge_means
from ganlab.data import DeviceBatches
from ganlab.games import generator_from_checkpoint
from ganlab.sampling import seeded_noise

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "frame_fix.py"
spec = importlib.util.spec_from_file_location("frame_fix", SCRIPT)
frame_fix = importlib.util.module_from_spec(spec)
spec.loader.exec_module(frame_fix)


def rows_printed(capsys) -> list[list[str]]:
    lines = capsys.readouterr().out.splitlines()
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[2:]]  # after header and rule


def edges_by_hand(G, n: int, noise_dim: int, labels=None) -> list[float]:
    """The five edge means (ganlab.clinic's, tested there) of G's images of noise seed 0, drawn here in one
    call rather than by the script's sampler, rounded as the script prints them."""
    noise = seeded_noise(n, noise_dim, seed=0)
    edges = edge_means(generate(G, noise) if labels is None else generate(G, noise, labels))
    return [round(edges[side], 4) for side in ("top", "bottom", "left", "right", "ring")]


@pytest.mark.parametrize("model, ema_decay, bn_gamma_mean, expected_weights", [
    ("dcgan", 0.9, 0.0, ["average", "last"]), ("cdcgan", 0.0, 1.0, ["last"])])
def test_measure_prints_each_generator_of_a_checkpoint_with_its_edges(mnist_sample, tmp_path, capsys, model,
                                                                       ema_decay, bn_gamma_mean, expected_weights):
    cfg = Config(model=model, epochs=1, batch_size=32, device="cpu", seed=3, ema_decay=ema_decay,
                 bn_gamma_mean=bn_gamma_mean)
    path = tmp_path / "checkpoint.pt"
    train(cfg, batches=DeviceBatches.from_config(cfg, mnist_sample(64)), checkpoint=path, progress=False, track=0)
    capsys.readouterr()

    assert frame_fix.main(["--measure", str(path), "--n", "40"]) == 0
    rows = rows_printed(capsys)
    init = f"N({bn_gamma_mean:g}, 0.02)"
    assert [row[:6] for row in rows] == [[str(path), model, "mnist", init, "3", w] for w in expected_weights]
    G, _ = generator_from_checkpoint(path)  # the average when kept, else the last weights
    labels = torch.arange(40) % 10 if model == "cdcgan" else None
    expected = [edges_by_hand(G, 40, cfg.noise_dim, labels)]
    if "average" in expected_weights:
        G.load_state_dict(load_checkpoint(path)["G"])
        expected.append(edges_by_hand(G, 40, cfg.noise_dim, labels))
        assert expected[0] != expected[1]  # two generators, two sets of edges
    assert [[float(cell) for cell in row[6:]] for row in rows] == expected


def test_conditional_samples_draw_the_classes_asked_for(monkeypatch):
    asked = []

    def fake_generate(G, noise, labels=None):
        asked.append(labels)
        return torch.zeros(noise.size(0), 1, 28, 28)

    monkeypatch.setattr(frame_fix, "generate", fake_generate)
    images = frame_fix.samples(None, 1000, 64, "cpu", torch.arange(1000) % 10)
    assert images.shape == (1000, 1, 28, 28)
    assert torch.equal(torch.cat(asked), torch.arange(1000) % 10)
