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

.PHONY: install lock lock-check run ingest chat eval test lint typecheck pytest stress bench bench-full bench-scale clean

# Every package, direct or indirect, is pinned with its hashes in two lock files that `make lock`
# compiles from pyproject.toml (pip-tools): requirements-dev.lock is what `make test` and `make bench`
# run on; requirements.lock, the runtime alone, is a subset of it with the same versions.
LOCK := requirements-dev.lock
RUNTIME_LOCK := requirements.lock

# pip's on-disk wheels (torch's CPU build lies there): uv does not read pip's configuration.
FIND_LINKS ?= $(or $(PIP_FIND_LINKS),$(shell $(PYTHON) -m pip config get global.find-links 2>/dev/null))

$(VENV)/.installed: $(LOCK) pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	# uv installs the lock (5 s against pip's 70 s here, measured on a fresh venv with empty caches);
	# pip bootstraps uv from the lock's own pinned hashes.
	$(PYTHON) .ci/lockfile.py extract $(LOCK) uv > $(VENV)/bootstrap.txt
	$(PY) -m pip install --quiet --require-hashes --no-deps -r $(VENV)/bootstrap.txt
	# Exactly the lock, never resolved again, and nothing else (sync removes what the lock dropped).
	# torch is pinned to 2.13.0+cpu, the CPU build on this machine's disk; its hash refuses any other.
	# --compile-bytecode: pip wrote .pyc files at install, uv does not; under PYTHONDONTWRITEBYTECODE (set
	# here) every `python -m ingest` then compiled ~750 modules from source, 3.5 s of a 17 s delta ingest.
	$(VENV)/bin/uv pip sync --quiet --compile-bytecode --python $(PY) --require-hashes \
	  $(foreach d,$(FIND_LINKS),--find-links $(d)) $(LOCK)
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	$(PY) -m pip check
	$(PYTHON) .ci/lockfile.py venv $(PY) $(LOCK)
	touch $@

install: $(VENV)/.installed

# Regenerate the locks after changing a dependency in pyproject.toml (UPGRADE=1: newest versions of all).
# The dev lock first, then the runtime lock constrained to it, so that both pin the same versions.
# Needs only pip-tools from the current lock, not the project: a pyproject.toml that asks for something
# the old lock lacks must not stop its own relock.
lock:
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	if [ -f $(LOCK) ]; then $(PY) -m pip install --quiet --require-hashes --no-deps -r $(LOCK); \
	else $(PY) -m pip install --quiet pip-tools; fi
	CUSTOM_COMPILE_COMMAND="make lock" $(VENV)/bin/pip-compile $(if $(UPGRADE),--upgrade) \
	  --extra dev --extra bench --all-build-deps -o $(LOCK) pyproject.toml
	CUSTOM_COMPILE_COMMAND="make lock" $(VENV)/bin/pip-compile $(if $(UPGRADE),--upgrade) \
	  -c $(LOCK) -o $(RUNTIME_LOCK) pyproject.toml
	$(PYTHON) .ci/lockfile.py stamp $(LOCK) $(RUNTIME_LOCK)

# `make test` refuses a lock that pyproject.toml's dependencies have moved past.
lock-check:
	@$(PYTHON) .ci/lockfile.py check $(LOCK) $(RUNTIME_LOCK)

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

# The quality figures per category, the dev set beside the held-out test set (README "Quality"; the
# thresholds that make test enforces are in tests/test_advisor.py).
eval: install
	-$(PY) -m ingest --config $(CONFIG) --no-progress
	$(PY) -m bot eval --config $(CONFIG) $(if $(MODE),--mode $(MODE))

lint: install
	$(VENV)/bin/ruff check ingest bot tests .ci
	$(VENV)/bin/ruff format --check ingest bot tests .ci

typecheck: install
	$(VENV)/bin/mypy ingest bot .ci/lockfile.py

pytest: install
	$(PY) -m pytest

test: lock-check lint typecheck pytest

# The long forms (crash runs with random kills, outages, load, fuzzing); each prints its figures.
stress: install
	$(PY) -m pytest -m stress -rP --show-capture=stdout  # -rP: the figures each long form prints

# The benchmark (README "Performance"): the shipped articles and 300 generated ones (bench-full adds
# 3,000), ours beside the raw floor and LangChain's tutorial pipeline, each target judged. A table on
# stdout, the JSON report in $(BENCH_OUT). Corpora and stores live in a temp dir, never in data/.
BENCH_OUT ?= bench-report.json
PROFILE ?= quick

bench: install
	$(PY) -m tests.bench --profile $(PROFILE) --out $(BENCH_OUT)

bench-full: install
	$(PY) -m tests.bench --profile full --out $(BENCH_OUT)

# The scale curve (issue 18): 300, 3,000 and 30,000 articles (generated chunk vectors at 30,000), ours beside
# the peer and the floor; rewrites the committed docs/scale.json, .md and .png (README "Performance").
# `make bench PROFILE=scale` runs the same profile into $(BENCH_OUT) and the .md and .png beside it.
SCALE_OUT ?= docs/scale.json

bench-scale: install
	$(PY) -m tests.bench --profile scale --out $(SCALE_OUT)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
