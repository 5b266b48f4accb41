# Atelier — the two commands: `make run` (set up and start the studio) and `make test` (set up and test).
SHELL := /bin/bash
PYTHON ?= python3
NPM ?= npm
VENV := .venv
PY := $(VENV)/bin/python
# Azurite, the Azure Storage emulator (npm), for the batch-job tests on Azure Blob storage: installed under
# .cache/ (never globally). 3.35 is the last release whose engines accept Node 20.
AZURITE_VERSION := 3.35.0
AZURITE := .cache/azurite/node_modules/.bin/azurite-blob
# MLflow, in a venv of its own under .cache/ (never a dependency of the studio): the tests and `make bench` load
# and serve Export as code's MLflow model with it. Its minimum is experiments/export.py's MLFLOW_REQUIREMENT; the
# libraries the model needs are pinned to the studio's own versions.
MLFLOW := .cache/mlflow/bin/mlflow
MLFLOW_MIN := 3.18
FRONTEND_SOURCES := $(shell find frontend -path frontend/node_modules -prune -o -type f -print 2>/dev/null)

.PHONY: setup run test test-scale bench fuzz load lint clean screenshots

## setup: idempotent set-up only (venv, Python deps, front-end build, .env, migrations, admin, samples).
setup: $(VENV)/.installed static/frontend/canvas.js .env $(AZURITE)
	@$(PY) manage.py migrate --noinput -v 0
	@$(PY) manage.py ensure_admin
	@$(PY) manage.py load_samples

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

frontend/node_modules/.package-lock.json: frontend/package-lock.json
	cd frontend && $(NPM) ci --no-audit --no-fund --loglevel=error
	touch $@

static/frontend/canvas.js: frontend/node_modules/.package-lock.json $(FRONTEND_SOURCES)
	cd frontend && $(NPM) run build --silent

$(AZURITE):
	mkdir -p .cache/azurite
	$(NPM) install --prefix .cache/azurite --no-save --no-audit --no-fund --loglevel=error azurite@$(AZURITE_VERSION)
	touch $@

$(MLFLOW): $(VENV)/.installed
	rm -rf .cache/mlflow && $(PYTHON) -m venv .cache/mlflow
	.cache/mlflow/bin/pip install --quiet --disable-pip-version-check "mlflow-skinny>=$(MLFLOW_MIN)" \
	  $$($(PY) -c 'import importlib.metadata as m; print(" ".join(f"{n}=={m.version(n)}" for n in ("numpy", "pandas", "scikit-learn", "scipy", "threadpoolctl", "cloudpickle")))')
	touch $@

# Development values for a checkout; settings read this file (real environment variables win).
.env:
	@$(PYTHON) -c 'import secrets; print("DEBUG=1\nSECRET_KEY=" + secrets.token_urlsafe(50) + "\nALLOWED_HOSTS=localhost,127.0.0.1,[::1]\nATELIER_TLS=0")' > $@
	@echo "Wrote .env with development settings."

## run: set up, then Redis (if none answers at REDIS_URL), a Celery worker and the ASGI server on :8000.
## bubblewrap is Execute Python Script's sandbox: without it the module refuses to run (and says so).
run: setup
	@scripts/ensure-system-packages.sh redis-server bubblewrap || true
	$(PY) manage.py runstudio

## test: set up, make sure Redis, Chromium and bubblewrap are installed, run the whole suite (pytest starts
## and stops a private Redis, a Celery worker and an ASGI server itself). R with httr and jsonlite (Debian's
## r-base-core, r-cran-httr, r-cran-jsonlite) runs the endpoint page's R samples as shown; like the others, each is
## installed only when missing (R and its packages checked by loading them), so a second `make test` installs nothing.
test: setup $(MLFLOW)
	@scripts/ensure-system-packages.sh redis-server chromium bubblewrap postgresql r-base-core r-cran-httr r-cran-jsonlite
	ATELIER_BENCH_MLFLOW=$${ATELIER_BENCH_MLFLOW:-$(abspath $(MLFLOW))} $(PY) -m pytest $(PYTEST_ARGS)

## test-scale: the production shape on this machine (tests/scale): a private PostgreSQL, an S3 server (moto) and
## Redis, two web processes and two Celery workers with their own var dirs, driven through the HTTP API only;
## then a short bench/scale.py, whose last line is the figures (BES rows/s with 1, 2, 4 workers on PostgreSQL + S3
## and on the embedded default, RRS req/s with 1 and 2 web processes). `make bench` runs it at full size.
test-scale: setup
	@scripts/ensure-system-packages.sh redis-server postgresql wrk
	$(PY) -m pytest tests/scale -m scale $(PYTEST_ARGS)
	BENCH_SCALE_ROWS=50000 BENCH_SCALE_CHUNK_ROWS=6250 BENCH_SCALE_SECONDS=3 $(PY) bench/scale.py

bench: setup $(MLFLOW)
	@scripts/ensure-system-packages.sh redis-server wrk chromium postgresql
	ATELIER_BENCH_MLFLOW=$${ATELIER_BENCH_MLFLOW:-$(abspath $(MLFLOW))} $(PY) bench/run.py

## fuzz: the schemathesis runs of tests/studio/test_fuzz.py with 500 examples per operation (make test: 8).
fuzz: setup
	FUZZ_EXAMPLES=500 $(PY) -m pytest tests/studio/test_fuzz.py -q

## load: 60 s of RRS calls at 200 connections on the production server shape (bench/load.py; LOAD_SECONDS=).
load: setup
	@scripts/ensure-system-packages.sh redis-server wrk
	$(PY) bench/load.py

## screenshots: start the studio on a spare port with a fresh database, take the README's screenshots, stop it.
screenshots: setup
	@scripts/ensure-system-packages.sh redis-server chromium
	@rm -f var/screenshots.sqlite3; mkdir -p var/logs
	@export DATABASE_URL=sqlite:///$(CURDIR)/var/screenshots.sqlite3; \
	  $(PY) manage.py migrate --noinput -v 0 && $(PY) manage.py ensure_admin && $(PY) manage.py load_samples >/dev/null; \
	  port=8765; ( PORT=$$port $(PY) manage.py runstudio > var/logs/screenshots.log 2>&1 & echo $$! > var/screenshots.pid ); \
	  for i in $$(seq 60); do curl -sf http://127.0.0.1:$$port/healthz >/dev/null && break; sleep 1; done; \
	  $(PY) scripts/take_screenshots.py http://127.0.0.1:$$port admin "$$(cat var/admin-password)"; status=$$?; \
	  kill -INT $$(cat var/screenshots.pid); rm -f var/screenshots.pid; exit $$status

lint: setup
	$(VENV)/bin/ruff check .
	cd frontend && $(NPM) run lint --silent

clean:
	rm -rf $(VENV) .cache/azurite .cache/mlflow frontend/node_modules static/frontend var .pytest_cache
