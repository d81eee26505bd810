"""The memory estimate counts every factorising solver as direct (docs/reliability.md).

A direct solve keeps the factor of the stiffness matrix (estimated at 8 matrices' worth),
an iterative one the matrix and its AMG hierarchy (3): PARDISO, CHOLMOD, SuperLU and
MUMPS factor like ``direct`` does, so a scenario naming one must not be predicted at the
smaller iterative size.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tissue_sim.config import load_config
from tissue_sim.config.limits import ITERATIVE_SOLVERS, estimate_size
from tissue_sim.fem.solvers import METHODS

BASELINE = Path(__file__).resolve().parents[2] / "configs" / "baseline.yaml"


def _memory(method: str) -> float:
    scenario = load_config(BASELINE, ["mesh.size=coarse", f"mechanics.solver={method}"])
    return estimate_size(scenario).memory


def test_the_iterative_methods_are_solver_methods() -> None:
    assert set(ITERATIVE_SOLVERS) <= set(METHODS)


@pytest.mark.parametrize("method", ["pardiso", "cholmod", "superlu", "mumps", "auto"])
def test_factorising_solvers_are_estimated_as_direct(method: str) -> None:
    assert _memory(method) == _memory("direct")


@pytest.mark.parametrize("method", ITERATIVE_SOLVERS)
def test_iterative_solvers_are_estimated_smaller(method: str) -> None:
    assert _memory(method) < _memory("direct")
