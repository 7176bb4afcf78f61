"""Write the small committed sample: the first 1,000 training and 200 test images of each set.

usage: python tools/make_sample.py --from ../shared/data
Reads the full sets with torchvision (through ganlab.data) and writes gzip'd IDX files in
torchvision's raw layout under ganlab/sample_data/. Deterministic: gzip's time stamp is 0.
"""
import argparse
import gzip
import struct
from pathlib import Path

import torch

from ganlab.config import Config
from ganlab.data import DATASET_CLASSES, SAMPLE_DIR, load_dataset

COUNTS = {"train": 1000, "t10k": 200}


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


if __name__ == "__main__":
    main()
