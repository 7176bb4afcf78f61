"""benchmarks/frame_fix.py --measure prints the edges of a checkpoint's generators, as ganlab.clinic measures them."""
import importlib.util
from pathlib import Path

import torch

from ganlab import Config, train
from ganlab.checkpoint import load_checkpoint
from ganlab.clinic import edge_means
from ganlab.data import DeviceBatches
from ganlab.games import generator_from_checkpoint

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "frame_fix.py"
spec = importlib.util.spec_from_file_location("frame_fix", SCRIPT)
frame_fix = importlib.util.module_from_spec(spec)
spec.loader.exec_module(frame_fix)

SIDES = ("top", "bottom", "left", "right", "ring")


def rows_printed(capsys) -> list[list[str]]:
    lines = capsys.readouterr().out.splitlines()
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[2:]]  # after header and rule


def test_measure_prints_the_average_and_the_last_weights_of_a_run_with_their_edges(mnist_sample, tmp_path, capsys):
    cfg = Config(epochs=1, batch_size=32, device="cpu", seed=3, ema_decay=0.9)
    path = tmp_path / "checkpoint.pt"
    train(cfg, batches=DeviceBatches.from_config(cfg, mnist_sample(64)), checkpoint=path, progress=False, track=0)
    capsys.readouterr()

    assert frame_fix.main(["--measure", str(path), "--n", "40"]) == 0
    rows = rows_printed(capsys)
    assert [row[:5] for row in rows] == [[str(path), "dcgan", "N(0, 0.02)", "3", "average"],
                                         [str(path), "dcgan", "N(0, 0.02)", "3", "last"]]
    G, _ = generator_from_checkpoint(path)
    averaged = edge_means(frame_fix.samples(G, 40, cfg.noise_dim, "cpu"))
    G.load_state_dict(load_checkpoint(path)["G"])
    last = edge_means(frame_fix.samples(G, 40, cfg.noise_dim, "cpu"))
    for row, expected in zip(rows, (averaged, last)):
        assert [float(cell) for cell in row[5:]] == [round(expected[side], 4) for side in SIDES]
    assert rows[0][5:] != rows[1][5:]  # two generators, two sets of edges


def test_conditional_samples_draw_the_classes_asked_for(monkeypatch):
    asked = []

    def fake_generate(G, noise, labels=None):
        asked.append(labels)
        return torch.zeros(noise.size(0), 1, 28, 28)

    monkeypatch.setattr(frame_fix, "generate", fake_generate)
    images = frame_fix.samples(None, 1000, 64, "cpu", torch.arange(1000) % 10)
    assert images.shape == (1000, 1, 28, 28)
    assert torch.equal(torch.cat(asked), torch.arange(1000) % 10)
