import os
import stat

import pytest
import torch
from torchvision import datasets

from ganlab import data
from ganlab.config import Config
from ganlab.data import (
    DatasetNotFoundError,
    DeviceBatches,
    load_dataset,
    load_sample_dataset,
    make_loader,
    resolve_data_dir,
    rotate_batch,
)


def test_data_folder_resolution_order(monkeypatch, tmp_path):
    monkeypatch.delenv("GANLAB_DATA_DIR", raising=False)
    assert resolve_data_dir() == data.REPO_DATA_DIR
    monkeypatch.setenv("GANLAB_DATA_DIR", str(tmp_path / "env"))
    assert resolve_data_dir() == tmp_path / "env"
    assert resolve_data_dir(tmp_path / "arg") == tmp_path / "arg"


def test_unpacked_folder_loads_in_range(make_raw_folder):
    root = make_raw_folder()
    ds = load_dataset(Config(data_dir=str(root)), download=False)
    image, label = ds[3]
    assert len(ds) == 20 and image.shape == (1, 28, 28) and label == 3
    assert image.min() >= -1 and image.max() <= 1
    assert image.min() < -0.9 and image.max() > 0.9  # random bytes span the whole range


def test_gz_only_folder_is_unpacked_with_the_same_pixels(make_raw_folder):
    root = make_raw_folder(gz=True)
    ds = load_dataset(Config(data_dir=str(root)), download=False)
    assert (root / "MNIST" / "raw" / "train-images-idx3-ubyte").is_file()
    g = torch.Generator().manual_seed(0)  # the fixture's stream: the train images come first
    expected = torch.randint(0, 256, (20, 28, 28), generator=g)
    assert torch.equal(ds.data, expected.to(torch.uint8))


def test_read_only_gz_folder_is_unpacked_into_the_cache(make_raw_folder, monkeypatch, tmp_path):
    root = make_raw_folder(gz=True)
    raw = root / "MNIST" / "raw"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    raw.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        ds = load_dataset(Config(data_dir=str(root)), train=False, download=False)
    finally:
        raw.chmod(stat.S_IRWXU)
    assert len(ds) == 5
    assert not (raw / "t10k-images-idx3-ubyte").exists()
    assert list((tmp_path / "cache" / "ganlab").glob("*/MNIST/raw/t10k-images-idx3-ubyte"))


def test_missing_data_error_names_folder_files_and_variable(tmp_path):
    with pytest.raises(DatasetNotFoundError) as info:
        load_dataset(Config(data_dir=str(tmp_path)), download=False)
    message = str(info.value)
    assert str(tmp_path / "MNIST" / "raw") in message
    assert all(name in message for name in data.RAW_FILES)
    assert "GANLAB_DATA_DIR" in message and "\n" not in message


def test_failed_download_becomes_the_same_clear_error(tmp_path, monkeypatch):
    calls = []

    def offline(self):
        calls.append(self.root)
        print("Failed to download (trying next): <urlopen error [Errno -3]>")
        raise RuntimeError("Error downloading train-images-idx3-ubyte.gz")

    monkeypatch.setattr(datasets.FashionMNIST, "download", offline)
    with pytest.raises(DatasetNotFoundError, match="FashionMNIST is not in") as info:
        load_dataset(Config(dataset="fashion", data_dir=str(tmp_path)))
    assert calls == [str(tmp_path)]
    assert info.value.__context__ is None  # no download traceback chained under it


