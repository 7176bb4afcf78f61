"""Shared fixtures for the unit tests: headless matplotlib, no quick mode, tiny IDX folders, the command line."""
import gzip
import struct

import matplotlib
import pytest
import torch
from forked_cli import CLIServer  # tests/ is on sys.path: pytest's default (prepend) import mode puts it there

from ganlab.data import load_sample_dataset

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _plain_environment(monkeypatch):
    """Unit tests choose their data explicitly: no quick mode, no data folder from outside."""
    monkeypatch.delenv("GANLAB_QUICK", raising=False)
    monkeypatch.setenv("TQDM_DISABLE", "1")


@pytest.fixture(scope="session")
def ganlab_cli():
    """``ganlab_cli(*argv, cwd=..., env=...)``: ``python -m ganlab *argv`` in a new process, its result as
    ``subprocess.run`` gives it; ``ganlab_cli.run_many(commands)`` runs a list a few at a time. The processes
    are forked from one that imported ganlab once (tests/forked_cli.py), not started from nothing."""
    server = CLIServer()
    yield server
    server.close()


@pytest.fixture(scope="session")
def mnist_sample():
    """``mnist_sample(n)``: the first n images of the committed MNIST sample, so an epoch is a few steps."""
    def first(n: int):
        ds = load_sample_dataset("mnist")
        ds.data, ds.targets = ds.data[:n], ds.targets[:n]
        return ds
    return first


def write_idx(path, tensor: torch.Tensor, gz: bool = False) -> None:
    """Write a uint8 tensor as an IDX file (the MNIST format), optionally gzip'd."""
    header = struct.pack(">BBBB", 0, 0, 0x08, tensor.dim()) + struct.pack(f">{tensor.dim()}I", *tensor.shape)
    data = header + tensor.to(torch.uint8).contiguous().numpy().tobytes()
    opener = gzip.open if gz else open
    with opener(path, "wb") as f:
        f.write(data)


@pytest.fixture
def make_raw_folder(tmp_path):
    """Build ``<tmp>/MNIST/raw`` with 20 train / 5 test random images; returns the root."""
    def build(gz: bool = False, class_name: str = "MNIST", n_train: int = 20, n_test: int = 5):
        raw = tmp_path / class_name / "raw"
        raw.mkdir(parents=True)
        g = torch.Generator().manual_seed(0)
        suffix = ".gz" if gz else ""
        for prefix, n in (("train", n_train), ("t10k", n_test)):
            write_idx(raw / f"{prefix}-images-idx3-ubyte{suffix}",
                      torch.randint(0, 256, (n, 28, 28), generator=g), gz)
            write_idx(raw / f"{prefix}-labels-idx1-ubyte{suffix}", torch.arange(n) % 10, gz)
        return tmp_path
    return build


class InterruptAt:
    """Batches that raise KeyboardInterrupt, as Ctrl-C would, at ``step`` (from 0) of ``epoch`` (from 1)."""

    def __init__(self, batches, epoch: int, step: int):
        self.batches, self.at, self.epoch = batches, (epoch, step), 0

    def __len__(self):
        return len(self.batches)

    def __iter__(self):
        self.epoch += 1
        for i, batch in enumerate(self.batches):
            if (self.epoch, i) == self.at:
                raise KeyboardInterrupt
            yield batch
