"""Point every "Open in Colab" badge and notebook setup cell at another GitHub repository.

usage: python tools/set_repo.py OWNER/REPO [--branch BRANCH]
For teachers who fork ganlab: rewrites README.md, notebooks/*.ipynb and notebooks/next/*.ipynb in one go, so the
badges open your copy and the setup cells install ganlab from it.
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BADGE = re.compile(r"colab\.research\.google\.com/github/([\w.-]+/[\w.-]+)/blob/([\w./-]+?)/notebooks/")


def current(readme: Path) -> tuple[str, str]:
    """The (owner/repo, branch) the README's badges point at now."""
    match = BADGE.search(readme.read_text())
    if not match:
        raise SystemExit(f"{readme}: no Colab badge found to take the current repository from.")
    return match.group(1), match.group(2)


def rewrite(text: str, old: tuple[str, str], new: tuple[str, str]) -> str:
    (old_repo, old_branch), (new_repo, new_branch) = old, new
    text = text.replace(f"github/{old_repo}/blob/{old_branch}/", f"github/{new_repo}/blob/{new_branch}/")
    text = text.replace(f"github.com/{old_repo}", f"github.com/{new_repo}")
    text = text.replace(f'REPO = \\"{old_repo}\\"', f'REPO = \\"{new_repo}\\"')  # inside notebook JSON
    text = text.replace(f'BRANCH = \\"{old_branch}\\"', f'BRANCH = \\"{new_branch}\\"')
    return text


def main(argv=None, root: Path = ROOT) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("repo", help="OWNER/REPO on GitHub")
    ap.add_argument("--branch", default="main")
    args = ap.parse_args(argv)
    if not re.fullmatch(r"[\w.-]+/[\w.-]+", args.repo):
        ap.error(f"repository must look like OWNER/REPO, got {args.repo!r}")
    old = current(root / "README.md")
    notebooks = [*sorted((root / "notebooks").glob("*.ipynb")), *sorted((root / "notebooks" / "next").glob("*.ipynb"))]
    files = [root / "README.md", *notebooks]
    for path in files:
        path.write_text(rewrite(path.read_text(), old, (args.repo, args.branch)))
    print(f"{old[0]}@{old[1]} -> {args.repo}@{args.branch} in {len(files)} files.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
