# indexvault: every target sets up what it needs (idempotently), so on a fresh machine
# `make demo` and `make test` are all anyone types.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PY_STAMP := $(VENV)/.installed
NPM_STAMP := node_modules/.installed
FORGE := node_modules/@foundry-rs/forge-linux-amd64/bin/forge
ARGS ?=
PYTEST_ARGS ?=
PYTEST_WORKERS ?= 2

.PHONY: help setup demo test test-forge test-py bench lint slither mutation abi abi-check clean crash-soak

help:
	@echo "make demo   - set up, then run the demo on the embedded chain (ARGS='--market-data F --date D')"
	@echo "make test   - set up, then run the forge suite and the pytest suite"
	@echo "make bench  - run every benchmark; writes .bench/results.json"
	@echo "make lint   - ruff (lint + format check), mypy --strict, the import contract"
	@echo "make abi    - compile contracts/ into abi/ with the pinned npm solc"
	@echo "make slither  - static analysis (slither 0.11.6 in .venv-slither); fails on untriaged Medium+"
	@echo "make mutation - slither-mutate over the vault and factory (hours: not part of make test)"
	@echo "make crash-soak - 1,000 randomized crash runs of the confirm path (not part of make test)"

setup: $(PY_STAMP) $(NPM_STAMP)

$(PY_STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "indexvault needs Python 3.11, found " + sys.version.split()[0]'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

# `npm ci`: exactly the committed lock, which it never rewrites, so setup leaves the work tree
# clean (`.ci/run` checks that). The lock lists every platform build of the foundry launchers
# (npm 11 records them all); only the one for this platform is installed.
$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@test -x $(FORGE) || { echo "forge's native binary is missing after npm install"; exit 1; }
	touch $@

# slither lives in its own venv: its pins (crytic-compile, solc-select) are not the app's.
SLITHER_VENV := .venv-slither
SLITHER_STAMP := $(SLITHER_VENV)/.installed

$(SLITHER_STAMP):
	test -x $(SLITHER_VENV)/bin/python || $(PYTHON) -m venv $(SLITHER_VENV)
	$(SLITHER_VENV)/bin/pip install --quiet slither-analyzer==0.11.6
	touch $@

slither: setup $(SLITHER_STAMP)
	PATH="$(CURDIR)/$(dir $(FORGE)):$$PATH" FOUNDRY_OUT=.forge/slither/out \
	  FOUNDRY_CACHE_PATH=.forge/slither/cache \
	  $(SLITHER_VENV)/bin/slither . --config-file slither.config.json

mutation: setup $(SLITHER_STAMP)
	tests/forge/mutation/run_mutation.sh

abi: setup
	$(PY) -m orchestrator.artifacts.build

abi-check: setup
	$(PY) -m orchestrator.artifacts.build --check

demo: setup
	$(VENV)/bin/indexvault demo $(ARGS)

# The native forge binary: the npm launcher (node_modules/.bin/forge) exits 0 even when
# tests fail. The gas benchmark suite runs under `make bench` (it needs --isolate).
test-forge: setup
	$(FORGE) test --no-match-contract 'Gas'


# Two pytest workers (pytest-xdist), one test file per worker at a time so a module's
# fixtures (an anvil, a deployed market) are built once. PYTEST_WORKERS=0 runs in-process.
test-py: setup
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

test: test-forge test-py

bench: setup
	$(PY) -m benchmarks $(ARGS)

# 1,000 randomized SIGKILLs on the one-click confirm path against the local node, each
# restarted and checked (tests/crash/soak.py; make test runs a 50-run slice). Writes
# .bench/crash_soak.json. CRASH_RUNS / CRASH_SEED to vary.
CRASH_RUNS ?= 1000
CRASH_SEED ?= 1
crash-soak: setup
	$(PY) -m tests.crash.soak --runs $(CRASH_RUNS) --seed $(CRASH_SEED)

# The import contract (front ends only through the facade; web3 only in chain/) and the
# error tree are checked over the source: tests/test_architecture.py, tests/test_errors.py.
lint: setup
	$(VENV)/bin/ruff check orchestrator tests benchmarks
	$(VENV)/bin/ruff format --check orchestrator tests benchmarks
	$(VENV)/bin/mypy
	$(PY) -m pytest -q -p no:cacheprovider tests/test_architecture.py tests/test_errors.py

clean:
	rm -rf .forge .bench .pytest_cache .mypy_cache .ruff_cache build
