# The README's two commands. Each builds .venv from the requirements files on first use.
#   make train   train the default DCGAN on MNIST (20 epochs) and write its samples to runs/mnist/
#   make test    ruff, the unit tests (a real-browser test included), then every notebook under nbval
# And: make lab (JupyterLab from .venv), make test-colab (the notebooks under Colab's package versions).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.ganlab-installed
PIP    := $(BIN)/python -m pip --disable-pip-version-check -q
QUIET  := grep -v "is ignored: it is neither a file nor a directory" || true

COLAB_PYTHON ?= python3.12
COLAB_VENV   := .venv-colab
# Saved notebooks keep their widgets' state, so one reopened after a run shows them, not "model not found".
LAB_SETTINGS := $(VENV)/share/jupyter/lab/settings/overrides.json

.PHONY: setup train test test-unit test-notebooks test-colab browser lab clean

setup: $(STAMP)

$(STAMP): requirements.txt requirements-test.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -r requirements.txt -r requirements-test.txt 2>&1 | $(QUIET)
	$(PIP) install --no-deps -e . --config-settings editable_mode=compat 2>&1 | $(QUIET)
	$(BIN)/python -c "import ganlab, torch, torchvision, nbval, torchsummary, ipywidgets, selenium"
	$(BIN)/ruff --version
	mkdir -p $(dir $(LAB_SETTINGS)) && cp tools/jupyterlab/overrides.json $(LAB_SETTINGS)
	touch $(STAMP)

train: $(STAMP)
	$(BIN)/python -m ganlab train --keep-best $(ARGS)

lab: $(STAMP)
	$(BIN)/python -m jupyter lab --ServerApp.root_dir=notebooks

test: test-unit test-notebooks

# Debian's Chromium and its driver, for tests/test_browser.py; that test skips, saying why, without them.
browser:
	@if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  (apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null) \
	  || echo "Could not install chromium: the browser test will be skipped."; \
	else echo "chromium not found and not root: the browser test will be skipped."; fi

test-unit: $(STAMP) browser
	$(BIN)/ruff check .
	$(BIN)/python -m pytest tests -rs --durations=10

test-notebooks: $(STAMP)
	GANLAB_QUICK=1 TQDM_DISABLE=1 $(BIN)/python -m pytest notebooks --nbval-lax --nbval-current-env \
		--nbval-sanitize-with tests/sanitize.cfg --durations=10 -p no:cacheprovider

# Colab's versions (requirements-colab.txt) in their own venv, ganlab installed as Colab installs it
# (not editable); the unit tests of what differs there (widgets, display, torch's modules, the CPU path's
# kernels), then every notebook under nbval as in test-notebooks. Not part of `make test`.
test-colab:
	@command -v $(COLAB_PYTHON) >/dev/null || { echo "$(COLAB_PYTHON) not found: set COLAB_PYTHON=python3.x"; exit 1; }
	test -x $(COLAB_VENV)/bin/python || $(COLAB_PYTHON) -m venv $(COLAB_VENV)
	$(COLAB_VENV)/bin/python -m pip --disable-pip-version-check -q install -r requirements-colab.txt 2>&1 | $(QUIET)
	$(COLAB_VENV)/bin/python -m pip --disable-pip-version-check -q install --no-deps --force-reinstall . 2>&1 | $(QUIET)
	$(COLAB_VENV)/bin/python -c "import sys, torch, torchvision, ipywidgets; print('Colab versions: Python', \
		sys.version.split()[0], 'torch', torch.__version__, 'torchvision', torchvision.__version__, 'ipywidgets', \
		ipywidgets.__version__)"
	$(COLAB_VENV)/bin/python -m pytest -q tests/test_explorer.py tests/test_dashboard.py tests/test_progress.py \
		tests/test_setup_cell.py tests/test_models.py tests/test_detect.py tests/test_speed.py
	cd notebooks && GANLAB_QUICK=1 TQDM_DISABLE=1 ../$(COLAB_VENV)/bin/python -m pytest . --nbval-lax \
		--nbval-current-env --nbval-sanitize-with ../tests/sanitize.cfg -p no:cacheprovider -q

clean:
	rm -rf $(VENV) $(COLAB_VENV) runs notebooks/runs
