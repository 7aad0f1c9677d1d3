# Two commands for a new user (see README):  make run   |   make test
# Everything runs inside .venv, created on first use from the pinned requirements.lock.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PARAMS ?= params/main.yaml

.PHONY: run test lab env env-spark lock bench clean-runs docs-images help

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*##/\t/'

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $(STAMP)

env: $(STAMP)  ## create .venv and install the pinned dependencies (done by run/test/lab)

env-spark: $(STAMP)  ## also install the Spark engine (PySpark from requirements-spark.lock; needs Java 17+)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-spark.lock

run: $(STAMP)  ## generate the default data if data/raw is empty, run every notebook, render the brief
	$(BIN)/analysis run --params $(PARAMS)

test: $(STAMP)  ## the whole test suite (what CI runs)
	$(BIN)/python -m pytest -n 2 --dist loadgroup

# JupyterLab refuses to start as root unless told it may (containers, CI machines often run as root)
LAB_ROOT_FLAG := $(if $(filter 0,$(shell id -u 2>/dev/null)),--allow-root,)
LAB_ARGS ?=

lab: $(STAMP)  ## JupyterLab at the project root (notebooks/, reports/, params/); notebooks write reports/runs/dev
	$(BIN)/jupyter lab --ServerApp.root_dir=. $(LAB_ROOT_FLAG) $(LAB_ARGS)

bench: $(STAMP)  ## benchmarks (slow; figures go to benchmarks/results/)
	$(BIN)/python benchmarks/bench_run.py
	$(BIN)/python benchmarks/bench_data.py
	$(BIN)/python benchmarks/bench_engines.py
	$(BIN)/python benchmarks/bench_did.py
	$(BIN)/python benchmarks/bench_cli.py
	$(BIN)/python benchmarks/bench_sunab.py
	$(BIN)/python benchmarks/bench_design_schedules.py
	$(BIN)/python benchmarks/bench_inspect.py

lock:  ## re-resolve requirements.lock from pyproject.toml in a scratch venv
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --upgrade pip
	.lock-venv/bin/python -m pip install --quiet ".[test]"
	.lock-venv/bin/python -m pip freeze --exclude-editable | grep -v '^analysis' > requirements.lock
	rm -rf .lock-venv

docs-images: $(STAMP)  ## README pictures: page one of the Indonesian brief and its event study (docs/)
	$(BIN)/python tools/docs_images.py

clean-runs:  ## delete every run folder (reports/runs)
	rm -rf reports/runs
