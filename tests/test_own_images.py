"""Your own images (ganlab.folder) and the 64x64 DCGAN (ganlab.dcgan64), on a folder made here."""
from pathlib import Path

import pytest
import torch
from PIL import Image

from ganlab import Config, train
from ganlab.data import DeviceBatches, load_dataset
from ganlab.dcgan64 import Discriminator64, Generator64
from ganlab.folder import FolderError, background_rgb, load_folder, split_indices, to_square_rgb

EMOJI = Path(__file__).resolve().parents[2] / "shared" / "data" / "emoji-google-64"


@pytest.fixture
def folder(tmp_path):
    """Two class folders of 12 small pictures in every mode that needs care, and two files that are no images."""
    root = tmp_path / "pictures"
    for k, name in enumerate(("cats", "dogs")):
        (root / name).mkdir(parents=True)
        for i in range(6):
            rgba = Image.new("RGBA", (80, 60), (0, 0, 0, 0))  # wider than tall: cropped to the centre
            rgba.paste((200, 30 * i, 40 * k, 255), (20, 10, 60, 50))
            rgba.save(root / name / f"rgba_{i}.png")
            Image.new("LA", (64, 64), (90, 255)).save(root / name / f"grey_alpha_{i}.png")
    palette = Image.new("P", (64, 64), 0)
    palette.putpalette([10, 20, 30] * 256)
    palette.save(root / "cats" / "palette.png", transparency=0)
    Image.new("RGB", (64, 64), (5, 100, 5)).save(root / "dogs" / "photo.jpg")
    (root / "dogs" / "notes.txt").write_text("not an image")
    (root / "cats" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 20)
    return root


def test_a_folder_of_mixed_pictures_loads_as_64x64_rgb_and_counts_what_it_skips(folder, capsys):
    everything = load_folder(folder, split="all")
    assert everything.data.shape == (26, 3, 64, 64) and everything.data.dtype == torch.uint8
    assert everything.classes == ["cats", "dogs"] and set(everything.targets.tolist()) == {0, 1}
    assert everything.skipped == 2
    said = capsys.readouterr().out.strip().splitlines()
    assert len(said) == 1 and said[0].startswith("Skipped 2 files that are not readable images")
    train_part, test_part = load_folder(folder, quiet=True), load_folder(folder, split="test", quiet=True)
    assert len(train_part) + len(test_part) == 26 and len(test_part) == 3
    assert not set(train_part.files) & set(test_part.files)


def test_transparent_pixels_take_the_background_colour():
    clear = Image.new("RGBA", (64, 64), (255, 0, 0, 0))  # red, but fully transparent
    assert to_square_rgb(clear).getpixel((5, 5)) == (255, 255, 255)
    assert to_square_rgb(clear, background_rgb("black")).getpixel((5, 5)) == (0, 0, 0)
    assert to_square_rgb(Image.new("LA", (10, 20), (50, 0)), background_rgb("#102030")).getpixel((3, 3)) == (16, 32, 48)
    wide = to_square_rgb(Image.new("RGB", (128, 64), (1, 2, 3)))
    assert wide.size == (64, 64)
    with pytest.raises(ValueError, match="is not a colour"):
        background_rgb("no-such-colour")


def test_a_flat_folder_is_one_class(tmp_path):
    for i in range(3):
        Image.new("RGB", (64, 64), (i, i, i)).save(tmp_path / f"{i}.png")
    images = load_folder(tmp_path, split="all")
    assert images.classes == [] and images.targets.tolist() == [0, 0, 0]


@pytest.mark.parametrize("make, says", [
    (lambda root: None, "is not a folder"),
    (lambda root: root.mkdir(), "holds no image"),
    (lambda root: (root.mkdir(), (root / "a.txt").write_text("x")), "holds no image"),
])
def test_a_folder_that_cannot_be_trained_on_says_so_in_one_line(tmp_path, make, says):
    root = tmp_path / "mine"
    make(root)
    with pytest.raises(FolderError, match=says) as error:
        load_folder(root)
    assert "\n" not in str(error.value)


def test_folders_a_computer_adds_are_passed_over_and_a_mixed_layout_is_refused(folder, capsys):
    for junk in ("__MACOSX/cats", "@eaDir", ".thumbnails"):
        (folder / junk).mkdir(parents=True)
        Image.new("RGB", (64, 64)).save(folder / junk / "extra.png")
    (folder / ".DS_Store").write_bytes(b"\x00\x00")
    images = load_folder(folder, split="all")
    assert images.classes == ["cats", "dogs"] and len(images.data) == 26
    Image.new("RGB", (64, 64)).save(folder / "stray.jpg")  # a picture with no class
    with pytest.raises(FolderError, match="1 pictures at the top and subfolders \\(cats, dogs\\)") as error:
        load_folder(folder, split="all")
    assert "\n" not in str(error.value)


