"""What each command of ``python -m ganlab`` does: train, sample, evaluate, classifier.

``ganlab.__main__`` parses the arguments and calls one of these with them and its parser; a bad
argument ends in ``parser.error`` (one line, exit status 2), a run stopped by Ctrl-C returns 130.
"""
from __future__ import annotations

import os
from pathlib import Path

#: What ``sample --out`` can write (Pillow picks the format from the suffix).
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")
#: The exit status of a run stopped by Ctrl-C (the shell's 128 + SIGINT), so scripts do not carry on.
INTERRUPTED = 130


def _dataset_or_sample(cfg):
    """(dataset, cfg): the full dataset if it can be found or downloaded, else the committed sample
    (one line says so) with ``cfg.data_dir`` pointed at it, so quality tracking scores against it too."""
    import dataclasses

    from .data import SAMPLE_DIR, DatasetNotFoundError, data_origin, load_dataset, load_sample_dataset
    if cfg.dataset == "folder":
        dataset = load_dataset(cfg)  # FolderError: one line, through main
        print(f"Data: {len(dataset):,} images of your own from {cfg.data_dir}, as 64x64 RGB on {cfg.background} "
              f"(a tenth more held out from training, for checks).")
        return dataset, cfg
    try:
        dataset = load_dataset(cfg)
    except DatasetNotFoundError as error:
        print(f"{error} Training on the committed 1,000-image sample instead.")
        return load_sample_dataset(cfg.dataset), dataclasses.replace(cfg, data_dir=str(SAMPLE_DIR))
    print(f"Data: {len(dataset):,} {type(dataset).__name__} training images, {data_origin(cfg, dataset.raw_folder)}.")
    return dataset, cfg


def run_train(args, parser) -> int:
    from .checkpoint import atomic_write, best_checkpoint_path
    from .config import Config
    from .data import make_batches
    from .folder import FolderError
    from .idx import BadDataFileError
    from .session import train
    from .viz import plot_history, save_grid

    try:
        given = (("lr", args.lr), ("width", args.width), ("ema_decay", args.ema_decay),
                 ("bn_gamma_mean", args.bn_gamma_mean))
        chosen = {name: value for name, value in given if value is not None}
        model = "dcgan64" if args.dataset == "folder" and args.model == "dcgan" else args.model
        cfg = Config.for_model(model, dataset=args.dataset, epochs=args.epochs, data_dir=args.data_dir,
                               background=args.background, batch_size=args.batch_size,
                               device=args.device, seed=args.seed, rotation=args.rotation,
                               reuse_fakes=args.reuse_fakes, speedups=not args.no_speedups, n_critic=args.n_critic,
                               gp_weight=args.gp_weight, **chosen)
    except ValueError as error:
        parser.error(str(error))
    run_dir = Path(args.out) / (Path(cfg.data_dir).name if cfg.dataset == "folder" else cfg.dataset)
    checkpoint = run_dir / "checkpoint.pt"
    if args.resume and not checkpoint.is_file():
        parser.error(f"--resume: no checkpoint at {checkpoint}; run without --resume first.")
    for saved in (checkpoint, best_checkpoint_path(checkpoint)):
        if not args.resume and saved.is_file():
            parser.error(f"{saved} exists: add --resume to continue that run, or choose another --out.")
    problem = unwritable(run_dir)
    if problem:
        parser.error(f"--out: {problem}; choose another --out.")
    try:
        dataset, cfg = _dataset_or_sample(cfg)
    except FolderError as error:  # a missing, empty or too small folder: a bad --data-dir
        parser.error(str(error))
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
    history_json = history.to_json()
    atomic_write(run_dir / "history.json", lambda tmp: tmp.write_text(history_json))
    from .dashboard import save_progress_gif
    save_progress_gif(history, run_dir / "progress.gif")
    import matplotlib.pyplot as plt
    fig = plot_history(history, title=f"{cfg.dataset}: losses per epoch")
    atomic_write(run_dir / "losses.png", lambda tmp: fig.savefig(tmp, format="png", dpi=100, bbox_inches="tight"))
    plt.close(fig)
    print(f"Wrote {checkpoint}, {run_dir / 'samples'}/epoch_NN.png, {run_dir / 'losses.png'}, "
          f"{run_dir / 'progress.gif'} and {run_dir / 'history.json'}"
          + (f" for the {len(history)} saved epochs." if history.interrupted else "."))
    return INTERRUPTED if history.interrupted else 0


def run_sample(args, parser) -> int:
    import torch

    from .games import generator_from_checkpoint
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
    labels = None
    if args.label is not None:
        from .data import CLASS_NAMES

        names = CLASS_NAMES[cfg.dataset]
        if cfg.model != "cdcgan":
            parser.error(f"--label: {args.checkpoint} holds a {cfg.model} run, which cannot draw a class on "
                         "demand; train one that can with --model cdcgan, or leave --label out.")
        if not 0 <= args.label < len(names):
            listed = ", ".join(f"{i} {name}" for i, name in enumerate(names)) if cfg.dataset == "fashion" else "0-9"
            parser.error(f"--label {args.label}: {cfg.dataset} has the classes {listed}.")
        labels = torch.full((args.n,), args.label)
    images = generate(G, seeded_noise(args.n, cfg.noise_dim, args.seed), labels)
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
    from .checkpoint import load_checkpoint
    from .config import Config
    from .data import CLASS_NAMES, SAMPLE_DIR, DatasetNotFoundError, load_dataset
    from .diagnose import diagnose
    from .games import generator_from_checkpoint
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
    print(f"{args.checkpoint}: {cfg.model} on {cfg.dataset}, {epochs} at lr {cfg.lr:g}; both columns are compared "
          f"with {n_test:,} real test images (the real column: {n_real:,} training images).")
    print(_metrics_table(fake, real, args.n, n_real, CLASS_NAMES[cfg.dataset]))
    if cfg.model == "cdcgan":
        from .metrics import label_agreement, real_agreement

        asked = label_agreement(G, cfg.dataset, n=args.n, seed=args.seed)
        ceiling = real_agreement(cfg.dataset, data_dir)
        print(f"class asked for = class seen: {100 * asked['agreement']:.1f} % of the generated images; the "
              f"classifier is right on {100 * ceiling['agreement']:.1f} % of the real test images")
        for name, mine, best in zip(CLASS_NAMES[cfg.dataset], asked["per_class"], ceiling["per_class"]):
            print(f"  {name:<12} {100 * mine:5.1f} %   (real: {100 * best:5.1f} %)")
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


