"""MNIST's file format (IDX): check a file before torchvision reads it, and unpack a ``.gz`` safely.

An IDX file is a header (two zero bytes, a type byte, 0x08 for uint8, the number of dimensions,
then each size as a 4-byte big-endian number) followed by the values. Checking the header and the
file's size catches a truncated download, a labels file where images belong, or 32x32 images,
with one line naming the file, instead of a cryptic error (or silent nonsense) later.

``.gz`` files are unpacked to a temporary file, checked, then renamed into place, so a corrupt
archive never leaves a broken file behind, and several processes can unpack the same folder at once.
"""
from __future__ import annotations

import gzip
import math
import os
import shutil
import struct
import zlib
from pathlib import Path

#: The four files of an MNIST-style dataset, as torchvision names them.
RAW_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
IMAGE_SIDE = 28


class BadDataFileError(ValueError):
    """A dataset file is there but unreadable: truncated, corrupt, or not what its name says."""


def _expected_dims(name: str) -> int:
    return 3 if "images" in name else 1


def idx_shape(path: Path) -> tuple[int, ...] | None:
    """The shape an IDX file's header declares, or None if it has no readable uint8 IDX header."""
    with open(path, "rb") as f:
        head = f.read(4)
        if len(head) < 4 or head[:3] != b"\x00\x00\x08" or not 1 <= head[3] <= 4:
            return None
        sizes = f.read(4 * head[3])
    if len(sizes) < 4 * head[3]:
        return None
    return struct.unpack(f">{head[3]}I", sizes)


def idx_problem(path: Path, name: str) -> str | None:
    """What is wrong with ``path`` as the dataset file ``name``, in a few words; None if it is sound."""
    if not path.is_file():
        return "missing"
    size = path.stat().st_size
    if size == 0:
        return "empty (0 bytes)"
    shape = idx_shape(path)
    if shape is None:
        return "not an IDX file of bytes (its first bytes are not an MNIST header)"
    kind = "images" if "images" in name else "labels"
    if len(shape) != _expected_dims(name):
        found = "labels" if len(shape) == 1 else f"{len(shape)}-dimensional data"
        return f"holds {found} where {kind} belong"
    if kind == "images" and shape[1:] != (IMAGE_SIDE, IMAGE_SIDE):
        return f"holds {shape[1]}x{shape[2]} images, not {IMAGE_SIDE}x{IMAGE_SIDE}"
    expected = 4 + 4 * len(shape) + math.prod(shape)
    if size != expected:
        return f"is {size:,} bytes but its header promises {shape[0]:,} {kind} ({expected:,} bytes): truncated?"
    return None


def check_pairs(raw: Path) -> None:
    """Each images file must have as many images as its labels file has labels."""
    for prefix in ("train", "t10k"):
        images, labels = idx_shape(raw / f"{prefix}-images-idx3-ubyte"), idx_shape(raw / f"{prefix}-labels-idx1-ubyte")
        if images[0] != labels[0]:
            raise BadDataFileError(f"{raw / f'{prefix}-images-idx3-ubyte'} holds {images[0]:,} images but its labels "
                                   f"file {labels[0]:,} labels: the two come from different downloads.")


def unpack_gz(gz: Path, target: Path, name: str) -> None:
    """Unpack ``gz`` to ``target`` through a temporary file, checked before it is renamed into place."""
    tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    try:
        with gzip.open(gz, "rb") as source, open(tmp, "wb") as out:
            shutil.copyfileobj(source, out, length=1 << 20)
        problem = idx_problem(tmp, name)
        if problem:
            raise BadDataFileError(f"{gz} unpacks to a file that {problem}: download it again or delete it.")
        os.replace(tmp, target)
    except (OSError, EOFError, zlib.error) as error:
        if isinstance(error, FileNotFoundError) and not gz.exists():
            raise
        raise BadDataFileError(f"{gz} is not a readable gzip file ({error.__class__.__name__}: truncated or "
                               "corrupt): download it again or delete it.") from None
    finally:
        tmp.unlink(missing_ok=True)


def copy_checked(source: Path, target: Path) -> None:
    """Copy an unpacked file through a temporary file, renamed into place (for a read-only folder's cache)."""
    tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    try:
        shutil.copyfile(source, tmp)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
