"""nbval settings for the notebooks only: stderr never decides whether a checked cell passes.

Warnings and console progress bars go to stderr and vary with library versions and machines;
nbval would compare them like stdout. Here both the reference and the fresh run drop their
stderr streams before the comparison (errors still fail the run: they are not streams).
"""
import os

from nbval.plugin import IPyNbCell

os.environ.setdefault("TQDM_DISABLE", "1")
os.environ.setdefault("GANLAB_STATIC", "1")  # no widget front end here: the explorer draws a static strip

_compare_outputs = IPyNbCell.compare_outputs


def _without_stderr(outputs):
    return [out for out in outputs if not (out.get("output_type") == "stream" and out.get("name") == "stderr")]


def compare_outputs(self, test, ref, skip_compare=None):
    return _compare_outputs(self, _without_stderr(test), _without_stderr(ref), skip_compare)


IPyNbCell.compare_outputs = compare_outputs
