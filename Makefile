# The README's two commands. Each builds .venv from the requirements files on first use.
#   make train   train the default DCGAN on MNIST (20 epochs) and write its samples to runs/mnist/
#   make test    ruff, the unit tests (a real-browser test included), then every notebook under nbval
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.ganlab-installed
PIP    := $(BIN)/python -m pip --disable-pip-version-check -q
QUIET  := grep -v "is ignored: it is neither a file nor a directory" || true

.PHONY: setup train test test-unit test-notebooks browser clean

setup: $(STAMP)

$(STAMP): requirements.txt requirements-test.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -r requirements.txt -r requirements-test.txt 2>&1 | $(QUIET)
	$(PIP) install --no-deps -e . 2>&1 | $(QUIET)
	$(BIN)/python -c "import ganlab, torch, torchvision, nbval, torchsummary, ipywidgets, selenium"
	$(BIN)/ruff --version
	touch $(STAMP)

train: $(STAMP)
	$(BIN)/python -m ganlab train $(ARGS)

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

clean:
	rm -rf $(VENV) runs notebooks/runs
