"""benchmarks/recipe_study.py compares what it says it compares, and prints what it measured."""
import importlib.util
import json
from pathlib import Path

import pytest

from ganlab import Config

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "recipe_study.py"
spec = importlib.util.spec_from_file_location("recipe_study", SCRIPT)
study = importlib.util.module_from_spec(spec)
spec.loader.exec_module(study)

COURSE_NOTES = dict(lr=0.002, normalize=False, rotation=20.0, bn_gamma_mean=0.0, ema_decay=0.0)


def differences(cfg: Config, base: Config) -> dict:
    return {k: v for k, v in cfg.to_dict().items() if base.to_dict()[k] != v}


def test_the_first_row_is_the_course_notes_recipe():
    cfg = study.variant_config("course recipe (notes)", seed=3, epochs=5, dataset="mnist")
    course_notes_not_ganlabs = {k: v for k, v in COURSE_NOTES.items() if k != "bn_gamma_mean"}
    assert differences(cfg, Config()) == {**course_notes_not_ganlabs, "seed": 3, "epochs": 5}
    assert cfg.bn_gamma_mean == Config().bn_gamma_mean == 0.0  # ganlab starts BatchNorm as the course does


@pytest.mark.parametrize("name", [n for n in study.VARIANTS if n != "course recipe (notes)"])
def test_each_variant_changes_exactly_one_thing_from_the_course_recipe(name):
    course = study.variant_config("course recipe (notes)", seed=0, epochs=5, dataset="mnist")
    assert len(differences(study.variant_config(name, seed=0, epochs=5, dataset="mnist"), course)) == 1


@pytest.mark.parametrize("name", list(study.GANLAB_VARIANTS))
def test_each_ganlab_row_changes_exactly_one_thing_from_the_studys_base(name):
    base = study.variant_config(study.BASE_NAME, seed=0, epochs=5, dataset="mnist")
    assert len(differences(study.variant_config(name, seed=0, epochs=5, dataset="mnist"), base)) == 1


def test_the_studys_base_is_todays_default_sampling_its_last_weights_with_the_tutorials_batchnorm_init():
    base = study.variant_config(study.BASE_NAME, seed=0, epochs=20, dataset="mnist")
    assert differences(base, Config()) == {"ema_decay": 0.0, "bn_gamma_mean": 1.0}


def test_the_candidate_row_is_the_two_rows_that_beat_the_studys_base_together():
    name, = study.CANDIDATES
    cfg = study.variant_config(name, seed=1, epochs=20, dataset="mnist")
    base = study.variant_config(study.BASE_NAME, seed=1, epochs=20, dataset="mnist")
    ema = study.variant_config("ganlab + EMA 0.999", seed=1, epochs=20, dataset="mnist")
    bn = study.variant_config("ganlab + course BatchNorm init N(0, 0.02)", seed=1, epochs=20, dataset="mnist")
    assert differences(cfg, base) == {**differences(ema, base), **differences(bn, base)}
    assert len(differences(cfg, base)) == 2 and study.row_name("13") == name and name not in study.STUDY


def test_rows_are_chosen_by_number_or_name_and_the_study_set_is_the_issues():
    assert study.row_name("7") == study.BASE_NAME and study.row_name("default") == study.DEFAULT_NAME
    assert study.row_name("lr 2e-4") == "lr 2e-4"
    assert len(study.STUDY) == 10 and all(name in study.ROWS for name in study.STUDY)
    with pytest.raises(SystemExit):
        study.row_name("99")


def test_the_default_row_is_ganlabs_default_config():
    cfg = study.variant_config(study.DEFAULT_NAME, seed=0, epochs=20, dataset="mnist")
    assert cfg == Config() and cfg.ema_decay == 0.999 and cfg.bn_gamma_mean == 0.0
    assert study.DEFAULT_NAME in study.CANDIDATES  # the study's row 13