def test_a_phone_photo_is_trained_upright(tmp_path):
    """EXIF orientation 6 says "turn me 90 degrees clockwise to view": a sideways red-then-blue photo."""
    photo = Image.new("RGB", (80, 40), (220, 0, 0))
    photo.paste((0, 0, 220), (40, 0, 80, 40))  # stored: red left, blue right
    exif = Image.Exif()
    exif[0x0112] = 6
    photo.save(tmp_path / "phone.jpg", exif=exif, quality=95)
    pixels = load_folder(tmp_path, split="all").data[0].int()  # (3, 64, 64)
    assert pixels[0, 4, 32] > 180 and pixels[2, 4, 32] < 60    # viewed upright: red on top...
    assert pixels[2, 59, 32] > 180 and pixels[0, 59, 32] < 60  # ...blue below


def test_fewer_images_than_one_batch_is_refused_in_one_line(folder):
    with pytest.raises(FolderError, match="fewer than one batch of 128"):
        load_folder(folder, min_images=128, quiet=True)


def test_the_split_is_seeded_complete_and_disjoint():
    train_part, test_part = split_indices(50, "train"), split_indices(50, "test")
    assert sorted(train_part.tolist() + test_part.tolist()) == list(range(50)) and len(test_part) == 5
    assert torch.equal(split_indices(50, "test"), test_part)


def test_the_64x64_networks_have_the_tutorials_shapes_and_scale_with_width():
    G, D = Generator64(100, 8), Discriminator64(8)
    images = G(torch.randn(2, 100))
    assert images.shape == (2, 3, 64, 64) and images.abs().max() <= 1 and D(images).shape == (2, 1)
    def parameters(net):
        return sum(p.numel() for p in net.parameters())

    # Width 64 is the PyTorch DCGAN tutorial's: its printed models have exactly these counts.
    assert parameters(Generator64(100, 64)) == 3_576_704 and parameters(Discriminator64(64)) == 2_765_568
    # The inner layers grow with the width's square; the first one (nz x 8w) only with the width.
    assert 3.2 < parameters(Generator64(100, 64)) / parameters(Generator64(100, 32)) < 4


def test_a_folder_config_needs_its_folder_and_the_64x64_model(folder):
    with pytest.raises(ValueError, match="needs data_dir"):
        Config.for_model("dcgan64")
    with pytest.raises(ValueError, match="64x64 DCGAN"):
        Config(dataset="folder", data_dir=str(folder))
    cfg = Config.for_model("dcgan64", data_dir=str(folder), width=8, batch_size=8, epochs=1, device="cpu")
    assert (cfg.noise_dim, cfg.beta_2, cfg.dataset) == (100, 0.999, "folder")


def test_the_64x64_dcgan_trains_on_a_folder_through_the_one_loop(folder):
    cfg = Config.for_model("dcgan64", data_dir=str(folder), width=8, batch_size=8, epochs=2, device="cpu")
    dataset = load_dataset(cfg)
    history = train(cfg, batches=DeviceBatches.from_config(cfg, dataset), track=0, progress=False)
    assert len(history) == 2 and history.samples[-1].shape == (64, 3, 64, 64)
    from ganlab.dashboard import progress_frames
    assert progress_frames(history)[0].mode == "RGB"


@pytest.mark.slow
def test_train_dataset_folder_from_the_command_line(folder, tmp_path, ganlab_cli):
    out = tmp_path / "runs"
    result = ganlab_cli("train", "--dataset", "folder", "--data-dir", folder, "--width", "8", "--batch-size", "8",
                        "--epochs", "1", "--out", out, "--device", "cpu", "--no-progress")
    assert result.returncode == 0, result.stderr
    assert (out / "pictures" / "checkpoint.pt").is_file() and (out / "pictures" / "samples" / "epoch_01.png").is_file()
    assert "Skipped 2 files" in result.stdout and "Quality tracking is off" in result.stdout
    empty = tmp_path / "empty"
    empty.mkdir()
    refused = ganlab_cli("train", "--dataset", "folder", "--data-dir", empty, "--out", out)
    assert refused.returncode == 2 and "holds no image" in refused.stderr.splitlines()[-1]


@pytest.mark.skipif(not EMOJI.is_dir(), reason=f"the emoji folder is not at {EMOJI} (../shared/data)")
def test_the_emoji_folder_loads_whole():
    images = load_folder(EMOJI, split="all", quiet=True)
    assert len(images) == 3786 and images.skipped == 0 and len(images.classes) == 10
    corner = images.data[:, :, 0, 0].float().mean(0)  # transparent corners composited onto white
    assert corner.min() > 240


def test_the_emoji_folder_falls_back_to_the_committed_sample_and_says_so(tmp_path, capsys):
    from ganlab.data import emoji_folder
    from ganlab.folder import EMOJI_SAMPLE

    assert emoji_folder(tmp_path) == EMOJI_SAMPLE
    said = capsys.readouterr().out
    assert said.count("\n") == 1 and "using ganlab's sample of 95 emoji" in said and str(tmp_path) in said
    sample = load_folder(EMOJI_SAMPLE, split="all")
    assert sample.data.shape == (95, 3, 64, 64) and len(sample.classes) == 10
    assert len(load_folder(EMOJI_SAMPLE)) == 85 >= 64  # one batch of the notebooks' 64 after a tenth held out
    (tmp_path / "emoji-google-64").mkdir()
    assert emoji_folder(tmp_path) == tmp_path / "emoji-google-64" and capsys.readouterr().out == ""
