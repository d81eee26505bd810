"""Linear solvers for SPD systems: sparse direct, AMG-preconditioned CG, and PETSc.

A solver is set up once (factorisation or multigrid hierarchy) and then reused for any
number of right-hand sides — every load frame of a massage technique, in one call with
an ``(n, k)`` right-hand side. Every solution's residual is checked; a solve that does
not reach its tolerance raises :class:`~tissue_sim.errors.SolverError` naming the
method, the residual and the tolerance.

Methods (``make_solver(method=...)``, ``mechanics.solver`` in a scenario):

``auto``
    The fastest installed path for the size: the best direct back-end up to
    :func:`direct_dof_limit` unknowns, AMG-CG above. A direct factorisation that would
    not fit in memory (PARDISO checks its analysis' estimate against the available
    memory) falls back to AMG-CG. On the lumbar stack the direct path was the faster
    wherever it fitted (326k: PARDISO 106 s vs AMG-CG 240 s and DOLFINx GAMG 275 s in one
    loaded run, benchmarks/README.md); pyamg beat PETSc GAMG per solve (352 vs 467 CG
    iterations there), so ``auto`` never picks PETSc.
``direct``
    The fastest installed sparse direct back-end: ``pardiso`` > ``cholmod`` >
    ``superlu``. One factorisation serves every right-hand side.
``pardiso`` / ``cholmod`` / ``superlu``
    A named direct back-end (oneMKL PARDISO through the ``mkl`` wheel; CHOLMOD through
    cvxopt; SciPy's SuperLU, always installed). See :mod:`tissue_sim.fem._solver_direct`.
    ``options={"precision": "single"}`` factorises in float32 (PARDISO only; the others
    ignore it): :meth:`LinearSolver.solve` then refines in double to
    :data:`DIRECT_RESIDUAL_LIMIT`; mainly a preconditioner of the Newton tangents.
``amg``
    pyamg smoothed aggregation with the rigid-body near-null space, node-wise
    aggregates (built from the 3×3-block form), tuned strength (θ = 0.02) and
    energy-minimising prolongation smoothing, point Gauss–Seidel on CSR levels, as a
    V-cycle preconditioner of CG; the V-cycle runs in single precision (CG in double;
    ``options={"precision": "double"}`` for a float64 one). See
    :mod:`tissue_sim.fem._solver_amg`.
``petsc`` / ``mumps``
    petsc4py KSP: CG + GAMG with the rigid-body near-null space, or MUMPS Cholesky
    (optional; ``tissue-sim[petsc]`` on Python ≥ 3.12). ``options`` passes PETSc
    options. See :mod:`tissue_sim.fem._solver_petsc`.

Reuse for Newton's method: :meth:`LinearSolver.update` takes a matrix with new values
on the same sparsity pattern and keeps the ordering and symbolic analysis (direct) or
the strength graph and aggregates (AMG); :meth:`LinearSolver.as_preconditioner` returns
a :class:`scipy.sparse.linalg.LinearOperator` applying the held factorisation (an exact
inverse of the matrix it was built from) or one V-cycle, to precondition a Krylov solve
of a changed tangent.

Every path is bit-reproducible run to run: direct back-ends are deterministic (PARDISO
in conditional-numerical-reproducibility mode), pyamg's randomised spectral-radius
estimates run under a fixed seed, and PETSc seeds its own generators.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from numpy.typing import NDArray

from tissue_sim.errors import SolverError
from tissue_sim.fem._solver_amg import AMG_SETTINGS, AMGHierarchy, preconditioned_cg
from tissue_sim.fem._solver_direct import (
    DIRECT_BACKENDS,
    Factorisation,
    backend_available,
    best_backend,
    factorise,
    nested_dissection_order,
)
from tissue_sim.fem._solver_petsc import PetscSolver, petsc_available

__all__ = [
    "AMG_SETTINGS",
    "DIRECT_DOF_LIMIT",
    "DIRECT_RESIDUAL_LIMIT",
    "METHODS",
    "LinearSolver",
    "SolveStatistics",
    "available_methods",
    "direct_dof_limit",
    "make_solver",
    "nested_dissection_order",
    "rigid_body_modes",
]

FloatArray = NDArray[np.float64]

#: Every method name :func:`make_solver` accepts.
METHODS = ("auto", "direct", *DIRECT_BACKENDS, "amg", "petsc", "mumps")

#: ``method="auto"`` uses the direct solver up to this many unknowns with SuperLU (the
#: fallback when neither PARDISO nor CHOLMOD is installed); see :func:`direct_dof_limit`.
DIRECT_DOF_LIMIT = 120_000

#: ``auto``'s direct/iterative crossover per direct back-end [unknowns] (measured on the
#: lumbar stack, benchmarks/README.md "Linear solvers").
_DIRECT_LIMITS = {"pardiso": 600_000, "cholmod": 400_000, "superlu": DIRECT_DOF_LIMIT}

#: Largest relative residual ‖b − A x‖/‖b‖ a direct solve may leave.
DIRECT_RESIDUAL_LIMIT = 1e-6

#: Iterative-refinement steps (at most) of a solve with a single-precision factor, and
#: the relative residual they aim at (double precision's direct solves reach ~1e-12).
_REFINEMENT_STEPS = 6
_REFINED_RESIDUAL = 1e-10

_ITERATIVE = ("amg", "petsc")


def direct_dof_limit(backend: str | None = None) -> int:
    """Unknowns up to which ``auto`` factorises with ``backend`` (default: the best)."""
    return _DIRECT_LIMITS[backend or best_backend()]


def available_methods() -> tuple[str, ...]:
    """The methods that can run here (``auto``, ``direct`` and ``amg`` always can)."""
    names = ["auto", "direct", *(b for b in DIRECT_BACKENDS if backend_available(b)), "amg"]
    if petsc_available():
        names += ["petsc", "mumps"]
    return tuple(names)


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
    """What the solver did.

    Attributes
    ----------
    method
        The method that ran (``pardiso``, ``cholmod``, ``superlu``, ``amg``, ``petsc``,
        ``mumps``).
    setup_seconds
        Wall time of the first set-up (factorisation or hierarchy) [s].
    iterations
        Krylov iterations per solved right-hand side (0 for direct solves).
    relative_residuals
        ‖b − A x‖/‖b‖ per solved right-hand side.
    solve_seconds
        Wall time of all solves [s].
    updates
        Calls of :meth:`LinearSolver.update`.
    update_seconds
        Wall time of the updates [s].
    """

    method: str
    setup_seconds: float = 0.0
    iterations: list[int] = field(default_factory=list)
    relative_residuals: list[float] = field(default_factory=list)
    solve_seconds: float = 0.0
    updates: int = 0
    update_seconds: float = 0.0


class LinearSolver:
    """A set-up solver for one symmetric positive-definite matrix.

    Use :func:`make_solver` to build one.

    Attributes
    ----------
    matrix
        The matrix (CSR) the solver is set up for.
    method
        The method that runs (see :class:`SolveStatistics`).
    kind
        ``"direct"`` or ``"iterative"``.
    """

    def __init__(
        self,
        matrix: sp.spmatrix,
        method: str,
        *,
        rtol: float,
        maxiter: int,
        near_null_space: FloatArray | None,
        options: Mapping[str, Any] | None = None,
    ) -> None:
        if method not in METHODS or method in ("auto", "direct"):
            raise ValueError(f"unknown solver method {method!r}")
        self.method = method
        self.kind = "iterative" if method in _ITERATIVE else "direct"
        self.rtol = rtol
        self.maxiter = maxiter
        self.options = dict(options or {})
        self._near_null_space = near_null_space
        self.statistics = SolveStatistics(method)
        self._factor: Factorisation | None = None
        self._hierarchy: AMGHierarchy | None = None
        self._petsc: PetscSolver | None = None
        start = time.perf_counter()
        self.matrix = _csr(matrix)
        self._set_up(self.matrix, matrix)
        self.statistics.setup_seconds = time.perf_counter() - start

    def _set_up(self, matrix: sp.csr_matrix, given: sp.spmatrix | None = None) -> None:
        if self.method == "amg":
            # the caller's 3×3-block matrix (if that is what it passed) serves the nodal
            # build, so that no block copy of the fine matrix is made (1.5M unknowns: 1.1 GB)
            block = given if given is not None and _is_block3(given) else None
            self._hierarchy = AMGHierarchy(
                matrix, self._near_null_space, self.options, block_form=block
            )
        elif self.method in ("petsc", "mumps"):
            if not petsc_available():
                raise SolverError(
                    f"{self.method} solver: petsc4py is not installed "
                    "(Python ≥ 3.12: pip install 'tissue-sim[petsc]', or make install-petsc)"
                )
            self._petsc = PetscSolver(
                matrix,
                self.method,
                rtol=self.rtol,
                maxiter=self.maxiter,
                near_null_space=self._near_null_space,
                options=self.options,
            )
        else:
            precision = str(self.options.get("precision", "double"))
            self._factor = factorise(matrix, self.method, precision=precision)

    # ----------------------------------------------------------------------------------
    @property
    def fill(self) -> int | None:
        """Non-zeros of the factor(s) of a direct solver, where the back-end reports it."""
        return self._factor.fill if self._factor is not None else None

    @property
    def operator_complexity(self) -> float | None:
        """AMG operator complexity (``None`` for other methods)."""
        return self._hierarchy.operator_complexity if self._hierarchy is not None else None

    # ----------------------------------------------------------------------------------
    def solve(self, rhs: FloatArray) -> FloatArray:
        """Solve for one ``(n,)`` or several ``(n, k)`` right-hand sides.

        Direct methods solve all columns in one call; iterative ones one CG solve per
        column.

        Raises
        ------
        SolverError
            If CG does not reach ``rtol`` within ``maxiter`` iterations, or the final
            relative residual ‖b − A x‖/‖b‖ exceeds ``max(10 rtol, 1e-9)`` (iterative)
            or :data:`DIRECT_RESIDUAL_LIMIT` (direct).
        """
        start = time.perf_counter()
        rhs = np.asarray(rhs, dtype=float)
        if rhs.shape[0] != self.matrix.shape[0]:
            raise ValueError(
                f"right-hand side has {rhs.shape[0]} rows, the matrix {self.matrix.shape[0]}"
            )
        columns = rhs.reshape(rhs.shape[0], -1)
        if self._factor is not None:
            solution = self._direct(columns)
        else:
            solution = np.zeros_like(columns)
            for k in range(columns.shape[1]):
                solution[:, k] = self._iterate(columns[:, k])
        self.statistics.solve_seconds += time.perf_counter() - start
        return solution.reshape(rhs.shape)

    def _direct(self, columns: FloatArray) -> FloatArray:
        assert self._factor is not None
        norms = np.linalg.norm(columns, axis=0)
        solution = np.zeros_like(columns)
        loaded = np.flatnonzero(norms > 0.0)
        if loaded.size:
            solution[:, loaded] = self._factor.solve(np.ascontiguousarray(columns[:, loaded]))
        residuals = np.linalg.norm(columns - self.matrix @ solution, axis=0)
        if getattr(self._factor, "precision", "double") == "single":
            # iterative refinement in double (float64 residuals, float32 corrections)
            for _ in range(_REFINEMENT_STEPS):
                if np.all(residuals <= _REFINED_RESIDUAL * norms):
                    break
                solution += self._factor.solve(columns - self.matrix @ solution)
                residuals = np.linalg.norm(columns - self.matrix @ solution, axis=0)
        for k in range(columns.shape[1]):
            relative = float(residuals[k] / norms[k]) if norms[k] > 0.0 else 0.0
            self._check(relative, DIRECT_RESIDUAL_LIMIT, 0)
        return solution

    def _iterate(self, b: FloatArray) -> FloatArray:
        norm_b = float(np.linalg.norm(b))
        if norm_b == 0.0:
            self._record(0, 0.0)
            return np.zeros_like(b)
        limit = max(10.0 * self.rtol, 1e-9)
        if self._petsc is not None:
            x, iterations, reason = self._petsc.solve(b)
            relative = float(np.linalg.norm(b - self.matrix @ x)) / norm_b
            if self.kind == "direct":  # MUMPS: KSP "preonly" counts its one application
                self._check(relative, DIRECT_RESIDUAL_LIMIT, 0)
                return x
            if reason < 0:
                raise SolverError(
                    f"{self.method} solver: CG did not converge in {iterations} iterations "
                    f"(PETSc reason {reason}; relative residual {relative:.2e}, "
                    f"required {self.rtol:.1e})"
                )
            self._check(relative, limit, iterations)
            return x
        assert self._hierarchy is not None
        x, iterations, converged = preconditioned_cg(
            self.matrix, b, self._hierarchy.vcycle, rtol=self.rtol, maxiter=self.maxiter
        )
        relative = float(np.linalg.norm(b - self.matrix @ x)) / norm_b
        if not converged:
            raise SolverError(
                f"amg solver: CG did not converge in {iterations} iterations "
                f"(relative residual {relative:.2e}, required {self.rtol:.1e})"
            )
        self._check(relative, limit, iterations)
        return np.asarray(x)

    def _check(self, relative: float, limit: float, iterations: int) -> None:
        if not np.isfinite(relative) or relative > limit:
            raise SolverError(
                f"{self.method} solver: relative residual {relative:.2e} exceeds "
                f"the tolerance {limit:.1e}"
            )
        self._record(iterations, relative)

    def _record(self, iterations: int, residual: float) -> None:
        self.statistics.iterations.append(iterations)
        self.statistics.relative_residuals.append(residual)

    # ----------------------------------------------------------------------------------
    def update(self, matrix: sp.spmatrix) -> None:
        """Set the solver up for new matrix values, reusing what the pattern allows.

        With the same sparsity pattern (the Newton tangents of one mesh), a direct
        solver keeps its fill-reducing ordering and symbolic analysis and redoes only
        the numerical factorisation; AMG keeps the aggregates and redoes the strength
        graph, prolongation smoothing and Galerkin products; PETSc keeps the MUMPS
        analysis or the GAMG interpolation. A matrix with another pattern is set up
        from scratch.

        Parameters
        ----------
        matrix
            The new SPD matrix, same shape (BSR 3×3 or CSR).
        """
        start = time.perf_counter()
        csr = _csr(matrix)
        if csr.shape != self.matrix.shape:
            raise ValueError(f"update: shape {csr.shape} differs from {self.matrix.shape}")
        same = bool(
            np.array_equal(csr.indptr, self.matrix.indptr)
            and np.array_equal(csr.indices, self.matrix.indices)
        )
        if not same:
            self._set_up(csr)
        elif self._factor is not None:
            self._factor.refactor(csr)
        elif self._hierarchy is not None:
            self._hierarchy.update(csr, block_form=matrix if _is_block3(matrix) else None)
        elif self._petsc is not None:
            self._petsc.update(csr)
        self.matrix = csr
        self.statistics.updates += 1
        self.statistics.update_seconds += time.perf_counter() - start

    def as_preconditioner(self) -> spla.LinearOperator:
        """The held factorisation or one AMG V-cycle as a :class:`LinearOperator`.

        Applies ``A₀⁻¹`` (direct; ``A₀`` the matrix of the last set-up or update) or a
        fixed SPD approximation of it (one V-cycle from zero; PETSc: one application of
        its PC). Use it in a Krylov solve of a *changed* matrix, e.g. GMRES on a new
        Newton tangent preconditioned by an older factorisation. Residuals are not
        checked (that is the outer Krylov solve's job). Accepts ``(n,)`` and ``(n, k)``.
        """
        shape = self.matrix.shape
        if self._factor is not None:
            factor = self._factor

            def matmat(block: FloatArray) -> FloatArray:
                return factor.solve(np.ascontiguousarray(block, dtype=float))

            return spla.LinearOperator(
                shape,
                matvec=lambda v: matmat(np.asarray(v).reshape(-1, 1)).reshape(-1),
                matmat=matmat,
                rmatvec=lambda v: matmat(np.asarray(v).reshape(-1, 1)).reshape(-1),
                dtype=float,
            )
        if self._petsc is not None:
            petsc = self._petsc
            return spla.LinearOperator(
                shape,
                matvec=lambda v: petsc.apply_preconditioner(np.asarray(v).reshape(-1)),
                dtype=float,
            )
        return self._vcycle_operator()

    def _vcycle_operator(self) -> spla.LinearOperator:
        hierarchy = self._hierarchy
        assert hierarchy is not None
        return spla.LinearOperator(
            self.matrix.shape,
            matvec=lambda v: hierarchy.vcycle(np.asarray(v, dtype=float).reshape(-1)),
            rmatvec=lambda v: hierarchy.vcycle(np.asarray(v, dtype=float).reshape(-1)),
            dtype=float,
        )


def _method_options(name: str, options: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    """The options a method takes: all for AMG/PETSc, ``precision`` for a direct one."""
    if name in ("amg", "petsc", "mumps") or not options:
        return options
    return {"precision": options["precision"]} if "precision" in options else None


def _csr(matrix: sp.spmatrix) -> sp.csr_matrix:
    """CSR copy with sorted indices (explicit zeros kept: the pattern stays fixed).

    Another format is converted (the conversion is the only copy made); a CSR input is
    copied.
    """
    if not sp.issparse(matrix):
        raise TypeError(f"expected a scipy sparse matrix, got {type(matrix).__name__}")
    if matrix.format == "csr":
        csr = sp.csr_matrix(matrix, dtype=float, copy=True)
    else:
        csr = sp.csr_matrix(matrix.tocsr(), dtype=float, copy=False)
    csr.sort_indices()
    return csr


def _is_block3(matrix: sp.spmatrix) -> bool:
    """Whether ``matrix`` is BSR with 3×3 float blocks and sorted block indices."""
    return bool(
        sp.issparse(matrix)
        and matrix.format == "bsr"
        and matrix.blocksize == (3, 3)
        and matrix.dtype == np.float64
        and matrix.has_sorted_indices
    )


def _resolve(method: str, size: int, direct_limit: int | None) -> str:
    if method == "direct":
        return best_backend()
    if method != "auto":
        return method
    backend = best_backend()
    limit = direct_limit if direct_limit is not None else direct_dof_limit(backend)
    # above the limit: pyamg, measured faster than PETSc GAMG on the lumbar stack
    return backend if size <= limit else "amg"


def make_solver(
    matrix: sp.spmatrix,
    *,
    method: str = "auto",
    rtol: float = 1e-8,
    maxiter: int = 2000,
    points: FloatArray | None = None,
    direct_dof_limit: int | None = None,
    options: Mapping[str, Any] | None = None,
) -> LinearSolver:
    """Set up a solver for an SPD matrix.

    Parameters
    ----------
    matrix
        The constrained system matrix (BSR with 3×3 blocks or CSR).
    method
        One of :data:`METHODS` (see the module docstring).
    rtol
        Relative residual tolerance of the iterative methods.
    maxiter
        Largest number of CG iterations per right-hand side.
    points
        Node coordinates ``(n, 3)`` [m] for the rigid-body near-null space of AMG/GAMG.
    direct_dof_limit
        Size threshold of ``"auto"`` [unknowns]; default: the measured crossover of the
        best installed direct back-end (:func:`direct_dof_limit`).
    options
        Method options: PETSc options for ``petsc``/``mumps`` (names without the dash,
        e.g. ``{"pc_gamg_threshold": 0.05}``), pyamg keyword arguments overriding
        :data:`AMG_SETTINGS` for ``amg``; for the direct back-ends only ``precision``
        (``"double"``, the default, or ``"single"``: a float32 PARDISO factor).

    Returns
    -------
    LinearSolver
        Ready to :meth:`~LinearSolver.solve` any number of right-hand sides.

    Raises
    ------
    ValueError
        For an unknown method.
    SolverError
        If the set-up fails (singular matrix, method not installed).
    """
    if method not in METHODS:
        raise ValueError(f"solver method must be one of {', '.join(METHODS)}; got {method!r}")
    resolved = _resolve(method, matrix.shape[0], direct_dof_limit)
    near_null = (
        rigid_body_modes(points) if (resolved in _ITERATIVE and points is not None) else None
    )

    def build(name: str, null_space: FloatArray | None) -> LinearSolver:
        return LinearSolver(
            matrix,
            name,
            rtol=rtol,
            maxiter=maxiter,
            near_null_space=null_space,
            options=_method_options(name, options),
        )

    try:
        return build(resolved, near_null)
    except (SolverError, MemoryError) as exc:
        out_of_memory = isinstance(exc, MemoryError) or "memory" in str(exc)
        if method != "auto" or resolved in _ITERATIVE or not out_of_memory:
            raise
    return build("amg", rigid_body_modes(points) if points is not None else None)
