# LA Care Directory — `make run` serves the API with demo data, `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# Local development defaults; a deployment sets DEBUG=false, SECRET_KEY and ALLOWED_HOSTS.
export DEBUG ?= true

.PHONY: run install migrate demo-data test lint format bench fuzz loadtest clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

migrate: install
	$(BIN)/python manage.py migrate --no-input

# Both imports upsert by slug, so running them again updates rather than duplicates.
demo-data: migrate
	$(BIN)/python manage.py import_facilities fixtures/demo_facilities.json
	$(BIN)/python manage.py import_samhsa

run: demo-data
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: lint
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest

# schemathesis against the live API under gunicorn on a scratch PostgreSQL database (CI runs it).
fuzz: install
	$(BIN)/python scripts/fuzz.py

# 50 clients for 60 s against gunicorn on loopback, with wrk; prints p50/p95 and requests/s.
loadtest: install
	scripts/loadtest.sh

# Synthetic data at national scale on the configured database (PostgreSQL for real figures):
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/la_care_bench make bench FACILITIES=100000
# First the import of an N-facility file (facilities/s, peak memory), then the query mix
# and throughput on the data it imported (wrk from Debian: apt-get install wrk).
# ALONGSIDE=<database URL> of another size's run (e.g. 10000's, made first) times the mix
# on both side by side and reports each query's p95 over its p95 there (the growth target).
FACILITIES ?= 10000
ALONGSIDE ?=
bench: migrate
	$(BIN)/python manage.py bench_import --facilities $(FACILITIES) --output bench-import-$(FACILITIES).json
	$(BIN)/python manage.py bench --facilities $(FACILITIES) --reuse --gc-freeze --http $(if $(ALONGSIDE),--alongside '$(ALONGSIDE)') --output bench-$(FACILITIES).json

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache
