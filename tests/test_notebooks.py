"""The committed notebooks: executed, clean, and following the house conventions.

nbval (``make test-notebooks``) re-runs them; these checks read the committed files only.
"""
import re
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import set_repo  # noqa: E402  (tools/ is put on the path just above)
from notebook_format import BADGE_URL, NEXT, SETUP_CELL, all_notebooks, next_notebooks, problems  # noqa: E402

NOTEBOOKS = all_notebooks()
EXPECTED = ["01_configuration", "02_load_dataset", "03_batching", "04_discriminator",
            "05_generator", "06_loss", "07_training_loop", "08_fashion_mnist"]
#: Every notebook in reading order: the eight, then those of notebooks/next/.
READING_ORDER = [path.stem for path in NOTEBOOKS]


def read(path):
    return nbformat.read(path, as_version=4)


def test_all_eight_notebooks_are_there_then_the_next_ones_in_reading_order():
    assert READING_ORDER[:8] == EXPECTED
    assert READING_ORDER[8:] == [name for name in NEXT if name in READING_ORDER[8:]]
    unlisted = set((ROOT / "notebooks" / "next").glob("*.ipynb")) - set(next_notebooks())
    assert not unlisted, f"notebooks missing from notebook_format.NEXT: {sorted(p.name for p in unlisted)}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_executed_in_order_without_errors_and_clean(path):
    assert problems(read(path)) == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_house_conventions(path):
    nb = read(path)
    first, setup, last = nb.cells[0], nb.cells[1], nb.cells[-1]
    assert first.cell_type == "markdown" and first.source.startswith("# ")
    repo, branch = set_repo.current(ROOT / "README.md")
    badge = BADGE_URL.format(repo=repo, branch=branch, name=path.name)
    if path.parent.name == "next":
        badge = badge.replace("/notebooks/", "/notebooks/next/")
    assert badge in first.source
    assert "learn" in first.source.lower()
    assert setup.cell_type == "code"
    assert setup.source == SETUP_CELL.replace('"ganlab-course/ganlab"', f'"{repo}"').replace(
        'BRANCH = "main"', f'BRANCH = "{branch}"')
    assert last.cell_type == "markdown"
    if path.stem != READING_ORDER[-1]:
        following = READING_ORDER[READING_ORDER.index(path.stem) + 1]
        link = f"(next/{following}.ipynb)" if path.stem == EXPECTED[-1] else f"({following}.ipynb)"
        assert link in last.source
    assert nb.metadata["accelerator"] == "GPU"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_at_least_two_checked_cells_with_outputs(path):
    checked = [c for c in read(path).cells
               if c.cell_type == "code" and c.source.startswith("# NBVAL_CHECK_OUTPUT")]
    assert len(checked) >= 2
    assert all(c.outputs for c in checked)
    for cell in checked:  # nothing device-dependent in a cell that must match everywhere
        text = "".join(o.get("text", "") for o in cell.outputs)
        assert not re.search(r"\bcuda:\d\b|Tesla|NVIDIA", text)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_small_enough_to_open_and_to_keep_in_git(path):
    # Pictures are stored inline as base64: a long colour animation alone can pass 3 MB.
    megabytes = path.stat().st_size / 1e6
    assert megabytes < 4, f"{path.name} is {megabytes:.1f} MB: show fewer frames (progress_animation(every=3))"


def test_set_repo_rewrites_badges_and_setup_cells(tmp_path):
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "README.md").write_text((ROOT / "README.md").read_text())
    (tmp_path / "notebooks" / "next").mkdir()
    for path in NOTEBOOKS[:2] + next_notebooks()[:1]:
        folder = tmp_path / "notebooks" / ("next" if path.parent.name == "next" else "")
        (folder / path.name).write_text(path.read_text())
    set_repo.main(["teacher/dcgan-class", "--branch", "spring"], root=tmp_path)
    for path in next_notebooks()[:1]:
        rewritten = (tmp_path / "notebooks" / "next" / path.name).read_text()
        assert "github/teacher/dcgan-class/blob/spring/notebooks/next/" in rewritten
        assert "ganlab-course" not in rewritten
    assert set_repo.current(tmp_path / "README.md") == ("teacher/dcgan-class", "spring")
    nb = read(tmp_path / "notebooks" / NOTEBOOKS[0].name)
    assert "github/teacher/dcgan-class/blob/spring/notebooks/" in nb.cells[0].source
    assert 'REPO = "teacher/dcgan-class"' in nb.cells[1].source
    assert 'BRANCH = "spring"' in nb.cells[1].source
    assert "ganlab-course" not in (tmp_path / "notebooks" / NOTEBOOKS[0].name).read_text()


def test_checked_cells_do_not_depend_on_the_torch_versions_batchnorm_repr():
    from nbval.plugin import get_sanitize_patterns

    patterns = get_sanitize_patterns((ROOT / "tests" / "sanitize.cfg").read_text())
    assert patterns, "nbval read no patterns: each needs 'regex: ' and 'replace: ' with a space"

    def sanitized(text):
        for regex, replace in patterns:
            text = re.sub(regex, replace, text)
        return text

    torch_2_14 = "BatchNorm2d(16, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)"
    torch_2_11 = "BatchNorm2d(16, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)"  # Colab
    assert sanitized(torch_2_14) == sanitized(torch_2_11)
    linear = "Linear(in_features=4, out_features=1, bias=True)"  # only BatchNorm's bias= is dropped
    assert sanitized(linear) == linear
