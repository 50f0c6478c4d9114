# Cairn developer tasks.  `make demo` runs the product, `make test` checks it.
#
# Everything runs from the project virtualenv (.venv).  It is created on first use and
# re-installed only when pyproject.toml is newer than the stamp file $(STAMP), so every
# target is safe to run again (idempotent) and works on a fresh clone.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
PIP    := $(PY) -m pip
RUFF   := $(BIN)/ruff
PYTEST := $(BIN)/pytest
LINT_IMPORTS := $(BIN)/lint-imports
CAIRN  := $(BIN)/cairn
STAMP  := $(VENV)/.installed

# Only the directories that exist (bench/ may not be there yet); ruff fails on missing paths.
LINT_PATHS := $(wildcard src tests bench)
PYTEST_ARGS ?= -n 2

.PHONY: help venv test test-deps lint pytest demo bench format clean distclean

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | \
		awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-10s %s\n", $$1, $$2}'

venv: $(STAMP) ## Create .venv and install cairn with the test extra (only when needed)

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PIP) install --disable-pip-version-check --quiet --upgrade pip
	$(PIP) install --disable-pip-version-check -e '.[test]'
	@touch $@

test-deps: ## Hook for system test dependencies (not needed yet)
	@# Placeholder for the browser tests: will apt-get install chromium, chromium-driver and
	@# fonts-noto-cjk and pip install the playwright extra (see STACK-NOTES.md, section 4).
	@# Never `playwright install`: it cannot download here.
	@:

lint: venv ## ruff check, ruff format --check, lint-imports (layers)
	@status=0; \
	$(RUFF) check $(LINT_PATHS) || status=1; \
	$(RUFF) format --check $(LINT_PATHS) || status=1; \
	$(LINT_IMPORTS) || status=1; \
	exit $$status

pytest: venv test-deps ## Only the test suite (PYTEST_ARGS="-n 2" by default)
	$(PYTEST) $(PYTEST_ARGS)

# Every check runs even when an earlier one fails, so one run shows all problems;
# the target fails if any of them failed.
test: venv test-deps ## Lint, layer contract and the test suite (pytest -n 2)
	@status=0; \
	echo "== ruff check"; $(RUFF) check $(LINT_PATHS) || status=1; \
	echo "== ruff format --check"; $(RUFF) format --check $(LINT_PATHS) || status=1; \
	echo "== lint-imports"; $(LINT_IMPORTS) || status=1; \
	echo "== pytest $(PYTEST_ARGS)"; $(PYTEST) $(PYTEST_ARGS) || status=1; \
	if [ $$status -ne 0 ]; then echo "make test: FAILED (see above)"; fi; \
	exit $$status

demo: venv ## Initialise data/demo, load the example app and serve http://127.0.0.1:8000
	$(CAIRN) demo

bench: venv ## Run the benchmarks (python -m bench)
	$(PY) -m bench

format: venv ## ruff format + ruff check --fix
	$(RUFF) format $(LINT_PATHS)
	$(RUFF) check --fix $(LINT_PATHS)

clean: ## Remove caches and build output (keeps .venv and data/)
	rm -rf .pytest_cache .ruff_cache .hypothesis .import_linter_cache test-output build dist
	find . -path ./$(VENV) -prune -o -name '*.egg-info' -type d -print0 | xargs -0 -r rm -rf
	find . -path ./$(VENV) -prune -o -name '__pycache__' -type d -print0 | xargs -0 -r rm -rf

distclean: clean ## clean, and remove .venv too
	rm -rf $(VENV)
