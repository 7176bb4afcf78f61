"""Write a finished run as one of ganlab's shipped reference runs: its per-epoch numbers, its final
scores on 10,000 samples, and its generator's weights.

usage: python tools/make_reference_run.py CHECKPOINT [--name mnist] [--n 10000] [--band STUDY.jsonl]
The MNIST ones are `make train` runs (20 epochs, seed 0), independent of
notebook 07 so that rerunning a notebook never moves what the others compare with:
    make train && python tools/make_reference_run.py runs/mnist/checkpoint.pt --band STUDY
writes mnist-ema, today's default (the weight-averaged generator); for "mnist", the family's recipe (the last
weights, ``ema_decay=0``, and BatchNorm scales from N(1, 0.02), ``bn_gamma_mean=1``):
    make train ARGS="--ema-decay 0 --bn-gamma-mean 1 --out runs/last"
    python tools/make_reference_run.py runs/last/mnist/checkpoint.pt --band STUDY
(STUDY: the recipe study's results on the CPU the run was made on, e.g.
benchmarks/results/recipe_study_mnist_20_epochs_cpu_xeon.jsonl for mnist-ema); commit
ganlab/reference_runs/NAME.json and NAME_G.pt (ganlab.history.reference_run and ganlab.games.reference_generator
read them). The weights are stored as float16 (half the size; the images they draw differ from float32's by
under 1/100 of a grey level, far below what the scores notice), the scores are those of the float32 generator.
``--band`` adds the per-epoch tracked distances of the recipe study's runs of the checkpoint's recipe
(benchmarks/recipe_study.py; every field but the seed alike), one per other seed, for the band
``ganlab.history.reference_band`` draws; the floor (2,000 real training images against the test set, as
``train`` tracks) is measured here.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from ganlab.checkpoint import load_checkpoint  # noqa: E402
from ganlab.config import Config  # noqa: E402
from ganlab.games import generator_from_checkpoint  # noqa: E402
from ganlab.history import REFERENCE_RUNS, History  # noqa: E402
from ganlab.metrics import TRACK_SAMPLES, evaluate, reference  # noqa: E402

#: Fields that may differ between a study run and the checkpoint for the run to join the band.
NOT_THE_RECIPE = ("seed", "data_dir", "device")


def recipe(config: dict) -> dict:
    """A saved Config's fields as today's Config reads them (older names, missing fields), less NOT_THE_RECIPE."""
    values = Config.from_dict(config, device="auto").to_dict()
    return {k: v for k, v in values.items() if k not in NOT_THE_RECIPE}


def band_runs(config: dict, tracked: list, rows: list[dict]) -> dict:
    """Per-epoch tracked distances by seed: this run's own for its seed, and the study runs (``rows``) of the
    same recipe and length for the other seeds. A study run of this run's seed, perhaps made on another CPU,
    does not replace the run the band is shipped with."""
    runs = {str(config["seed"]): tracked}
    for row in rows:
        if recipe(row["config"]) == recipe(config) and len(row.get("tracked_frechet", [])) == len(tracked):
            runs.setdefault(str(row["seed"]), row["tracked_frechet"])
    return runs


def default_name(config: dict) -> str:
    """The dataset's name, with "-ema" for a run that sampled the average of G's weights."""
    cfg = Config.from_dict(config, device="auto")
    return cfg.dataset + ("-ema" if cfg.ema_decay else "")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("checkpoint", type=Path)
    ap.add_argument("--name", default=None, help="file in ganlab/reference_runs/ (default: dataset, -ema if averaged)")
    ap.add_argument("--n", type=int, default=10_000, help="samples the final scores are taken on")
    ap.add_argument("--band", type=Path, default=None, help="study results: runs of this recipe make the band")
    args = ap.parse_args(argv)
    state = load_checkpoint(args.checkpoint)
    history = History.from_dict(state["history"])
    name = args.name or default_name(state["config"])
    command = f"python tools/make_reference_run.py {args.checkpoint.as_posix()}" + (
        f" --name {args.name}" if args.name else "") + (f" --band {args.band.as_posix()}" if args.band else "")
    G, cfg = generator_from_checkpoint(args.checkpoint)
    scores = evaluate(G, cfg.dataset, n=args.n)
    rows = [json.loads(line) for line in args.band.read_text().splitlines()] if args.band else []
    band = {"floor": reference(cfg.dataset, n=TRACK_SAMPLES)["frechet"],
            "runs": band_runs(state["config"], history.frechet, rows)}
    if args.band and len(band["runs"]) == 1:
        print(f"warning: no run of this recipe and another seed in {args.band}: the band holds this run alone")
    record = {"about": f"a {len(history)}-epoch run of ganlab's {cfg.model} on {cfg.dataset}: per-epoch numbers "
                       f"(distance on 2,000 tracked samples) and the last epoch's scores on {args.n:,} samples",
              "made_by": command, "config": state["config"], "evaluation": {"n": args.n, **scores}, "band": band,
              "epochs": json.loads(history.to_json())}
    REFERENCE_RUNS.mkdir(exist_ok=True)
    path = REFERENCE_RUNS / f"{name}.json"
    path.write_text(json.dumps(record, indent=1) + "\n")
    weights = {key: value.half() if value.is_floating_point() else value for key, value in G.state_dict().items()}
    torch.save(weights, REFERENCE_RUNS / f"{name}_G.pt")
    print(f"wrote {path.relative_to(ROOT)} ({len(history)} epochs; distance {scores['frechet']:.2f} on "
          f"{args.n:,} samples) and {name}_G.pt")
    return 0


if __name__ == "__main__":
    sys.exit(main())