@pytest.mark.parametrize("results", ["recipe_study_mnist_5_epochs_cpu.jsonl", "recipe_study_mnist_20_epochs_cpu.jsonl",
                                     "recipe_study_mnist_20_epochs_cpu_xeon.jsonl"])
def test_the_results_name_every_row_by_what_it_ran(results):
    """Each stored run's config, read as today's Config reads it (older field names too), is its row's."""
    lines = (study.RESULTS / results).read_text().splitlines()
    assert lines
    for line in lines:
        row = json.loads(line)
        cfg = study.variant_config(row["variant"], row["seed"], row["epochs"], row["dataset"])
        ran = Config.from_dict(row["config"])
        assert {k: v for k, v in cfg.to_dict().items() if k != "data_dir"} == \
            {k: v for k, v in ran.to_dict().items() if k != "data_dir"}, (row["variant"], row["seed"])


def test_spread_is_the_mean_and_half_the_range():
    assert study.spread([1.0, 3.0], 1) == "2.0 ± 1.0"
    assert study.spread([0.9, 0.95, 0.97], 3) == "0.940 ± 0.035"
    assert study.spread([5.0]) == "5.00"


def test_table_has_one_row_per_variant_run_in_the_given_order():
    rows = [{"variant": v, "seed": seed, "frechet": f, "modes": 10, "confidence": 0.9}
            for v, seed, f in (("lr 2e-4", 1, 20.0), ("lr 2e-4", 0, 10.0), ("course recipe (notes)", 2, 50.0))]
    rows.append({"variant": study.DEFAULT_NAME, "seed": 0, "frechet": 9.0, "modes": 10, "confidence": 0.95})
    lines = study.table(rows, ["course recipe (notes)", "lr 2e-4", "rotation off", study.DEFAULT_NAME]).splitlines()
    assert len(lines) == 5  # header, rule, and the three variants that have runs
    assert lines[4].startswith(f"| **{study.DEFAULT_NAME} = today's Config()** | 9.0 | 9.0 |")
    assert lines[2].startswith("| course recipe (notes) | 50.0 | 50.0 |") and lines[2].endswith("| 2 |")
    assert lines[3] == "| lr 2e-4 | 15.0 ± 5.0 | 10.0, 20.0 | 10.0 ± 0.0 | 0.900 ± 0.000 | 0, 1 |"  # seed order


def _table_after(page: str, marker: str) -> str:
    """The Markdown table that follows ``marker`` on ``page`` (a notebook: in the cell that holds it)."""
    text = (SCRIPT.parents[1] / page).read_text()
    if page.endswith(".ipynb"):
        text = next("".join(cell["source"]) for cell in json.loads(text)["cells"]
                    if marker in "".join(cell["source"]))
    return text.split(marker + "\n", 1)[1].split("\n\n", 1)[0]


@pytest.mark.parametrize("page", ["README.md", "notebooks/07_training_loop.ipynb"])
def test_the_published_table_is_what_the_results_file_holds(page):
    """README and notebook 07 show the 20-epoch table as the results file has it today: a run added to
    the file without the pages regenerated (python benchmarks/recipe_study.py --table) fails here."""
    expected = study.published_table()
    assert expected.count("\n") == len(study.STUDY) + len(study.CANDIDATES) + 1  # header, rule, a line per row
    assert _table_after(page, study.TABLE_MARKER) == expected


@pytest.mark.parametrize("page", ["README.md", "notebooks/08_fashion_mnist.ipynb"])
def test_the_published_fashion_table_is_what_its_results_file_holds(page):
    """The Fashion-MNIST rows (python benchmarks/recipe_study.py --table --results
    benchmarks/results/recipe_study_fashion_20_epochs_cpu_xeon.jsonl) as README and notebook 08 show them."""
    expected = study.published_table(study.FASHION_RESULTS)
    assert expected.count("\n") == 3  # header, rule, the two BatchNorm inits
    assert _table_after(page, study.FASHION_TABLE_MARKER) == expected
