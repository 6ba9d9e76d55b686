# reportscope: `make run` then `make test` on a fresh clone. Each target creates .venv when missing.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home
export REPORTS_DIR ?= $(CURDIR)/seeds
export WAREHOUSE_DIR ?= $(CURDIR)/warehouse
UI_HOST ?= 127.0.0.1
UI_PORT ?= 3000
# pytest-xdist workers: one per core plus one (the suite waits on servers, browsers and killed
# runs as much as it computes); whole modules go to one worker, so a module's shared build
# (e.g. the hostile folder) runs once.
TEST_WORKERS ?= $(shell echo $$(( $$(nproc 2>/dev/null || echo 2) + 1 )))

.PHONY: help setup run test check ui bench lint format clean browser

help:  ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(INSTALLED): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

setup: $(INSTALLED)  ## create .venv and install the project with its dev tools

run: $(INSTALLED)  ## materialize every asset on REPORTS_DIR (default seeds/) into WAREHOUSE_DIR
	$(BIN)/reportscope run

test: $(INSTALLED) browser  ## lint, then the whole test suite (unit, Dagster, end-to-end, browser)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadscope --durations=25

check: $(INSTALLED)  ## the inner loop: lint plus every test that needs no Dagster run, server or browser
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -m "not pipeline" -n $(TEST_WORKERS) --dist load

ui: $(INSTALLED)  ## Dagster UI + daemon on http://$(UI_HOST):$(UI_PORT), persistent instance in DAGSTER_HOME; Ctrl-C stops it all
	$(BIN)/reportscope ui --host $(UI_HOST) --port $(UI_PORT)

bench: $(INSTALLED)  ## benchmarks (BENCH_REPORTS reports, default 10000) -> warehouse/bench/results.json
	$(BIN)/python -m pipelines.bench

lint: $(INSTALLED)  ## ruff check and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(INSTALLED)  ## ruff fix and format
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

browser:  ## Debian's Chromium for the dashboard tests (installed when missing)
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  elif command -v sudo >/dev/null 2>&1; then sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is missing: install Debian's 'chromium' package for the dashboard tests" >&2; exit 1; fi; }

clean:  ## remove outputs and the instance's history (keeps .venv and dagster.yaml)
	rm -rf $(WAREHOUSE_DIR)/* $(WAREHOUSE_DIR)/.work $(WAREHOUSE_DIR)/.charts-* $(WAREHOUSE_DIR)/.reportscope.duckdb.*
	find .dagster_home -mindepth 1 ! -name dagster.yaml -exec rm -rf {} +
