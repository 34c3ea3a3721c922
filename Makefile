# The two commands: `make run` and `make test`. Everything else they need is made here.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# What ruff lints and formats; mypy checks app and tests (and reads bench through the tests).
SOURCES := app tests migrations bench

.PHONY: run test check lint format install install-dev migrate seed verify clean bench bench-load wrk openapi

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

migrate: install
	$(BIN)/borderstatus migrate

seed: migrate
	$(BIN)/borderstatus seed

verify: install
	$(BIN)/borderstatus verify

## make run: install, migrate, seed and serve on http://127.0.0.1:8000 (SQLite by default)
run: seed
	$(BIN)/borderstatus serve --host $(HOST) --port $(PORT)

## make test: the whole suite (and on PostgreSQL too when TEST_DATABASE_URL is set)
test: install-dev
	$(BIN)/ruff check $(SOURCES)
	$(BIN)/ruff format --check $(SOURCES)
	$(BIN)/mypy app tests
	$(BIN)/pytest

## make check: the same lint and type checks, and the tests not marked fault, load or slow
## (under two minutes). tests/test_fuzz.py is all slow, so it is not collected, and neither
## plugin only the slow tests need is loaded.
check: install-dev
	$(BIN)/ruff check $(SOURCES)
	$(BIN)/ruff format --check $(SOURCES)
	$(BIN)/mypy app tests
	$(BIN)/pytest -m "not fault and not load and not slow" --ignore=tests/test_fuzz.py \
		-p no:schemathesis -p no:hypothesispytest

lint: install-dev
	$(BIN)/ruff check $(SOURCES)
	$(BIN)/mypy app tests

format: install-dev
	$(BIN)/ruff format $(SOURCES)
	$(BIN)/ruff check --fix $(SOURCES)

## make openapi: regenerate the committed openapi.json from the routes (after any route change)
openapi: install
	$(BIN)/borderstatus openapi > openapi.json

## make bench: the service against a bare ASGI app and the typical FastAPI + SQLModel endpoint,
## under wrk (installed from Debian if missing), then the 1k/10k/100k scale runs (SQLite, and
## PostgreSQL when TEST_DATABASE_URL or BENCH_POSTGRES_URL is set); both write bench/results.md
bench: install-dev wrk
	$(BIN)/python bench/run.py; load=$$?; $(BIN)/python -m bench.scale; scale=$$?; \
		exit $$((load || scale))

## make bench-load: only the load comparisons (bench/run.py, a few minutes)
bench-load: install-dev wrk
	$(BIN)/python bench/run.py

wrk:
	command -v wrk >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y wrk \
		|| (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y wrk)

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
