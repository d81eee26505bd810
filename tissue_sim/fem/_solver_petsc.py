"""PETSc back-end of :mod:`tissue_sim.fem.solvers` (private; optional).

petsc4py is not on PyPI as a wheel for Python 3.11; the ``dolfinx-solver-real`` wheel
bundles PETSc 3.25 and petsc4py for Python ≥ 3.12 (``pip install 'tissue-sim[petsc]'``
on 3.12, or ``make install-petsc``). Two methods:

* ``petsc``: KSP conjugate gradients + GAMG (smoothed aggregation) with the rigid-body
  near-null space (``MatSetNearNullSpace``), ``-pc_gamg_threshold 0.02``, Chebyshev /
  Jacobi level smoothers, the unpreconditioned residual norm (so ``rtol`` means
  ‖b − A x‖ ≤ rtol ‖b‖ as for the other paths);
* ``mumps``: MUMPS Cholesky through PETSc (``-pc_type cholesky
  -pc_factor_mat_solver_type mumps``), factorised once and reused.

Any PETSc option can be given (without the leading dash) and overrides these defaults,
e.g. ``{"pc_gamg_threshold": 0.05, "mg_levels_ksp_max_it": 3}``. Options are set under
a prefix private to each solver, so two solvers never share them.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Mapping
from functools import cache
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from tissue_sim.errors import SolverError

FloatArray = NDArray[np.float64]

#: Default options of the ``petsc`` method (CG + GAMG).
GAMG_OPTIONS: dict[str, Any] = {
    "ksp_type": "cg",
    "ksp_norm_type": "unpreconditioned",
    "pc_type": "gamg",
    "pc_gamg_type": "agg",
    "pc_gamg_threshold": 0.02,
    "pc_gamg_reuse_interpolation": "true",
    "mg_levels_ksp_type": "chebyshev",
    "mg_levels_pc_type": "jacobi",
}

#: Default options of the ``mumps`` method (direct Cholesky).
MUMPS_OPTIONS: dict[str, Any] = {
    "ksp_type": "preonly",
    "pc_type": "cholesky",
    "pc_factor_mat_solver_type": "mumps",
}

_COUNTER = itertools.count()


@cache
def petsc_available() -> bool:
    """Whether petsc4py imports."""
    try:
        _petsc()
    except ImportError:
        return False
    return True


def _petsc() -> Any:
    # the dolfinx-solver wheels set up MPI and the library paths on import
    with contextlib.suppress(ImportError):
        import dolfinx_solver  # noqa: F401
    from petsc4py import PETSc

    return PETSc


class PetscSolver:
    """A PETSc KSP for one SPD CSR matrix.

    Parameters
    ----------
    matrix
        The SPD matrix (CSR, sorted indices).
    method
        ``"petsc"`` (CG + GAMG) or ``"mumps"`` (Cholesky).
    rtol, maxiter
        Relative residual tolerance and iteration limit of CG.
    near_null_space
        Near-null-space vectors ``(n, m)`` for GAMG (orthonormalised here) or ``None``.
    options
        PETSc options overriding the defaults (names without the leading dash).
    """

    def __init__(
        self,
        matrix: sp.csr_matrix,
        method: str,
        *,
        rtol: float,
        maxiter: int,
        near_null_space: FloatArray | None,
        options: Mapping[str, Any] | None = None,
    ) -> None:
        PETSc = _petsc()
        self._PETSc = PETSc
        self.method = method
        self._pattern = (matrix.indptr.copy(), matrix.indices.copy())
        defaults = GAMG_OPTIONS if method == "petsc" else MUMPS_OPTIONS
        settings = {**defaults, **{k.lstrip("-"): v for k, v in dict(options or {}).items()}}
        if method == "petsc":
            settings.setdefault("ksp_rtol", rtol)
            settings.setdefault("ksp_atol", 0.0)
            settings.setdefault("ksp_max_it", maxiter)
        self.options = settings
        self._matrix = PETSc.Mat().createAIJ(
            size=matrix.shape,
            bsize=3 if matrix.shape[0] % 3 == 0 else 1,
            csr=(
                matrix.indptr.astype(PETSc.IntType),
                matrix.indices.astype(PETSc.IntType),
                np.asarray(matrix.data, dtype=PETSc.ScalarType),
            ),
            comm=PETSc.COMM_SELF,
        )
        self._matrix.setOption(PETSc.Mat.Option.SPD, True)
        if near_null_space is not None and method == "petsc":
            basis, _ = np.linalg.qr(near_null_space)
            vectors = []
            for column in basis.T:
                vector = self._matrix.createVecRight()
                vector.setArray(np.ascontiguousarray(column))
                vectors.append(vector)
            self._null_vectors = vectors
            self._matrix.setNearNullSpace(PETSc.NullSpace().create(vectors=vectors))
        prefix = f"tissue_sim_{next(_COUNTER)}_"
        database = PETSc.Options()
        for key, value in settings.items():
            database[prefix + key] = _option_text(value)
        self._ksp = PETSc.KSP().create(comm=PETSc.COMM_SELF)
        self._ksp.setOptionsPrefix(prefix)
        self._ksp.setOperators(self._matrix)
        try:
            self._ksp.setFromOptions()
            self._ksp.setUp()
        except PETSc.Error as exc:
            raise SolverError(f"{method} solver: PETSc set-up failed ({exc})") from None
        finally:
            for key in settings:
                database.delValue(prefix + key)
        self._rhs = self._matrix.createVecLeft()
        self._solution = self._matrix.createVecRight()

    def same_pattern(self, matrix: sp.csr_matrix) -> bool:
        """Whether ``matrix`` has the sparsity pattern of the set-up one."""
        indptr, indices = self._pattern
        return bool(
            np.array_equal(indptr, matrix.indptr) and np.array_equal(indices, matrix.indices)
        )

    def update(self, matrix: sp.csr_matrix) -> None:
        """New values on the same pattern (MUMPS keeps its analysis, GAMG its interpolation)."""
        PETSc = self._PETSc
        self._matrix.zeroEntries()
        self._matrix.setValuesCSR(
            matrix.indptr.astype(PETSc.IntType),
            matrix.indices.astype(PETSc.IntType),
            np.asarray(matrix.data, dtype=PETSc.ScalarType),
        )
        self._matrix.assemble()
        self._ksp.setOperators(self._matrix)
        try:
            self._ksp.setUp()
        except PETSc.Error as exc:
            raise SolverError(f"{self.method} solver: PETSc set-up failed ({exc})") from None

    def solve(self, rhs: FloatArray) -> tuple[FloatArray, int, int]:
        """Solve one right-hand side; returns solution, iterations and PETSc's reason."""
        self._rhs.setArray(np.ascontiguousarray(rhs, dtype=float))
        self._solution.set(0.0)
        self._ksp.solve(self._rhs, self._solution)
        return (
            self._solution.getArray().copy(),
            int(self._ksp.getIterationNumber()),
            int(self._ksp.getConvergedReason()),
        )

    def apply_preconditioner(self, rhs: FloatArray) -> FloatArray:
        """One application of the PC (a GAMG cycle, or the MUMPS solve)."""
        self._rhs.setArray(np.ascontiguousarray(rhs, dtype=float))
        self._ksp.getPC().apply(self._rhs, self._solution)
        return self._solution.getArray().copy()

    @property
    def operator_complexity(self) -> float | None:
        """Not reported through petsc4py."""
        return None

    def destroy(self) -> None:
        """Free the PETSc objects."""
        self._ksp.destroy()
        self._matrix.destroy()


def _option_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
