# The two commands of the README: `make run` (set up and serve) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test setup lint

$(BIN)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

setup: $(BIN)/.installed

## A local .env with DEBUG on, so that every manage.py command runs as in development; written
## only when there is none, never over one you edited.
.env:
	cp .env.example $@

## Set everything up on SQLite and serve the API with the article's data at http://127.0.0.1:8000/
run: setup .env
	DEBUG=1 $(BIN)/python manage.py migrate --noinput
	DEBUG=1 $(BIN)/python manage.py load_initial_data
	DEBUG=1 $(BIN)/python manage.py runserver $(HOST):$(PORT)

## Run the whole test suite (on PostgreSQL when DATABASE_URL points there), one worker per core;
## the fifteen slowest tests are listed at the end (where CI time goes)
test: setup
	$(BIN)/pytest --create-db --numprocesses auto --dist worksteal --durations=15

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DEBUG=1 $(BIN)/mypy
	DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run

## Benchmark the API beside a plain Django baseline: make bench DB=sqlite|postgres SIZE=10000
## (also DURATION=5 seconds per load run; IMPORT_SIZE=10000 attendances for bulk import vs
## loaddata, 0 to skip; IMPORT_FUNC=module:function to compare). See bench/README.md.
.PHONY: bench
bench: setup
	$(BIN)/python -m pip install --quiet -r bench/requirements.txt
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	cd bench && npm ci --silent --no-audit --no-fund
	$(BIN)/python -m bench.run --db $(or $(DB),sqlite) --size $(or $(SIZE),10000) \
		--duration $(or $(DURATION),5) --import-size $(or $(IMPORT_SIZE),10000) \
		--import-func $(or $(IMPORT_FUNC),summits.services:attendances_import)
