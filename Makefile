# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint format bench clean

$(STAMP): pyproject.toml localslack/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]' -e ./localslack
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/oneness demo

test: $(STAMP) lint
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check bot handlers storage localslack tests bench
	$(BIN)/ruff format --check bot handlers storage localslack tests bench
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format bot handlers storage localslack tests bench

bench: $(STAMP)
	$(BIN)/python bench/fanout.py

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .ruff_cache
