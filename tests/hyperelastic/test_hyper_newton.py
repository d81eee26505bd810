"""Load frames, adaptive increments, cut-backs and failures of the nonlinear solver."""

from __future__ import annotations

import numpy as np
import pytest

from tissue_sim.errors import SolverError
from tissue_sim.fem.dirichlet import DirichletCondition
from tissue_sim.geometry.mesh import Mesh, structured_block_mesh
from tissue_sim.mechanics.hyperelastic import (
    HyperelasticProblem,
    NeoHookean,
    NewtonSettings,
    Ogden,
    forcing_term,
    solve_frames,
)

SKIN = NeoHookean(8.0e3, 666.67e3)
ADIPOSE = NeoHookean(0.8e3, 66.67e3)
MUSCLE = Ogden((15.6e3,), (21.4,), 1.3e6)


def _block() -> Mesh:
    """A 10 × 10 × 8 mm block: 2 mm skin, 4 mm adipose, 2 mm muscle (top first)."""
    axis = np.linspace(0.0, 10e-3, 4)
    z = np.array([0.0, 2e-3, 4e-3, 6e-3, 8e-3])
    return structured_block_mesh(
        axis, axis, z, np.array([2, 1, 1, 0], dtype=np.int32), ("skin", "adipose", "muscle")
    )


def _problem() -> HyperelasticProblem:
    return HyperelasticProblem(_block(), [SKIN, ADIPOSE, MUSCLE])


def _clamped(mesh: Mesh) -> DirichletCondition:
    return DirichletCondition.homogeneous(
        mesh.num_points, [(mesh.nodes_on_face("bottom"), (0, 1, 2))]
    )


def _pressure(amplitude: float):  # type: ignore[no-untyped-def]
    def traction(x: np.ndarray) -> np.ndarray:
        bump = np.exp(-((x[:, 0] - 5e-3) ** 2 + (x[:, 1] - 5e-3) ** 2) / (3e-3) ** 2)
        return np.column_stack([0.2 * amplitude * bump, 0.0 * bump, -amplitude * bump])

    return traction


def test_frames_start_from_the_previous_state_and_are_path_independent() -> None:
    problem = _problem()
    condition = _clamped(problem.mesh)
    frames = [_pressure(1e3), _pressure(2e3), _pressure(1e3), _pressure(0.0)]
    solution = problem.solve_frames(frames, condition)
    assert solution.displacements.shape == (4, problem.mesh.num_points, 3)
    assert len(solution.statistics) == 4
    # hyperelastic: the same load gives the same state, unloading returns to the reference
    scale = np.abs(solution.displacements[1]).max()
    assert scale > 1e-4
    np.testing.assert_allclose(
        solution.displacements[2], solution.displacements[0], atol=1e-8 * scale
    )
    assert np.abs(solution.displacements[3]).max() < 1e-8 * scale
    # the 2 kPa frame solved directly from rest gives the same state
    direct = problem.solve_frames([_pressure(2e3)], condition)
    np.testing.assert_allclose(
        direct.displacements[0], solution.displacements[1], atol=1e-8 * scale
    )
    # reactions balance the applied load (bottom nodes carry all of it)
    load = problem.load_vector(_pressure(2e3))
    np.testing.assert_allclose(
        solution.reactions[1].sum(axis=0), -load.sum(axis=0), atol=1e-7 * np.abs(load).sum()
    )
    for frame in solution.statistics:
        assert frame.converged_increments >= 1
        assert all(inc.converged for inc in frame.increments[-1:])
        assert frame.newton_iterations >= frame.converged_increments
    assert solution.newton_iterations == sum(f.newton_iterations for f in solution.statistics)


def test_array_loads_match_callable_loads() -> None:
    problem = _problem()
    condition = _clamped(problem.mesh)
    callable_solution = problem.solve_frames([_pressure(1.5e3)], condition)
    vectors = np.stack([problem.load_vector(_pressure(1.5e3))])
    array_solution = solve_frames(problem, vectors, condition)
    np.testing.assert_allclose(array_solution.displacements, callable_solution.displacements)


def test_a_hard_increment_is_cut_back_and_still_reaches_the_load() -> None:
    problem = _problem()
    condition = _clamped(problem.mesh)
    hard = NewtonSettings(max_iterations=4, stagnation_window=0)
    solution = problem.solve_frames([_pressure(3e3)], condition, settings=hard)
    frame = solution.statistics[0]
    assert frame.cutbacks >= 1
    failed = [inc for inc in frame.increments if not inc.converged]
    assert all(inc.failure for inc in failed)
    assert frame.increments[-1].end == 1.0
    assert any(inc.predicted for inc in frame.increments)
    reference = problem.solve_frames(
        [_pressure(3e3)], condition, settings=NewtonSettings(initial_step=0.125)
    )
    scale = np.abs(reference.displacements[0]).max()
    assert scale > 1e-3  # the adipose layer is compressed by 35 %
    np.testing.assert_allclose(
        solution.displacements[0], reference.displacements[0], atol=1e-7 * scale
    )


