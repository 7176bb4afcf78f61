"""The command line: ``python -m ganlab train | sample``, the notebooks' training from a shell.

    python -m ganlab train [--dataset mnist|fashion] [--epochs N] [--out DIR] [--resume]
    python -m ganlab sample --checkpoint PATH [--n 64] [--out grid.png]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive whole number, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ganlab",
                                     description="Train the course's DCGAN and sample from it.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="{train,sample}")

    train = commands.add_parser("train", help="train a DCGAN and write its samples",
                                description="Train the DCGAN; writes the checkpoint, a sample grid "
                                            "per epoch, the loss curves and the history to OUT/DATASET/.")
    train.add_argument("--dataset", choices=("mnist", "fashion"), default="mnist")
    train.add_argument("--epochs", type=_positive_int, default=20)
    train.add_argument("--out", default="runs", help="output folder (default: runs)")
    train.add_argument("--resume", action="store_true", help="continue from OUT/DATASET/checkpoint.pt")
    train.add_argument("--data-dir", default=None, help="dataset folder (default: $GANLAB_DATA_DIR, else data/)")
    train.add_argument("--device", default="auto", help="auto, cuda, mps or cpu (default: auto)")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--lr", type=float, default=2e-4)
    train.add_argument("--rotation", type=float, default=0.0, help="RandomRotation degrees (course: 20)")
    train.add_argument("--no-progress", action="store_true", help="no progress bar")
    train.set_defaults(run=run_train, parser=train)

    sample = commands.add_parser("sample", help="draw images from a trained checkpoint",
                                 description="Draw N images from a checkpoint's generator into one PNG grid.")
    sample.add_argument("--checkpoint", required=True, help="a checkpoint.pt written by train")
    sample.add_argument("--n", type=_positive_int, default=64, help="how many images (default: 64)")
    sample.add_argument("--out", default="samples.png", help="PNG to write (default: samples.png)")
    sample.add_argument("--seed", type=int, default=0)
    sample.set_defaults(run=run_sample, parser=sample)
    return parser


def _dataset_or_sample(cfg):
    """The full dataset if it can be found or downloaded, else the committed sample (one line)."""
    from .data import DatasetNotFoundError, load_dataset, load_sample_dataset
    try:
        return load_dataset(cfg)
    except DatasetNotFoundError as error:
        print(f"{error} Training on the committed 1,000-image sample instead.")
        return load_sample_dataset(cfg.dataset)


def run_train(args, parser) -> int:
    from .config import Config
    from .data import make_batches
    from .train import train
    from .viz import plot_losses, save_grid

    try:
        cfg = Config(dataset=args.dataset, epochs=args.epochs, data_dir=args.data_dir,
                     device=args.device, seed=args.seed, lr=args.lr, rotation=args.rotation)
    except ValueError as error:
        parser.error(str(error))
    run_dir = Path(args.out) / cfg.dataset
    checkpoint = run_dir / "checkpoint.pt"
    if args.resume and not checkpoint.is_file():
        parser.error(f"--resume: no checkpoint at {checkpoint}; run without --resume first.")
    if not args.resume and checkpoint.is_file():
        parser.error(f"{checkpoint} exists: add --resume to continue it, or choose another --out.")
    batches = make_batches(cfg, _dataset_or_sample(cfg))
    history = train(cfg, batches=batches, checkpoint=checkpoint,
                    resume=checkpoint if args.resume else None, progress=not args.no_progress)
    for epoch in range(len(history)):
        save_grid(history.sample_images(epoch), run_dir / "samples" / f"epoch_{epoch + 1:02d}.png")
    (run_dir / "history.json").write_text(history.to_json())
    from .dashboard import save_progress_gif
    save_progress_gif(history, run_dir / "progress.gif")
    import matplotlib.pyplot as plt
    ax = plot_losses(history, title=f"{cfg.dataset}: losses per epoch")
    ax.figure.savefig(run_dir / "losses.png", dpi=100, bbox_inches="tight")
    plt.close(ax.figure)
    print(f"Wrote {checkpoint}, {run_dir / 'samples'}/epoch_NN.png, {run_dir / 'losses.png'}, "
          f"{run_dir / 'progress.gif'} and {run_dir / 'history.json'}.")
    return 0


def run_sample(args, parser) -> int:
    from .checkpoint import generator_from_checkpoint
    from .train import generate
    from .viz import save_grid

    try:
        G, cfg = generator_from_checkpoint(args.checkpoint)
    except (FileNotFoundError, ValueError) as error:
        parser.error(str(error))
    noise = torch.randn(args.n, cfg.noise_dim, generator=torch.Generator().manual_seed(args.seed))
    path = save_grid(generate(G, noise), args.out, nrow=max(1, round(args.n ** 0.5)))
    print(f"Wrote {args.n} samples to {path}.")
    return 0


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return args.run(args, args.parser)  # each command reports errors through its own parser


if __name__ == "__main__":
    sys.exit(main())
