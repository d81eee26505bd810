"""Linear solvers: direct and AMG-CG agree, residuals are checked, failures are errors."""

from __future__ import annotations

import numpy as np
import pytest

from tissue_sim.errors import SolverError
from tissue_sim.fem.dirichlet import DirichletCondition, apply_dirichlet
from tissue_sim.fem.solvers import make_solver, rigid_body_modes
from tissue_sim.geometry.block import BlockSpec, mesh_block
from tissue_sim.mechanics.frames import base_condition
from tissue_sim.mechanics.linear import LinearElasticProblem
from tissue_sim.mechanics.materials import LinearElasticMaterial


@pytest.fixture(scope="module")
def system():
    block = BlockSpec((0.04, 0.04), ("soft", "stiff"), (0.01, 0.01))
    mesh = mesh_block(block, element="Q1", size=4e-3)
    problem = LinearElasticProblem(
        mesh, [LinearElasticMaterial(2e3, 0.49), LinearElasticMaterial(1e5, 0.45)]
    )
    rng = np.random.default_rng(1)
    load = rng.normal(size=3 * mesh.num_points)
    matrix, rhs = apply_dirichlet(problem.stiffness(), load, base_condition(mesh, "roller"))
    return mesh, problem, matrix, rhs


def test_rigid_body_modes_span_the_kernel_of_the_free_stiffness(system) -> None:
    mesh, problem, _, _ = system
    stiffness = problem.stiffness()
    modes = rigid_body_modes(mesh.points)
    scale = np.abs(stiffness.diagonal()).max()
    assert np.abs(stiffness @ modes).max() < 1e-9 * scale


def test_direct_and_amg_agree(system) -> None:
    mesh, _, matrix, rhs = system
    direct = make_solver(matrix, method="direct").solve(rhs)
    amg = make_solver(matrix, method="amg", rtol=1e-10, points=mesh.points)
    iterative = amg.solve(rhs)
    assert np.linalg.norm(iterative - direct) <= 1e-6 * np.linalg.norm(direct)
    assert amg.statistics.iterations[0] > 0
    assert amg.statistics.relative_residuals[0] <= 1e-9


def test_cg_that_cannot_converge_raises(system) -> None:
    mesh, _, matrix, rhs = system
    solver = make_solver(matrix, method="amg", rtol=1e-12, maxiter=2, points=mesh.points)
    with pytest.raises(SolverError, match="did not converge"):
        solver.solve(rhs)


def test_several_right_hand_sides_match_single_solves(system) -> None:
    _, _, matrix, rhs = system
    solver = make_solver(matrix, method="direct")
    both = solver.solve(np.column_stack([rhs, 2.0 * rhs]))
    assert np.allclose(both[:, 1], 2.0 * solver.solve(rhs), rtol=1e-12, atol=0)


def test_nonhomogeneous_dirichlet_values_are_imposed(system) -> None:
    mesh, problem, _, _ = system
    fixed = np.zeros(3 * mesh.num_points, dtype=bool)
    bottom = mesh.nodes_on_face("bottom")
    fixed[3 * bottom + 2] = True
    fixed[3 * bottom] = True
    fixed[3 * bottom + 1] = True
    values = np.zeros(3 * mesh.num_points)
    values[3 * bottom + 2] = 1e-4
    matrix, rhs = apply_dirichlet(
        problem.stiffness(), np.zeros(3 * mesh.num_points), DirichletCondition(fixed, values)
    )
    solution = make_solver(matrix, method="direct").solve(rhs)
    # a rigid lift of the whole block
    assert np.allclose(solution.reshape(-1, 3), [0.0, 0.0, 1e-4], atol=1e-15)