def test_prescribed_indentation_per_frame() -> None:
    """Dirichlet values change per frame (same mask) and are ramped with the increments."""
    problem = _problem()
    mesh = problem.mesh
    top = mesh.nodes_on_face("top")
    fixed = np.zeros((mesh.num_points, 3), dtype=bool)
    fixed[mesh.nodes_on_face("bottom")] = True
    fixed[top, 2] = True
    conditions = []
    for depth in (0.5e-3, 1.5e-3, 0.0):
        values = np.zeros((mesh.num_points, 3))
        values[top, 2] = -depth
        conditions.append(DirichletCondition(fixed.reshape(-1), values.reshape(-1)))
    zero = np.zeros((mesh.num_points, 3))
    solution = problem.solve_frames([zero, zero, zero], conditions)
    for frame, depth in enumerate((0.5e-3, 1.5e-3, 0.0)):
        np.testing.assert_allclose(solution.displacements[frame][top, 2], -depth, atol=1e-15)
    # pushing down needs a downward force on the skin: reactions on the top are negative
    assert solution.reactions[1][top, 2].sum() < 0.0
    assert abs(solution.reactions[1][top, 2].sum()) > abs(solution.reactions[0][top, 2].sum())
    assert np.abs(solution.displacements[2]).max() < 1e-9


def test_an_unreachable_indentation_reports_the_inverted_layer() -> None:
    """Pushing the skin 9 mm into an 8 mm block cannot succeed."""
    problem = _problem()
    mesh = problem.mesh
    top = mesh.nodes_on_face("top")
    fixed = np.zeros((mesh.num_points, 3), dtype=bool)
    fixed[mesh.nodes_on_face("bottom")] = True
    fixed[top] = True
    values = np.zeros((mesh.num_points, 3))
    values[top, 2] = -9e-3
    condition = DirichletCondition(fixed.reshape(-1), values.reshape(-1))
    settings = NewtonSettings(min_step=1.0 / 16.0)
    with pytest.raises(SolverError, match=r"could not reach load frame 0") as info:
        problem.solve_frames([np.zeros((mesh.num_points, 3))], condition, settings=settings)
    message = str(info.value)
    assert "element inversion (det F <= 0)" in message
    assert "'adipose'" in message  # the softest layer collapses first
    assert "reached" in message


def test_an_impossible_load_raises_a_clear_error() -> None:
    problem = _problem()
    settings = NewtonSettings(max_iterations=3, min_step=0.25, initial_step=0.5)
    with pytest.raises(SolverError, match=r"could not reach load frame 0 of 1.*Last failure"):
        problem.solve_frames([_pressure(1e6)], _clamped(problem.mesh), settings=settings)


def test_input_checks() -> None:
    problem = _problem()
    condition = _clamped(problem.mesh)
    n = problem.mesh.num_points
    with pytest.raises(ValueError, match="Dirichlet conditions"):
        problem.solve_frames([np.zeros((n, 3))] * 2, [condition] * 3)
    other = DirichletCondition.homogeneous(n, [(problem.mesh.nodes_on_face("top"), (2,))])
    with pytest.raises(ValueError, match="same dofs"):
        problem.solve_frames([np.zeros((n, 3))] * 2, [condition, other])
    with pytest.raises(ValueError, match="initial displacement"):
        problem.solve_frames([np.zeros((n, 3))], condition, initial=np.zeros(5))
    with pytest.raises(ValueError, match="load vector"):
        solve_frames(problem, [np.zeros(5)], condition)
    empty = problem.solve_frames([], condition)
    assert empty.displacements.shape == (0, n, 3)
    for bad in (
        {"rtol": 0.0, "atol": 0.0},
        {"max_iterations": 0},
        {"min_step": 0.5, "initial_step": 0.25},
        {"growth": 0.5},
        {"line_search_tolerance": 1.0},
        {"sufficient_decrease": 0.6},
        {"linear_solver": "cholesky"},
        {"stall_iterations": 0},
        {"stagnation_window": -1},
        {"direct_dof_limit": -1},
        {"max_forcing": 1.0},
    ):
        with pytest.raises(ValueError):
            NewtonSettings(**bad)  # type: ignore[arg-type]


def test_amg_linear_solver_gives_the_same_answer() -> None:
    problem = _problem()
    condition = _clamped(problem.mesh)
    direct = problem.solve_frames(
        [_pressure(2e3)], condition, settings=NewtonSettings(linear_solver="direct")
    )
    iterative = problem.solve_frames(
        [_pressure(2e3)], condition, settings=NewtonSettings(linear_solver="amg", linear_rtol=1e-10)
    )
    scale = np.abs(direct.displacements).max()
    np.testing.assert_allclose(iterative.displacements, direct.displacements, atol=1e-7 * scale)
    assert sum(inc.linear_iterations for inc in iterative.statistics[0].increments) > 0
    assert all(inc.linear_iterations == 0 for inc in direct.statistics[0].increments)


def test_forcing_terms_of_the_inexact_newton_iteration() -> None:
    settings = NewtonSettings(linear_rtol=1e-8, max_forcing=0.1)
    assert forcing_term(settings, [1.0], 0.1, 1e-12, first=True) == 0.1
    # η = 0.9 (r_k / r_{k-1})², here 0.9 · 0.01² = 9e-5
    assert forcing_term(settings, [1.0, 0.01], 0.1, 1e-12, first=False) == pytest.approx(9e-5)
    # safeguard: a previous η of 0.5 keeps η ≥ 0.9 · 0.25 (then capped at max_forcing)
    assert forcing_term(settings, [1.0, 0.01], 0.5, 1e-12, first=False) == 0.1
    # never below the nonlinear target (½ target / r_k) nor below linear_rtol
    assert forcing_term(settings, [1.0, 1e-3], 0.1, 1e-6, first=False) == pytest.approx(5e-4)
    assert forcing_term(settings, [1.0, 1e-6], 0.1, 1e-20, first=False) == 1e-8
    exact = NewtonSettings(inexact=False, linear_rtol=1e-9)
    assert forcing_term(exact, [1.0, 0.5], 0.1, 1e-12, first=False) == 1e-9
