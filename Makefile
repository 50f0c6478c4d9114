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

# The web UI (web/, Vue + Vite) builds into the package (src/cairn/webui), which `cairn serve`
# serves at "/". It is rebuilt only when its sources or lock file changed.
WEB_BUILD    := src/cairn/webui/index.html
WEB_MODULES  := web/node_modules/.package-lock.json
WEB_SOURCES  := $(shell find web/src web/public -type f 2>/dev/null) web/index.html \
	web/package.json web/vite.config.ts $(wildcard web/tsconfig*.json)

.PHONY: help venv node-check web api-types test test-deps lint pytest fuzz demo bench format clean distclean

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | \
		awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-10s %s\n", $$1, $$2}'

venv: $(STAMP) ## Create .venv and install cairn with the test extra (only when needed)

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PIP) install --disable-pip-version-check --quiet --upgrade pip
	$(PIP) install --disable-pip-version-check -e '.[test,browser]'
	@touch $@

# The lock file is made for Node 20.19+ (element-plus 2.13, vue-router 4: no EBADENGINE there).
node-check: ## Check that Node.js 20.19+ and npm are installed (the web UI needs them)
	@command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || { \
		echo "make: building the web UI needs Node.js 20.19+ (22 LTS recommended) with npm: not found"; exit 1; }; \
	node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' || { \
		echo "make: building the web UI needs Node.js 20.19+ (22 LTS recommended); this is Node $$(node -v)"; exit 1; }

$(WEB_MODULES): web/package-lock.json | node-check
	cd web && npm ci --no-audit --no-fund
	@touch $@

$(WEB_BUILD): $(WEB_MODULES) $(WEB_SOURCES) | node-check
	cd web && npm run build
	@touch $@

web: $(WEB_BUILD) ## Build the web UI into src/cairn/webui (npm ci + vite build, when changed)

# The web UI's API types (web/src/api/schema.d.ts) are generated from the OpenAPI document
# (written by create_app, no server) with openapi-typescript; tests/api/test_api_types.py fails
# when the committed file is stale. Run this after changing a route or a model of cairn.api.
api-types: venv $(WEB_MODULES) ## Regenerate web/src/api/schema.d.ts from the OpenAPI document
	$(PY) -m cairn.api.openapi_doc web/openapi.json
	cd web && npm run gen:api

# The browser tests use Debian's Chromium and need a CJK font (else Chinese renders as boxes).
# The Playwright package comes with the venv's `browser` extra. Never `playwright install`.
test-deps: ## Install chromium and fonts-noto-cjk with apt-get when missing
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="chromium"; \
	dpkg -s fonts-noto-cjk >/dev/null 2>&1 || missing="$$missing fonts-noto-cjk"; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; \
		else echo "test-deps: cannot install$$missing (not root, no sudo): browser tests will skip"; exit 0; fi; \
		echo "test-deps: apt-get install$$missing"; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

lint: venv ## ruff check, ruff format --check, lint-imports (layers)
	@status=0; \
	$(RUFF) check $(LINT_PATHS) || status=1; \
	$(RUFF) format --check $(LINT_PATHS) || status=1; \
	$(LINT_IMPORTS) || status=1; \
	exit $$status

pytest: venv test-deps web ## Only the test suite (PYTEST_ARGS="-n 2" by default)
	$(PYTEST) $(PYTEST_ARGS)

# Every check runs even when an earlier one fails, so one run shows all problems;
# the target fails if any of them failed.
test: venv test-deps web ## Lint, layer contract and the test suite (pytest -n 2)
	@status=0; \
	echo "== ruff check"; $(RUFF) check $(LINT_PATHS) || status=1; \
	echo "== ruff format --check"; $(RUFF) format --check $(LINT_PATHS) || status=1; \
	echo "== lint-imports"; $(LINT_IMPORTS) || status=1; \
	echo "== pytest $(PYTEST_ARGS)"; $(PYTEST) $(PYTEST_ARGS) || status=1; \
	if [ $$status -ne 0 ]; then echo "make test: FAILED (see above)"; fi; \
	exit $$status

# The schemathesis run of `make test` (tests/api/test_schemathesis.py), with more examples per
# operation: slower, finds more. Same seed, so a run is repeatable; change it in schemathesis.toml.
CAIRN_FUZZ_EXAMPLES ?= 100
fuzz: venv ## Fuzz the HTTP API longer (schemathesis, CAIRN_FUZZ_EXAMPLES=100 per operation)
	CAIRN_FUZZ_EXAMPLES=$(CAIRN_FUZZ_EXAMPLES) $(PYTEST) tests/api/test_schemathesis.py

demo: venv web ## Build the UI, initialise data/demo, load the example app and serve http://127.0.0.1:8000
	$(CAIRN) demo

bench: venv ## Run the benchmarks (python -m bench)
	$(PY) -m bench

format: venv ## ruff format + ruff check --fix
	$(RUFF) format $(LINT_PATHS)
	$(RUFF) check --fix $(LINT_PATHS)

clean: ## Remove caches and build output (keeps .venv and data/)
	rm -rf .pytest_cache .ruff_cache .hypothesis .import_linter_cache test-output build dist src/cairn/webui
	find . -path ./$(VENV) -prune -o -name '*.egg-info' -type d -print0 | xargs -0 -r rm -rf
	find . -path ./$(VENV) -prune -o -name '__pycache__' -type d -print0 | xargs -0 -r rm -rf

distclean: clean ## clean, and remove .venv and web/node_modules too
	rm -rf $(VENV) web/node_modules
