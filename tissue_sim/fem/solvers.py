"""Linear solvers: sparse direct (SuperLU) for small systems, AMG-preconditioned CG for large.

The solver is set up once (factorisation or multigrid hierarchy) and then reused for
any number of right-hand sides, e.g. every load frame of a massage technique. Every
solution's residual is checked; failure to converge raises :class:`SolverError`.

The direct solver orders the unknowns by nested dissection of the node graph (METIS,
through pymetis) and factorises with SuperLU in symmetric mode without pivoting (the
matrix is symmetric positive definite). On layered 3D meshes this needs about a third
less fill and half the time of SuperLU's own minimum-degree ordering. Algebraic
multigrid is the choice for very large systems; on stacks with a stiffness contrast of
10⁴ (fascia against fat) and ν ≈ 0.49 it needs ~200 CG iterations, so ``auto`` prefers
the direct solver up to :data:`DIRECT_DOF_LIMIT` unknowns.

Smoothed-aggregation AMG uses the six rigid-body modes of the mesh nodes as the
near-null space, with the settings measured to work for elasticity on this kind of
machine (``symmetry="symmetric"``, ``max_coarse=100``, ``coarse_solver="splu"``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pyamg
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from numpy.typing import NDArray

from tissue_sim.errors import SolverError

__all__ = [
    "DIRECT_DOF_LIMIT",
    "LinearSolver",
    "SolveStatistics",
    "make_solver",
    "rigid_body_modes",
]

FloatArray = NDArray[np.float64]

#: ``method="auto"`` uses the direct solver up to this many unknowns.
DIRECT_DOF_LIMIT = 120_000


def nested_dissection_order(matrix: sp.spmatrix) -> NDArray[np.int64] | None:
    """Fill-reducing dof permutation from METIS nested dissection of the node graph.

    Works on a 3×3 BSR matrix (the node graph is its block structure); returns ``None``
    for other formats.
    """
    if not (sp.issparse(matrix) and matrix.format == "bsr" and matrix.blocksize == (3, 3)):
        return None
    import pymetis

    indptr = np.asarray(matrix.indptr, dtype=np.int64)
    indices = np.asarray(matrix.indices, dtype=np.int64)
    nodes = indptr.size - 1
    rows = np.repeat(np.arange(nodes), np.diff(indptr))
    off_diagonal = indices != rows
    starts = np.concatenate([[0], np.cumsum(np.bincount(rows[off_diagonal], minlength=nodes))])
    adjacency = pymetis.CSRAdjacency(starts, indices[off_diagonal])
    permutation, _ = pymetis.nested_dissection(adjacency=adjacency)
    node_order = np.asarray(permutation, dtype=np.int64)
    return (3 * node_order[:, None] + np.arange(3)).reshape(-1)


def rigid_body_modes(points: FloatArray) -> FloatArray:
    """The six rigid-body modes of a node set, ``(3 n, 6)`` (dof = 3 × node + component).

    Three translations and three infinitesimal rotations about the centroid.
    """
    centred = points - points.mean(axis=0)
    x, y, z = centred[:, 0], centred[:, 1], centred[:, 2]
    n = points.shape[0]
    modes = np.zeros((n, 3, 6))
    modes[:, 0, 0] = 1.0
    modes[:, 1, 1] = 1.0
    modes[:, 2, 2] = 1.0
    modes[:, 0, 3], modes[:, 1, 3] = -y, x
    modes[:, 1, 4], modes[:, 2, 4] = -z, y
    modes[:, 0, 5], modes[:, 2, 5] = z, -x
    return modes.reshape(3 * n, 6)


@dataclass
class SolveStatistics:
    """What the solver did: method, set-up time [s], iterations and residuals per solve."""

    method: str
    setup_seconds: float = 0.0
    iterations: list[int] = field(default_factory=list)
    relative_residuals: list[float] = field(default_factory=list)
    solve_seconds: float = 0.0


class LinearSolver:
    """A set-up solver for one symmetric positive-definite matrix.

    Use :func:`make_solver` to build one.
    """

    def __init__(
        self,
        matrix: sp.spmatrix,
        method: str,
        *,
        rtol: float,
        maxiter: int,
        near_null_space: FloatArray | None,
    ) -> None:
        self.matrix = matrix
        self.method = method
        self.rtol = rtol
        self.maxiter = maxiter
        self.statistics = SolveStatistics(method)
        start = time.perf_counter()
        if method == "direct":
            self._order = nested_dissection_order(matrix)
            csr = sp.csr_matrix(matrix)
            if self._order is not None:
                csr = csr[self._order][:, self._order]
            try:
                # SPD matrix: symmetric mode without pivoting keeps the fill low.
                self._lu = spla.splu(
                    sp.csc_matrix(csr),
                    permc_spec="NATURAL" if self._order is not None else "MMD_AT_PLUS_A",
                    diag_pivot_thresh=0.0,
                    options={"SymmetricMode": True},
                )
            except RuntimeError as exc:
                raise SolverError(f"direct solver: the matrix is singular ({exc})") from None
        elif method == "amg":
            bsr = (
                matrix
                if sp.issparse(matrix) and matrix.format == "bsr"
                else sp.bsr_matrix(matrix, blocksize=(3, 3))
            )
            self._hierarchy = pyamg.smoothed_aggregation_solver(
                bsr,
                B=near_null_space,
                symmetry="symmetric",
                max_coarse=100,
                coarse_solver="splu",
            )
            self._preconditioner = self._hierarchy.aspreconditioner(cycle="V")
            self.matrix = bsr.tocsr()
        else:
            raise ValueError(f"unknown solver method {method!r}")
        self.statistics.setup_seconds = time.perf_counter() - start

    @property
    def fill(self) -> int | None:
        """Non-zeros of the LU factors (``None`` for AMG)."""
        if self.method != "direct":
            return None
        return int(self._lu.L.nnz + self._lu.U.nnz)

    @property
    def operator_complexity(self) -> float | None:
        """AMG operator complexity (``None`` for the direct solver)."""
        if self.method != "amg":
            return None
        return float(self._hierarchy.operator_complexity())

    def solve(self, rhs: FloatArray) -> FloatArray:
        """Solve for one ``(n,)`` or several ``(n, k)`` right-hand sides.

        Raises
        ------
        SolverError
            If CG does not reach ``rtol`` within ``maxiter`` iterations or the final
            relative residual ‖b − A x‖/‖b‖ exceeds 10 × ``rtol``.
        """
        start = time.perf_counter()
        rhs = np.asarray(rhs, dtype=float)
        columns = rhs.reshape(rhs.shape[0], -1)
        solution = np.zeros_like(columns)
        if self.method == "direct":
            if self._order is None:
                solution = self._lu.solve(np.ascontiguousarray(columns))
            else:
                solution = np.empty_like(columns)
                solution[self._order] = self._lu.solve(np.ascontiguousarray(columns[self._order]))
            for k in range(columns.shape[1]):
                self._check(columns[:, k], solution[:, k], 1)
        else:
            for k in range(columns.shape[1]):
                solution[:, k] = self._cg(columns[:, k])
        self.statistics.solve_seconds += time.perf_counter() - start
        return solution.reshape(rhs.shape)

    def _cg(self, b: FloatArray) -> FloatArray:
        norm_b = float(np.linalg.norm(b))
        if norm_b == 0.0:
            self._record(0, 0.0)
            return np.zeros_like(b)
        iterations = 0

        def count(_: FloatArray) -> None:
            nonlocal iterations
            iterations += 1

        x, info = spla.cg(
            self.matrix,
            b,
            rtol=self.rtol,
            atol=0.0,
            maxiter=self.maxiter,
            M=self._preconditioner,
            callback=count,
        )
        if info != 0:
            residual = float(np.linalg.norm(b - self.matrix @ x)) / norm_b
            raise SolverError(
                f"AMG-preconditioned CG did not converge in {iterations} iterations "
                f"(relative residual {residual:.2e}, required {self.rtol:.1e})"
            )
        self._check(b, x, iterations)
        return np.asarray(x)

    def _check(self, b: FloatArray, x: FloatArray, iterations: int) -> None:
        norm_b = float(np.linalg.norm(b))
        residual = float(np.linalg.norm(b - self.matrix @ x)) / norm_b if norm_b > 0 else 0.0
        limit = max(10.0 * self.rtol, 1e-9) if self.method == "amg" else 1e-6
        if not np.isfinite(residual) or residual > limit:
            raise SolverError(
                f"{self.method} solver: relative residual {residual:.2e} exceeds {limit:.1e}"
            )
        self._record(iterations, residual)

    def _record(self, iterations: int, residual: float) -> None:
        self.statistics.iterations.append(iterations)
        self.statistics.relative_residuals.append(residual)


def make_solver(
    matrix: sp.spmatrix,
    *,
    method: str = "auto",
    rtol: float = 1e-8,
    maxiter: int = 2000,
    points: FloatArray | None = None,
    direct_dof_limit: int = DIRECT_DOF_LIMIT,
) -> LinearSolver:
    """Set up a solver for an SPD matrix.

    Parameters
    ----------
    matrix
        The constrained system matrix (BSR with 3×3 blocks preferred).
    method
        ``"auto"`` (direct up to ``direct_dof_limit`` unknowns, AMG-CG above),
        ``"direct"`` or ``"amg"``.
    rtol
        Relative residual tolerance of CG.
    maxiter
        Largest number of CG iterations.
    points
        Node coordinates ``(n, 3)`` [m] for the rigid-body near-null space of AMG.
    direct_dof_limit
        Size threshold of ``"auto"``.

    Returns
    -------
    LinearSolver
        Ready to :meth:`~LinearSolver.solve` any number of right-hand sides.
    """
    if method == "auto":
        method = "direct" if matrix.shape[0] <= direct_dof_limit else "amg"
    if method not in ("direct", "amg"):
        raise ValueError(f"solver method must be auto, direct or amg, got {method!r}")
    near_null = rigid_body_modes(points) if (method == "amg" and points is not None) else None
    return LinearSolver(matrix, method, rtol=rtol, maxiter=maxiter, near_null_space=near_null)
