"""The command line: ``python -m ganlab train | sample | evaluate | classifier``, from a shell.

    python -m ganlab train [--model dcgan|cdcgan|wgan-gp|mlp] [--dataset mnist|fashion|folder] [--epochs N]
                           [--out DIR] [--resume]          (folder: --data-dir PATH, the 64x64 dcgan64)
    python -m ganlab sample --checkpoint PATH [--n 64] [--label 3] [--out grid.png]
    python -m ganlab evaluate --checkpoint PATH [--n 10000]
    python -m ganlab classifier --dataset mnist|fashion [--epochs N] [--seed S] [--data-dir DIR]

The commands themselves are in ``ganlab.commands``.
"""
from __future__ import annotations

import argparse
import os
import sys

from .commands import INTERRUPTED, run_classifier, run_evaluate, run_sample, run_train
from .config import MODELS


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive whole number, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ganlab",
                                     description="Train the course's DCGAN, sample from it and score it.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="{train,sample,evaluate,classifier}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true",
                        help="show the full traceback of an error (for bug reports; or set GANLAB_DEBUG=1)")

    train = commands.add_parser("train", parents=[common], help="train a DCGAN and write its samples",
                                description="Train the DCGAN; writes the checkpoint, a sample grid "
                                            "per epoch, the loss curves and the history to OUT/DATASET/.")
    train.add_argument("--model", choices=MODELS, default="dcgan",
                       help="the kind of GAN: dcgan (the course's), cdcgan (conditional), wgan-gp or mlp")
    train.add_argument("--dataset", choices=("mnist", "fashion", "folder"), default="mnist",
                       help="folder: your own images in --data-dir, 64x64 colour (trains the dcgan64 model)")
    train.add_argument("--epochs", type=_positive_int, default=20)
    train.add_argument("--batch-size", type=_positive_int, default=128, help="images per step (default 128)")
    train.add_argument("--out", default="runs", help="output folder (default: runs)")
    train.add_argument("--resume", action="store_true", help="continue from OUT/DATASET/checkpoint.pt")
    train.add_argument("--data-dir", default=None, help="dataset folder (default: $GANLAB_DATA_DIR, else data/)")
    train.add_argument("--device", default="auto", help="auto, cuda, mps or cpu (default: auto)")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--lr", type=float, default=None, help="Adam's learning rate (default: the model's, "
                       "2e-4; wgan-gp 1e-4)")
    train.add_argument("--n-critic", type=int, default=5, help="wgan-gp: critic updates per generator update")
    train.add_argument("--width", type=int, default=None,
                       help="dcgan64: feature maps of the networks' outer layers (default 64, the tutorial's; "
                            "16 or 32 on a CPU)")
    train.add_argument("--background", default="white",
                       help="folder: the colour transparent pixels are put on (a name or #rrggbb; default white)")
    train.add_argument("--gp-weight", type=float, default=10.0, help="wgan-gp: the gradient penalty's weight")
    train.add_argument("--rotation", type=float, default=0.0, help="RandomRotation degrees (course: 20)")
    train.add_argument("--ema-decay", type=float, default=None,
                       help="sample from an average of G's weights (default: 0.999 for dcgan, else 0); 0: last weights")
    train.add_argument("--bn-gamma-mean", type=float, default=None,
                       help="BatchNorm scales start at N(this, 0.02) (default: 0, the course's, for dcgan and "
                            "cdcgan; else 1)")
    train.add_argument("--keep-best", action="store_true",
                       help="also keep the epoch with the lowest Frechet distance as checkpoint_best.pt")
    train.add_argument("--patience", type=_positive_int, default=None,
                       help="stop when the distance has not improved for this many epochs")
    train.add_argument("--reuse-fakes", action="store_true",
                       help="G's move reuses the D move's fakes (PyTorch's DCGAN tutorial): faster, not the course's")
    train.add_argument("--no-speedups", action="store_true",
                       help="run the course's layers as written on a CPU (ganlab.speed: same arithmetic, slower)")
    train.add_argument("--no-progress", action="store_true", help="no progress bar")
    train.set_defaults(run=run_train, parser=train)

    sample = commands.add_parser("sample", parents=[common], help="draw images from a trained checkpoint",
                                 description="Draw N images from a checkpoint's generator into one PNG grid.")
    sample.add_argument("--checkpoint", required=True, help="a checkpoint.pt written by train")
    sample.add_argument("--n", type=_positive_int, default=64, help="how many images (default: 64)")
    sample.add_argument("--label", type=int, default=None,
                        help="a conditional (cdcgan) checkpoint: draw this class only (0-9)")
    sample.add_argument("--out", default="samples.png", help="PNG to write (default: samples.png)")
    sample.add_argument("--seed", type=int, default=0)
    sample.set_defaults(run=run_sample, parser=sample)

    evaluate = commands.add_parser("evaluate", parents=[common], help="score a checkpoint's samples with a classifier",
                                   description="Score N generated images (Frechet distance to the real test "
                                               "set, classes covered, confidence) beside real images.")
    evaluate.add_argument("--checkpoint", required=True, help="a checkpoint.pt written by train")
    evaluate.add_argument("--n", type=_positive_int, default=10_000, help="how many images (default: 10000)")
    evaluate.add_argument("--data-dir", default=None, help="dataset folder (default: $GANLAB_DATA_DIR, else data/)")
    evaluate.add_argument("--seed", type=int, default=0)
    evaluate.set_defaults(run=run_evaluate, parser=evaluate)

    classifier = commands.add_parser("classifier", parents=[common], help="train the classifier that evaluate uses",
                                     description="Train the classifier evaluate scores with, on the full "
                                                 "dataset; writes ganlab/classifiers/DATASET.pt and its line "
                                                 "in accuracy.json.")
    classifier.add_argument("--dataset", choices=("mnist", "fashion"), default="mnist")
    classifier.add_argument("--epochs", type=_positive_int, default=None,
                            help="passes over the training set (default: mnist 6, fashion 12)")
    classifier.add_argument("--seed", type=int, default=0)
    classifier.add_argument("--data-dir", default=None, help="dataset folder (default: $GANLAB_DATA_DIR, else data/)")
    classifier.add_argument("--device", default="auto", help="auto, cuda, mps or cpu (default: auto)")
    classifier.set_defaults(run=run_classifier, parser=classifier)
    return parser


def one_line(error: BaseException) -> str:
    """An error as one line: its message's first line (a size-mismatch wall of text is cut)."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[0] if lines else type(error).__name__


def main(argv=None) -> int:
    """Run one command. A failure the user can cause ends in one line on stderr and exit status 1
    (2 for bad arguments, 130 for Ctrl-C); ``--debug`` or GANLAB_DEBUG=1 shows the traceback instead."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args, args.parser)  # each command reports bad arguments through its own parser
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return INTERRUPTED
    except Exception as error:
        if args.debug or os.environ.get("GANLAB_DEBUG", "0") not in ("", "0"):
            raise
        print(f"python -m ganlab {args.command}: {one_line(error)} (--debug shows the traceback)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
