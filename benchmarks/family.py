"""The GAN family side by side: each game trained the same way, then scored on 10,000 samples.

usage: python benchmarks/family.py [--models dcgan cdcgan wgan-gp mlp] [--dataset mnist] [--epochs 20]
                                   [--seed 0] [--runs runs/family] [--n 10000] [--from MODEL=CHECKPOINT ...]
                                   [--bn-gamma-mean 1.0]

Each model trains with ganlab's train (its paper's optimizer: ``Config.for_model``; every model, the
DCGAN too, sampling its last weights, ``ema_decay=0``, and starting BatchNorm's scales at N(1, 0.02),
``bn_gamma_mean=1``: the family's recipe; ``--bn-gamma-mean 0`` starts them as the course does, into
its own rows) for ``--epochs`` epochs, seed ``--seed``, with
the per-epoch quality tracking on, saving to RUNS/DATASET/MODEL/ checkpoint.pt. A checkpoint already
there is resumed (a finished one is only scored), so an interrupted study continues where it stopped,
and a notebook's run can be scored by pointing ``--runs`` at it (notebooks/next/ train into runs/family/
there; the conditional DCGAN's page starts BatchNorm as the course does, its default: add ``--bn-gamma-mean
0`` for it), or ``--from MODEL=PATH`` at one checkpoint (``make train ARGS="--ema-decay 0 --bn-gamma-mean 1"``'s,
for the DCGAN). Each row: parameters of G and D, seconds per epoch (the median of the run's steady epochs, on
this machine: an epoch that shared the CPU does not move it), Frechet distance, modes and confidence on
``--n`` samples; for the conditional DCGAN the classifier's agreement with the class asked for, per
class, beside its accuracy on real images; for every game the correlation across epochs between its D
(or critic) numbers and the tracked distance. Rows go to
benchmarks/results/family_DATASET_EPOCHS_epochs_DEVICE.jsonl (a rerun replaces the row of the same model,
seed and BatchNorm init); the table is printed. Asserts nothing.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import torch

from ganlab import Config, train
from ganlab.config import FAMILY_RECIPE
from ganlab.games import GAMES, generator_from_checkpoint, make_game
from ganlab.metrics import evaluate, label_agreement, real_agreement
from ganlab.stats import pearson, spearman

RESULTS = Path(__file__).resolve().parent / "results"


def parameters(module) -> int:
    return sum(p.numel() for p in module.parameters())


def correlations(history) -> dict:
    """Pearson and Spearman across epochs: the tracked distance against D's loss (a DCGAN) or the
    critic's Wasserstein estimate (a WGAN-GP)."""
    signal = "wasserstein" if "wasserstein" in history.extras else "d_loss"
    values = history.extras[signal] if signal in history.extras else history.d_loss
    return {"signal": signal, "pearson": pearson(values, history.frechet),
            "spearman": spearman(values, history.frechet)}


def run(model: str, dataset: str, epochs: int, seed: int, runs: Path, n: int, checkpoint: Path | None = None,
        bn_gamma_mean: float = FAMILY_RECIPE["bn_gamma_mean"]) -> dict:
    # Every game trains and samples the family's way, the DCGAN and the conditional DCGAN too (their defaults start
    # BatchNorm as the course does; the DCGAN's also averages its weights): the table compares games. Only the
    # BatchNorm init can be asked otherwise.
    recipe = {**FAMILY_RECIPE, "bn_gamma_mean": bn_gamma_mean}
    cfg = Config.for_model(model, dataset=dataset, epochs=epochs, seed=seed, **recipe)
    checkpoint = checkpoint or runs / dataset / model / "checkpoint.pt"
    start = time.perf_counter()
    history = train(cfg, checkpoint=checkpoint, resume=checkpoint if checkpoint.is_file() else None,
                    progress=False)
    wall = time.perf_counter() - start
    G, _ = generator_from_checkpoint(checkpoint)
    game = make_game(Config.for_model(model, dataset=dataset, device="cpu"))
    row = {"model": model, "dataset": dataset, "epochs": len(history), "seed": seed, "n": n,
           "G_parameters": parameters(game.G), "D_parameters": parameters(game.D),
           "seconds_per_epoch": statistics.median(history.seconds[1:] or history.seconds),
           "wall_seconds_this_call": round(wall), "device": str(cfg.torch_device), "torch": torch.__version__,
           **{key: value for key, value in evaluate(G, dataset, n=n, seed=seed).items() if key != "histogram"},
           "correlation": correlations(history), "checkpoint": str(checkpoint), "config": cfg.to_dict()}
    if model == "cdcgan":
        asked, ceiling = label_agreement(G, dataset, n=n, seed=seed), real_agreement(dataset)
        row.update(agreement=asked["agreement"], agreement_per_class=asked["per_class"],
                   real_agreement=ceiling["agreement"], real_agreement_per_class=ceiling["per_class"])
    return row


