"""Which training recipe gives the best MNIST digits? One change at a time, several seeds.

Two families of rows. From the course's recipe as its notes have it (lr 0.002, real pixels in
[0, 1], RandomRotation(+-20), BatchNorm scales drawn from N(0, 0.02), the last weights sampled), one
change each; and from ganlab's recipe as the study found it (``Config(ema_decay=0, bn_gamma_mean=1)``),
one course choice (or option) put back each. The study chose its EMA row, with the course's BatchNorm
init (row 13), as today's ``Config()``. Each run trains
from scratch, its 2,000-sample distance tracked per epoch, then ``ganlab.metrics.evaluate`` scores
10,000 samples with the project's own classifier. Prints mean +- spread (half the range over seeds)
per variant, and a Markdown table for the README.

    python benchmarks/recipe_study.py                          # the study: 20 epochs, seeds 0 1 2, STUDY rows
    python benchmarks/recipe_study.py --variants default 0     # some rows, by name or number (--list)
    python benchmarks/recipe_study.py --epochs 3 --seeds 0     # a short look
    python benchmarks/recipe_study.py --table                  # the README's table from the results file, nothing run

Results go to benchmarks/results/recipe_study_DATASET_EPOCHS_epochs_DEVICE.jsonl (or --results), one
line per run as it finishes; a rerun skips the runs it already has, so an interrupted study
continues where it stopped, in this session or the next. Rows run seed by seed: after one pass
every row has a first figure.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import torch

from ganlab.config import FAMILY_RECIPE, Config
from ganlab.games import generator_from_checkpoint
from ganlab.metrics import evaluate
from ganlab.session import train

#: The course notes' recipe; the course samples its generator's last weights (no average).
COURSE = dict(lr=0.002, normalize=False, rotation=20.0, bn_gamma_mean=0.0, ema_decay=0.0)
#: One change from the course notes' recipe each.
VARIANTS = {
    "course recipe (notes)": {},
    "lr 2e-4": dict(lr=2e-4),
    "pixels in [-1, 1]": dict(normalize=True),
    "rotation off": dict(rotation=0.0),
    "BatchNorm gamma ~ N(1, 0.02)": dict(bn_gamma_mean=1.0),
    "one-sided label smoothing 0.1": dict(label_smoothing=0.1),
    "EMA of G's weights (0.999)": dict(ema_decay=0.999),
}
#: ganlab's recipe as the study found it: ``Config()`` then sampled the last weights and started BatchNorm's
#: scales at N(1, 0.02). The study's ganlab rows each put one course choice (or option) back into it; its EMA
#: row won, and with the course's BatchNorm init (row 13: no worse, and the course's value) became ``Config()``.
BASE_NAME = "ganlab before the study (EMA off)"
BEFORE_STUDY = FAMILY_RECIPE  # ganlab.config: the DCGAN's defaults before the study
GANLAB_VARIANTS = {
    "ganlab + rotation 20": dict(rotation=20.0),
    "ganlab + lr 0.002": dict(lr=0.002),
    "ganlab + course BatchNorm init N(0, 0.02)": dict(bn_gamma_mean=0.0),
    "ganlab + EMA 0.999": dict(ema_decay=0.999),
    "ganlab + reuse fakes": dict(reuse_fakes=True),
}
#: The row that is today's ``Config()`` (a test checks it), which ``--variants default`` runs.
DEFAULT_NAME = "ganlab + EMA 0.999 + course BatchNorm init"
#: The two rows whose means beat the study's base by more than its seed spread, together.
CANDIDATES = {
    "ganlab + EMA 0.999 + course BatchNorm init": dict(ema_decay=0.999, bn_gamma_mean=0.0),
}
ROWS = [*VARIANTS, BASE_NAME, *GANLAB_VARIANTS, *CANDIDATES]
#: The rows that decide the defaults (issue "Fast where learners train"): the study's default set.
STUDY = ["course recipe (notes)", "lr 2e-4", "pixels in [-1, 1]", "rotation off", BASE_NAME, *GANLAB_VARIANTS]
RESULTS = Path(__file__).resolve().parent / "results"
#: Where the README and notebook 07 put the table ``published_table()`` builds from the 20-epoch results;
#: tests/test_recipe_study.py checks both pages hold it, so a new run shows up there.
TABLE_MARKER = "<!-- RECIPE_TABLE -->"
#: The two BatchNorm inits of the averaged generator on Fashion-MNIST (rows 11 and 13, seeds 0-2, on the Intel
#: Xeon): the README and notebook 08 show ``published_table(FASHION_RESULTS)`` after FASHION_TABLE_MARKER.
FASHION_RESULTS = RESULTS / "recipe_study_fashion_20_epochs_cpu_xeon.jsonl"
FASHION_TABLE_MARKER = "<!-- FASHION_RECIPE_TABLE -->"


def results_path(dataset: str = "mnist", epochs: int = 20, device: str = "cpu") -> Path:
    """The file a study's runs are kept in: one per dataset, length and device."""
    return RESULTS / f"recipe_study_{dataset}_{epochs}_epochs_{device}.jsonl"


def read_runs(results: Path) -> list[dict]:
    """The runs stored in ``results``, one dict per line; none if there is no file yet."""
    return [json.loads(line) for line in results.read_text().splitlines() if line.strip()] if results.is_file() else []


def variant_config(name: str, seed: int, epochs: int, dataset: str) -> Config:
    from_ganlab = {BASE_NAME: {}, **GANLAB_VARIANTS, **CANDIDATES}
    if name in from_ganlab:
        return Config(**{**BEFORE_STUDY, **from_ganlab[name]}, seed=seed, epochs=epochs, dataset=dataset)
    return Config(**{**COURSE, **VARIANTS[name]}, seed=seed, epochs=epochs, dataset=dataset)


