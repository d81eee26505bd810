"""Manufactured solutions: optimal convergence orders and no volumetric locking.

P1/Q1 converge at order 2 in L2 and 1 in H1, P2/Q2 at 3 and 2, at nu = 0.3 and at
nu = 0.499 with the mixed formulation; at nu = 0.499 the finest-mesh error is no worse
than twice the nu = 0.3 error. The plain displacement P1 element, as a control, locks.
"""

from __future__ import annotations

import numpy as np
import pytest
from fem_mms_support import divergence_free_field, solve_on_cube

MESHES = {"P1": (2, 4, 8), "Q1": (2, 4, 8), "P2": (2, 4), "Q2": (2, 4)}
ORDERS = {"P1": (2.0, 1.0), "Q1": (2.0, 1.0), "P2": (3.0, 2.0), "Q2": (3.0, 2.0)}


@pytest.fixture(scope="module")
def errors() -> dict[tuple[str, float], list[tuple[float, float]]]:
    u = divergence_free_field()
    table = {}
    for element, sizes in MESHES.items():
        for nu in (0.3, 0.499):
            table[(element, nu)] = [solve_on_cube(element, n, nu, "mixed", u) for n in sizes]
    return table


@pytest.mark.parametrize("element", list(MESHES))
@pytest.mark.parametrize("nu", [0.3, 0.499])
def test_convergence_order(errors, element: str, nu: float) -> None:
    history = np.array(errors[(element, nu)])
    rates = np.log2(history[-2] / history[-1])
    expected = np.array(ORDERS[element])
    assert rates == pytest.approx(expected, abs=0.25), f"{element} nu={nu}: rates {rates}"


@pytest.mark.parametrize("element", list(MESHES))
def test_no_locking_at_nu_0499(errors, element: str) -> None:
    compressible = np.array(errors[(element, 0.3)][-1])
    nearly_incompressible = np.array(errors[(element, 0.499)][-1])
    assert np.all(nearly_incompressible <= 2.0 * compressible), (
        f"{element}: errors {nearly_incompressible} at nu=0.499 vs {compressible} at nu=0.3"
    )


def test_displacement_p1_locks_as_control() -> None:
    """The plain displacement P1 element loses accuracy as nu -> 0.5 (what the mixed one fixes)."""
    u = divergence_free_field()
    compressible = np.array(solve_on_cube("P1", 8, 0.3, "displacement", u))
    locked = np.array(solve_on_cube("P1", 8, 0.4999, "displacement", u))
    mixed = np.array(solve_on_cube("P1", 8, 0.4999, "mixed", u))
    assert locked[0] > 2.0 * compressible[0]
    assert mixed[0] < 2.0 * compressible[0]
