# The two commands: `make run` and `make test`.  Both set everything up first
# and are safe to repeat.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint setup browser peers bench clean

run: setup
	$(BIN)/tidings serve

# The gates first (seconds), then the suite in TEST_WORKERS processes, whole
# modules each, the ones marked heavy first (docs/development.md, "the suite");
# the ten slowest tests are printed so drift shows.
TEST_WORKERS ?= 3
test: setup browser peers lint
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder --durations=10 $(PYTEST_ARGS)

# Lint and import order (ruff), types (mypy: strict on the shared mechanisms'
# interfaces, checked elsewhere), and the layers (import-linter: shared
# mechanisms import no product, no HTTP layer, no web framework).
# Configuration in pyproject.toml.
lint: setup
	$(BIN)/ruff check tidings tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

setup: $(STAMP)

# uv (from PyPI, installed into the venv) installs the dependencies in seconds
# where pip takes a minute or more; pip remains the fallback when uv cannot be
# installed.  Each step says what it does: a silent minute looks like a hang.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || { echo "setup: creating $(VENV) with $(PYTHON)"; $(PYTHON) -m venv $(VENV); }
	@test -x $(BIN)/uv || { echo "setup: installing uv, the fast installer, into $(VENV)"; \
	  $(BIN)/python -m pip install --quiet --disable-pip-version-check uv 2>/dev/null || echo "setup: uv is not available, pip will do (slower)"; }
	@if test -x $(BIN)/uv; then \
	  echo "setup: installing Tidings and its dependencies with uv"; \
	  $(BIN)/uv pip install --python $(BIN)/python -e '.[test,bench]'; \
	else \
	  echo "setup: installing Tidings and its dependencies with pip (a minute or two)"; \
	  $(BIN)/python -m pip install --disable-pip-version-check --progress-bar on -e '.[test,bench]'; \
	fi
	@touch $@
	@echo "setup: done"

# Debian's Chromium for the browser tests (Playwright drives it; it never
# downloads a browser of its own).
# A CJK font so screenshots of Chinese messages show characters, not boxes.
browser:
	@{ command -v chromium >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi "wenquanyi\|noto.*cjk"; } || { \
	  echo "installing Debian's chromium and a CJK font for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null; }

# Node.js runs the SMSC simulator test peer from ../shared/peers.
peers:
	@command -v node >/dev/null 2>&1 || { \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; }

bench: setup
	$(BIN)/python bench/pipeline.py

clean:
	rm -rf $(VENV) var
