"""Load frames, adaptive increments, cut-backs, failures and the linear solves of Newton."""

from __future__ import annotations

import numpy as np
import pytest

from tissue_sim.errors import SolverError
from tissue_sim.fem.dirichlet import DirichletCondition
from tissue_sim.fem.surface import facet_quadrature
from tissue_sim.geometry.mesh import Mesh, structured_block_mesh
from tissue_sim.mechanics import FrameLoads, FrameSolution, NewtonSettings, SolidBody, solve_frames
from tissue_sim.mechanics._tangent_solver import flexible_gmres, should_rebuild
from tissue_sim.mechanics.frames import _BodySystem
from tissue_sim.mechanics.hyperelastic import NeoHookean, Ogden
from tissue_sim.mechanics.newton import forcing_term

SKIN = NeoHookean(8.0e3, 666.67e3)  # FACTS §2, pressure-injury FE set (C10 = 4 kPa)
ADIPOSE = NeoHookean(0.8e3, 66.67e3)  # FACTS §2, same set (C10 = 0.4 kPa)
MUSCLE = Ogden((15.6e3,), (21.4,), 1.3e6)  # FACTS §2, Bosboom et al. 2001 (κ assumed)


def _block() -> Mesh:
    """A 10 × 10 × 8 mm block: 2 mm skin, 4 mm adipose, 2 mm muscle (top first)."""
    axis = np.linspace(0.0, 10e-3, 4)
    z = np.array([0.0, 2e-3, 4e-3, 6e-3, 8e-3])
    return structured_block_mesh(
        axis, axis, z, np.array([2, 1, 1, 0], dtype=np.int32), ("skin", "adipose", "muscle")
    )


def _body() -> SolidBody:
    return SolidBody(_block(), [SKIN, ADIPOSE, MUSCLE])


def _clamped(mesh: Mesh) -> DirichletCondition:
    return DirichletCondition.homogeneous(
        mesh.num_points, [(mesh.nodes_on_face("bottom"), (0, 1, 2))]
    )


def _pressure(amplitude: float):  # type: ignore[no-untyped-def]
    def traction(x: np.ndarray) -> np.ndarray:
        bump = np.exp(-((x[:, 0] - 5e-3) ** 2 + (x[:, 1] - 5e-3) ** 2) / (3e-3) ** 2)
        return np.column_stack([0.2 * amplitude * bump, 0.0 * bump, -amplitude * bump])

    return traction


def _solve(
    body: SolidBody,
    amplitudes: list[float],
    condition: DirichletCondition | list[DirichletCondition] | None = None,
    *,
    follower: bool = False,
    **settings: object,
) -> FrameSolution:
    top = facet_quadrature(body.mesh, body.mesh.facets["top"], degree=4, subdivisions=2)
    loads = FrameLoads.from_tractions(top, [_pressure(a) for a in amplitudes], follower=follower)
    dirichlet = _clamped(body.mesh) if condition is None else condition
    solution, _ = solve_frames(
        body,
        loads,
        dirichlet,
        newton=NewtonSettings(**settings),  # type: ignore[arg-type]
    )
    return solution


def _dead_load(body: SolidBody, amplitude: float) -> np.ndarray:
    top = facet_quadrature(body.mesh, body.mesh.facets["top"], degree=4, subdivisions=2)
    loads = FrameLoads.from_tractions(top, [_pressure(amplitude)], follower=False)
    return loads.dead_patterns(body.mesh.num_points)[0]


