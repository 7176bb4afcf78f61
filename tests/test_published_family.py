"""The family table (README and the three notebooks that repeat it) says what benchmarks/results holds.

The table is written by hand (it adds parameter counts, a footnote and each game's own check), so a
re-scored run, or a copy edited in one place only, would leave the pages disagreeing with the file
and with each other. These tests read the file and every copy of the table.
"""
import importlib.util
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("family", ROOT / "benchmarks" / "family.py")
family = importlib.util.module_from_spec(spec)
spec.loader.exec_module(family)
RESULTS = ROOT / "benchmarks" / "results" / "family_mnist_20_epochs_cpu.jsonl"
PAGES = ["README.md", "notebooks/next/why_convolutions.ipynb", "notebooks/next/conditional_dcgan.ipynb",
         "notebooks/next/wgan_gp.ipynb"]
HEADER = "| game | G parameters | D parameters | s per epoch | Fréchet distance | modes | confidence | its own check |"
#: How each row of the published table starts, and the results file's name for its game.
ROW_STARTS = {"| DCGAN (the course's": "dcgan", "| conditional DCGAN": "cdcgan", "| WGAN-GP": "wgan-gp",
              "| fully connected": "mlp"}


def page_text(page: str) -> str:
    """A markdown file's text, or a notebook's markdown cells joined."""
    text = (ROOT / page).read_text(encoding="utf-8")
    if page.endswith(".ipynb"):
        text = "\n".join("".join(cell["source"]) for cell in json.loads(text)["cells"]
                         if cell["cell_type"] == "markdown")
    return text


def published_table(page: str) -> list[str]:
    """The lines of the family table on ``page`` (a markdown file or a notebook's markdown cells)."""
    text = page_text(page)
    assert text.count(HEADER) == 1, f"{page} should show the family table once"
    lines = text.split(HEADER, 1)[1].split("\n\n", 1)[0].strip().splitlines()
    return lines[1:]  # after the |---| rule


def results() -> dict:
    """The results file's row of each game the table shows: seed 0, trained with the family's recipe
    (``benchmarks/family.py --bn-gamma-mean 0`` and ``--seed`` add other rows beside them)."""
    rows = [row for row in map(json.loads, RESULTS.read_text().splitlines()) if family.in_family_table(row)]
    assert len({row["model"] for row in rows}) == len(rows), "one table row per game"
    return {row["model"]: row for row in rows}


def cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def test_every_page_shows_the_same_table():
    tables = {page: published_table(page) for page in PAGES}
    assert all(table == tables["README.md"] for table in tables.values()), \
        [page for page, table in tables.items() if table != tables["README.md"]]


@pytest.mark.parametrize("model,old,new", [("dcgan", "747,841", "747,842"), ("dcgan", "64,545", "64,554"),
                                           ("dcgan", "| 41.0 |", "| 41.1 |"), ("dcgan", "16.24", "16.42"),
                                           ("dcgan", "| 10 |", "| 9 |"), ("dcgan", "0.942", "0.924"),
                                           ("dcgan", "−0.44", "−0.45"), ("cdcgan", "97.1 %", "97.7 %"),
                                           ("cdcgan", "99.2 %", "99.9 %"), ("wgan-gp", "Pearson 0.91", "Pearson 0.19")])
def test_a_table_of_other_numbers_is_caught(model, old, new):
    """The checks below must fail on a row with any one figure changed, and pass on the row as published."""
    start = next(start for start, name in ROW_STARTS.items() if name == model)
    line = next(line for line in published_table("README.md") if line.startswith(start))
    assert line.count(old) == 1
    assert figures_disagree(line.replace(old, new), results()[model])
    assert not figures_disagree(line, results()[model])


def figures_disagree(line: str, row: dict) -> list[str]:
    """The columns of ``line`` that do not say what ``row`` (the results file's line) says."""
    game, g_params, d_params, seconds, frechet, modes, confidence, check = cells(line.replace("−", "-"))
    wrong = []
    if g_params != f"{row['G_parameters']:,}" or d_params != f"{row['D_parameters']:,}":
        wrong.append("parameters")
    if "(a)" not in seconds and seconds != f"{row['seconds_per_epoch']:.1f}":  # (a): a footnote says why
        wrong.append("seconds")
    decimals = len(frechet.partition(".")[2])
    if decimals < 1 or frechet != f"{row['frechet']:.{decimals}f}":
        wrong.append("frechet")
    if modes != str(row["modes"]) or confidence != f"{row['confidence']:.3f}":
        wrong.append("modes or confidence")
    corr = row["correlation"]
    pearson_and_spearman = f"Pearson {corr['pearson']:.2f}, Spearman {corr['spearman']:.2f}"
    if corr["signal"] == "wasserstein" and pearson_and_spearman not in check:
        wrong.append("correlation")
    if row["model"] == "dcgan" and f"Spearman {corr['spearman']:.2f}" not in check:
        wrong.append("correlation")
    agreement = re.escape(f"{100 * row.get('agreement', 0):.1f} %")
    real_agreement = re.escape(f"{100 * row.get('real_agreement', 0):.1f} %")
    if "agreement" in row and not re.search(f"{agreement}.*{real_agreement}", check):
        wrong.append("agreement")
    return wrong


@pytest.mark.parametrize("start,model", list(ROW_STARTS.items()))
def test_each_row_says_what_the_results_file_holds(start, model):
    row = results()[model]
    line = next(line for line in published_table("README.md") if line.startswith(start))
    assert figures_disagree(line, row) == []


@pytest.mark.parametrize("page", PAGES)
def test_a_footnoted_time_is_explained_under_the_table_with_the_files_figure(page):
    """A time marked (a) differs from the file's on purpose: the footnote must say why and give the file's figure."""
    text = page_text(page)
    marked = [line for line in published_table(page) if "(a)" in cells(line)[3]]
    assert marked, "the table's footnoted time is gone: update this test with the table"
    for line in marked:
        model = next(model for start, model in ROW_STARTS.items() if line.startswith(start))
        footnote = re.search(r"^\(a\) (.*?)(?:\n\n|\Z)", text.split(HEADER, 1)[1], re.M | re.S)
        assert footnote, f"{page}: no footnote (a) under the table"
        assert f"{results()[model]['seconds_per_epoch']:.1f}" in footnote.group(1)
