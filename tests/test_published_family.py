"""The family table (README and the three notebooks that repeat it) says what benchmarks/results holds.

The table is written by hand (it adds parameter counts, a footnote and each game's own check), so a
re-scored run, or a copy edited in one place only, would leave the pages disagreeing with the file
and with each other. These tests read the file and every copy of the table.
"""
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "family_mnist_20_epochs_cpu.jsonl"
PAGES = ["README.md", "notebooks/next/why_convolutions.ipynb", "notebooks/next/conditional_dcgan.ipynb",
         "notebooks/next/wgan_gp.ipynb"]
HEADER = "| game | G parameters | D parameters | s per epoch | Fréchet distance | modes | confidence | its own check |"
#: How each row of the published table starts, and the results file's name for its game.
ROW_STARTS = {"| DCGAN (the course's": "dcgan", "| conditional DCGAN": "cdcgan", "| WGAN-GP": "wgan-gp",
              "| fully connected": "mlp"}


def published_table(page: str) -> list[str]:
    """The lines of the family table on ``page`` (a markdown file or a notebook's markdown cells)."""
    text = (ROOT / page).read_text(encoding="utf-8")
    if page.endswith(".ipynb"):
        text = "\n".join("".join(cell["source"]) for cell in json.loads(text)["cells"]
                         if cell["cell_type"] == "markdown")
    assert text.count(HEADER) == 1, f"{page} should show the family table once"
    lines = text.split(HEADER, 1)[1].split("\n\n", 1)[0].strip().splitlines()
    return lines[1:]  # after the |---| rule


def results() -> dict:
    return {row["model"]: row for row in map(json.loads, RESULTS.read_text().splitlines())}


def cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def test_every_page_shows_the_same_table():
    tables = {page: published_table(page) for page in PAGES}
    assert all(table == tables["README.md"] for table in tables.values()), \
        [page for page, table in tables.items() if table != tables["README.md"]]


def test_a_table_of_other_numbers_is_caught():
    """The checks below must fail on a table whose figures differ from the file's."""
    row, line = results()["dcgan"], next(line for line in published_table("README.md") if "DCGAN (the course's" in line)
    assert figures_disagree(line.replace("16.24", "16.42"), row)
    assert not figures_disagree(line, row)


def figures_disagree(line: str, row: dict) -> list[str]:
    """The columns of ``line`` that do not say what ``row`` (the results file's line) says."""
    game, g_params, d_params, seconds, frechet, modes, confidence, check = cells(line)
    wrong = []
    if g_params != f"{row['G_parameters']:,}" or d_params != f"{row['D_parameters']:,}":
        wrong.append("parameters")
    if "(a)" not in seconds and seconds != f"{row['seconds_per_epoch']:.1f}":  # (a): a footnote says why
        wrong.append("seconds")
    decimals = len(frechet.split(".")[1])
    if frechet != f"{row['frechet']:.{decimals}f}" or decimals < 1:
        wrong.append("frechet")
    if modes != str(row["modes"]) or confidence != f"{row['confidence']:.3f}":
        wrong.append("modes or confidence")
    corr = row["correlation"]
    pearson_and_spearman = f"Pearson {corr['pearson']:.2f}, Spearman {corr['spearman']:.2f}"
    if corr["signal"] == "wasserstein" and pearson_and_spearman not in check:
        wrong.append("correlation")
    if row["model"] == "dcgan" and f"Spearman {corr['spearman']:.2f}".replace("-", "−") not in check:
        wrong.append("correlation")
    if "agreement" in row and not re.search(
            rf"{100 * row['agreement']:.1f} %.*{100 * row['real_agreement']:.1f} %", check):
        wrong.append("agreement")
    return wrong


@pytest.mark.parametrize("start,model", list(ROW_STARTS.items()))
def test_each_row_says_what_the_results_file_holds(start, model):
    row = results()[model]
    line = next(line for line in published_table("README.md") if line.startswith(start))
    assert figures_disagree(line, row) == []


def test_a_footnoted_time_is_explained_under_the_table_with_the_files_figure():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for line in published_table("README.md"):
        if "(a)" in cells(line)[3]:
            model = next(model for start, model in ROW_STARTS.items() if line.startswith(start))
            assert "(a) " in readme.split(HEADER, 1)[1]
            assert f"{results()[model]['seconds_per_epoch']:.1f}" in readme.split(HEADER, 1)[1].split("\n## ", 1)[0]
