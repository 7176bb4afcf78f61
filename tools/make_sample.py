"""Write the small committed sample: the first 1,000 training and 200 test images of each set,
and the first 10 pictures (by name) of each category of the emoji folder.

usage: python tools/make_sample.py --from ../shared/data
Reads the full sets with torchvision (through ganlab.data) and writes gzip'd IDX files in
torchvision's raw layout under ganlab/sample_data/. Deterministic: gzip's time stamp is 0. The emoji
pictures are copied unchanged to ganlab/sample_data/emoji-google-64/ (ganlab.data.emoji_folder).
"""
import argparse
import gzip
import shutil
import struct
from pathlib import Path

import torch

from ganlab.config import Config
from ganlab.data import DATASET_CLASSES, SAMPLE_DIR, load_dataset

COUNTS = {"train": 1000, "t10k": 200}
EMOJI_PER_CATEGORY = 10


def idx_bytes(tensor: torch.Tensor) -> bytes:
    """Encode a uint8 tensor as IDX: magic (0, 0, 0x08 = ubyte, ndim), big-endian sizes, data."""
    header = struct.pack(">BBBB", 0, 0, 0x08, tensor.dim()) + struct.pack(f">{tensor.dim()}I", *tensor.shape)
    return header + tensor.contiguous().numpy().tobytes()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--from", dest="source", required=True, help="folder with MNIST/raw and FashionMNIST/raw")
    args = ap.parse_args()
    for name, cls in DATASET_CLASSES.items():
        out = SAMPLE_DIR / cls.__name__ / "raw"
        out.mkdir(parents=True, exist_ok=True)
        for prefix, train in (("train", True), ("t10k", False)):
            ds = load_dataset(Config(dataset=name, data_dir=args.source), train=train, download=False)
            n = COUNTS[prefix]
            for kind, tensor in (("images-idx3", ds.data[:n]), ("labels-idx1", ds.targets[:n].to(torch.uint8))):
                path = out / f"{prefix}-{kind}-ubyte.gz"
                with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
                    gz.write(idx_bytes(tensor))
                print(f"wrote {path.relative_to(Path.cwd())} ({path.stat().st_size:,} bytes)")
    copy_emoji_sample(Path(args.source) / "emoji-google-64", SAMPLE_DIR / "emoji-google-64")


def copy_emoji_sample(source: Path, target: Path) -> None:
    """Copy the first EMOJI_PER_CATEGORY pictures of each category folder, bytes unchanged."""
    shutil.rmtree(target, ignore_errors=True)
    for category in sorted(p for p in source.iterdir() if p.is_dir()):
        (target / category.name).mkdir(parents=True)
        for picture in sorted(category.glob("*.png"))[:EMOJI_PER_CATEGORY]:
            shutil.copyfile(picture, target / category.name / picture.name)
    files = list(target.glob("*/*.png"))
    print(f"wrote {len(files)} emoji to {target} ({sum(f.stat().st_size for f in files):,} bytes)")


if __name__ == "__main__":
    main()
