"""Your own images: any folder of pictures, as 64x64 colour images ready for the 64x64 DCGAN.

The folder may be flat or hold one subfolder per class (torchvision's ``ImageFolder`` layout);
every file Pillow can read counts, whatever its format. Folders a computer adds by itself (hidden
ones, ``__MACOSX`` from a zip made on a Mac, ``@eaDir`` from a NAS) are passed over; pictures both at
the top and in subfolders are refused, since it is unclear which class the top ones belong to. A
photo's EXIF orientation is applied, so a phone picture is not trained on its side. Each image is
composited onto a background colour where it has transparency (RGBA, grey with alpha, palettes with
a transparent colour: a transparent pixel has no colour of its own, and left as it is it turns black
or random), made RGB,
resized so its shorter side is 64 and cropped to the centre 64x64, as PyTorch's DCGAN tutorial does.
Files that cannot be read are skipped, and one line counts them.

A fixed tenth of the images (chosen by a seeded shuffle) is held out: ``split="test"`` gives it.
Training never sees it, so it can tell memorised samples from learned ones, and real from fake.
Taught in notebooks/next/your_own_images.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import torch
from PIL import Image, ImageColor, ImageOps

#: The side of the images the 64x64 DCGAN draws.
IMAGE_SIZE = 64
#: Extensions of the files that make a folder's top level count as pictures (to refuse a mixed layout).
PICTURE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp", ".tif", ".tiff"}
#: The folder of emoji the notebooks train on, by its name in the data folder.
EMOJI_NAME = "emoji-google-64"
#: Its sample inside ganlab (95 pictures, 10 a category), for where the full folder is not.
EMOJI_SAMPLE = Path(__file__).resolve().parent / "sample_data" / EMOJI_NAME
#: The share of a folder held out from training (``split="test"``).
TEST_FRACTION = 0.1


class FolderError(ValueError):
    """A folder that cannot be trained on: missing, empty, or smaller than one batch."""


@dataclass
class FolderImages:
    """A folder's images as one uint8 tensor, what ``DeviceBatches`` reads: ``data`` (N, 3, 64, 64),
    ``targets`` (N,) class numbers (0 for a flat folder), ``classes`` the subfolder names, ``files``."""

    data: torch.Tensor
    targets: torch.Tensor
    classes: list
    files: list
    skipped: int = 0

    def __len__(self) -> int:
        return len(self.data)

    def __delitem__(self, keep: slice) -> None:
        """Forget a slice of the images, e.g. ``del images[256:]`` keeps the first 256."""
        del self.files[keep]
        mask = torch.ones(len(self.data), dtype=torch.bool)
        mask[keep] = False
        self.data, self.targets = self.data[mask], self.targets[mask]


def background_rgb(colour: str) -> tuple[int, int, int]:
    """A colour name ("white") or "#rrggbb" as an (r, g, b) triple; one clear line if Pillow knows neither."""
    try:
        return ImageColor.getrgb(colour)[:3]
    except (ValueError, AttributeError):
        raise ValueError(f"background {colour!r} is not a colour: give a name (white, black) or #rrggbb.") from None


def to_square_rgb(image: Image.Image, background=(255, 255, 255), size: int = IMAGE_SIZE) -> Image.Image:
    """Composite onto ``background`` if the image has transparency, make it RGB, resize the shorter
    side to ``size`` and crop the centre ``size`` x ``size``."""
    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA"):
        image = image.convert("RGBA")
        canvas = Image.new("RGBA", image.size, (*background, 255))
        image = Image.alpha_composite(canvas, image)
    image = image.convert("RGB")
    scale = size / min(image.size)
    width, height = max(size, round(image.width * scale)), max(size, round(image.height * scale))
    image = image.resize((width, height), Image.BICUBIC)
    left, top = (width - size) // 2, (height - size) // 2
    return image.crop((left, top, left + size, top + size))


def made_by_a_computer(path: Path) -> bool:
    """Hidden files and folders, and the folders zips and NAS boxes add (``__MACOSX``, ``@eaDir``)."""
    return path.name.startswith((".", "__", "@"))


def image_files(root: Path) -> tuple[list[Path], list[str]]:
    """The files of a flat folder, or of its class subfolders (sorted), and the class names.

    Raises FolderError for pictures both at the top and in subfolders.
    """
    subfolders = sorted(p for p in root.iterdir() if p.is_dir() and not made_by_a_computer(p))
    on_top = [f for f in root.iterdir() if f.is_file() and f.suffix.lower() in PICTURE_SUFFIXES]
    if subfolders and on_top:
        names = ", ".join(p.name for p in subfolders[:3]) + (", ..." if len(subfolders) > 3 else "")
        raise FolderError(f"{root} has {len(on_top)} pictures at the top and subfolders ({names}): put every "
                          "picture in one subfolder per class, or all of them at the top with no subfolders.")
    if subfolders:
        files = [f for folder in subfolders for f in sorted(folder.iterdir()) if f.is_file()]
        return [f for f in files if not made_by_a_computer(f)], [p.name for p in subfolders]
    return sorted(f for f in root.iterdir() if f.is_file() and not made_by_a_computer(f)), []


def split_indices(n: int, split: str, seed: int = 0) -> torch.Tensor:
    """The indices of ``split`` ("train", "test" or "all") among n images: a seeded tenth is the test part."""
    if split not in ("train", "test", "all"):
        raise ValueError(f"split must be 'train', 'test' or 'all', got {split!r}.")
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    held_out = max(1, math.ceil(n * TEST_FRACTION)) if n > 1 else 0
    return {"train": order[held_out:], "test": order[:held_out], "all": torch.arange(n)}[split]


def load_folder(root, split: str = "train", background: str = "white", min_images: int = 1,
                quiet: bool = False) -> FolderImages:
    """Read every image under ``root`` as 64x64 RGB (see the module's docstring); return ``split`` of them.

    Raises FolderError, in one line, for a missing folder, a folder with no readable image, or fewer
    than ``min_images`` training images (one batch, when training).
    """
    root = Path(root).expanduser()
    if not root.is_dir():
        raise FolderError(f"{root} is not a folder: give the folder that holds your images (--data-dir).")
    files, classes = image_files(root)
    colour = background_rgb(background)
    pictures, labels, kept, unreadable = [], [], [], []
    for path in files:
        try:
            with Image.open(path) as image:
                square = to_square_rgb(ImageOps.exif_transpose(image), colour)  # a phone photo's turn, applied
                pictures.append(torch.frombuffer(bytearray(square.tobytes()), dtype=torch.uint8))
        except Exception as error:  # not an image, truncated, a format Pillow lacks: skip, count, go on
            unreadable.append((path, error))
            continue
        labels.append(classes.index(path.parent.name) if classes else 0)
        kept.append(path)
    if unreadable and not quiet:
        path, error = unreadable[0]
        print(f"Skipped {len(unreadable)} file{'s' if len(unreadable) > 1 else ''} that are not readable images "
              f"(the first: {path.name}: {type(error).__name__}).")
    if not pictures:
        raise FolderError(f"{root} holds no image Pillow can read ({len(files)} files looked at): put .png or .jpg "
                          "files in it, or in one subfolder per class.")
    data = torch.stack(pictures).view(-1, IMAGE_SIZE, IMAGE_SIZE, 3).permute(0, 3, 1, 2).contiguous()
    index = split_indices(len(data), split)
    if split != "test" and len(index) < min_images:
        raise FolderError(f"{root} has {len(index)} training images (after holding out a tenth), fewer than one "
                          f"batch of {min_images}: add images, or lower the batch size.")
    return FolderImages(data[index], torch.tensor(labels)[index], classes, [kept[i] for i in index.tolist()],
                        len(unreadable))
