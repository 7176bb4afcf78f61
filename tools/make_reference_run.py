"""Write the per-epoch numbers of a finished run as one of ganlab's shipped reference runs.

usage: python tools/make_reference_run.py CHECKPOINT [--name mnist]
The MNIST one is notebook 07's committed run: after tools/run_notebooks.py has executed 07, run
    python tools/make_reference_run.py notebooks/runs/notebook07/checkpoint.pt
and commit ganlab/reference_runs/mnist.json beside the notebook (ganlab.history.reference_run reads it).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from ganlab.checkpoint import load_checkpoint  # noqa: E402
from ganlab.history import REFERENCE_RUNS, History  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("checkpoint", type=Path)
    ap.add_argument("--name", default=None, help="file name under ganlab/reference_runs/ (default: the dataset)")
    args = ap.parse_args(argv)
    state = load_checkpoint(args.checkpoint)
    history = History.from_dict(state["history"])
    name = args.name or state["config"]["dataset"]
    command = f"python tools/make_reference_run.py {args.checkpoint.as_posix()}" + (
        f" --name {args.name}" if args.name else "")
    record = {"about": f"per-epoch numbers of a {len(history)}-epoch run of ganlab's default recipe",
              "made_by": command, "config": state["config"], "epochs": json.loads(history.to_json())}
    REFERENCE_RUNS.mkdir(exist_ok=True)
    path = REFERENCE_RUNS / f"{name}.json"
    path.write_text(json.dumps(record, indent=1) + "\n")
    print(f"wrote {path.relative_to(ROOT)}: {len(history)} epochs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