@pytest.mark.parametrize("follower", [False, True], ids=["dead", "follower"])
def test_frames_start_from_the_previous_state_and_are_path_independent(follower: bool) -> None:
    body = _body()
    solution = _solve(body, [1e3, 2e3, 1e3, 0.0], follower=follower)
    assert solution.displacement.shape == (4, body.mesh.num_points, 3)
    assert solution.newton is not None and len(solution.newton.frames) == 4
    # hyperelastic: the same load gives the same state, unloading returns to the reference
    scale = np.abs(solution.displacement[1]).max()
    assert scale > 1e-4
    np.testing.assert_allclose(
        solution.displacement[2], solution.displacement[0], atol=1e-8 * scale
    )
    assert np.abs(solution.displacement[3]).max() < 1e-8 * scale
    # the 2 kPa frame solved directly from rest gives the same state
    direct = _solve(body, [2e3], follower=follower)
    np.testing.assert_allclose(direct.displacement[0], solution.displacement[1], atol=1e-8 * scale)
    # reactions balance the applied load (bottom nodes carry all of it)
    np.testing.assert_allclose(
        solution.base_reaction[1],
        -solution.applied_force[1],
        atol=1e-7 * np.abs(solution.applied_force[1]).sum(),
    )
    for frame in solution.newton.frames:
        assert frame.converged_increments >= 1
        assert all(inc.converged for inc in frame.increments[-1:])
    # the unloaded frame is the reference state, reached without a Newton iteration
    assert solution.newton.iterations_per_frame[3] == 0
    assert solution.newton.newton_iterations == sum(solution.newton.iterations_per_frame)
    assert solution.newton.summary()["newton_iterations_per_frame"] == list(
        solution.newton.iterations_per_frame
    )


def test_array_loads_match_traction_loads() -> None:
    body = _body()
    tractions = _solve(body, [1.5e3])
    vectors = FrameLoads.from_vectors(_dead_load(body, 1.5e3)[None])
    arrays, _ = solve_frames(body, vectors, _clamped(body.mesh))
    scale = np.abs(tractions.displacement).max()
    np.testing.assert_allclose(arrays.displacement, tractions.displacement, atol=1e-6 * scale)


def test_a_hard_increment_is_cut_back_and_still_reaches_the_load() -> None:
    body = _body()
    solution = _solve(body, [3e3], max_iterations=4, stagnation_window=0)
    assert solution.newton is not None
    frame = solution.newton.frames[0]
    assert frame.cutbacks >= 1
    failed = [inc for inc in frame.increments if not inc.converged]
    assert all(inc.failure for inc in failed)
    assert frame.increments[-1].end == 1.0
    reference = _solve(body, [3e3], initial_step=0.125)
    scale = np.abs(reference.displacement[0]).max()
    assert scale > 1e-3  # the adipose layer is compressed by 35 %
    np.testing.assert_allclose(
        solution.displacement[0], reference.displacement[0], atol=1e-7 * scale
    )


def test_the_secant_predictor_is_taken_only_where_it_is_closer_to_balance() -> None:
    """Nearly linear (30 Pa): the secant extrapolation of the last increment is almost the
    answer and starts the next increments. At 3 kPa (35 % fat compression) it
    overshoots: Newton starts from the last converged state instead."""
    body = _body()
    for load, used in ((30.0, True), (3e3, False)):
        solution = _solve(body, [load], initial_step=0.25)
        assert solution.newton is not None
        increments = solution.newton.frames[0].increments
        assert len(increments) >= 2 and all(inc.converged for inc in increments)
        assert any(inc.predicted for inc in increments[1:]) is used


def test_a_new_frame_starts_with_an_increment_scaled_to_its_out_of_balance_force() -> None:
    """Increments that do not grow (``fast_iterations=0``) stay at a quarter of a frame,
    except where a whole frame's load change puts less out of balance on the converged
    state than the last increment started with: a 3 % load change is one increment, a
    doubling of the load (out of balance 30 times more) keeps the quarter increments."""
    body = _body()
    solution = _solve(body, [3e3, 3.1e3, 4.5e3], initial_step=0.25, fast_iterations=0)
    assert solution.newton is not None
    frames = solution.newton.frames
    assert [frame.converged_increments for frame in frames] == [4, 1, 4]
    assert all(frame.cutbacks == 0 for frame in frames)
    # frame 1's whole change starts less out of balance than frame 0's last quarter did
    assert frames[1].increments[0].residual_norms[0] < frames[0].increments[-1].residual_norms[0]
    assert frames[2].increments[0].end == 0.25
    reference = _solve(body, [3e3, 3.1e3, 4.5e3], initial_step=0.125, rtol=1e-10)
    scale = np.abs(reference.displacement).max()
    np.testing.assert_allclose(solution.displacement, reference.displacement, atol=1e-5 * scale)


