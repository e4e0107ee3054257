# Two commands set everything up on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
CONFIG ?= config.yaml
# Models load from the installed package only; nothing is fetched from a model hub.
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export HF_HUB_DISABLE_TELEMETRY := 1
export ANONYMIZED_TELEMETRY := False

.PHONY: install run ingest test lint typecheck pytest clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# The CPU build of torch lies on this machine's disk; a bare `torch` would pull a multi-GB CUDA build.
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

run: install
	@echo "The advisor is not built yet, so 'make run' ingests $(CONFIG)'s knowledge folder."
	$(PY) -m ingest --config $(CONFIG)

ingest: install
	$(PY) -m ingest --config $(CONFIG)

lint: install
	$(VENV)/bin/ruff check ingest bot tests
	$(VENV)/bin/ruff format --check ingest bot tests

typecheck: install
	$(VENV)/bin/mypy ingest bot

pytest: install
	$(PY) -m pytest

test: lint typecheck pytest

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
