"""What every committed notebook must look like, and how to strip what changes between runs.

usage: python tools/notebook_format.py [--check] [NOTEBOOK ...]
Without --check: clean the notebooks in place (drop widget state, Colab ids and execution
timings; set the Colab GPU metadata). With --check: list what is not clean, exit 1 if any.
Used by tools/run_notebooks.py after executing and by tests/test_notebooks.py.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
#: The GANs a learner meets after the eight, in reading order (notebooks/next/NAME.ipynb).
NEXT = ["why_convolutions", "gan_clinic", "conditional_dcgan", "wgan_gp", "your_own_images", "spot_the_fake"]
#: Notebook metadata asking Colab for a GPU runtime, and naming the kernel.
METADATA = {
    "accelerator": "GPU",
    "colab": {"gpuType": "T4", "provenance": []},
    "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
}
VOLATILE_CELL_KEYS = ("execution", "colab", "id", "outputId", "collapsed", "scrolled")
#: The first code cell of every notebook, word for word (tools/set_repo.py rewrites REPO/BRANCH).
SETUP_CELL = """\
# Setup. On Colab: install ganlab from GitHub (once per runtime). Elsewhere: check this kernel has it.
import importlib.util
import subprocess
import sys

REPO = "ganlab-course/ganlab"  # teaching from a fork? python tools/set_repo.py OWNER/REPO
BRANCH = "main"
VERSION = "0.2.0"  # the ganlab these notebooks were run with
spec = importlib.util.find_spec("ganlab")
installed = spec is not None and spec.origin not in (None, "namespace")  # a bare folder named ganlab is not it
if "google.colab" in sys.modules:
    from importlib.metadata import version

    if not installed or version("ganlab") != VERSION:
        url = f"git+https://github.com/{REPO}@{BRANCH}"
        pip = subprocess.run([sys.executable, "-m", "pip", "install", "-q", url], capture_output=True, text=True)
        if pip.returncode != 0:
            lines = [line.strip() for line in pip.stderr.splitlines()]
            said = next((line for line in lines if line.startswith(("fatal:", "ERROR:"))), "see pip's output")
            raise RuntimeError(f"Could not install ganlab from {url} ({said}). Is the repository public and "
                               "reachable? Teaching from a fork: python tools/set_repo.py OWNER/REPO") from None
    import torch

    if torch.cuda.is_available():
        print("GPU runtime on:", torch.cuda.get_device_name(0))
    else:
        print("No GPU: Runtime > Change runtime type > T4 GPU > Save, then Runtime > Run all.")
elif not installed:
    raise ModuleNotFoundError(f"This kernel's Python ({sys.executable}) has no ganlab: start JupyterLab from the "
                              "project with `make lab`, or run `pip install -e PATH/TO/ganlab` with it.") from None"""
BADGE_URL = "https://colab.research.google.com/github/{repo}/blob/{branch}/notebooks/{name}"


def numbered_notebooks() -> list[Path]:
    """The eight course notebooks, 01_... to 08_..."""
    return sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def next_notebooks() -> list[Path]:
    """The notebooks of notebooks/next/ that exist, in reading order."""
    return [NOTEBOOKS / "next" / f"{name}.ipynb" for name in NEXT if (NOTEBOOKS / "next" / f"{name}.ipynb").is_file()]


def all_notebooks() -> list[Path]:
    """Every committed notebook: the eight, then notebooks/next/."""
    return numbered_notebooks() + next_notebooks()


def clean(nb) -> None:
    """Strip volatile metadata in place, keeping outputs, execution counts and cell ids."""
    nb.metadata = nbformat.from_dict(METADATA)
    for cell in nb.cells:
        for key in VOLATILE_CELL_KEYS:
            cell.metadata.pop(key, None)


def problems(nb) -> list[str]:
    """What is wrong with a committed notebook: unrun, failed, out of order, or not clean."""
    found = []
    code = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]
    counts = [c.execution_count for c in code]
    if any(n is None for n in counts):
        found.append("has unexecuted code cells")
    elif counts != list(range(1, len(code) + 1)):
        found.append(f"cells were not executed top to bottom once (execution counts {counts})")
    for cell in code:
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                found.append(f"has an error output ({out.ename})")
            if out.output_type == "stream" and out.name == "stderr" and "Traceback" in out.text:
                found.append("has a traceback on stderr")
    if dict(nb.metadata) != METADATA:
        found.append("notebook metadata is not clean (run tools/notebook_format.py)")
    if any(key in c.metadata for c in nb.cells for key in VOLATILE_CELL_KEYS):
        found.append("cell metadata holds volatile keys (run tools/notebook_format.py)")
    return found


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="report, change nothing")
    ap.add_argument("notebooks", nargs="*", type=Path)
    args = ap.parse_args(argv)
    paths = args.notebooks or all_notebooks()
    status = 0
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        if args.check:
            for problem in problems(nb):
                print(f"{path}: {problem}")
                status = 1
        else:
            clean(nb)
            nbformat.write(nb, path)
    return status


if __name__ == "__main__":
    sys.exit(main())
