"""Sparse direct factorisations behind :mod:`tissue_sim.fem.solvers` (private).

Three back-ends, fastest first, each factorising a symmetric positive-definite matrix
once and reusing the factor for any number of right-hand sides:

* **PARDISO** (Intel oneMKL, through ``ctypes``; the ``mkl`` wheel, extra
  ``tissue-sim[pardiso]``): supernodal Cholesky (``mtype = 2``) with METIS nested
  dissection, in conditional-numerical-reproducibility mode so that two runs with the
  same thread count give identical bits. ``precision="single"`` factorises and solves
  in float32 (``iparm[27] = 1``): half the factor's memory and bandwidth, about half
  the time of the numerical factorisation and 0.7 of a solve (38k unknowns, one
  thread); its solutions are accurate to float32 rounding times the condition number,
  so it serves as a preconditioner (GMRES of the Newton tangents) or under iterative
  refinement in double (:meth:`tissue_sim.fem.solvers.LinearSolver.solve`).
* **CHOLMOD** (SuiteSparse, through ``cvxopt``): supernodal Cholesky with the METIS
  nested-dissection ordering of the node graph (pymetis).
* **SuperLU** (scipy, always there): LU in symmetric mode without pivoting on the same
  METIS ordering — the fallback.

Measured on the project's lumbar stack (Q1 mixed, 2-core x86-64 VM, one BLAS thread,
loaded machine; CPU seconds of the numerical factorisation): 31k unknowns — PARDISO
0.7 s, CHOLMOD 1.8 s, SuperLU 6.4 s; 290k — PARDISO 20.5 s (3.3 GiB), CHOLMOD 61 s
(3.6 GiB), SuperLU 313 s (12 GB, benchmarks/README). ``python-mumps`` 0.0.2, the only
binary wheel for Python 3.11, is built against NumPy 1 and does not import under
NumPy 2; MUMPS is reached through PETSc instead (:mod:`._solver_petsc`).

Every factorisation supports :meth:`refactor` on a matrix with the same sparsity
pattern: the ordering and symbolic analysis are kept, only the numbers are redone.
"""

from __future__ import annotations

import contextlib
import ctypes
import glob
import os
import sys
from ctypes.util import find_library
from functools import cache
from typing import Protocol

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from numpy.typing import NDArray

from tissue_sim.errors import SolverError

FloatArray = NDArray[np.float64]
IndexArray = NDArray[np.int64]

#: Direct back-ends, fastest first.
DIRECT_BACKENDS = ("pardiso", "cholmod", "superlu")


class Factorisation(Protocol):
    """A factorised SPD matrix."""

    name: str

    def solve(self, rhs: FloatArray) -> FloatArray:
        """Solve for ``(n, k)`` right-hand sides."""
        ...

    def refactor(self, matrix: sp.csr_matrix) -> None:
        """Factorise new values on the same sparsity pattern."""
        ...

    @property
    def fill(self) -> int | None:
        """Non-zeros of the factor(s), if known."""
        ...


def nested_dissection_order(matrix: sp.spmatrix) -> IndexArray | None:
    """Fill-reducing dof permutation from METIS nested dissection of the node graph.

    Works on a matrix whose unknowns come in triples per node (3 × node + component),
    e.g. a 3×3 BSR or its CSR copy; the node graph is the block structure. Returns
    ``None`` when the size is not a multiple of three.
    """
    size = matrix.shape[0]
    if size % 3:
        return None
    import pymetis

    bsr = matrix if matrix.format == "bsr" else sp.bsr_matrix(matrix, blocksize=(3, 3))
    if bsr.blocksize != (3, 3):
        bsr = sp.bsr_matrix(matrix.tocsr(), blocksize=(3, 3))
    indptr = np.asarray(bsr.indptr, dtype=np.int64)
    indices = np.asarray(bsr.indices, dtype=np.int64)
    nodes = indptr.size - 1
    rows = np.repeat(np.arange(nodes), np.diff(indptr))
    off_diagonal = indices != rows
    starts = np.concatenate([[0], np.cumsum(np.bincount(rows[off_diagonal], minlength=nodes))])
    adjacency = pymetis.CSRAdjacency(starts, indices[off_diagonal])
    permutation, _ = pymetis.nested_dissection(adjacency=adjacency)
    node_order = np.asarray(permutation, dtype=np.int64)
    return (3 * node_order[:, None] + np.arange(3)).reshape(-1)