def test_a_tiny_load_with_a_tight_tolerance_converges_at_round_off() -> None:
    """At 1e-4 of the load, rtol = 1e-10 asks for less than the floating-point noise of
    the internal forces; the absolute floor (``round_off_force``) accepts the state
    instead of failing with 'did not decrease over 4 iterations'."""
    body = _body()
    solution = _solve(body, [0.3], rtol=1e-10)  # 1e-4 of a 3 kPa load
    assert solution.newton is not None
    increments = solution.newton.frames[0].increments
    assert all(inc.converged for inc in increments) and len(increments) == 1
    last = increments[0].residual_norms[-1]
    assert last <= max(1e-10 * increments[0].reference_force, body.round_off_force)
    # ... and it is the linear answer (strains ~ 1e-4)
    linear, _ = solve_frames(
        body.linearised(), FrameLoads.from_vectors(_dead_load(body, 0.3)[None]), _clamped(body.mesh)
    )
    difference = np.linalg.norm(solution.displacement - linear.displacement)
    assert difference < 1e-3 * np.linalg.norm(linear.displacement)
    # the floor is noise, far below the forces of this load
    assert body.round_off_force < 1e-7 * increments[0].reference_force


def test_prescribed_indentation_per_frame() -> None:
    """Dirichlet values change per frame (same mask) and are ramped with the increments."""
    body = _body()
    mesh = body.mesh
    top = mesh.nodes_on_face("top")
    fixed = np.zeros((mesh.num_points, 3), dtype=bool)
    fixed[mesh.nodes_on_face("bottom")] = True
    fixed[top, 2] = True
    conditions = []
    for depth in (0.5e-3, 1.5e-3, 0.0):
        values = np.zeros((mesh.num_points, 3))
        values[top, 2] = -depth
        conditions.append(DirichletCondition(fixed.reshape(-1), values.reshape(-1)))
    zero = np.zeros((3, mesh.num_points, 3))
    solution, _ = solve_frames(body, FrameLoads.from_vectors(zero), conditions)
    for frame, depth in enumerate((0.5e-3, 1.5e-3, 0.0)):
        np.testing.assert_allclose(solution.displacement[frame][top, 2], -depth, atol=1e-15)
    # pushing down needs a downward force on the skin: reactions on the top are negative
    assert solution.reactions[1][top, 2].sum() < 0.0
    assert abs(solution.reactions[1][top, 2].sum()) > abs(solution.reactions[0][top, 2].sum())
    assert np.abs(solution.displacement[2]).max() < 1e-9


def test_an_unreachable_indentation_reports_the_inverted_layer() -> None:
    """Pushing the skin 9 mm into an 8 mm block cannot succeed."""
    body = _body()
    mesh = body.mesh
    top = mesh.nodes_on_face("top")
    fixed = np.zeros((mesh.num_points, 3), dtype=bool)
    fixed[mesh.nodes_on_face("bottom")] = True
    fixed[top] = True
    values = np.zeros((mesh.num_points, 3))
    values[top, 2] = -9e-3
    condition = DirichletCondition(fixed.reshape(-1), values.reshape(-1))
    loads = FrameLoads.from_vectors(np.zeros((1, mesh.num_points, 3)))
    with pytest.raises(SolverError, match=r"could not reach load frame 0") as info:
        solve_frames(body, loads, condition, newton=NewtonSettings(min_step=1.0 / 16.0))
    message = str(info.value)
    assert "element inversion (det F <= 0)" in message
    assert "'adipose'" in message  # the softest layer collapses first
    assert "reached" in message


def test_an_impossible_load_raises_a_clear_error() -> None:
    with pytest.raises(SolverError, match=r"could not reach load frame 0 of 1.*Last failure"):
        _solve(_body(), [1e6], max_iterations=3, min_step=0.25, initial_step=0.5)


