"""The command line: ``python -m ganlab train | sample | evaluate | classifier``, from a shell.

    python -m ganlab train [--dataset mnist|fashion] [--epochs N] [--out DIR] [--resume]
    python -m ganlab sample --checkpoint PATH [--n 64] [--out grid.png]
    python -m ganlab evaluate --checkpoint PATH [--n 10000]
    python -m ganlab classifier --dataset mnist|fashion [--epochs N] [--seed S] [--data-dir DIR]
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

#: What ``sample --out`` can write (Pillow picks the format from the suffix).
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")
#: The exit status of a run stopped by Ctrl-C (the shell's 128 + SIGINT), so scripts do not carry on.
INTERRUPTED = 130


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
    train.add_argument("--dataset", choices=("mnist", "fashion"), default="mnist")
    train.add_argument("--epochs", type=_positive_int, default=20)
    train.add_argument("--out", default="runs", help="output folder (default: runs)")
    train.add_argument("--resume", action="store_true", help="continue from OUT/DATASET/checkpoint.pt")
    train.add_argument("--data-dir", default=None, help="dataset folder (default: $GANLAB_DATA_DIR, else data/)")
    train.add_argument("--device", default="auto", help="auto, cuda, mps or cpu (default: auto)")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--lr", type=float, default=2e-4)
    train.add_argument("--rotation", type=float, default=0.0, help="RandomRotation degrees (course: 20)")
    train.add_argument("--keep-best", action="store_true",
                       help="also keep the epoch with the lowest Frechet distance as checkpoint_best.pt")
    train.add_argument("--patience", type=_positive_int, default=None,
                       help="stop when the distance has not improved for this many epochs")
    train.add_argument("--no-progress", action="store_true", help="no progress bar")
    train.set_defaults(run=run_train, parser=train)

    sample = commands.add_parser("sample", parents=[common], help="draw images from a trained checkpoint",
                                 description="Draw N images from a checkpoint's generator into one PNG grid.")
    sample.add_argument("--checkpoint", required=True, help="a checkpoint.pt written by train")
    sample.add_argument("--n", type=_positive_int, default=64, help="how many images (default: 64)")
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


def _dataset_or_sample(cfg):
    """(dataset, cfg): the full dataset if it can be found or downloaded, else the committed sample
    (one line says so) with ``cfg.data_dir`` pointed at it, so quality tracking scores against it too."""
    import dataclasses

    from .data import SAMPLE_DIR, DatasetNotFoundError, data_origin, load_dataset, load_sample_dataset
    try:
        dataset = load_dataset(cfg)
    except DatasetNotFoundError as error:
        print(f"{error} Training on the committed 1,000-image sample instead.")
        return load_sample_dataset(cfg.dataset), dataclasses.replace(cfg, data_dir=str(SAMPLE_DIR))
    print(f"Data: {len(dataset):,} {type(dataset).__name__} training images, {data_origin(cfg, dataset.raw_folder)}.")
    return dataset, cfg


def run_train(args, parser) -> int:
    from .checkpoint import best_checkpoint_path
    from .config import Config
    from .data import make_batches
    from .idx import BadDataFileError
    from .session import train
    from .viz import plot_history, save_grid

    try:
        cfg = Config(dataset=args.dataset, epochs=args.epochs, data_dir=args.data_dir,
                     device=args.device, seed=args.seed, lr=args.lr, rotation=args.rotation)
    except ValueError as error:
        parser.error(str(error))
    run_dir = Path(args.out) / cfg.dataset
    checkpoint = run_dir / "checkpoint.pt"
    if args.resume and not checkpoint.is_file():
        parser.error(f"--resume: no checkpoint at {checkpoint}; run without --resume first.")
    for saved in (checkpoint, best_checkpoint_path(checkpoint)):
        if not args.resume and saved.is_file():
            parser.error(f"{saved} exists: add --resume to continue that run, or choose another --out.")
    problem = unwritable(run_dir)
    if problem:
        parser.error(f"--out: {problem}; choose another --out.")
    dataset, cfg = _dataset_or_sample(cfg)
    batches = make_batches(cfg, dataset)
    try:
        history = train(cfg, batches=batches, checkpoint=checkpoint, resume=checkpoint if args.resume else None,
                        progress=not args.no_progress, keep_best=args.keep_best, patience=args.patience)
    except BadDataFileError:
        raise  # found on the way, not a bad argument: main's one line and status 1
    except (FileNotFoundError, FileExistsError, ValueError) as error:
        parser.error(str(error))
    if len(history) == 0:  # interrupted in the first epoch: nothing to write
        return INTERRUPTED
    for epoch in range(len(history)):
        save_grid(history.sample_images(epoch), run_dir / "samples" / f"epoch_{epoch + 1:02d}.png")
    (run_dir / "history.json").write_text(history.to_json())
    from .dashboard import save_progress_gif
    save_progress_gif(history, run_dir / "progress.gif")
    import matplotlib.pyplot as plt
    fig = plot_history(history, title=f"{cfg.dataset}: losses per epoch")
    fig.savefig(run_dir / "losses.png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    print(f"Wrote {checkpoint}, {run_dir / 'samples'}/epoch_NN.png, {run_dir / 'losses.png'}, "
          f"{run_dir / 'progress.gif'} and {run_dir / 'history.json'}"
          + (f" for the {len(history)} saved epochs." if history.interrupted else "."))
    return INTERRUPTED if history.interrupted else 0


def run_sample(args, parser) -> int:
    from .checkpoint import generator_from_checkpoint
    from .models import generate
    from .sampling import seeded_noise
    from .viz import save_grid

    out = Path(args.out)
    if out.is_dir():
        parser.error(f"--out {out} is a folder: give a file in it, e.g. {out / 'samples.png'}.")
    if out.suffix.lower() not in IMAGE_SUFFIXES:
        parser.error(f"--out {out} needs an image file name ending in .png (or {', '.join(IMAGE_SUFFIXES[1:])}).")
    try:
        G, cfg = generator_from_checkpoint(args.checkpoint)
    except (FileNotFoundError, ValueError) as error:
        parser.error(str(error))
    images = generate(G, seeded_noise(args.n, cfg.noise_dim, args.seed))
    try:
        path = save_grid(images, out, nrow=max(1, round(args.n ** 0.5)))
    except OSError as error:
        parser.error(f"could not write {out}: {error.strerror or error}.")
    print(f"Wrote {args.n} samples to {path}.")
    return 0


def _metrics_table(fake: dict, real: dict, n_fake: int, n_real: int, names) -> str:
    """The metrics of generated and real images side by side, with the class histogram."""
    rows = [("Frechet distance (lower is better)", f"{fake['frechet']:.2f}", f"{real['frechet']:.2f}"),
            ("classes covered, of 10 (higher)", str(fake["modes"]), str(real["modes"])),
            ("KL from uniform classes (lower)", f"{fake['kl_uniform']:.3f}", f"{real['kl_uniform']:.3f}"),
            ("mean confidence (higher)", f"{fake['confidence']:.3f}", f"{real['confidence']:.3f}")]
    rows += [(f"  % classified as {name}", f"{100 * f:.1f}", f"{100 * r:.1f}")
             for name, f, r in zip(names, fake["histogram"], real["histogram"])]
    rows.insert(0, ("", f"generated ({n_fake:,})", f"real ({n_real:,})"))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return "\n".join(f"{a:<{widths[0]}}  {b:>{widths[1]}}  {c:>{widths[2]}}" for a, b, c in rows)


def run_evaluate(args, parser) -> int:
    from .checkpoint import generator_from_checkpoint, load_checkpoint
    from .config import Config
    from .data import CLASS_NAMES, SAMPLE_DIR, DatasetNotFoundError, load_dataset
    from .diagnose import diagnose
    from .history import History
    from .metrics import evaluate, real_features, reference

    try:
        G, cfg = generator_from_checkpoint(args.checkpoint)
        history = History.from_dict(load_checkpoint(args.checkpoint).get("history", {}))
        data_dir = args.data_dir
        try:
            n_test = len(real_features(cfg.dataset, data_dir))
        except DatasetNotFoundError as error:
            print(f"{error} Comparing with the committed 200-image test sample instead: a distance to 200 real "
                  "images reads higher than one to 10,000, so compare these figures only with others made this way.")
            data_dir = str(SAMPLE_DIR)
            n_test = len(real_features(cfg.dataset, data_dir))
        fake = evaluate(G, cfg.dataset, n=args.n, seed=args.seed, data_dir=data_dir)
        n_real = min(args.n, len(load_dataset(Config(dataset=cfg.dataset, data_dir=data_dir), download=False)))
        real = reference(cfg.dataset, n=n_real, seed=args.seed, data_dir=data_dir)
    except (FileNotFoundError, ValueError) as error:
        parser.error(str(error))
    epochs = f"{len(history)} epoch{'' if len(history) == 1 else 's'}"
    print(f"{args.checkpoint}: {cfg.dataset}, {epochs} at lr {cfg.lr:g}; both columns are compared "
          f"with {n_test:,} real test images (the real column: {n_real:,} training images).")
    print(_metrics_table(fake, real, args.n, n_real, CLASS_NAMES[cfg.dataset]))
    for warning in diagnose(history) or ["The loss history shows no sign of trouble."]:
        print(warning)
    return 0


def run_classifier(args, parser) -> int:
    import time

    from .classifier import DEFAULT_EPOCHS, save_classifier, train_classifier
    from .config import quick_mode, resolve_device
    from .data import DatasetNotFoundError

    if quick_mode():
        parser.error("GANLAB_QUICK=1 would train the classifier on the 1,000-image sample; unset it.")
    epochs = args.epochs or DEFAULT_EPOCHS[args.dataset]
    start = time.process_time()
    try:
        model, accuracy = train_classifier(args.dataset, epochs, seed=args.seed, data_dir=args.data_dir,
                                           device=args.device)
    except (DatasetNotFoundError, ValueError) as error:
        parser.error(str(error))  # a classifier from the 1,000-image sample would be a poor yardstick
    device = resolve_device(args.device)
    command = (f"python -m ganlab classifier --dataset {args.dataset} --epochs {epochs} --seed {args.seed} "
               f"--device {device}")
    import torch

    record = {"test_accuracy": round(accuracy, 4), "epochs": epochs, "seed": args.seed, "command": command,
              "device": device, "cpu_seconds": round(time.process_time() - start), "torch": torch.__version__}
    path = save_classifier(model, args.dataset, record)
    print(f"Test accuracy {100 * accuracy:.2f} % after {epochs} epochs; wrote {path}.")
    return 0


def unwritable(folder: Path) -> str | None:
    """Why nothing can be written in ``folder`` (made if missing), or None: checked before an epoch is spent."""
    probe = folder / f".ganlab-write-check-{os.getpid()}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        return f"cannot write in {folder}: {error.strerror or error}"
    return None


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
