"""tools/make_reference_run.py names the file by what the run sampled, and builds the band from runs of its recipe."""
import importlib.util
from pathlib import Path

from ganlab.config import Config

SCRIPT = Path(__file__).resolve().parent.parent / "tools" / "make_reference_run.py"
spec = importlib.util.spec_from_file_location("make_reference_run", SCRIPT)
tool = importlib.util.module_from_spec(spec)
spec.loader.exec_module(tool)


def test_a_run_that_sampled_the_average_is_written_as_dataset_ema():
    assert tool.default_name(Config().to_dict()) == "mnist-ema"
    assert tool.default_name(Config(ema_decay=0.0).to_dict()) == "mnist"
    assert tool.default_name(Config(dataset="fashion").to_dict()) == "fashion-ema"


def test_the_band_takes_runs_of_the_same_recipe_from_any_seed_and_any_saved_format():
    run = Config(seed=0).to_dict()
    assert tool.recipe(Config(seed=2, data_dir="/data").to_dict()) == tool.recipe(run)
    assert tool.recipe(Config(seed=2, ema_decay=0.0).to_dict()) != tool.recipe(run)
    assert tool.recipe(Config(epochs=5).to_dict()) != tool.recipe(run)
    older = {k: v for k, v in Config(ema_decay=0.0).to_dict().items() if k not in ("ema_decay", "batches_on_device")}
    older["fast"] = True  # saved before batches_on_device and ema_decay existed: the last weights, batches on device
    assert tool.recipe(older) == tool.recipe(Config(ema_decay=0.0).to_dict())


def test_the_band_keeps_the_runs_own_curve_for_its_seed_and_adds_other_seeds_of_its_recipe():
    run = Config(seed=0).to_dict()
    rows = [{"seed": 0, "config": run, "tracked_frechet": [9.0, 8.0]},  # the same seed, another CPU
            {"seed": 1, "config": Config(seed=1).to_dict(), "tracked_frechet": [7.0, 6.0]},
            {"seed": 2, "config": Config(seed=2, ema_decay=0.0).to_dict(), "tracked_frechet": [5.0, 4.0]},  # recipe
            {"seed": 3, "config": Config(seed=3).to_dict(), "tracked_frechet": [3.0]}]  # another length
    assert tool.band_runs(run, [10.0, 9.5], rows) == {"0": [10.0, 9.5], "1": [7.0, 6.0]}