def test_input_checks() -> None:
    body = _body()
    condition = _clamped(body.mesh)
    n = body.mesh.num_points
    loads = FrameLoads.from_vectors(np.zeros((2, n, 3)))
    with pytest.raises(ValueError, match="Dirichlet conditions"):
        solve_frames(body, loads, [condition] * 3)
    other = DirichletCondition.homogeneous(n, [(body.mesh.nodes_on_face("top"), (2,))])
    with pytest.raises(ValueError, match="same dofs"):
        solve_frames(body, loads, [condition, other])
    with pytest.raises(ValueError, match="initial displacement"):
        solve_frames(body, loads, condition, initial=np.zeros(5))
    with pytest.raises(ValueError, match="nodal vectors"):
        FrameLoads(np.eye(2), nodal=np.zeros((3, n, 3)))
    empty, _ = solve_frames(body, FrameLoads.from_vectors(np.zeros((0, n, 3))), condition)
    assert empty.displacement.shape == (0, n, 3)
    for bad in (
        {"rtol": 0.0, "atol": 0.0},
        {"max_iterations": 0},
        {"min_step": 0.5, "initial_step": 0.25},
        {"growth": 0.5},
        {"line_search_tolerance": 1.0},
        {"sufficient_decrease": 0.6},
        {"linear_solver": "cholesky"},
        {"stagnation_window": -1},
        {"stall_iterations": 0},
        {"direct_dof_limit": -1},
        {"max_forcing": 1.0},
        {"max_krylov": 1},
        {"rebuild_rate": 0.0},
    ):
        with pytest.raises(ValueError):
            NewtonSettings(**bad)  # type: ignore[arg-type]


def test_amg_and_refactorisation_give_the_same_answer() -> None:
    body = _body()
    direct = _solve(body, [2e3], linear_solver="direct", rtol=1e-10)
    fresh = _solve(body, [2e3], linear_solver="direct", rtol=1e-10, reuse_factorisation=False)
    iterative = _solve(body, [2e3], linear_solver="amg", linear_rtol=1e-10, rtol=1e-10)
    scale = np.abs(direct.displacement).max()
    np.testing.assert_allclose(iterative.displacement, direct.displacement, atol=1e-7 * scale)
    np.testing.assert_allclose(fresh.displacement, direct.displacement, atol=1e-7 * scale)
    assert direct.newton is not None and fresh.newton is not None
    # without reuse every linear solve sets the solver up again
    assert fresh.newton.setups == fresh.newton.newton_iterations
    assert direct.newton.setups <= direct.newton.newton_iterations


def test_follower_pressure_departs_from_the_dead_load_only_at_large_loads() -> None:
    """A follower pressure acts per deformed area, normal to the deformed skin: the load's
    resultant is no longer the dead resultant and the solution differs from the dead one,
    while at a small load both agree with the linear answer."""
    body = _body()
    dead = _solve(body, [2e3])
    follower = _solve(body, [2e3], follower=True)
    assert not np.allclose(follower.displacement, dead.displacement, rtol=0, atol=1e-6)
    assert follower.applied_force[0, 2] != pytest.approx(dead.applied_force[0, 2], rel=1e-3)
    small_dead = _solve(body, [1.0])
    small_follower = _solve(body, [1.0], follower=True)
    scale = np.abs(small_dead.displacement).max()
    np.testing.assert_allclose(
        small_follower.displacement, small_dead.displacement, atol=1e-3 * scale
    )


