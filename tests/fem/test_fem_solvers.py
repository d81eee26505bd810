"""Linear solvers: every path against a known solution, residual checks, failures,
update()/as_preconditioner(), several right-hand sides, bit-for-bit reproducibility.

Paths that are not installed here are skipped with the reason (PARDISO needs the ``mkl``
wheel, CHOLMOD ``cvxopt``, PETSc/MUMPS petsc4py on Python ≥ 3.12: ``make install-petsc``
runs this file there).
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from tissue_sim.errors import SolverError
from tissue_sim.fem.dirichlet import DirichletCondition, apply_dirichlet
from tissue_sim.fem.solvers import (
    AMG_SETTINGS,
    DIRECT_RESIDUAL_LIMIT,
    available_methods,
    direct_dof_limit,
    make_solver,
    rigid_body_modes,
)
from tissue_sim.geometry.block import BlockSpec, mesh_block
from tissue_sim.mechanics.frames import base_condition
from tissue_sim.mechanics.linear import LinearElasticProblem
from tissue_sim.mechanics.materials import LinearElasticMaterial

DIRECT = ("pardiso", "cholmod", "superlu", "mumps")
ITERATIVE = ("amg", "petsc")
PATHS = DIRECT + ITERATIVE
_WHY = {
    "pardiso": "oneMKL not installed (pip install 'tissue-sim[pardiso]')",
    "cholmod": "cvxopt not installed",
    "mumps": "petsc4py not installed (Python >= 3.12: make install-petsc)",
    "petsc": "petsc4py not installed (Python >= 3.12: make install-petsc)",
}


def _require(method: str) -> None:
    if method not in available_methods():
        pytest.skip(_WHY.get(method, f"{method} not installed"))


def _layered_matrix(mesh, soft: float, stiff: float):
    problem = LinearElasticProblem(
        mesh, [LinearElasticMaterial(soft, 0.49), LinearElasticMaterial(stiff, 0.45)]
    )
    return problem


@pytest.fixture(scope="module")
def system():
    """A two-layer block (50× stiffness contrast, ν 0.49), fixed base, roller sides."""
    block = BlockSpec((0.04, 0.04), ("soft", "stiff"), (0.01, 0.01))
    mesh = mesh_block(block, element="Q1", size=4e-3)
    problem = _layered_matrix(mesh, 2e3, 1e5)
    rng = np.random.default_rng(1)
    load = rng.normal(size=3 * mesh.num_points)
    matrix, rhs = apply_dirichlet(problem.stiffness(), load, base_condition(mesh, "roller"))
    return mesh, problem, matrix, rhs


@pytest.fixture(scope="module")
def known(system):
    """A manufactured solution x★ (zero at fixed dofs) and b = A x★."""
    mesh, _, matrix, _ = system
    condition = base_condition(mesh, "roller")
    x_true = np.random.default_rng(7).normal(size=matrix.shape[0])
    x_true[condition.fixed] = 0.0
    return x_true, matrix @ x_true


def _solver(method, matrix, mesh, **kwargs):
    return make_solver(matrix, method=method, rtol=1e-11, points=mesh.points, **kwargs)


def test_rigid_body_modes_span_the_kernel_of_the_free_stiffness(system) -> None:
    mesh, problem, _, _ = system
    stiffness = problem.stiffness()
    modes = rigid_body_modes(mesh.points)
    scale = np.abs(stiffness.diagonal()).max()
    assert np.abs(stiffness @ modes).max() < 1e-9 * scale


@pytest.mark.parametrize("method", PATHS)
def test_each_path_recovers_a_known_solution(system, known, method) -> None:
    _require(method)
    mesh, _, matrix, _ = system
    x_true, b = known
    solver = _solver(method, matrix, mesh)
    x = solver.solve(b)
    tolerance = 1e-9 if method in DIRECT else 1e-6
    assert np.linalg.norm(x - x_true) <= tolerance * np.linalg.norm(x_true)
    residual = solver.statistics.relative_residuals[0]
    assert residual == pytest.approx(np.linalg.norm(b - matrix @ x) / np.linalg.norm(b))
    assert residual <= (DIRECT_RESIDUAL_LIMIT if method in DIRECT else 1e-10)
    assert solver.statistics.method == method
    assert solver.kind == ("direct" if method in DIRECT else "iterative")
    if method in ITERATIVE:
        assert solver.statistics.iterations[0] > 0
    else:
        assert solver.statistics.iterations[0] == 0


@pytest.mark.parametrize("method", PATHS)
def test_several_right_hand_sides_in_one_call_match_single_solves(system, method) -> None:
    _require(method)
    mesh, _, matrix, rhs = system
    solver = _solver(method, matrix, mesh)
    block = np.column_stack([rhs, np.zeros_like(rhs), -3.0 * rhs])
    both = solver.solve(block)
    single = solver.solve(rhs)
    scale = np.abs(single).max()
    tolerance = 1e-12 if method in DIRECT else 1e-8
    assert both.shape == block.shape
    assert np.abs(both[:, 0] - single).max() <= tolerance * scale
    assert not both[:, 1].any()  # a zero column gives exactly zero
    assert np.abs(both[:, 2] + 3.0 * single).max() <= 3 * tolerance * scale
    assert len(solver.statistics.relative_residuals) == 4


@pytest.mark.parametrize("method", PATHS)
def test_two_solves_give_identical_bits(system, method) -> None:
    """Run-to-run reproducibility: two fresh set-ups, different global RNG states."""
    _require(method)
    mesh, _, matrix, rhs = system
    np.random.seed(1)  # noqa: NPY002
    first = _solver(method, matrix, mesh).solve(rhs)
    np.random.seed(2)  # noqa: NPY002
    np.random.rand(10)  # noqa: NPY002
    second = _solver(method, matrix, mesh).solve(rhs)
    assert np.array_equal(first, second)


def test_amg_setup_leaves_the_global_generator_alone(system) -> None:
    mesh, _, matrix, _ = system
    np.random.seed(5)  # noqa: NPY002
    expected = np.random.rand(3)  # noqa: NPY002
    np.random.seed(5)  # noqa: NPY002
    make_solver(matrix, method="amg", points=mesh.points)
    assert np.array_equal(np.random.rand(3), expected)  # noqa: NPY002


@pytest.mark.parametrize("method", PATHS)
def test_update_with_new_values_matches_a_fresh_solver(system, method) -> None:
    """update(): same pattern, new values (another stiffness contrast) → the new answer."""
    _require(method)
    mesh, _, matrix, rhs = system
    other, _ = apply_dirichlet(
        _layered_matrix(mesh, 5e3, 3e4).stiffness(), rhs, base_condition(mesh, "roller")
    )
    solver = _solver(method, matrix, mesh)
    before = solver.solve(rhs)
    solver.update(other)
    updated = solver.solve(rhs)
    fresh = _solver(method, other, mesh).solve(rhs)
    tolerance = 1e-10 if method in DIRECT else 1e-7
    assert np.linalg.norm(updated - fresh) <= tolerance * np.linalg.norm(fresh)
    assert np.linalg.norm(updated - before) > 1e-2 * np.linalg.norm(before)
    assert solver.statistics.updates == 1
    assert solver.statistics.relative_residuals[-1] <= (
        DIRECT_RESIDUAL_LIMIT if method in DIRECT else 1e-10
    )


@pytest.mark.parametrize("method", ("superlu", "amg"))
def test_update_with_another_pattern_sets_up_from_scratch(system, method) -> None:
    mesh, _, matrix, rhs = system
    solver = _solver(method, matrix, mesh)
    shifted = sp.csr_matrix(matrix) + sp.eye(matrix.shape[0]) * 1e-3 * matrix.diagonal().mean()
    shifted = shifted + sp.csr_matrix(([1e-12], ([0], [5])), shape=matrix.shape)
    shifted = 0.5 * (shifted + shifted.T)
    solver.update(shifted)
    x = solver.solve(rhs)
    assert np.linalg.norm(rhs - shifted @ x) <= 1e-8 * np.linalg.norm(rhs)


@pytest.mark.parametrize("method", DIRECT)
def test_direct_preconditioner_is_the_exact_inverse(system, known, method) -> None:
    _require(method)
    mesh, _, matrix, _ = system
    x_true, b = known
    inverse = _solver(method, matrix, mesh).as_preconditioner()
    assert inverse.shape == matrix.shape
    assert np.linalg.norm(inverse @ b - x_true) <= 1e-9 * np.linalg.norm(x_true)


@pytest.mark.parametrize("method", PATHS)
def test_old_factorisation_preconditions_a_changed_matrix(system, method) -> None:
    """GMRES on a changed tangent, preconditioned by the solver of the old one.

    scipy's GMRES preconditions from the left and stops on the preconditioned residual,
    which a single-precision V-cycle resolves only to float32 rounding; AMG is checked
    here in double precision (the flexible GMRES of the Newton tangents takes the
    single-precision one: next test).
    """
    _require(method)
    mesh, _, matrix, rhs = system
    changed, _ = apply_dirichlet(
        _layered_matrix(mesh, 2.4e3, 1.1e5).stiffness(), rhs, base_condition(mesh, "roller")
    )
    options = {"precision": "double"} if method == "amg" else None
    preconditioner = _solver(method, matrix, mesh, options=options).as_preconditioner()
    iterations = 0

    def count(_: object) -> None:
        nonlocal iterations
        iterations += 1

    x, _ = spla.gmres(
        changed,
        rhs,
        M=preconditioner,
        rtol=1e-9,
        atol=0.0,
        restart=200,
        maxiter=1,
        callback=count,
        callback_type="pr_norm",
    )
    # (left-preconditioned GMRES stops on the preconditioned residual)
    assert np.linalg.norm(rhs - changed @ x) <= 1e-8 * np.linalg.norm(rhs)
    unpreconditioned = 0

    def count_plain(_: object) -> None:
        nonlocal unpreconditioned
        unpreconditioned += 1

    spla.gmres(
        changed,
        rhs,
        rtol=1e-9,
        atol=0.0,
        restart=200,
        maxiter=1,
        callback=count_plain,
        callback_type="pr_norm",
    )
    assert iterations < (30 if method in DIRECT else 120)
    assert iterations < unpreconditioned


def test_flexible_gmres_with_the_single_precision_vcycle_reaches_the_true_residual(
    system,
) -> None:
    """The Newton tangents' right-preconditioned GMRES minimises the true residual, so
    the single-precision V-cycle of an old matrix takes it to 1e-10 on a changed one."""
    from tissue_sim.mechanics._tangent_solver import flexible_gmres

    mesh, _, matrix, rhs = system
    changed, _ = apply_dirichlet(
        _layered_matrix(mesh, 2.4e3, 1.1e5).stiffness(), rhs, base_condition(mesh, "roller")
    )
    solver = _solver("amg", matrix, mesh)
    assert solver._hierarchy.dtype is np.float32
    x, iterations = flexible_gmres(
        lambda v: changed @ v,
        solver.as_preconditioner().matvec,
        rhs,
        rtol=1e-10,
        max_iterations=200,
    )
    assert iterations < 200
    assert np.linalg.norm(rhs - changed @ x) <= 1e-10 * np.linalg.norm(rhs)


@pytest.mark.parametrize(("precision", "rel"), [("double", 1e-10), ("single", 1e-5)])
def test_amg_preconditioner_is_symmetric_positive(system, precision, rel) -> None:
    """Symmetric to rounding: float64's in double precision, float32's in single."""
    mesh, _, matrix, _ = system
    solver = _solver("amg", matrix, mesh, options={"precision": precision})
    preconditioner = solver.as_preconditioner()
    rng = np.random.default_rng(3)
    v, w = rng.normal(size=(2, matrix.shape[0]))
    mv, mw = preconditioner @ v, preconditioner @ w
    assert mv.dtype == np.float64
    assert np.dot(w, mv) == pytest.approx(np.dot(v, mw), rel=rel)
    assert np.dot(v, mv) > 0.0


def test_single_precision_vcycle_matches_double_and_keeps_cg_iterations(system, known) -> None:
    """precision="single" (the default) runs every level but the coarsest in float32 —
    the fine level a float32 copy of the values sharing the CSR index arrays — and gives
    the double-precision V-cycle to float32 rounding and the same CG iterations; an
    unknown precision is refused."""
    mesh, _, matrix, _ = system
    x_true, b = known
    single = _solver("amg", matrix, mesh)
    double = _solver("amg", matrix, mesh, options={"precision": "double"})
    levels = single._hierarchy.hierarchy.levels
    assert [level.A.dtype for level in levels] == [np.float32] * (len(levels) - 1) + [np.float64]
    assert all(level.P.dtype == np.float32 for level in levels[:-1])
    assert np.shares_memory(levels[0].A.indices, single.matrix.indices)
    assert np.array_equal(levels[0].A.data, single.matrix.data.astype(np.float32))
    assert all(level.A.dtype == np.float64 for level in double._hierarchy.hierarchy.levels)
    r = np.random.default_rng(5).normal(size=matrix.shape[0]) * 1e-30  # no underflow
    low, high = single._hierarchy.vcycle(r), double._hierarchy.vcycle(r)
    assert np.linalg.norm(low - high) <= 1e-5 * np.linalg.norm(high)
    assert not np.array_equal(low, high)  # the setting reached the V-cycle
    for solver in (single, double):
        x = solver.solve(b)
        assert np.linalg.norm(x - x_true) <= 1e-8 * np.linalg.norm(x_true)
    assert abs(single.statistics.iterations[0] - double.statistics.iterations[0]) <= 1
    np.testing.assert_array_equal(single._hierarchy.vcycle(np.zeros_like(r)), 0.0)
    with pytest.raises(ValueError, match="precision must be one of"):
        _solver("amg", matrix, mesh, options={"precision": "half"})


def test_cg_that_cannot_converge_raises_with_method_residual_and_tolerance(system) -> None:
    mesh, _, matrix, rhs = system
    solver = make_solver(matrix, method="amg", rtol=1e-12, maxiter=2, points=mesh.points)
    with pytest.raises(SolverError, match=r"amg solver: CG did not converge in 2 iterations") as e:
        solver.solve(rhs)
    assert "relative residual" in str(e.value)
    assert "required 1.0e-12" in str(e.value)


def test_petsc_cg_that_cannot_converge_raises(system) -> None:
    _require("petsc")
    mesh, _, matrix, rhs = system
    solver = make_solver(matrix, method="petsc", rtol=1e-12, maxiter=2, points=mesh.points)
    with pytest.raises(SolverError, match=r"petsc solver: CG did not converge in 2 iterations"):
        solver.solve(rhs)


@pytest.mark.parametrize("method", DIRECT)
def test_direct_solver_of_a_singular_matrix_raises(system, method) -> None:
    _require(method)
    mesh, _, matrix, rhs = system
    singular = sp.csr_matrix(matrix, copy=True)
    singular.sort_indices()
    dof = 3 * int(mesh.nodes_on_face("top")[0])
    rows = np.repeat(np.arange(singular.shape[0]), np.diff(singular.indptr))
    singular.data[(rows == dof) | (singular.indices == dof)] = 0.0  # pattern kept
    with pytest.raises(SolverError, match=rf"^{method} solver: "):
        make_solver(singular, method=method).solve(rhs)


def test_unknown_method_is_rejected(system) -> None:
    _, _, matrix, _ = system
    with pytest.raises(ValueError, match="solver method must be one of"):
        make_solver(matrix, method="cholesky")


def test_petsc_missing_is_a_clear_error(system) -> None:
    if "petsc" in available_methods():
        pytest.skip("petsc4py is installed here")
    _, _, matrix, _ = system
    with pytest.raises(SolverError, match="petsc solver: petsc4py is not installed"):
        make_solver(matrix, method="petsc")


def test_auto_factorises_small_systems_and_iterates_above_the_limit(system) -> None:
    mesh, _, matrix, rhs = system
    small = make_solver(matrix, method="auto", points=mesh.points)
    assert small.kind == "direct"
    assert small.method == available_methods()[2]  # the fastest installed back-end
    assert matrix.shape[0] <= direct_dof_limit()
    large = make_solver(matrix, method="auto", points=mesh.points, direct_dof_limit=100)
    assert large.kind == "iterative"
    assert np.allclose(large.solve(rhs), small.solve(rhs), rtol=0, atol=1e-6 * abs(rhs).max())


def test_amg_options_override_the_settings(system) -> None:
    mesh, _, matrix, rhs = system
    default = make_solver(matrix, method="amg", points=mesh.points)
    strong = make_solver(
        matrix,
        method="amg",
        points=mesh.points,
        options={"strength": ("symmetric", {"theta": 0.25})},
    )
    default.solve(rhs)
    strong.solve(rhs)
    assert strong.operator_complexity != default.operator_complexity
    assert strong.statistics.iterations != default.statistics.iterations


def test_amg_aggregates_nodes_and_smooths_points(system, known) -> None:
    """Displacement matrices: node-wise aggregates (3 dofs each), point-GS CSR levels.

    Every fine aggregate holds all three dofs of each of its nodes; the scalar
    (``nodal_aggregation=False``) hierarchy mixes components of one node across
    aggregates. Both solve the manufactured system to rtol.
    """
    mesh, _, matrix, _ = system
    x_true, b = known
    nodal = _solver("amg", matrix, mesh)
    scalar = _solver("amg", matrix, mesh, options={"nodal_aggregation": False})
    hierarchy = nodal._hierarchy.hierarchy
    assert nodal._hierarchy.nodal and not scalar._hierarchy.nodal
    # no copy of the fine matrix's indices held (level 0: float32 values, shared indices)
    assert np.shares_memory(hierarchy.levels[0].A.indices, nodal.matrix.indices)
    assert all(sp.isspmatrix_csr(level.A) for level in hierarchy.levels)
    assert all(level.presmoother.__name__ == "gauss_seidel" for level in hierarchy.levels[:-1])
    node_aggregates = hierarchy.levels[0].AggOp.tocsr()  # rows: nodes (fixed ones: none)
    assert node_aggregates.shape[0] == mesh.num_points
    assert np.diff(node_aggregates.indptr).max() == 1
    dof_aggregates = scalar._hierarchy.hierarchy.levels[0].AggOp.tocsr()
    assert dof_aggregates.shape[0] == 3 * mesh.num_points
    aggregate = np.full(dof_aggregates.shape[0], -1)
    rows = np.repeat(np.arange(aggregate.size), np.diff(dof_aggregates.indptr))
    aggregate[rows] = dof_aggregates.indices
    per_node = aggregate.reshape(-1, 3)
    whole = np.all(per_node >= 0, axis=1)
    assert np.any(per_node[whole] != per_node[whole, :1])  # CSR input: components split
    for solver in (nodal, scalar):
        x = solver.solve(b)
        assert np.linalg.norm(x - x_true) <= 1e-8 * np.linalg.norm(x_true)
    assert nodal.operator_complexity < scalar.operator_complexity


def test_amg_nodal_aggregation_needs_three_dofs_per_node(system) -> None:
    _, _, matrix, _ = system
    reduced = sp.csr_matrix(matrix)[:-1, :-1]
    with pytest.raises(ValueError, match="3 unknowns per node"):
        make_solver(reduced, method="amg", options={"nodal_aggregation": True})
    plain = make_solver(reduced, method="amg")  # no near-null space: scalar aggregation
    assert not plain._hierarchy.nodal


def test_amg_of_a_matrix_below_max_coarse_is_its_coarse_solve(system) -> None:
    """A one-level hierarchy (≤ max_coarse rows): the V-cycle is the exact coarse solve,
    and update() (which reuses aggregates when there are any) still works."""
    mesh, _, matrix, _ = system
    small = sp.csr_matrix(matrix)[:99, :99]  # a principal block of an SPD matrix: SPD
    x_true = np.random.default_rng(3).normal(size=99)
    solver = make_solver(small, method="amg", rtol=1e-12, points=mesh.points[:33])
    assert len(solver._hierarchy.hierarchy.levels) == 1
    assert solver.statistics.iterations == []
    np.testing.assert_allclose(solver.solve(small @ x_true), x_true, rtol=1e-9)
    assert solver.statistics.iterations == [1]
    solver.update(2.0 * small)
    np.testing.assert_allclose(solver.solve(2.0 * small @ x_true), x_true, rtol=1e-9)


def test_amg_uses_the_low_memory_smoother_on_large_matrices(system, known, monkeypatch) -> None:
    """From LOW_MEMORY_SIZE unknowns on, Jacobi prolongation smoothing (set-up memory);
    an explicit ``smooth`` option still wins; the solution is unchanged (to rtol)."""
    from tissue_sim.fem import _solver_amg

    mesh, _, matrix, _ = system
    x_true, b = known
    default = _solver("amg", matrix, mesh)
    assert default._hierarchy.settings["smooth"][0] == "energy"
    monkeypatch.setattr(_solver_amg, "LOW_MEMORY_SIZE", matrix.shape[0])
    large = _solver("amg", matrix, mesh)
    assert large._hierarchy.settings["smooth"] == _solver_amg.LOW_MEMORY_SMOOTH
    chosen = _solver("amg", matrix, mesh, options={"smooth": AMG_SETTINGS["smooth"]})
    assert chosen._hierarchy.settings["smooth"] == AMG_SETTINGS["smooth"]
    for solver in (default, large):
        x = solver.solve(b)
        assert np.linalg.norm(x - x_true) <= 1e-8 * np.linalg.norm(x_true)
    prolongations = [s._hierarchy.hierarchy.levels[0].P for s in (default, large)]
    assert abs(prolongations[0] - prolongations[1]).max() > 1e-3 * abs(prolongations[0]).max()


def test_petsc_options_reach_the_solver(system) -> None:
    _require("petsc")
    mesh, _, matrix, rhs = system
    tight = make_solver(matrix, method="petsc", points=mesh.points, rtol=1e-8)
    loose = make_solver(
        matrix, method="petsc", points=mesh.points, rtol=1e-8, options={"ksp_rtol": 1e-3}
    )
    tight.solve(rhs)
    with pytest.raises(SolverError, match="exceeds the tolerance"):
        loose.solve(rhs)  # PETSc stops at 1e-3, the residual check wants 1e-7


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
