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

.PHONY: install run ingest chat eval test lint typecheck pytest stress bench bench-full clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# The CPU build of torch lies on this machine's disk; a bare `torch` would pull a multi-GB CUDA build.
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

# Brings the index up to date (a no-op when nothing changed), then starts the Telegram bot if
# TELEGRAM_BOT_TOKEN is set, or the console chat otherwise.
run: install
	-$(PY) -m ingest --config $(CONFIG) --no-progress
	$(PY) -m bot run --config $(CONFIG)

ingest: install
	$(PY) -m ingest --config $(CONFIG)

chat: install
	-$(PY) -m ingest --config $(CONFIG) --no-progress
	$(PY) -m bot chat --config $(CONFIG)

# Answer rate, decline rate and mean length on knowledge/golden.yaml (the thresholds that make test
# enforces are in tests/test_advisor.py).
eval: install
	-$(PY) -m ingest --config $(CONFIG) --no-progress
	$(PY) -m bot eval --config $(CONFIG)

lint: install
	$(VENV)/bin/ruff check ingest bot tests
	$(VENV)/bin/ruff format --check ingest bot tests

typecheck: install
	$(VENV)/bin/mypy ingest bot

pytest: install
	$(PY) -m pytest

test: lint typecheck pytest

# The long forms (crash runs with random kills, outages, load, fuzzing); each prints its figures.
stress: install
	$(PY) -m pytest -m stress -rP --show-capture=stdout  # -rP: the figures each long form prints

# The benchmark (README "Performance"): the shipped articles and 300 generated ones (bench-full adds
# 3,000), ours beside the raw floor and LangChain's tutorial pipeline, each target judged. A table on
# stdout, the JSON report in $(BENCH_OUT). Corpora and stores live in a temp dir, never in data/.
BENCH_OUT ?= bench-report.json

bench: install
	$(PY) -m tests.bench --profile quick --out $(BENCH_OUT)

bench-full: install
	$(PY) -m tests.bench --profile full --out $(BENCH_OUT)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
