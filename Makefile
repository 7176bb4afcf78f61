# The README's two commands. Each builds .venv from requirements.txt on first use.
#   make train   train the default DCGAN on MNIST (20 epochs) and write its samples to runs/mnist/
#   make test    the unit tests, then every notebook under nbval (quick mode)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.ganlab-installed
PIP    := $(BIN)/python -m pip --disable-pip-version-check -q

.PHONY: setup train test test-unit test-notebooks clean

setup: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -r requirements.txt 2>&1 | grep -v "is ignored: it is neither a file nor a directory" || true
	$(PIP) install --no-deps -e . 2>&1 | grep -v "is ignored: it is neither a file nor a directory" || true
	$(BIN)/python -c "import ganlab, torch, torchvision, nbval, torchsummary, ipywidgets"
	touch $(STAMP)

train: $(STAMP)
	$(BIN)/python -m ganlab train $(ARGS)

test: test-unit test-notebooks

test-unit: $(STAMP)
	$(BIN)/python -m pytest tests --durations=10

test-notebooks: $(STAMP)
	GANLAB_QUICK=1 TQDM_DISABLE=1 $(BIN)/python -m pytest notebooks --nbval-lax --nbval-current-env \
		--nbval-sanitize-with tests/sanitize.cfg --durations=10 -p no:cacheprovider

clean:
	rm -rf $(VENV) runs
