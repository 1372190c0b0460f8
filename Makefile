# The whole set-up story of ctexchange. Two commands matter: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# Re-install only when the dependency list changes.
DEPS_HASH := $(shell cat pyproject.toml | sha256sum | cut -c1-12)
RUNTIME_STAMP := $(VENV)/.runtime-$(DEPS_HASH)
TEST_STAMP := $(VENV)/.test-$(DEPS_HASH)
PIP_VERSION := 25.3

.PHONY: run install install-test test lint typecheck pytest bench clean

run: install ## Create .venv, install, initialise ./ctx-data if missing, serve API on 127.0.0.1:8000
	$(BIN)/ctx init
	$(BIN)/ctx serve

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "ctexchange needs Python 3.11, found " + sys.version'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check pip==$(PIP_VERSION)

$(RUNTIME_STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet --disable-pip-version-check -e .
	@rm -f $(VENV)/.runtime-* && touch $@

$(TEST_STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	@rm -f $(VENV)/.test-* $(VENV)/.runtime-* && touch $@ $(RUNTIME_STAMP)

install: $(RUNTIME_STAMP) ## Install ctexchange into .venv

install-test: $(TEST_STAMP) ## Install ctexchange and the test tools into .venv

lint: install-test ## ruff (lint and format) and the import-layer contracts
	$(BIN)/ruff check src tests $(wildcard bench/*.py)
	$(BIN)/ruff format --check src tests $(wildcard bench/*.py)
	$(BIN)/lint-imports

typecheck: install-test ## mypy --strict on src/
	$(BIN)/mypy

pytest: install-test ## The whole test suite (PostgreSQL half included when reachable; required when CI=true)
	$(BIN)/pytest

test: lint typecheck pytest ## Lint, type check and the whole suite

# The peers run in virtual environments of their own, so their dependencies never meet ours:
# nomenklatura (yente's scorer) for screening, python-threatexchange (HMA's library) for content.
PEER_VENV := .venv-peer
PEER_STAMP := $(PEER_VENV)/.peers-installed
PYTX_VENV := .venv-pytx
PYTX_STAMP := $(PYTX_VENV)/.peers-installed

$(PEER_STAMP):
	$(PYTHON) -m venv $(PEER_VENV)
	$(PEER_VENV)/bin/pip install --quiet --disable-pip-version-check nomenklatura==4.17.4
	@touch $@

$(PYTX_STAMP):
	$(PYTHON) -m venv $(PYTX_VENV)
	$(PYTX_VENV)/bin/pip install --quiet --disable-pip-version-check threatexchange==1.2.17 \
		faiss-cpu==1.15.1 pdqhash==0.2.8 pillow==13.0.0 numpy==2.4.6
	@touch $@

bench: install-test $(PEER_STAMP) $(PYTX_STAMP) ## Long benchmarks, ours and the peer side by side (docs/benchmarks.md)
	$(BIN)/python bench/bench_pdq.py --peer-python $(PYTX_VENV)/bin/python
	$(BIN)/python bench/bench_text.py --peer-python $(PYTX_VENV)/bin/python
	$(BIN)/python bench/bench_hashing.py --peer-python $(PYTX_VENV)/bin/python
	$(BIN)/python bench/bench_screening.py --peer-python $(PEER_VENV)/bin/python

clean: ## Remove the virtual environment and caches (keeps ./ctx-data)
	rm -rf $(VENV) $(PEER_VENV) $(PYTX_VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis .import_linter_cache
