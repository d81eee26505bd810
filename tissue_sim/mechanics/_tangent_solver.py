r"""Linear solves of Newton's method, reusing a factorisation where it pays (private).

Each Newton system :math:`K\,\delta u = r` (constrained) is solved by flexible GMRES
(:func:`flexible_gmres`) on the
current tangent :math:`K`, preconditioned by a set-up solver (sparse factorisation or
AMG hierarchy, :func:`tissue_sim.fem.solvers.make_solver`) of an *earlier* tangent —
from a previous iteration or frame. When the preconditioner is the factorisation of
the current tangent, GMRES converges in one iteration; as the state moves on it needs
more, and the set-up is rebuilt when that costs less than carrying on (the decision
is :func:`should_rebuild`, on iteration counts only). A tangent that is not symmetric
(follower loads) is set up through its symmetric part, so every solver backend applies; GMRES then
corrects for the skew part.

The preconditioner runs in single precision by default (``precision``): a float32
PARDISO factor (or AMG V-cycle) halves the numerical factorisation and cuts a solve by
a third, and GMRES, which minimises the true residual in double, needs the same
iterations (the default scenario's 62 Newton solves: 423 GMRES iterations either way,
23 set-ups; PARDISO CPU 47 → 31 s on one thread).

Sparsity pattern and fill-reducing ordering never change between tangents: when the
solver can refactor numerically on the same pattern (``update``), it does.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from numpy.typing import NDArray

from tissue_sim.errors import SolverError
from tissue_sim.fem._solver_direct import PRECISIONS
from tissue_sim.fem.solvers import LinearSolver, make_solver

FloatArray = NDArray[np.float64]

#: Methods not retried by LU when a tangent is indefinite (LU itself, and the
#: iterative ones, whose failures are not about definiteness).
_NO_FALLBACK = ("amg", "petsc", "superlu")


def should_rebuild(iterations: int, reduction: float, *, rate: float) -> bool:
    """Whether to set the solver up again for the current tangent.

    The last solve took ``iterations`` GMRES iterations to reduce the residual by the
    factor ``reduction`` (< 1). With the factorisation of the current tangent one
    iteration reaches round-off; as the tangent drifts from the factorised one, the
    iterations per decade of reduction grow. Rebuild when they exceed ``rate``.
    The decision depends on counts only (no timings), so a run is reproducible.
    """
    decades = max(-math.log10(max(reduction, 1e-16)), 1.0)
    return iterations / decades > rate


@dataclass
class TangentSolveStatistics:
    """Counters of the Newton linear solves.

    Attributes
    ----------
    setups
        Solver set-ups (factorisations or AMG hierarchies).
    fallbacks
        Set-ups of an indefinite tangent by LU (``superlu``) after the Cholesky
        back-end refused it.
    solves
        Linear solves.
    krylov_iterations
        GMRES iterations of all solves.
    setup_seconds, solve_seconds
        Wall time [s].
    method
        The set-up solver's method (``direct`` or ``amg``).
    """

    setups: int = 0
    fallbacks: int = 0
    solves: int = 0
    krylov_iterations: int = 0
    setup_seconds: float = 0.0
    solve_seconds: float = 0.0
    method: str = ""


class TangentSolver:
    """Solves constrained Newton systems, keeping the last set-up solver.

    Parameters
    ----------
    method
        Any method of :func:`~tissue_sim.fem.solvers.make_solver` (``"auto"``,
        ``"direct"``, a named direct back-end, ``"amg"``, ``"petsc"``, ``"mumps"``).
    points
        Node coordinates ``(n, 3)`` [m] (rigid-body modes for AMG).
    direct_dof_limit
        ``"auto"`` uses the direct solver up to this many unknowns.
    reuse
        Reuse the set-up solver across iterations and frames (else set up every solve).
    max_krylov
        GMRES iteration limit of one solve; a solve that needs more rebuilds the set-up.
    rebuild_rate
        GMRES iterations per decade of residual reduction above which the set-up is
        rebuilt for the next solve (see :func:`should_rebuild`).
    options
        Options of the solver (PETSc options, pyamg keywords), passed to
        :func:`~tissue_sim.fem.solvers.make_solver`.
    precision
        Arithmetic of the preconditioner, ``"single"`` (float32 PARDISO factor or AMG
        V-cycle; GMRES stays in double and reaches the requested residual) or
        ``"double"``. An ``options["precision"]`` wins; PETSc/MUMPS, CHOLMOD and SuperLU
        always run in double. A float32 Cholesky that meets a (numerically) indefinite
        tangent is retried in double before the LU fallback.
    """

    def __init__(
        self,
        *,
        method: str,
        points: FloatArray,
        direct_dof_limit: int,
        reuse: bool = True,
        max_krylov: int = 60,
        rebuild_rate: float = 2.0,
        options: Mapping[str, Any] | None = None,
        precision: str = "single",
    ) -> None:
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}; got {precision!r}")
        self.precision = precision
        self.method = method
        self.options = dict(options or {})
        self.points = points
        self.direct_dof_limit = direct_dof_limit
        self.reuse = reuse
        self.max_krylov = max_krylov
        self.rebuild_rate = rebuild_rate
        self.statistics = TangentSolveStatistics()
        self._solver: LinearSolver | None = None
        self._last_iterations = 0
        self._last_reduction = 1e-16
        self._fallback = False

    def _set_up(self, matrix: sp.spmatrix, symmetric: bool) -> None:
        """Factorise (or build the hierarchy of) the tangent's symmetric part.

        A tangent that is not positive definite (a compressed layer near a
        bifurcation) defeats a Cholesky back-end; it is then factorised by LU
        (``superlu``), which does not need definiteness.
        """
        started = time.perf_counter()
        operator = matrix if symmetric else _symmetric_part(matrix)
        update = getattr(self._solver, "update", None)
        try:
            if self._solver is not None and callable(update) and not self._fallback:
                update(operator)
            else:
                self._solver = self._make(operator, self.method)
                self._fallback = False
        except SolverError as exc:
            if "positive definite" not in str(exc) or self.method in _NO_FALLBACK:
                raise
            # this tangent only: the next set-up tries the (float32) Cholesky again
            self._solver = None
            if self._precision() == "single":
                with contextlib.suppress(SolverError):
                    self._solver = self._make(operator, self.method, precision="double")
            if self._solver is None:
                self._solver = self._make(operator, "superlu")
            self._fallback = True
            self.statistics.fallbacks += 1
        self.statistics.setups += 1
        self.statistics.setup_seconds += time.perf_counter() - started
        assert self._solver is not None
        self.statistics.method = self._solver.method

    def _precision(self) -> str:
        return str(self.options.get("precision", self.precision))

    def _make(
        self, operator: sp.spmatrix, method: str, precision: str | None = None
    ) -> LinearSolver:
        # (an AMG solver without a preconditioner interface is applied as an inner CG
        # solve, accurate enough to act as a fixed linear operator)
        options = dict(self.options) if method == self.method else {}
        if method not in ("petsc", "mumps"):  # (PETSc takes its own options only)
            options["precision"] = precision or self._precision()
        return make_solver(
            operator,
            method=method,
            rtol=1e-8,
            points=self.points,
            direct_dof_limit=self.direct_dof_limit,
            options=options or None,
        )

    def _preconditioner(self) -> spla.LinearOperator:
        solver = self._solver
        assert solver is not None
        factory = getattr(solver, "as_preconditioner", None)
        if callable(factory):
            return factory()
        shape = solver.matrix.shape
        return spla.LinearOperator(shape, matvec=solver.solve, dtype=float)

    def solve(
        self, matrix: sp.spmatrix, rhs: FloatArray, rtol: float, *, symmetric: bool
    ) -> tuple[FloatArray, int]:
        """Solve ``matrix x = rhs`` to the relative residual ``rtol``.

        ``symmetric`` says whether ``matrix`` is symmetric (else its symmetric part is
        what gets set up).

        Returns
        -------
        solution, iterations
            The solution and the GMRES iterations it took.

        Raises
        ------
        SolverError
            If GMRES does not converge even with a fresh set-up.
        """
        start = time.perf_counter()
        fresh = False
        if (
            self._solver is None
            or not self.reuse
            or should_rebuild(self._last_iterations, self._last_reduction, rate=self.rebuild_rate)
        ):
            self._set_up(matrix, symmetric)
            fresh = True
        solution, iterations, converged = self._gmres(matrix, rhs, rtol)
        if not converged and not fresh:
            self._set_up(matrix, symmetric)
            solution, more, converged = self._gmres(matrix, rhs, rtol)
            iterations += more
        if not converged:
            raise SolverError(
                f"GMRES preconditioned by the tangent's {self.statistics.method} solver did not "
                f"converge to the relative residual {rtol:.1e} in {self.max_krylov} iterations"
            )
        self.statistics.solves += 1
        self.statistics.krylov_iterations += iterations
        self.statistics.solve_seconds += time.perf_counter() - start
        return solution, iterations

    def _gmres(
        self, matrix: sp.spmatrix, rhs: FloatArray, rtol: float
    ) -> tuple[FloatArray, int, bool]:
        norm = float(np.linalg.norm(rhs))
        if norm == 0.0:
            return np.zeros_like(rhs), 0, True
        preconditioner = self._preconditioner()
        solution, count = flexible_gmres(
            lambda v: np.asarray(matrix @ v),
            lambda v: np.asarray(preconditioner.matvec(v)).reshape(-1),
            rhs,
            rtol=rtol,
            max_iterations=self.max_krylov,
        )
        residual = float(np.linalg.norm(rhs - matrix @ solution)) / norm
        converged = residual <= 1.01 * rtol
        self._last_iterations = count
        self._last_reduction = residual
        return solution, count, converged


def flexible_gmres(
    matvec: Callable[[FloatArray], FloatArray],
    preconditioner: Callable[[FloatArray], FloatArray],
    rhs: FloatArray,
    *,
    rtol: float,
    max_iterations: int,
) -> tuple[FloatArray, int]:
    r"""Right-preconditioned flexible GMRES (Saad 1993) from a zero initial guess.

    Minimises the *true* residual :math:`\|b - Ax\|` over
    :math:`x \in \operatorname{span}\{z_1, \dots, z_k\}`, :math:`z_j = M^{-1}v_j`
    (Arnoldi vectors :math:`v_j`, modified Gram–Schmidt, Givens rotations); stops when
    it falls below ``rtol · ‖b‖``. One preconditioner application and one product per
    iteration; when :math:`M^{-1} = A^{-1}` it converges in one. The preconditioner may
    vary between iterations (e.g. an inner iterative solve).

    Returns
    -------
    solution, iterations
        The approximation and the iterations it took (not converged if the residual
        is still above the tolerance after ``max_iterations``).
    """
    beta = float(np.linalg.norm(rhs))
    size = rhs.size
    basis = np.empty((max_iterations + 1, size))
    search = np.empty((max_iterations, size))
    hessenberg = np.zeros((max_iterations + 1, max_iterations))
    cosines = np.zeros(max_iterations)
    sines = np.zeros(max_iterations)
    g = np.zeros(max_iterations + 1)
    g[0] = beta
    basis[0] = rhs / beta
    steps = 0
    for j in range(max_iterations):
        search[j] = preconditioner(basis[j])
        w = matvec(search[j])
        for i in range(j + 1):
            hessenberg[i, j] = float(np.dot(w, basis[i]))
            w -= hessenberg[i, j] * basis[i]
        h_next = float(np.linalg.norm(w))
        hessenberg[j + 1, j] = h_next
        for i in range(j):
            upper, lower = hessenberg[i, j], hessenberg[i + 1, j]
            hessenberg[i, j] = cosines[i] * upper + sines[i] * lower
            hessenberg[i + 1, j] = -sines[i] * upper + cosines[i] * lower
        radius = math.hypot(hessenberg[j, j], hessenberg[j + 1, j])
        cosines[j] = hessenberg[j, j] / radius if radius > 0.0 else 1.0
        sines[j] = hessenberg[j + 1, j] / radius if radius > 0.0 else 0.0
        hessenberg[j, j] = radius
        hessenberg[j + 1, j] = 0.0
        g[j + 1] = -sines[j] * g[j]
        g[j] = cosines[j] * g[j]
        steps = j + 1
        if abs(g[j + 1]) <= rtol * beta or h_next <= 1e-14 * beta:
            break
        basis[j + 1] = w / h_next
    coefficients = np.zeros(steps)
    for i in range(steps - 1, -1, -1):
        coefficients[i] = (
            g[i] - hessenberg[i, i + 1 : steps] @ coefficients[i + 1 :]
        ) / hessenberg[i, i]
    return coefficients @ search[:steps], steps


def _symmetric_part(matrix: sp.spmatrix) -> sp.spmatrix:
    """``(A + Aᵀ)/2``; for a BSR matrix with a structurally symmetric pattern, on that
    pattern by a gather of the transposed blocks (no sparse sum)."""
    if sp.issparse(matrix) and matrix.format == "bsr":
        bsr = sp.bsr_matrix(matrix)
        bsr.sort_indices()
        square = bsr.blocksize[0] == bsr.blocksize[1]
        permutation = _transpose_permutation(bsr.indptr, bsr.indices) if square else None
        if permutation is not None:
            data = 0.5 * (bsr.data + np.swapaxes(bsr.data[permutation], 1, 2))
            return sp.bsr_matrix((data, bsr.indices, bsr.indptr), shape=bsr.shape)
        symmetric = sp.bsr_matrix((bsr + bsr.T) * 0.5, blocksize=bsr.blocksize)
        symmetric.sort_indices()
        return symmetric
    return (matrix + matrix.T) * 0.5


#: The last block pattern met, ``(indptr, indices, permutation)``.
_TRANSPOSE_CACHE: list[
    tuple[NDArray[np.integer], NDArray[np.integer], NDArray[np.int64] | None]
] = []


def _transpose_permutation(
    indptr: NDArray[np.integer], indices: NDArray[np.integer]
) -> NDArray[np.int64] | None:
    """Position of block ``(c, r)`` for every block ``(r, c)`` of a sorted block pattern,
    or ``None`` if the pattern is not structurally symmetric (the last pattern is kept)."""
    for known_indptr, known_indices, known in _TRANSPOSE_CACHE:
        if np.array_equal(known_indptr, indptr) and np.array_equal(known_indices, indices):
            return known
    size = indptr.size - 1
    rows = np.repeat(np.arange(size, dtype=np.int64), np.diff(indptr))
    columns = indices.astype(np.int64)
    keys = rows * size + columns  # ascending: rows sorted, columns sorted within a row
    query = columns * size + rows
    slots = np.searchsorted(keys, query)
    inside = slots < keys.size
    symmetric = bool(
        np.all(inside) and np.array_equal(keys[np.minimum(slots, keys.size - 1)], query)
    )
    result = slots if symmetric else None
    _TRANSPOSE_CACHE[:] = [(indptr.copy(), indices.copy(), result)]
    return result
