# tissue_sim — set-up, main job, tests, benchmarks.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CONFIG ?= configs/baseline.yaml
OUT ?= results/baseline

.PHONY: install install-test install-bench demo demos test lint typecheck unit tutorials wheel-check bench clean update-figures

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

install-test: $(VENV)/.installed-test

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	@# sbml: python-libsbml, antimony, libroadrunner for tests/sbml (~12 s, ~200 MB of wheels)
	@# explore: trame, trame-pyvista, playwright for tests/explore (~20 s of wheels)
	$(BIN)/python -m pip install --quiet -e ".[test,sbml,explore]"
	@# headless Chromium opens report.html in tests/viz (Debian package; skipped with a reason if absent)
	command -v chromium >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || echo "chromium not installed: the browser tests (report, explore) will be skipped"
	touch $@

install-bench: $(VENV)/.installed-bench

$(VENV)/.installed-bench: $(VENV)/.installed pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[bench,dask]"
	touch $@

demo: install
	$(BIN)/tissue-sim run $(CONFIG) -o $(OUT)

demos: install
	for name in $$($(BIN)/python -c "from tissue_sim.demos import DEMOS; print(*DEMOS)"); do \
		$(BIN)/tissue-sim demo $$name -o results/demos/$$name || exit 1; done

lint: install-test
	$(BIN)/ruff check tissue_sim tests benchmarks docs/examples
	$(BIN)/ruff format --check tissue_sim tests benchmarks docs/examples

typecheck: install-test
	$(BIN)/mypy

# Both cores: each test file runs whole on one of two workers (session fixtures are per worker),
# one BLAS/MKL thread per worker (two threaded workers on two cores oversubscribe: PARDISO and
# OpenBLAS were several times slower so)
unit: install-test
	OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 OMP_NUM_THREADS=1 $(BIN)/python -m pytest -n 2 --dist loadfile

# The built wheel installed (not editable) in a fresh environment outside the checkout runs
# `tissue-sim models`, a coarse `run` and a `demo` (~1-2 min; dependencies from a wheelhouse
# in ~/.cache/tissue-sim, downloaded on the first run only).
wheel-check: install
	bash tests/packaging/wheel_check.sh $(BIN)/python

# The tutorial notebooks (docs/tutorials), executed at tutorial size (~1-2 min)
tutorials: install-test
	OPENBLAS_NUM_THREADS=1 $(BIN)/python -m pytest --nbmake docs/tutorials -q -p no:randomly

test: lint typecheck unit tutorials wheel-check

# Rewrite the stored reference pictures of tests/viz/test_viz_regression.py after an intended
# change of a figure (look at them, then commit tests/viz/reference_figures/).
update-figures: install-test
	TISSUE_SIM_UPDATE_FIGURES=1 $(BIN)/python -m pytest tests/viz/test_viz_regression.py -q

bench: install-bench
	$(BIN)/python -m pytest benchmarks --benchmark-only --benchmark-columns=min,mean,max,rounds -p no:randomly -s

# Optional PETSc back-end and the DOLFINx peer: Python 3.12 (the dolfinx-solver-real wheel
# bundles PETSc + petsc4py; there is no petsc4py wheel for 3.11). Not needed by `make test`.
PYTHON312 ?= $(firstword $(wildcard $(HOME)/.pyenv/versions/3.12*/bin/python3.12) python3.12)
PETSC_VENV := .venv-petsc

install-petsc: $(PETSC_VENV)/.installed

$(PETSC_VENV)/.installed: pyproject.toml
	$(PYTHON312) -m venv $(PETSC_VENV)
	$(PETSC_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(PETSC_VENV)/bin/python -m pip install --quiet -e ".[petsc,test]" h5py
	touch $@

test-petsc: install-petsc
	OPENBLAS_NUM_THREADS=1 $(PETSC_VENV)/bin/python -m pytest tests/fem/test_fem_solvers.py -q -p no:randomly

# peers of benchmarks/test_bench_peers.py: scikit-fem in .venv, DOLFINx in .venv-petsc
install-peers: install-bench install-petsc

bench-peers: install-peers
	OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 $(BIN)/python -m pytest benchmarks/test_bench_peers.py --benchmark-only --benchmark-columns=min,rounds -p no:randomly -s

clean:
	rm -rf $(VENV) $(PETSC_VENV) .pytest_cache .mypy_cache .ruff_cache
