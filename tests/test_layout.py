"""The package's house rules: layers import downwards, and every public name says where it is taught."""
import importlib.util
import inspect
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import ganlab

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def load_tool():
    spec = importlib.util.spec_from_file_location("import_graph", ROOT / "tools" / "import_graph.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_no_module_imports_one_above_it():
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "import_graph.py")],
                            capture_output=True, text=True)
    print(result.stdout)
    assert result.returncode == 0, result.stdout
    assert "train <- config, history, progress, losses" in result.stdout  # the loop knows no metrics, no display


def test_the_graph_check_catches_an_upward_import_and_an_unknown_module():
    tool = load_tool()
    problems = tool.violations({"train": {"metrics"}, "metrics": {"train"}, "extra": set()})
    assert "train imports metrics, which sits above it" in problems
    assert not any(p.startswith("metrics imports") for p in problems)
    assert any(p.startswith("extra is in no layer") for p in problems)


def test_imports_of_the_package_face_count_too(tmp_path):
    tool = load_tool()
    module = tmp_path / "m.py"
    module.write_text("import ganlab\nfrom ganlab import train, Config\nfrom . import metrics\n")
    assert tool.imports_of(module) == {"__init__", "train", "metrics"}


def test_train_module_stays_short():
    assert len((ROOT / "ganlab" / "train.py").read_text().splitlines()) <= 150


def docstring_of(name: str) -> str:
    """The object's docstring, or for a constant the ``#:`` comment above its assignment."""
    obj = getattr(ganlab, name)
    if inspect.isclass(obj) or callable(obj):
        return inspect.getdoc(obj) or ""
    for module in (m for m in sys.modules.values() if getattr(m, "__name__", "").startswith("ganlab.")):
        lines = inspect.getsource(module).splitlines()
        for i, line in enumerate(lines):
            if line.startswith(f"{name} ="):
                comments = []
                while i > 0 and lines[i - 1].startswith("#:"):
                    i -= 1
                    comments.insert(0, lines[i][2:])
                return " ".join(comments)
    return ""


def notebook_code(number: str) -> str:
    path = next(p for p in NOTEBOOKS if p.name.startswith(number))
    cells = json.loads(path.read_text())["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")


@pytest.mark.parametrize("name", ganlab.__all__)
def test_every_public_name_names_the_notebooks_that_use_it(name):
    found = re.search(r"Taught in notebooks? ([^.]*)\.", " ".join(docstring_of(name).split()))
    assert found, f"ganlab.{name}'s docstring lacks its 'Taught in notebook NN.' footer"
    numbers = re.findall(r"\b\d\d\b", found.group(1))
    assert numbers, f"ganlab.{name}'s footer names no notebook: {found.group(0)!r}"
    for number in numbers:
        assert re.search(rf"\b{name}\b", notebook_code(number)), \
            f"ganlab.{name} says notebook {number} teaches it, but that notebook's code never uses it"
