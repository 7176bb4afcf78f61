"""Execute the notebooks as written and save them with their outputs (the committed reference).

usage: python tools/run_notebooks.py [NOTEBOOK ...]        (default: the eight, then notebooks/next/)
Runs each notebook top to bottom in a fresh kernel of this Python (nbclient), in its own folder,
then cleans volatile metadata. Full data and full epochs: GANLAB_QUICK must be off. Point
GANLAB_DATA_DIR at the datasets first. Progress bars are off (TQDM_DISABLE=1) so the saved
notebook holds the per-epoch lines rather than widget placeholders, and GANLAB_STATIC=1
so the latent explorer saves a static strip that GitHub can show.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

sys.path.insert(0, str(Path(__file__).resolve().parent))
from notebook_format import all_notebooks, clean, problems


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notebooks", nargs="*", type=Path)
    args = ap.parse_args(argv)
    if os.environ.get("GANLAB_QUICK", "0") not in ("", "0"):
        ap.error("GANLAB_QUICK is set: committed outputs must come from a full run; unset it.")
    os.environ["TQDM_DISABLE"] = "1"
    os.environ["GANLAB_STATIC"] = "1"  # static pictures instead of widgets: readable on GitHub
    paths = args.notebooks or all_notebooks()
    status = 0
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        start = time.perf_counter()
        client = NotebookClient(nb, timeout=None, kernel_name="python3", record_timing=False,
                                resources={"metadata": {"path": str(path.parent)}})
        client.execute()
        clean(nb)
        nbformat.write(nb, path)
        found = problems(nb)
        print(f"{path}: executed in {time.perf_counter() - start:.0f} s"
              + (f"; problems: {found}" if found else ""), flush=True)
        status |= bool(found)
    return status


if __name__ == "__main__":
    sys.exit(main())
