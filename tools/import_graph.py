"""Print which ganlab module imports which, and fail if one imports a module above it.

    python tools/import_graph.py          # the graph, one line per module, and any violation

The layers, bottom to top; a module may import from its own layer's earlier modules and from
any layer below, never from above. Imports inside functions count too: a lazy import is
still a dependency.
"""
from __future__ import annotations

import ast
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "ganlab"

#: Bottom to top. Within a layer, order matters too: a module sits above those listed before it.
LAYERS = [
    ["config", "sampling", "stats", "history", "idx", "folder", "progress"],
    ["data", "models", "losses", "ema", "speed"],
    ["train", "checkpoint"],
    ["game", "conditional", "wgan", "mlp", "dcgan64", "clinic", "games", "hooks"],
    ["classifier", "metrics", "control", "detect"],
    ["viz", "diagnose", "dashboard", "explorer", "quiz", "notebook"],
    ["session"],
    ["__init__", "commands", "__main__"],
]
RANK = {name: rank for rank, name in enumerate(name for layer in LAYERS for name in layer)}


def imports_of(path: Path) -> set[str]:
    """The ganlab modules ``path`` imports (relative ``from .x import`` or ``ganlab.x``)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1 and node.module:
                found.add(node.module.split(".")[0])
            elif node.level == 1 or node.module == "ganlab":  # from . import x, from ganlab import x
                found.update(_module_or_face(alias.name) for alias in node.names)
            elif node.module and node.module.startswith("ganlab."):
                found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "ganlab":
                    found.add("__init__")
                elif alias.name.startswith("ganlab."):
                    found.add(alias.name.split(".")[1])
    return found


def _module_or_face(name: str) -> str:
    """``from ganlab import x``: the module x if it is one, else the package face (``__init__``)."""
    return name if (PACKAGE / f"{name}.py").is_file() else "__init__"


def graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    """{module: the ganlab modules it imports} for every module of the package."""
    return {path.stem: imports_of(path) for path in sorted(package.glob("*.py"))}


def violations(edges: dict[str, set[str]]) -> list[str]:
    """One sentence per import of a module above the importer, or of a module not in LAYERS."""
    problems = [f"{name} is in no layer: add it to LAYERS in tools/import_graph.py"
                for name in sorted(set(edges) | set().union(*edges.values())) if name not in RANK]
    for module, imported in sorted(edges.items()):
        for target in sorted(imported):
            if module in RANK and target in RANK and RANK[target] >= RANK[module]:
                problems.append(f"{module} imports {target}, which sits above it")
    return problems


def main() -> int:
    edges = graph()
    for module in sorted(edges, key=lambda name: RANK.get(name, -1)):
        print(f"{module:>10} <- {', '.join(sorted(edges[module], key=RANK.get)) or '(nothing of ganlab)'}")
    problems = violations(edges)
    for problem in problems:
        print("VIOLATION:", problem)
    print("no module imports one above it" if not problems else f"{len(problems)} violation(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
