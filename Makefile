# Two commands do everything on a fresh machine:  make demo   and   make test
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test lint bench clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# Runtime only (no TensorFlow): what a board installs.
$(VENV)/.runtime: $(BIN)/activate pyproject.toml
	$(BIN)/pip install -q -e .
	touch $@

# Everything: training, conversion and the test tools.
$(VENV)/.full: $(BIN)/activate pyproject.toml
	$(BIN)/pip install -q -e ".[train,dev]"
	touch $@ $(VENV)/.runtime

demo: $(VENV)/.runtime
	$(BIN)/python -m edgestyle.demo --out out

test: $(VENV)/.full
	$(BIN)/python -m pytest

lint: $(VENV)/.full
	$(BIN)/ruff check edgestyle tests benchmarks

bench: $(VENV)/.full
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf out .pytest_cache