def bn_init(row: dict) -> float:
    """The mean of the BatchNorm scales a row's run started from (rows from before the switch: the family's)."""
    return row["config"].get("bn_gamma_mean", FAMILY_RECIPE["bn_gamma_mean"])


def in_family_table(row: dict) -> bool:
    """Whether the family table (README and three pages) shows this row: seed 0, the family's recipe."""
    return row["seed"] == 0 and bn_init(row) == FAMILY_RECIPE["bn_gamma_mean"]


def key(row: dict) -> tuple:
    """What makes a row another row: the model, the seed and the BatchNorm init it trained with."""
    return row["model"], row["seed"], bn_init(row)


def save(rows: list[dict], path: Path) -> None:
    """Merge ``rows`` into the results file, replacing rows of the same model, seed and BatchNorm init."""
    kept = []
    if path.is_file():
        new = {key(row) for row in rows}
        kept = [row for row in map(json.loads, path.read_text().splitlines()) if key(row) not in new]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(row) + "\n" for row in kept + rows))


def table(rows: list[dict]) -> str:
    lines = ["| model | G params | D params | s/epoch | Frechet distance | modes | confidence | "
             "class asked = seen | corr. with distance (Pearson / Spearman) |", "|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        agree = "-"
        if "agreement" in row:
            agree = f"{100 * row['agreement']:.1f} % (real {100 * row['real_agreement']:.1f} %)"
        corr = row["correlation"]
        init = bn_init(row)
        name = row["model"] if init == FAMILY_RECIPE["bn_gamma_mean"] else \
            f"{row['model']} (BatchNorm N({init:g}, 0.02))"
        name += f", seed {row['seed']}" if row["seed"] else ""  # the family's table is seed 0
        lines.append(f"| {name} | {row['G_parameters']:,} | {row['D_parameters']:,} | "
                     f"{row['seconds_per_epoch']:.1f} | {row['frechet']:.2f} | {row['modes']} | "
                     f"{row['confidence']:.3f} | {agree} | {corr['signal']}: {corr['pearson']:.2f} / "
                     f"{corr['spearman']:.2f} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    digit_games = [model for model in GAMES if model != "dcgan64"]  # dcgan64 trains on a folder, not on digits
    ap.add_argument("--models", nargs="*", default=digit_games, choices=digit_games)
    ap.add_argument("--dataset", default="mnist", choices=("mnist", "fashion"))
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--runs", type=Path, default=Path("runs/family"))
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--bn-gamma-mean", type=float, default=FAMILY_RECIPE["bn_gamma_mean"],
                    help="BatchNorm scales start at N(this, 0.02): the family's 1.0, or the course's 0")
    ap.add_argument("--from", dest="sources", nargs="*", default=[], metavar="MODEL=CHECKPOINT",
                    help="score (and finish, if short) this checkpoint for MODEL instead of RUNS/DATASET/MODEL/")
    args = ap.parse_args(argv)
    sources = dict(source.split("=", 1) for source in args.sources)
    device = Config().torch_device.type
    path = RESULTS / f"family_{args.dataset}_{args.epochs}_epochs_{device}.jsonl"
    rows = []
    for model in args.models:
        print(f"{model}:", flush=True)
        source = Path(sources[model]) if model in sources else None
        try:
            rows.append(run(model, args.dataset, args.epochs, args.seed, args.runs, args.n, source, args.bn_gamma_mean))
        except ValueError as refused:  # a checkpoint of another recipe, a bad Config: ganlab's one-line reason
            raise SystemExit(f"family.py: {refused}") from None
        save(rows[-1:], path)
    print(f"\n{table(rows)}\n\nrows written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
