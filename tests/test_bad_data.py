"""A broken or racing data folder gets one line naming the file, and never stays broken."""
import gzip
import multiprocessing
import sys
from pathlib import Path

import pytest
import torch

from ganlab.config import Config
from ganlab.data import load_dataset
from ganlab.idx import BadDataFileError

sys.path.insert(0, str(Path(__file__).resolve().parent))
from conftest import write_idx  # noqa: E402

TRAIN_IMAGES = "train-images-idx3-ubyte"


def load(root, train=True):
    return load_dataset(Config(data_dir=str(root)), train=train, download=False)


def one_line_error(root, match):
    with pytest.raises(BadDataFileError, match=match) as info:
        load(root)
    assert "\n" not in str(info.value)
    return str(info.value)


def test_a_truncated_gz_says_which_file_and_leaves_nothing_broken_behind(make_raw_folder):
    root = make_raw_folder(gz=True)
    gz = root / "MNIST" / "raw" / f"{TRAIN_IMAGES}.gz"
    good = gz.read_bytes()
    gz.write_bytes(good[: len(good) // 2])
    message = one_line_error(root, "is not a readable gzip file")
    assert str(gz) in message
    assert not (gz.parent / TRAIN_IMAGES).exists() and not list(gz.parent.glob("*.tmp"))
    gz.write_bytes(good)  # the good file put back: the folder works again
    assert len(load(root)) == 20


def test_a_gz_that_is_not_gzip_is_named(make_raw_folder):
    root = make_raw_folder(gz=True)
    gz = root / "MNIST" / "raw" / f"{TRAIN_IMAGES}.gz"
    gz.write_bytes(b"<html>404 not found</html>")
    assert str(gz) in one_line_error(root, "is not a readable gzip file")


def test_an_empty_file_left_by_an_earlier_failure_is_unpacked_again(make_raw_folder):
    root = make_raw_folder(gz=True)
    (root / "MNIST" / "raw" / TRAIN_IMAGES).write_bytes(b"")  # what the old unpacking left
    assert len(load(root)) == 20


def test_an_empty_file_without_a_gz_is_named(make_raw_folder):
    root = make_raw_folder()
    path = root / "MNIST" / "raw" / TRAIN_IMAGES
    path.write_bytes(b"")
    assert str(path) in one_line_error(root, r"empty \(0 bytes\)")


@pytest.mark.parametrize("content, match", [
    (b"\x12\x34\x56\x78" + bytes(100), "not an IDX file"),
    ("labels", "holds labels where images belong"),
    ("32x32", "holds 32x32 images, not 28x28"),
    ("short", "header promises 20 images .* truncated"),
])
def test_a_wrong_images_file_is_named_with_what_is_wrong(make_raw_folder, content, match):
    root = make_raw_folder()
    path = root / "MNIST" / "raw" / TRAIN_IMAGES
    if content == "labels":
        write_idx(path, torch.arange(20) % 10)
    elif content == "32x32":
        write_idx(path, torch.zeros(20, 32, 32))
    elif content == "short":
        path.write_bytes(path.read_bytes()[:-784])
    else:
        path.write_bytes(content)
    assert str(path) in one_line_error(root, match)


def test_images_and_labels_of_different_downloads_are_refused(make_raw_folder):
    root = make_raw_folder()
    write_idx(root / "MNIST" / "raw" / "train-labels-idx1-ubyte", torch.arange(19) % 10)
    one_line_error(root, "holds 20 images but its labels file 19 labels")


def _load_in_a_process(root, results):
    try:
        results.put(len(load(root)))
    except Exception as error:  # reported to the parent, which asserts on it
        results.put(repr(error))


@pytest.mark.slow
def test_three_processes_unpacking_one_folder_at_once_all_succeed(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    n = 60_000  # full MNIST's size, so the unpacking takes long enough to overlap
    for prefix, count in (("train", n), ("t10k", 1000)):
        write_idx(raw / f"{prefix}-images-idx3-ubyte.gz", torch.zeros(count, 28, 28), gz=True)
        write_idx(raw / f"{prefix}-labels-idx1-ubyte.gz", torch.zeros(count), gz=True)
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    workers = [context.Process(target=_load_in_a_process, args=(tmp_path, results)) for _ in range(3)]
    for worker in workers:
        worker.start()
    found = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join()
    assert found == [n, n, n]
    assert not list(raw.glob("*.tmp"))
    with gzip.open(raw / "t10k-labels-idx1-ubyte.gz") as f:
        assert (raw / "t10k-labels-idx1-ubyte").read_bytes() == f.read()