# --------------------------------------------------------------------------------------
# availability
# --------------------------------------------------------------------------------------
@cache
def _mkl_library() -> ctypes.CDLL | None:
    """The oneMKL runtime (``libmkl_rt``), or ``None`` when it is not installed."""
    # conditional numerical reproducibility: same bits run to run (set before loading)
    os.environ.setdefault("MKL_CBWR", "AUTO,STRICT")
    candidates = [os.environ.get("TISSUE_SIM_MKL_RT")]
    candidates += sorted(glob.glob(os.path.join(sys.prefix, "lib", "libmkl_rt.so*")))
    candidates.append(find_library("mkl_rt"))
    for candidate in candidates:
        if not candidate:
            continue
        try:
            library = ctypes.CDLL(candidate)
            _ = library.pardiso
        except (OSError, AttributeError):
            continue
        return library
    return None


@cache
def _cvxopt_available() -> bool:
    try:
        import cvxopt.cholmod  # noqa: F401
    except ImportError:
        return False
    return True


def available_memory() -> int | None:
    """Memory the kernel reports as available (``MemAvailable``) [bytes], if known."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def backend_available(name: str) -> bool:
    """Whether a direct back-end (``pardiso``, ``cholmod``, ``superlu``) is installed."""
    if name == "pardiso":
        return _mkl_library() is not None
    if name == "cholmod":
        return _cvxopt_available()
    return name == "superlu"


def best_backend() -> str:
    """The fastest installed direct back-end."""
    return next(name for name in DIRECT_BACKENDS if backend_available(name))


#: Arithmetic precisions of a factorisation (``single``: PARDISO only).
PRECISIONS = ("double", "single")


def factorise(matrix: sp.csr_matrix, backend: str, *, precision: str = "double") -> Factorisation:
    """Factorise an SPD CSR matrix (sorted indices) with the named back-end.

    Parameters
    ----------
    matrix
        The SPD matrix, CSR with sorted indices.
    backend
        One of :data:`DIRECT_BACKENDS`.
    precision
        ``"double"`` or ``"single"`` (float32 factor and solves; PARDISO only — CHOLMOD
        and SuperLU always factorise in double).

    Raises
    ------
    ValueError
        For an unknown precision.
    SolverError
        If the back-end is not installed or the factorisation fails.
    """
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}; got {precision!r}")
    if not backend_available(backend):
        raise SolverError(
            f"direct solver {backend!r} is not installed "
            f"(pardiso: pip install 'tissue-sim[pardiso]'; cholmod: pip install cvxopt)"
        )
    if backend == "pardiso":
        return PardisoFactorisation(matrix, precision=precision)
    if backend == "cholmod":
        return CholmodFactorisation(matrix)
    return SuperLUFactorisation(matrix)


# --------------------------------------------------------------------------------------
# PARDISO
# --------------------------------------------------------------------------------------
_PARDISO_ERRORS = {
    -1: "input inconsistent",
    -2: "not enough memory",
    -3: "reordering problem",
    -4: "zero pivot (the matrix is not positive definite)",
    -5: "unclassified internal error",
    -6: "reordering failed",
    -7: "diagonal matrix is singular",
    -8: "32-bit integer overflow",
    -9: "not enough memory for out-of-core",
    -10: "error opening out-of-core files",
    -11: "read/write error with out-of-core files",
}


class PardisoFactorisation:
    """oneMKL PARDISO Cholesky of an SPD matrix (upper triangle, zero-based CSR).

    Phase 11 (METIS ordering + symbolic factorisation) runs once; phase 22 (numerical
    factorisation) on every :meth:`refactor`; phase 33 solves any number of columns.

    Parameters
    ----------
    matrix
        The SPD matrix, CSR with sorted indices.
    precision
        ``"double"`` (float64) or ``"single"`` (float32 values, factor and solves,
        ``iparm[27] = 1``; :meth:`solve` still takes and returns float64).
    """

    name = "pardiso"

    def __init__(self, matrix: sp.csr_matrix, *, precision: str = "double") -> None:
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}; got {precision!r}")
        #: ``"double"`` or ``"single"``.
        self.precision = precision
        self._dtype = np.float32 if precision == "single" else np.float64
        library = _mkl_library()
        assert library is not None
        self._pardiso = library.pardiso
        self._pardiso.restype = None
        self._handle = np.zeros(64, dtype=np.int64)
        self._iparm = np.zeros(64, dtype=np.int32)
        iparm = self._iparm
        iparm[0] = 1  # user-supplied iparm
        iparm[1] = 2  # METIS nested dissection
        iparm[7] = 0  # iterative refinement only after perturbed pivots
        iparm[9] = 8  # pivot perturbation 1e-8
        iparm[17] = -1  # report the non-zeros of the factor
        iparm[27] = 1 if precision == "single" else 0  # float32 factor and solves
        threads = int(library.MKL_Get_Max_Threads())
        iparm[33] = max(threads, 1)  # conditional numerical reproducibility
        iparm[34] = 1  # zero-based indexing
        self.threads = threads
        self._size = matrix.shape[0]
        self._upper_mask, indptr, indices = _upper_pattern(matrix)
        self._indptr = indptr.astype(np.int32)
        self._indices = indices.astype(np.int32)
        self._pattern = (matrix.indptr.copy(), matrix.indices.copy())
        self._data = np.ascontiguousarray(matrix.data[self._upper_mask], dtype=self._dtype)
        self._alive = False
        self._call(11, np.zeros((self._size, 1)))
        self._alive = True
        #: Memory PARDISO reported for the factorisation [bytes].
        self.factor_bytes = 1024 * int(max(iparm[14], iparm[15] + iparm[16]))
        available = available_memory()
        if available is not None and self.factor_bytes > available:
            raise SolverError(
                f"pardiso solver: not enough memory for the factorisation "
                f"({self.factor_bytes / 1e9:.1f} GB needed, {available / 1e9:.1f} GB available)"
            )
        self._call(22, np.zeros((self._size, 1)))

    def _call(self, phase: int, rhs: NDArray[np.floating]) -> NDArray[np.floating]:
        # (values, right-hand sides and solutions all in the factor's precision)
        rhs = np.asfortranarray(rhs, dtype=self._dtype)
        solution = np.empty_like(rhs, order="F")
        error = ctypes.c_int32(0)
        int_pointer = ctypes.POINTER(ctypes.c_int32)
        double_pointer = ctypes.POINTER(ctypes.c_double)
        self._pardiso(
            self._handle.ctypes.data_as(ctypes.POINTER(ctypes.c_int64)),
            ctypes.byref(ctypes.c_int32(1)),  # maxfct
            ctypes.byref(ctypes.c_int32(1)),  # mnum
            ctypes.byref(ctypes.c_int32(2)),  # mtype: real SPD
            ctypes.byref(ctypes.c_int32(phase)),
            ctypes.byref(ctypes.c_int32(self._size)),
            self._data.ctypes.data_as(double_pointer),
            self._indptr.ctypes.data_as(int_pointer),
            self._indices.ctypes.data_as(int_pointer),
            None,  # perm
            ctypes.byref(ctypes.c_int32(rhs.shape[1])),
            self._iparm.ctypes.data_as(int_pointer),
            ctypes.byref(ctypes.c_int32(0)),  # msglvl
            rhs.ctypes.data_as(double_pointer),
            solution.ctypes.data_as(double_pointer),
            ctypes.byref(error),
        )
        if error.value != 0:
            reason = _PARDISO_ERRORS.get(error.value, "unknown error")
            raise SolverError(f"pardiso solver: phase {phase} failed: {reason} ({error.value})")
        return solution

    def solve(self, rhs: FloatArray) -> FloatArray:
        """Solve for ``(n, k)`` right-hand sides (float64 in and out)."""
        return np.ascontiguousarray(self._call(33, rhs), dtype=np.float64)

    def refactor(self, matrix: sp.csr_matrix) -> None:
        """Numerical factorisation of new values (same pattern; ordering kept)."""
        self._data = np.ascontiguousarray(matrix.data[self._upper_mask], dtype=self._dtype)
        self._call(22, np.zeros((self._size, 1)))

    def same_pattern(self, matrix: sp.csr_matrix) -> bool:
        """Whether ``matrix`` has the sparsity pattern of the factorised one."""
        return _same_pattern(self._pattern, matrix)

    @property
    def fill(self) -> int | None:
        """Non-zeros of the Cholesky factor."""
        return int(self._iparm[17])

    def __del__(self) -> None:
        if getattr(self, "_alive", False):
            self._alive = False
            # (also at interpreter exit, when numpy may be half torn down)
            with contextlib.suppress(Exception):
                self._call(-1, np.zeros((self._size, 1)))


# --------------------------------------------------------------------------------------
# CHOLMOD
# --------------------------------------------------------------------------------------
class CholmodFactorisation:
    """CHOLMOD supernodal Cholesky (through cvxopt) on the METIS node ordering."""

    name = "cholmod"

    def __init__(self, matrix: sp.csr_matrix) -> None:
        import cvxopt
        import cvxopt.cholmod as cholmod

        self._cvxopt, self._cholmod = cvxopt, cholmod
        self._size = matrix.shape[0]
        self._pattern = (matrix.indptr.copy(), matrix.indices.copy())
        order = nested_dissection_order(matrix)
        # lower triangle of the symmetric matrix (its CSR upper pattern, read as CSC)
        self._upper_mask, indptr, indices = _upper_pattern(matrix)
        self._columns = np.repeat(np.arange(self._size), np.diff(indptr))
        self._rows = indices
        cholmod.options["supernodal"] = 2
        cholmod.options["postorder"] = True
        lower = self._lower(matrix)
        # (cvxopt takes no ``p=None``: without the node ordering, CHOLMOD's own)
        ordering = {} if order is None else {"p": cvxopt.matrix(order.astype(np.int64), tc="i")}
        try:
            self._factor = cholmod.symbolic(lower, uplo="L", **ordering)
            cholmod.numeric(lower, self._factor)
        except ArithmeticError as exc:
            raise SolverError(
                f"cholmod solver: the matrix is not positive definite ({exc})"
            ) from None

    def _lower(self, matrix: sp.csr_matrix) -> object:
        # entry (i, j ≥ i) of the upper triangle is entry (j, i) of the lower one
        values = np.ascontiguousarray(matrix.data[self._upper_mask])
        cvxopt = self._cvxopt
        return cvxopt.spmatrix(
            cvxopt.matrix(values),
            cvxopt.matrix(self._rows.astype(np.int64), tc="i"),
            cvxopt.matrix(self._columns.astype(np.int64), tc="i"),
            (self._size, self._size),
        )

    def solve(self, rhs: FloatArray) -> FloatArray:
        """Solve for ``(n, k)`` right-hand sides."""
        columns = self._cvxopt.matrix(np.asfortranarray(rhs, dtype=float))
        self._cholmod.solve(self._factor, columns, sys=0)
        return np.array(columns, dtype=float).reshape(rhs.shape)

    def refactor(self, matrix: sp.csr_matrix) -> None:
        """Numerical factorisation of new values (same pattern; symbolic kept)."""
        try:
            self._cholmod.numeric(self._lower(matrix), self._factor)
        except ArithmeticError as exc:
            raise SolverError(
                f"cholmod solver: the matrix is not positive definite ({exc})"
            ) from None

    def same_pattern(self, matrix: sp.csr_matrix) -> bool:
        """Whether ``matrix`` has the sparsity pattern of the factorised one."""
        return _same_pattern(self._pattern, matrix)

    @property
    def fill(self) -> int | None:
        """Not reported by cvxopt without copying the factor."""
        return None


# --------------------------------------------------------------------------------------
# SuperLU
# --------------------------------------------------------------------------------------
class SuperLUFactorisation:
    """SuperLU in symmetric mode without pivoting, on the METIS node ordering."""

    name = "superlu"

    def __init__(self, matrix: sp.csr_matrix) -> None:
        self._order = nested_dissection_order(matrix)
        self._pattern = (matrix.indptr.copy(), matrix.indices.copy())
        self._factorise(matrix)

    def _factorise(self, matrix: sp.csr_matrix) -> None:
        permuted = matrix if self._order is None else matrix[self._order][:, self._order]
        try:
            # SPD matrix: symmetric mode without pivoting keeps the fill low.
            self._lu = spla.splu(
                sp.csc_matrix(permuted),
                permc_spec="NATURAL" if self._order is not None else "MMD_AT_PLUS_A",
                diag_pivot_thresh=0.0,
                options={"SymmetricMode": True},
            )
        except RuntimeError as exc:
            raise SolverError(f"superlu solver: the matrix is singular ({exc})") from None

    def solve(self, rhs: FloatArray) -> FloatArray:
        """Solve for ``(n, k)`` right-hand sides."""
        if self._order is None:
            return np.asarray(self._lu.solve(np.ascontiguousarray(rhs)))
        solution = np.empty_like(rhs)
        solution[self._order] = self._lu.solve(np.ascontiguousarray(rhs[self._order]))
        return solution

    def refactor(self, matrix: sp.csr_matrix) -> None:
        """Factorise new values, reusing the METIS ordering."""
        self._factorise(matrix)

    def same_pattern(self, matrix: sp.csr_matrix) -> bool:
        """Whether ``matrix`` has the sparsity pattern of the factorised one."""
        return _same_pattern(self._pattern, matrix)

    @property
    def fill(self) -> int | None:
        """Non-zeros of the L and U factors."""
        return int(self._lu.L.nnz + self._lu.U.nnz)


# --------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------
def _upper_pattern(
    matrix: sp.csr_matrix,
) -> tuple[NDArray[np.bool_], IndexArray, IndexArray]:
    """Mask of the upper-triangle entries of a CSR matrix and their CSR pattern."""
    indptr = np.asarray(matrix.indptr, dtype=np.int64)
    indices = np.asarray(matrix.indices, dtype=np.int64)
    rows = np.repeat(np.arange(matrix.shape[0]), np.diff(indptr))
    mask = indices >= rows
    upper_indptr = np.concatenate(
        [[0], np.cumsum(np.bincount(rows[mask], minlength=matrix.shape[0]))]
    )
    return mask, upper_indptr, indices[mask]


def _same_pattern(
    pattern: tuple[NDArray[np.int32], NDArray[np.int32]], matrix: sp.csr_matrix
) -> bool:
    indptr, indices = pattern
    return bool(np.array_equal(indptr, matrix.indptr) and np.array_equal(indices, matrix.indices))
