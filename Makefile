# bfa — the README's commands. Everything installs what it needs on first use.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
UV_VERSION := 0.13.8
UV := .tools/bin/uv
VENV := .venv
BIN := $(VENV)/bin
HOST := 127.0.0.1
PORT ?= 3000
SIM_PORT ?= 9000
export DAGSTER_HOME ?= $(CURDIR)/.dagster
# `dagster dev` warns that `dg dev` supersedes it; it starts the same webserver and daemon, and
# its flags are the ones the tests and docs use. The warning only distracts a newcomer.
export PYTHONWARNINGS ?= ignore:Function `dev_command` is superseded
# The environment of every Dagster process (DAGSTER_EVENT_BATCH_SIZE): dagster.env is its one
# home, exported here to everything make starts (`make dev DAGSTER_EVENT_BATCH_SIZE=…` overrides).
include dagster.env
export $(shell grep -oE '^[A-Z_][A-Z0-9_]*' dagster.env)

.PHONY: help install browser postgres readers dev demo test lint bench clean

help:  ## list the commands
	@grep -hE '^[a-z]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

# --compile-bytecode: every `dagster`/`bfa` process starts from .pyc files even where Python may
# not write them (PYTHONDONTWRITEBYTECODE); compiling dagster's sources cost ~5 s per process.
# uv leaves the project's own (editable) sources out: compileall does them (Python still
# recompiles a module whose source changed since).
$(VENV)/.synced: pyproject.toml uv.lock Makefile | $(UV)
	$(UV) sync --locked --extra test --compile-bytecode --python $(PYTHON)
	$(BIN)/python -m compileall -q bfa_assets bfa_assets_tests
	touch $@

install: $(VENV)/.synced $(DAGSTER_HOME)/dagster.yaml  ## create .venv from uv.lock (reproducible) and the instance in .dagster/

$(DAGSTER_HOME)/dagster.yaml: dagster.yaml
	mkdir -p $(DAGSTER_HOME)
	cp dagster.yaml $@

dev: install  ## Dagster UI + daemon on 127.0.0.1:3000 against the real Binance services
	$(BIN)/dagster dev -h $(HOST) -p $(PORT)

demo: install  ## the same, offline, against the simulator (demo scenario) on 127.0.0.1
	DAGSTER_HOME=$(CURDIR)/.dagster-demo scripts/demo.sh $(BIN) $(HOST) $(PORT) $(SIM_PORT)

browser:  ## Debian's Chromium for the end-to-end UI test (nothing to do when it is there)
	bash scripts/install-debian-package.sh chromium /usr/bin/chromium

postgres:  ## Debian's PostgreSQL for the production-instance tests (nothing to do when it is there)
	bash scripts/install-debian-package.sh postgresql '/usr/lib/postgresql/*/bin/initdb'

# Readers of the release that are not bfa, each in its own environment, for the tests that open
# the release with them (bfa_assets_tests/release/test_readers.py): the oldest DuckDB the release's storage
# format and views promise (1.1.0), and the original tool's query CLI with the newest DuckDB 1.x.
READERS := .readers
ORIGINAL := binance-futures-availability==1.5.0
$(READERS)/%/.done: | $(UV)
	$(UV) venv --quiet --allow-existing --python $(PYTHON) $(READERS)/$*
	$(UV) pip install --quiet --python $(READERS)/$*/bin/python $(READER_PACKAGES)
	touch $@
$(READERS)/duckdb-1.1/.done: READER_PACKAGES := duckdb==1.1.0
$(READERS)/original/.done: READER_PACKAGES := $(ORIGINAL) duckdb==1.5.6

readers: $(READERS)/duckdb-1.1/.done $(READERS)/original/.done  ## DuckDB 1.1 and the original tool's CLI, for the release's reader tests

lint: install  ## ruff lint and format check, and the import contracts (pyproject.toml)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

test: lint browser postgres readers  ## install what is missing, lint, check the definitions load, run the whole test suite
	$(BIN)/dg check defs
	$(BIN)/pytest -n 2 --dist loadgroup

bench: install  ## the performance benchmark (BENCH_ARGS="--symbols 100 --days 90" for a quick one)
	$(BIN)/python -m bfa_assets_tests.bench $(BENCH_ARGS)

clean:  ## remove environments, instance and data
	rm -rf .tools $(VENV) $(READERS) .dagster .dagster-demo data .pytest_cache
