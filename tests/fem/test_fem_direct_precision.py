"""Single-precision PARDISO factorisations: as a preconditioner and under refinement."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from tissue_sim.fem._solver_direct import PardisoFactorisation, backend_available, factorise
from tissue_sim.fem.solvers import make_solver
from tissue_sim.mechanics._tangent_solver import TangentSolver

pardiso = pytest.mark.skipif(
    not backend_available("pardiso"), reason="oneMKL not installed (tissue-sim[pardiso])"
)


def _jumping_laplacian(cells: int = 14, contrast: float = 1e4) -> sp.csr_matrix:
    """7-point Laplacian on a ``cells³`` grid (Dirichlet), coefficient jumping by
    ``contrast`` between the halves: SPD, condition number ~1e6, so that float32
    rounding shows in a single-precision solve."""
    one = sp.diags([-1.0, 2.0, -1.0], [-1, 0, 1], shape=(cells, cells))
    eye = sp.identity(cells)
    laplacian = (sp.kron(sp.kron(one, eye), eye) + sp.kron(sp.kron(eye, one), eye)) + sp.kron(
        sp.kron(eye, eye), one
    )
    coefficient = np.where(np.arange(cells**3) % cells < cells // 2, 1.0, contrast)
    scale = sp.diags(np.sqrt(coefficient))
    matrix = sp.csr_matrix(scale @ laplacian @ scale)
    matrix.sort_indices()
    return matrix


def _relative(matrix: sp.spmatrix, x: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(b - matrix @ x) / np.linalg.norm(b))


@pardiso
def test_a_single_precision_factor_is_float32_and_refines_to_double_accuracy() -> None:
    matrix = _jumping_laplacian()
    b = np.random.default_rng(0).standard_normal(matrix.shape[0])
    double = PardisoFactorisation(matrix)
    single = PardisoFactorisation(matrix, precision="single")
    assert single.precision == "single" and double.precision == "double"
    x_double = double.solve(b.reshape(-1, 1)).ravel()
    x_single = single.solve(b.reshape(-1, 1)).ravel()
    assert x_single.dtype == np.float64
    # float32 rounding shows (the option is not ignored) but the factor is a close inverse
    assert _relative(matrix, x_double, b) < 1e-11
    assert 1e-9 < _relative(matrix, x_single, b) < 1e-3
    # LinearSolver.solve refines in double to well below DIRECT_RESIDUAL_LIMIT
    refined = make_solver(matrix, method="pardiso", options={"precision": "single"})
    assert refined.solve(b).dtype == np.float64
    assert _relative(matrix, refined.solve(b), b) <= 1e-10
    scale = np.abs(x_double).max()
    np.testing.assert_allclose(refined.solve(b), x_double, rtol=0, atol=1e-8 * scale)
    # a numerical refactorisation stays in single precision: (2A)⁻¹ b = x / 2
    single.refactor(sp.csr_matrix(2.0 * matrix))
    half = single.solve(b.reshape(-1, 1)).ravel()
    assert 1e-9 < _relative(2.0 * matrix, half, b) < 1e-3
    np.testing.assert_allclose(half, 0.5 * x_double, rtol=0, atol=1e-2 * scale)


@pytest.mark.parametrize("backend", ["cholmod", "superlu"])
def test_the_other_back_ends_factorise_in_double_whatever_the_precision(backend: str) -> None:
    if not backend_available(backend):
        pytest.skip(f"{backend} not installed")
    matrix = _jumping_laplacian(8)
    b = np.ones(matrix.shape[0])
    factor = factorise(matrix, backend, precision="single")
    assert _relative(matrix, factor.solve(b.reshape(-1, 1)).ravel(), b) < 1e-11


def test_an_unknown_precision_is_refused() -> None:
    matrix = _jumping_laplacian(4)
    with pytest.raises(ValueError, match="precision must be one of"):
        factorise(matrix, "superlu", precision="half")
    with pytest.raises(ValueError, match="precision must be one of"):
        TangentSolver(
            method="direct", points=np.zeros((1, 3)), direct_dof_limit=10, precision="half"
        )


@pardiso
@pytest.mark.parametrize("rtol", [1e-4, 1e-10])
def test_the_single_precision_preconditioner_reaches_the_requested_residual(rtol: float) -> None:
    """GMRES of a non-symmetric tangent (symmetric part factorised) reaches the requested
    true residual with the float32 factor as with the float64 one, to the same solution
    (within the tolerance), on a fresh set-up and on a reused one."""
    base = _jumping_laplacian()
    size = base.shape[0]
    rng = np.random.default_rng(1)
    skew = sp.random(size, size, density=2e-3, random_state=rng) * 0.05
    tangent = sp.csr_matrix(base + skew - skew.T)
    drifted = sp.csr_matrix(tangent + 0.05 * sp.diags(base.diagonal()))
    b = rng.standard_normal(size)
    solutions = {}
    for precision in ("single", "double"):
        solver = TangentSolver(
            method="pardiso",
            points=np.zeros((size // 3, 3)),
            direct_dof_limit=10**6,
            precision=precision,
        )
        x, iterations = solver.solve(tangent, b, rtol, symmetric=False)
        assert _relative(tangent, x, b) <= 1.01 * rtol
        assert iterations >= 1
        y, _ = solver.solve(drifted, b, rtol, symmetric=False)  # the old factor
        assert _relative(drifted, y, b) <= 1.01 * rtol
        assert solver._solver is not None
        assert isinstance(solver._solver._factor, PardisoFactorisation)
        assert solver._solver._factor.precision == precision
        solutions[precision] = x
    exact = np.linalg.solve(tangent.toarray(), b)
    for x in solutions.values():
        assert np.linalg.norm(x - exact) <= 1e4 * rtol * np.linalg.norm(exact)


@pardiso
def test_an_options_precision_overrides_the_tangent_solvers_default() -> None:
    """``mechanics.solver_options: {precision: double}`` reaches the PARDISO factor."""
    matrix = _jumping_laplacian(8)
    b = np.ones(matrix.shape[0])
    for options, expected in ((None, "single"), ({"precision": "double"}, "double")):
        solver = TangentSolver(
            method="pardiso", points=np.zeros((1, 3)), direct_dof_limit=10**6, options=options
        )
        x, _ = solver.solve(matrix, b, 1e-10, symmetric=True)
        assert _relative(matrix, x, b) <= 1.01e-10
        assert solver._solver is not None
        assert isinstance(solver._solver._factor, PardisoFactorisation)
        assert solver._solver._factor.precision == expected