def run_one(name: str, seed: int, args) -> dict:
    cfg = variant_config(name, seed, args.epochs, args.dataset)
    checkpoint = Path(args.out) / f"{ROWS.index(name)}-seed{seed}.pt"
    checkpoint.unlink(missing_ok=True)
    start = time.perf_counter()
    history = train(cfg, checkpoint=checkpoint, progress=False)
    seconds = time.perf_counter() - start
    G, _ = generator_from_checkpoint(checkpoint)
    scores = evaluate(G, args.dataset, n=args.n)
    checkpoint.unlink()
    return {"variant": name, "seed": seed, "epochs": args.epochs, "dataset": args.dataset, "n": args.n,
            "frechet": scores["frechet"], "modes": scores["modes"], "confidence": scores["confidence"],
            "kl_uniform": scores["kl_uniform"], "train_seconds": round(seconds, 1),
            "seconds_per_epoch": [round(t, 1) for t in history.seconds], "tracked_frechet": history.frechet,
            "device": str(cfg.torch_device), "threads": torch.get_num_threads(), "config": cfg.to_dict()}


def row_name(choice: str) -> str:
    """A row's name from its number in ROWS, its name, or "default" (the row that is today's Config())."""
    if choice.isdigit() and int(choice) < len(ROWS):
        return ROWS[int(choice)]
    if choice == "default":
        return DEFAULT_NAME
    if choice in ROWS:
        return choice
    raise SystemExit(f"no row {choice!r}: give a number or name from --list")


def spread(values, digits: int = 2) -> str:
    """Mean ± half the range, to ``digits`` decimals; the mean alone for one value."""
    mean = statistics.fmean(values)
    half_range = (max(values) - min(values)) / 2
    return f"{mean:.{digits}f} ± {half_range:.{digits}f}" if len(values) > 1 else f"{mean:.{digits}f}"


def table(rows: list[dict], names: list[str]) -> str:
    """A Markdown table, one line per row name that has runs: mean ± half the range, and each seed's
    distance (seed order), since one run far off the others moves a mean of three a long way."""
    lines = ["| variant (one change from the course recipe, or from ganlab's) | Frechet distance | "
             "each seed's distance | modes | confidence | seeds |",
             "|---|---|---|---|---|---|"]
    for name in names:
        runs = sorted((r for r in rows if r["variant"] == name), key=lambda r: r["seed"])
        if runs:
            label = f"**{name} = today's Config()**" if name == DEFAULT_NAME else name
            each = ", ".join(f"{r['frechet']:.1f}" for r in runs)
            lines.append(f"| {label} | {spread([r['frechet'] for r in runs], 1)} | {each} | "
                         f"{spread([r['modes'] for r in runs], 1)} | {spread([r['confidence'] for r in runs], 3)} | "
                         f"{', '.join(str(r['seed']) for r in runs)} |")
    return "\n".join(lines)


def published_table(results: Path | None = None) -> str:
    """The table of every row with runs in ``results``, in ``--list`` order; by default the 20-epoch CPU
    study's, which the README and notebook 07 show."""
    return table(read_runs(results or results_path()), ROWS)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--dataset", choices=("mnist", "fashion"), default="mnist")
    parser.add_argument("--n", type=int, default=10_000, help="samples scored per run")
    parser.add_argument("--variants", nargs="+", default=None,
                        help="rows to run, by number or name ('default': today's Config()); default: the STUDY rows")
    parser.add_argument("--list", action="store_true", help="list the rows with their numbers and stop")
    parser.add_argument("--table", action="store_true",
                        help="print the table of the results file and stop (with the defaults on a CPU: the "
                             "README's, after its RECIPE_TABLE marker)")
    parser.add_argument("--out", default="runs/recipe_study", help="where the runs' checkpoints go meanwhile")
    parser.add_argument("--results", type=Path, default=None, help="the results file (default: benchmarks/results/)")
    args = parser.parse_args(argv)
    if args.list:
        for i, name in enumerate(ROWS):
            print(f"{i:>2}  {name}" + ("  (in the study)" if name in STUDY else ""))
        return 0
    results = args.results or results_path(args.dataset, args.epochs, Config().torch_device.type)
    if args.table:
        print(published_table(results))
        return 0
    chosen = STUDY if args.variants is None else [row_name(v) for v in args.variants]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    results.parent.mkdir(parents=True, exist_ok=True)
    rows = read_runs(results)
    rows = [r for r in rows if r["epochs"] == args.epochs and r["dataset"] == args.dataset and r["n"] == args.n]
    for seed in args.seeds:  # seed-major: after one pass every variant has a first figure
        for name in chosen:
            if any(r["variant"] == name and r["seed"] == seed for r in rows):
                continue
            print(f"--- {name}, seed {seed}", flush=True)
            row = run_one(name, seed, args)
            rows.append(row)
            with results.open("a") as f:
                f.write(json.dumps(row) + "\n")
            print(f"    distance {row['frechet']:.2f}  modes {row['modes']}  confidence {row['confidence']:.3f}  "
                  f"({row['train_seconds']:.0f} s)", flush=True)
    rows = [r for r in rows if r["seed"] in args.seeds]
    print(f"\n{args.dataset}, {args.epochs} epochs, seeds {args.seeds}, {args.n:,} samples per run, "
          f"device {rows[0]['device'] if rows else '?'}; mean ± half the range over seeds:\n")
    print(table(rows, chosen))
    return 0


if __name__ == "__main__":
    sys.exit(main())
