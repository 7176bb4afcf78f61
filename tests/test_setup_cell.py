"""Every notebook's first code cell (tools/notebook_format.SETUP_CELL), run as a learner's kernel would.

Off Colab it must name the fix when the kernel has no ganlab (or only a bare folder called ganlab);
on Colab it must skip the ~20 s reinstall when the right version is there, and turn a failed install
into one sentence saying what was tried. Colab is faked by a ``google.colab`` module, and pip by a
stand-in for ``subprocess.run``, so no test touches the network.
"""
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import tomllib

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
from notebook_format import SETUP_CELL  # noqa: E402

FAKE_COLAB = "import sys, types; sys.modules['google.colab'] = types.ModuleType('google.colab')\n"


def run_cell(code: str, cwd: Path, *python_flags: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *python_flags, "-c", code], cwd=cwd, capture_output=True,
                          text=True, timeout=120)


def fake_pip(returncode: int, stderr: str = "") -> str:
    """Code that replaces subprocess.run, records the call in CALLS and answers like pip would."""
    return textwrap.dedent(f"""
        import subprocess
        CALLS = []
        def _fake_run(args, **kwargs):
            CALLS.append(args)
            return subprocess.CompletedProcess(args, {returncode}, "", {stderr!r})
        subprocess.run = _fake_run
    """)


def test_the_cell_names_the_version_the_package_has():
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert f'VERSION = "{version}"' in SETUP_CELL
    import ganlab
    assert ganlab.__version__ == version


def test_off_colab_a_kernel_without_ganlab_gets_the_one_line_fix(tmp_path):
    run = run_cell(SETUP_CELL, tmp_path, "-S")  # -S: no site-packages, so no ganlab
    assert run.returncode == 1
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("ModuleNotFoundError: This kernel's Python (") and "`make lab`" in last


def test_off_colab_a_bare_folder_named_ganlab_is_not_mistaken_for_the_package(tmp_path):
    (tmp_path / "ganlab").mkdir()  # e.g. Jupyter started in the folder holding the checkout
    run = run_cell(SETUP_CELL, tmp_path, "-S")
    assert run.returncode == 1 and "has no ganlab" in run.stderr


def test_off_colab_with_ganlab_installed_the_cell_does_nothing(tmp_path):
    run = run_cell(fake_pip(0) + SETUP_CELL + "\nassert CALLS == []", tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.stdout == ""


def test_on_colab_the_right_version_is_not_reinstalled(tmp_path):
    run = run_cell(FAKE_COLAB + fake_pip(0) + SETUP_CELL + "\nassert CALLS == [], CALLS", tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith(("GPU runtime on:", "No GPU: Runtime > Change runtime type"))


def test_on_colab_another_version_is_installed_from_the_repository(tmp_path):
    cell = SETUP_CELL.replace('VERSION = "', 'VERSION = "0.0.0-old-')
    run = run_cell(FAKE_COLAB + fake_pip(0) + cell + "\nprint(CALLS)", tmp_path)
    assert run.returncode == 0, run.stderr
    assert "'pip', 'install', '-q', 'git+https://github.com/ganlab-course/ganlab@main'" in run.stdout


@pytest.mark.parametrize("stderr, said", [
    ("  error: subprocess-exited-with-error\n  × git clone --filter=blob:none --quiet https://github.com/"
     "ganlab-course/ganlab /tmp/pip-req-build-x did not run successfully.\n  │ exit code: 128\n"
     "  ╰─> [1 lines of output]"
     "\n      fatal: unable to access 'https://github.com/ganlab-course/ganlab/': Could not resolve host: github.com"
     "\n      [end of output]\n  note: This error originates from a subprocess, and is likely not a problem with pip.",
     "(fatal: unable to access 'https://github.com/ganlab-course/ganlab/': Could not resolve host: github.com)"),
    ("", "(see pip's output)"),
])
def test_on_colab_a_failed_install_says_in_one_line_what_was_tried_and_how_to_use_a_fork(tmp_path, stderr, said):
    cell = SETUP_CELL.replace('VERSION = "', 'VERSION = "0.0.0-old-')
    run = run_cell(FAKE_COLAB + fake_pip(128, stderr) + cell, tmp_path)
    assert run.returncode == 1
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("RuntimeError: Could not install ganlab from git+https://github.com/ganlab-course/ganlab@main")
    assert said in last and last.endswith("Teaching from a fork: python tools/set_repo.py OWNER/REPO")
    assert "CalledProcessError" not in run.stderr


def test_python_started_beside_a_checkout_named_ganlab_still_imports_the_package(tmp_path):
    # The checkout's root has no __init__.py: from its parent folder, `import ganlab` used to find
    # that folder first, as an empty namespace package. `make setup` installs ganlab with
    # editable_mode=compat, which puts the checkout on sys.path, where the real package wins.
    (tmp_path / "ganlab").symlink_to(ROOT, target_is_directory=True)
    run = run_cell("import ganlab; print(ganlab.generator_from_checkpoint.__module__)", tmp_path)
    assert run.returncode == 0, run.stderr.strip().splitlines()[-1]
    assert run.stdout.strip() == "ganlab.games"
