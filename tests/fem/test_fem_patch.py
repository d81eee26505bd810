"""Patch test: a linear displacement field is reproduced to round-off by every element.

A linear field u = A x + b has constant strain and zero body force; prescribing it on
the boundary of a graded mesh with two layer tags (same material: with two materials a
linear field is not in equilibrium at the interface) must give it back exactly inside,
with the exact constant stress, for both formulations, at nu = 0.3 and nu = 0.4999.
"""

from __future__ import annotations

import numpy as np
import pytest

from tissue_sim.fem.dirichlet import DirichletCondition, apply_dirichlet
from tissue_sim.fem.solvers import make_solver
from tissue_sim.geometry.axes import graded_axis
from tissue_sim.geometry.mesh import structured_block_mesh
from tissue_sim.mechanics.linear import LinearElasticProblem
from tissue_sim.mechanics.materials import LinearElasticMaterial

GRADIENT = np.array([[1e-3, 2e-3, -5e-4], [3e-4, -2e-3, 1e-3], [4e-4, 6e-4, 1.5e-3]])
OFFSET = np.array([1e-4, -2e-4, 3e-4])


def _mesh(element: str):
    x = graded_axis(-1.0, 1.0, -0.2, 0.3, 0.25, growth=1.5)
    y = graded_axis(-0.5, 0.5, -0.1, 0.1, 0.2, growth=1.4)
    z = np.array([0.0, 0.3, 0.45, 0.6, 1.0])
    return structured_block_mesh(
        x, y, z, np.array([1, 1, 0, 0], dtype=np.int32), ("top", "bottom"), element=element
    )


@pytest.mark.parametrize("element", ["P1", "P2", "Q1", "Q2"])
@pytest.mark.parametrize("formulation", ["mixed", "displacement"])
@pytest.mark.parametrize("nu", [0.3, 0.4999])
def test_linear_field_reproduced(element: str, formulation: str, nu: float) -> None:
    mesh = _mesh(element)
    materials = [LinearElasticMaterial(2.0e3, nu)] * 2
    problem = LinearElasticProblem(mesh, materials, formulation=formulation)
    exact = mesh.points @ GRADIENT.T + OFFSET
    boundary = np.unique(
        np.concatenate([mesh.nodes_on_face(f) for f in ("top", "bottom", "sides")])
    )
    fixed = np.zeros(3 * mesh.num_points, dtype=bool)
    for component in range(3):
        fixed[3 * boundary + component] = True
    matrix, rhs = apply_dirichlet(
        problem.stiffness(),
        np.zeros(3 * mesh.num_points),
        DirichletCondition(fixed, exact.reshape(-1)),
    )
    solution = make_solver(matrix, method="direct").solve(rhs).reshape(-1, 3)
    interior = np.setdiff1d(np.arange(mesh.num_points), boundary)
    assert interior.size > 0
    assert np.max(np.abs(solution - exact)) < 1e-9 * np.abs(exact).max()
    fields = problem.cell_fields(solution)
    strain = 0.5 * (GRADIENT + GRADIENT.T)
    assert np.max(np.abs(fields.strain - strain)) < 1e-8 * np.abs(strain).max()
    mu = problem.shear_modulus[:, None, None]
    lam = (problem.bulk_modulus - 2.0 * problem.shear_modulus / 3.0)[:, None, None]
    stress = 2.0 * mu * strain + lam * np.trace(strain) * np.eye(3)
    assert np.max(np.abs(fields.stress - stress)) < 1e-6 * np.abs(stress).max()