def test_quick_mode_reads_the_committed_sample(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("GANLAB_QUICK", "1")
    monkeypatch.setattr("ganlab.config._quick_announced", False)
    ds = load_dataset(Config(data_dir=str(tmp_path)))  # the named folder is empty: ignored
    assert len(ds) == 1000
    assert "GANLAB_QUICK=1" in capsys.readouterr().out


@pytest.mark.parametrize("name, n_train, n_test", [("mnist", 1000, 200), ("fashion", 1000, 200)])
def test_committed_sample_has_both_splits_and_all_classes(name, n_train, n_test):
    train = load_sample_dataset(name)
    test = load_sample_dataset(name, train=False)
    assert (len(train), len(test)) == (n_train, n_test)
    assert set(train.targets.tolist()) == set(range(10))
    sample_bytes = sum(p.stat().st_size for p in data.SAMPLE_DIR.rglob("*.gz"))
    assert sample_bytes <= 2_000_000


def test_transform_rotation_is_optional():
    assert len(data.make_transform(0).transforms) == 2
    assert type(data.make_transform(20).transforms[0]).__name__ == "RandomRotation"


def test_loader_and_device_batches_agree_on_shape_range_dtype():
    ds = load_sample_dataset("mnist")
    cfg = Config(batch_size=128, device="cpu")
    loader, fast = make_loader(cfg, ds), DeviceBatches.from_config(cfg, ds)
    assert len(loader) == len(fast) == 8  # 1,000 images: 7 full batches and one of 104
    (a, la), (b, lb) = next(iter(loader)), next(iter(fast))
    assert a.shape == b.shape == (128, 1, 28, 28) and a.dtype == b.dtype == torch.float32
    assert la.shape == lb.shape == (128,)
    assert [x.size(0) for x, _ in fast][-1] == 1000 - 7 * 128
    for x in (a, b):
        assert x.min() == -1 and x.max() == 1


def test_device_batches_scale_exactly_as_totensor_and_normalize():
    ds = load_sample_dataset("mnist")
    fast = DeviceBatches(ds, batch_size=1000)
    torch.manual_seed(3)
    images, labels = next(iter(fast))
    torch.manual_seed(3)
    order = torch.randperm(1000)
    expected = torch.stack([ds[i][0] for i in order[:50].tolist()])
    torch.testing.assert_close(images[:50], expected, rtol=0, atol=1e-6)
    assert torch.equal(labels, ds.targets[order])


def test_each_epoch_is_a_new_shuffle_of_every_image():
    ds = load_sample_dataset("mnist")
    fast = DeviceBatches(ds, batch_size=300)
    first = torch.cat([y for _, y in fast])
    second = torch.cat([y for _, y in fast])
    assert torch.equal(first.sort().values, ds.targets.sort().values)
    assert not torch.equal(first, second)


def test_rotate_batch_keeps_black_background_and_zero_angle_is_identity():
    images = torch.zeros(4, 1, 28, 28)
    images[:, :, 10:18, 12:16] = 1.0
    torch.manual_seed(0)
    rotated = rotate_batch(images, 45)
    assert rotated.shape == images.shape
    assert rotated[:, :, 0, 0].eq(0).all()  # corners rotated in from outside stay black
    assert not torch.equal(rotated, images)
    assert torch.equal(rotate_batch(images, 0.0), images)


def test_rotated_device_batches_stay_in_range():
    ds = load_sample_dataset("mnist")
    fast = DeviceBatches(ds, batch_size=64, rotation=20)
    images, _ = next(iter(fast))
    assert images.min() >= -1 and images.max() <= 1
    assert images[:, :, 0, 0].eq(-1).all()


def test_raw_folder_mode_is_respected(make_raw_folder):
    root = make_raw_folder(gz=True)
    raw = root / "MNIST" / "raw"
    assert os.access(raw, os.W_OK)
    assert data._unpack_root(root, "mnist") == root


def test_normalize_false_keeps_the_course_notes_zero_to_one_range_on_both_paths():
    ds = load_sample_dataset("mnist", transform=data.make_transform(normalize=False))
    assert len(data.make_transform(normalize=False).transforms) == 1  # ToTensor alone
    fast = DeviceBatches(ds, batch_size=1000, normalize=False)
    torch.manual_seed(3)
    images, _ = next(iter(fast))
    assert images.min() == 0 and images.max() == 1
    torch.manual_seed(3)
    order = torch.randperm(1000)
    expected = torch.stack([ds[i][0] for i in order[:20].tolist()])
    torch.testing.assert_close(images[:20], expected, rtol=0, atol=1e-6)
    cfg = Config(normalize=False, batch_size=64, device="cpu")
    assert DeviceBatches.from_config(cfg, ds).normalize is False