def test_a_residual_only_evaluation_is_the_residual_of_the_full_one() -> None:
    """Line-search trials and the frame-start probe evaluate without the tangent: the
    residual (follower pressure included) and force scale must be those of the full
    evaluation, at a deformed state and between two frames' load levels, whichever of
    the two is evaluated (and cached) first."""
    body = _body()
    solution = _solve(body, [1e3, 2e3], follower=True)
    top = facet_quadrature(body.mesh, body.mesh.facets["top"], degree=4, subdivisions=2)
    loads = FrameLoads.from_tractions(top, [_pressure(1e3), _pressure(2e3)], follower=True)
    u = solution.displacement[0].reshape(-1)
    assert np.abs(u).max() > 1e-4
    for order in ((False, True), (True, False)):
        system = _BodySystem(body, loads)
        states = {t: system.evaluate(u, 1, 0.5, tangent=t) for t in order}
        assert states[True].tangent is not None
        assert np.linalg.norm(states[True].residual) > 1e-3
        tight = 1e-12 * np.abs(states[True].residual).max()  # (a separate kernel may round)
        np.testing.assert_allclose(states[False].residual, states[True].residual, atol=tight)
        assert states[False].force_scale == pytest.approx(states[True].force_scale, rel=1e-12)
        assert states[False].level == states[True].level == (1, 0.5)
    full, bare = body.evaluate(u.reshape(-1, 3)), body.evaluate(u.reshape(-1, 3), tangent=False)
    assert bare.tangent is None
    tight = 1e-12 * np.abs(full.internal_force).max()
    np.testing.assert_allclose(bare.internal_force, full.internal_force, atol=tight)


def test_the_applied_force_is_the_resultant_of_each_converged_frame_s_load() -> None:
    """Recorded as each frame converges (from the last evaluations): it equals the
    resultant of the follower pressure recomputed at the converged displacement."""
    body = _body()
    solution = _solve(body, [1e3, 2e3, 0.0], follower=True)
    top = facet_quadrature(body.mesh, body.mesh.facets["top"], degree=4, subdivisions=2)
    amplitudes = [1e3, 2e3, 0.0]
    loads = FrameLoads.from_tractions(top, [_pressure(a) for a in amplitudes], follower=True)
    fresh = _BodySystem(body, loads)
    for k, u in enumerate(solution.displacement):
        external, _, _ = fresh.external(u.reshape(-1), loads.weights(k, 1.0), tangent=False)
        np.testing.assert_allclose(
            solution.applied_force[k], external.reshape(-1, 3).sum(axis=0), rtol=1e-12, atol=0
        )
    assert solution.applied_force[1, 2] < 1.9 * solution.applied_force[0, 2] < 0.0
    np.testing.assert_array_equal(solution.applied_force[2], 0.0)


def test_forcing_terms_of_the_inexact_newton_iteration() -> None:
    settings = NewtonSettings(linear_rtol=1e-8, max_forcing=0.1, inexact=True)
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
    # the default: inexact with AMG, exact with a factorisation
    assert forcing_term(NewtonSettings(), [1.0], 0.1, 1e-12, first=True) == 1e-8
    amg = NewtonSettings(linear_solver="amg")
    assert forcing_term(amg, [1.0], 0.1, 1e-12, first=True) == 0.1


def test_flexible_gmres_solves_a_nonsymmetric_system() -> None:
    rng = np.random.default_rng(3)
    matrix = np.eye(40) * 4.0 + 0.3 * rng.standard_normal((40, 40))
    rhs = rng.standard_normal(40)
    exact = np.linalg.solve(matrix, rhs)
    # with the exact inverse as preconditioner: one iteration
    solution, iterations = flexible_gmres(
        lambda v: matrix @ v,
        lambda v: np.linalg.solve(matrix, v),
        rhs,
        rtol=1e-12,
        max_iterations=5,
    )
    assert iterations == 1
    np.testing.assert_allclose(solution, exact, rtol=1e-10)
    # with a diagonal preconditioner: converges to the tolerance
    solution, iterations = flexible_gmres(
        lambda v: matrix @ v, lambda v: v / 4.0, rhs, rtol=1e-10, max_iterations=40
    )
    assert 1 < iterations <= 40
    assert np.linalg.norm(matrix @ solution - rhs) <= 1e-10 * np.linalg.norm(rhs) * 1.01


def test_the_set_up_is_rebuilt_when_the_iterations_per_decade_grow() -> None:
    assert not should_rebuild(1, 1e-15, rate=2.0)  # a fresh factorisation
    assert not should_rebuild(6, 1e-4, rate=2.0)  # 1.5 iterations per decade
    assert should_rebuild(10, 1e-4, rate=2.0)  # 2.5 per decade
    assert should_rebuild(3, 0.5, rate=2.0)  # less than a decade counts as one
