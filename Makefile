# `make test` and `make demo` each create .venv when it is missing and install what they need.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install --quiet --disable-pip-version-check

.PHONY: test demo playground lint docs bench bench-tables bench-paths bench-anchors bench-scale clean torch

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

# torch (pinned in requirements-torch-cpu.txt) runs the PyTorch tests of tests/arrayapi;
# never a hard dependency: without it those tests are skipped. `make test` installs it only
# from a wheel already at hand (pip's --find-links, a local wheelhouse): from PyPI, Linux
# gets the multi-GB CUDA build. `make torch` installs the CPU build from PyTorch's own index.
TORCH_CPU_INDEX ?= https://download.pytorch.org/whl/cpu
$(VENV)/.dev-installed: pyproject.toml requirements-torch-cpu.txt | $(VENV)/bin/python
	$(PIP) -e '.[dev]'
	if $(PIP) --no-index --only-binary :all: --no-deps -r requirements-torch-cpu.txt 2>/dev/null; \
	then $(PIP) -r requirements-torch-cpu.txt; \
	else echo "no local torch wheel: the PyTorch tests will be skipped ('make torch' installs the CPU build)"; fi
	touch $@

torch: $(VENV)/.dev-installed
	$(PIP) --index-url $(TORCH_CPU_INDEX) -r requirements-torch-cpu.txt

$(VENV)/.demo-installed: pyproject.toml | $(VENV)/bin/python
	$(PIP) -e '.[plot,cli]'
	touch $@

$(VENV)/.playground-installed: pyproject.toml | $(VENV)/bin/python
	$(PIP) -e '.[playground]'
	touch $@

test: $(VENV)/.dev-installed
	$(PY) -m pytest src tests

demo: $(VENV)/.demo-installed
	$(VENV)/bin/lucidnet demo

# The lecture, live in the browser: serves the page on 127.0.0.1 and opens it.
playground: $(VENV)/.playground-installed
	$(VENV)/bin/lucidnet playground

# The documentation site (mkdocs-material, API reference from the docstrings by mkdocstrings,
# which reads src/ without importing it): built into site/, every warning an error.
$(VENV)/.docs-installed: pyproject.toml | $(VENV)/bin/python
	$(PIP) -e '.[docs]'
	touch $@

docs: $(VENV)/.docs-installed
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --site-dir site

lint: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks
	$(VENV)/bin/mypy

# Times lucidnet (both engines) against scikit-learn, PyTorch (installed by `make test` from
# a local wheel, or `make torch`) and hand-written JAX (the [jax] extra, part of [dev]);
# writes benchmarks/results/latest.{json,md}. What it measures: docs/performance.md.
BENCH_ARGS ?=
bench: $(VENV)/.dev-installed
	$(PY) -m benchmarks.run $(BENCH_ARGS)

# The development panel of real tables (benchmarks/tables): HistGradientBoosting, scikit-learn's
# MLP and `lucidnet train`'s defaults on 22 tables, 3 seeds; writes
# benchmarks/tables/results/latest.{json,md}. Its data packages are installed without their
# dependencies (ISLP declares torch and lightning; only its CSV files are read).
BENCH_TABLES_ARGS ?=
$(VENV)/.tables-installed: benchmarks/tables/requirements.txt $(VENV)/.dev-installed
	$(PIP) --no-deps -r benchmarks/tables/requirements.txt
	touch $@

bench-tables: $(VENV)/.tables-installed
	$(PY) -m benchmarks.tables.run $(BENCH_TABLES_ARGS)

# The recipe's three paths side by side (benchmarks/tables/paths.py): in memory, streamed from a
# file and on a 2-worker Dask LocalCluster, on two panel tables and the two large ones (fertility,
# flights) subsampled to 100,000 rows, 3 seeds; writes benchmarks/tables/results/paths.{json,md}.
BENCH_PATHS_ARGS ?= --tables nass_cds,cps1988,fertility,flights --max-rows 100000
bench-paths: $(VENV)/.tables-installed
	$(PY) -m benchmarks.tables.paths $(BENCH_PATHS_ARGS)

# The panel with its anchors (benchmarks/tables/anchors.py): CatBoost's and LightGBM's
# defaults and pytabkit's RealMLP-TD and TabM-D, from benchmarks/tables/requirements-anchors.txt
# after PyTorch's CPU build (a local wheel, else PyTorch's CPU index, as `make torch`).
# Writes benchmarks/tables/results/anchors.{json,md}. RealMLP-TD and TabM-D take minutes per
# table on one thread; a shorter run: make bench-anchors ANCHOR_SYSTEMS=hgb,lucidnet,catboost
ANCHOR_SYSTEMS ?= hgb,sk-mlp,lucidnet,catboost,lightgbm,realmlp-td,tabm-d
$(VENV)/.anchors-installed: benchmarks/tables/requirements-anchors.txt $(VENV)/.tables-installed
	if $(PIP) --no-index --only-binary :all: --no-deps -r requirements-torch-cpu.txt 2>/dev/null; \
	then $(PIP) -r requirements-torch-cpu.txt; \
	else $(PIP) --index-url $(TORCH_CPU_INDEX) -r requirements-torch-cpu.txt; fi
	$(PIP) -r benchmarks/tables/requirements-anchors.txt
	touch $@

bench-anchors: $(VENV)/.anchors-installed
	$(PY) -m benchmarks.tables.run --systems $(ANCHOR_SYSTEMS) --name anchors $(BENCH_TABLES_ARGS)

# Cost against the number of rows (benchmarks/scale.py): a generated table of 10 k, 100 k and
# 1 M rows, lucidnet's recipe (profiled; a 600 s time_limit at 1 M, extrapolated), scikit-learn's
# MLP and HistGradientBoosting; writes benchmarks/results/scale.{json,md}. Smoke run:
# make bench-scale BENCH_SCALE_ARGS="--sizes 600 --out /tmp/scale"
BENCH_SCALE_ARGS ?= --profile --step
bench-scale: $(VENV)/.dev-installed
	$(PY) -m benchmarks.scale $(BENCH_SCALE_ARGS)

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info .pytest_cache .mypy_cache .ruff_cache
