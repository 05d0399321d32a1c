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
WEB_VENDOR := orchestrator/web/static/vendor/vendor.js
WEB_ASSETS_BUDGET_KB ?= 800
PYTEST_ARGS ?=
PYTEST_WORKERS ?= 2

.PHONY: help setup demo test test-forge test-py bench lint slither mutation abi abi-check clean rehearsal web web-assets web-screenshots browser crash-soak

help:
	@echo "make demo   - set up, then run the demo on the embedded chain (ARGS='--market-data F --date D')"
	@echo "make web    - the index page: local node + bundler + keeper, then the server (prints the URL)"
	@echo "make test   - set up, then run the forge suite and the pytest suite"
	@echo "make bench  - run every benchmark; writes .bench/results.json"
	@echo "make rehearsal - a Sepolia user's deploy, buy, sell, mandate, keeper on anvil --chain-id 11155111 + alto"
	@echo "make lint   - ruff (lint + format check), mypy --strict, the import contract"
	@echo "make abi    - compile contracts/ into abi/ with the pinned npm solc"
	@echo "make slither  - static analysis (slither 0.11.6 in .venv-slither); fails on untriaged Medium+"
	@echo "make mutation - slither-mutate over the vault and factory (hours: not part of make test)"
	@echo "make crash-soak - 1,000 randomized crash runs of the confirm path (not part of make test)"

setup: $(PY_STAMP) $(NPM_STAMP) $(WEB_VENDOR)

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

# The web page's third-party code (ECharts' gauge and treemap, ethers' wallet parts) from
# node_modules into one git-ignored file: no CDN, the page works offline. The size budget
# (all of static/, uncompressed) is checked here and by tests/web/test_assets.py.
$(WEB_VENDOR): orchestrator/web/assets/vendor.js $(NPM_STAMP) | $(PY_STAMP)
	node_modules/.bin/esbuild $< --bundle --minify --format=iife --target=es2020 \
	  --legal-comments=none --log-level=warning --outfile=$@
	@$(PY) -m orchestrator.web.assets_budget $(WEB_ASSETS_BUDGET_KB)

web-assets: $(WEB_VENDOR)

# The local node and alto (resumed if they run), the keeper's daily loop in the background
# (stopped with the server), then the server; it prints the page's URL.
web: setup
	$(VENV)/bin/indexvault local up
	@mkdir -p .cache; $(VENV)/bin/indexvault keeper run --network local > .cache/keeper-web.log 2>&1 & \
	  keeper=$$!; trap "kill $$keeper 2>/dev/null" EXIT INT TERM; \
	  echo "keeper: daily loop in the background (pid $$keeper, log .cache/keeper-web.log)"; \
	  $(VENV)/bin/indexvault web $(ARGS)

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
test-py: setup browser
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

# The web page's browser tests drive Debian's chromium (never a downloaded browser):
# installed here when missing and we can (root with apt); otherwise a loud message, and
# the tests marked `browser` fail saying the same (deselect them with -m 'not browser').
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing chromium for the browser tests (apt-get)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else \
	    echo "!! /usr/bin/chromium is missing: the browser tests will FAIL."; \
	    echo "!! install it (sudo apt-get install chromium) or run PYTEST_ARGS=\"-m 'not browser'\""; \
	  fi; \
	fi

# The screenshots in docs/web/ that the README shows, taken by the browser tests.
web-screenshots: setup browser
	INDEXVAULT_SCREENSHOTS=docs $(PY) -m pytest -n 0 -q tests/web/test_page.py

test: test-forge test-py

bench: setup
	$(PY) -m benchmarks $(ARGS)

# The testnet rehearsal (docs/testnet.md): a local chain that plays Sepolia, then the commands
# a Sepolia user types; prints the measured gas of each step (and writes .bench/rehearsal.json).
rehearsal: setup
	$(PY) -m pytest -n 0 -s -q -p no:cacheprovider tests/deployment/test_rehearsal.py
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
