"""Smoothed-aggregation AMG hierarchy behind :mod:`tissue_sim.fem.solvers` (private).

pyamg smoothed aggregation with the six rigid-body modes as near-null space, strength of
connection ``("symmetric", {"theta": 0.02})`` (ENVIRONMENT.md: halves the time on the
lumbar stack) and the further settings in :data:`AMG_SETTINGS`, each measured on the
project's lumbar matrix (benchmarks/README.md, "Linear solvers").

**Nodal aggregation, point smoothing.** For a displacement matrix (3 dofs per node, a
near-null space given) the hierarchy is *built* from the 3×3-block (BSR) form — strength
and aggregates per node, as PETSc GAMG does with block size 3 — and then every level's
operators are converted to CSR and smoothed with point symmetric Gauss–Seidel (with BSR
levels pyamg smooths with block Gauss–Seidel, 75 % of a V-cycle). On the lumbar stack
(Q1 mixed, rtol 1e-8) this needs 188 CG iterations at 100k unknowns where scalar
aggregation of the CSR matrix needed 282, with 0.6× the CPU time, 0.71× the set-up
peak memory and 0.61× the hierarchy's memory (benchmarks/README.md). The level-0
operator is the caller's CSR matrix itself (no copy is held).

The preconditioner is a bare V-cycle over the hierarchy's levels — pyamg's
``aspreconditioner()`` runs ``solve(maxiter=1)``, which adds two residual products
and norms to every application.

**Single-precision V-cycle** (nodal hierarchies, ``precision="single"``, the default).
The hierarchy is built in double precision; then every level's operator, prolongation
and smoother runs in float32 (the coarsest level's exact solve stays in float64). The
V-cycle is a preconditioner — an approximate inverse whose error is set by the
smoother and the coarse space, far above float32 rounding — so CG (float64 products
and residuals) converges to the same tolerance in the same iterations, while a sweep
over the level matrices moves 8 instead of 12 bytes per non-zero. The fine level is a
float32 copy of the values only: its index arrays are the caller's matrix's. The
right-hand side is scaled by its largest entry before the cast (and the result back),
so a tiny Newton residual does not underflow. Lumbar stack, 105 792 unknowns (load
5.8): 188 CG iterations either way, 49 instead of 84 CPU ms per iteration.

pyamg estimates spectral radii from a random start vector drawn from NumPy's global
generator; the set-up runs under a fixed seed (the global state is restored after),
so two set-ups of the same matrix give identical bits — and a sweep gives the same
numbers with one worker or two.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np
import pyamg
import scipy.sparse as sp
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

#: Seed of pyamg's spectral-radius estimates.
AMG_SEED = 20_241_126

#: Smoothed-aggregation settings (measured on the 290k lumbar stack, Q1 mixed; see
#: benchmarks/README.md "Linear solvers": CSR + θ 0.02 + energy-minimising prolongation
#: smoothing needs about 0.65× the CG iterations of Jacobi smoothing).
AMG_SETTINGS: dict[str, Any] = {
    "symmetry": "symmetric",
    "max_coarse": 100,
    "coarse_solver": "splu",
    "strength": ("symmetric", {"theta": 0.02}),
    "smooth": ("energy", {"krylov": "cg", "maxiter": 2, "degree": 1, "weighting": "local"}),
}

#: From this many unknowns on, prolongation smoothing is Jacobi's instead of the
#: energy-minimising one unless ``smooth`` is given: the energy smoother's temporaries
#: set the set-up's peak memory (326k lumbar, nodal: set-up peak 0.89 → 0.76 GB over the
#: matrix, for 371 instead of 352 CG iterations, 7 % more CPU time); at 1.65M unknowns
#: this keeps the whole run below 8 GB (benchmarks/README.md).
LOW_MEMORY_SIZE = 1_000_000

#: The prolongation smoother used from :data:`LOW_MEMORY_SIZE` unknowns on.
LOW_MEMORY_SMOOTH = ("jacobi", {"omega": 4.0 / 3.0})


@contextlib.contextmanager
def seeded(seed: int = AMG_SEED) -> Iterator[None]:
    """Run a block with NumPy's global generator seeded, restoring its state after."""
    state = np.random.get_state()  # noqa: NPY002 (pyamg draws from it)
    np.random.seed(seed)  # noqa: NPY002
    try:
        yield
    finally:
        np.random.set_state(state)  # noqa: NPY002


#: Level smoother of the nodal hierarchy (on its CSR levels).
LEVEL_SMOOTHER = ("gauss_seidel", {"sweep": "symmetric"})

#: Unknowns per node of the nodal (block) aggregation.
NODE_DOFS = 3

#: Floating-point type of the V-cycle's level operators per ``precision`` setting.
PRECISIONS: dict[str, type[np.floating[Any]]] = {"single": np.float32, "double": np.float64}


class AMGHierarchy:
    """A smoothed-aggregation hierarchy of one CSR matrix and its V-cycle.

    Parameters
    ----------
    matrix
        The SPD matrix (CSR).
    near_null_space
        Near-null-space candidates ``(n, m)`` (rigid-body modes) or ``None``.
    settings
        Overrides of :data:`AMG_SETTINGS` (pyamg keyword arguments), plus
        ``nodal_aggregation`` (bool; default: whenever a near-null space is given and
        the size is a multiple of 3) to choose node-wise (block) or scalar aggregation,
        and ``precision`` (``"single"``, default, or ``"double"``: the arithmetic of a
        nodal hierarchy's V-cycle; scalar hierarchies always run in double).
    block_form
        The same matrix as 3×3 BSR, if the caller holds it: the nodal build then uses
        it instead of a block copy of ``matrix`` (it is not kept).
    """

    def __init__(
        self,
        matrix: sp.csr_matrix,
        near_null_space: FloatArray | None,
        settings: Mapping[str, Any] | None = None,
        *,
        block_form: sp.bsr_matrix | None = None,
    ) -> None:
        settings = dict(settings or {})
        nodal = bool(
            settings.pop(
                "nodal_aggregation",
                near_null_space is not None and matrix.shape[0] % NODE_DOFS == 0,
            )
        )
        if nodal and matrix.shape[0] % NODE_DOFS:
            raise ValueError(
                f"nodal aggregation needs {NODE_DOFS} unknowns per node; the matrix has "
                f"{matrix.shape[0]} rows"
            )
        self.nodal = nodal
        precision = settings.pop("precision", "single")
        if precision not in PRECISIONS:
            raise ValueError(
                f"AMG precision must be one of {', '.join(PRECISIONS)}; got {precision!r}"
            )
        #: Floating-point type of the V-cycle's level operators (coarsest solve: float64).
        self.dtype: type[np.floating[Any]] = PRECISIONS[precision] if nodal else np.float64
        defaults = dict(AMG_SETTINGS)
        if matrix.shape[0] >= LOW_MEMORY_SIZE:
            defaults["smooth"] = LOW_MEMORY_SMOOTH
        self.settings = {**defaults, **settings}
        self._near_null_space = near_null_space
        self._aggregates: list[Any] | None = None
        self.hierarchy: Any = None
        self._build(matrix, block_form=block_form)

    def _build(
        self,
        matrix: sp.csr_matrix,
        *,
        reuse: bool = False,
        block_form: sp.bsr_matrix | None = None,
    ) -> None:
        settings = dict(self.settings)
        if reuse and self._aggregates:  # (a one-level hierarchy has none)
            # the strength graph is recomputed (cheap); keeping it would cost about one
            # more fine matrix of memory
            settings["aggregate"] = [("predefined", {"AggOp": a}) for a in self._aggregates]
        self.hierarchy = None  # release the old hierarchy before building the new one
        block = (NODE_DOFS, NODE_DOFS)
        fine: sp.spmatrix = matrix
        if self.nodal:
            fine = block_form if block_form is not None else matrix.tobsr(blocksize=block)
        with seeded():
            hierarchy = pyamg.smoothed_aggregation_solver(
                fine, B=self._near_null_space, keep=True, **settings
            )
            del fine
            self._aggregates = [level.AggOp for level in hierarchy.levels[:-1]]
            for level in hierarchy.levels[:-1]:
                # keep what a later update needs (the aggregates), drop the rest
                for name in ("C", "T", "BH"):
                    if hasattr(level, name):
                        delattr(level, name)
            if self.nodal:
                _to_point_smoothing(hierarchy, matrix, self.dtype)
        self.hierarchy = hierarchy

    def update(self, matrix: sp.csr_matrix, *, block_form: sp.bsr_matrix | None = None) -> None:
        """New values on the same pattern: reuse the aggregates, redo the rest."""
        self._build(matrix, reuse=True, block_form=block_form)

    @property
    def operator_complexity(self) -> float:
        """Sum of the level matrices' non-zeros over the fine matrix's."""
        return float(self.hierarchy.operator_complexity())

    def vcycle(self, rhs: FloatArray) -> FloatArray:
        """One V-cycle from a zero initial guess (a fixed SPD linear operator).

        Takes and returns float64 ``(n,)``; the levels run in :attr:`dtype`.
        """
        rhs = np.ascontiguousarray(rhs, dtype=float)
        if len(self.hierarchy.levels) == 1:  # ≤ max_coarse rows: the coarse solve alone
            return self._coarse_solve(rhs)
        if self.dtype is np.float64:
            return self._cycle(0, rhs)
        scale = float(np.max(np.abs(rhs))) if rhs.size else 0.0
        if scale == 0.0 or not np.isfinite(scale):
            return np.zeros_like(rhs) if scale == 0.0 else np.full_like(rhs, np.nan)
        low = (rhs / scale).astype(self.dtype)
        return self._cycle(0, low).astype(np.float64) * scale

    def _coarse_solve(self, rhs: FloatArray) -> FloatArray:
        """The coarsest level's exact solve, in float64 (result in ``rhs``'s type)."""
        coarse = self.hierarchy.levels[-1].A
        solution = self.hierarchy.coarse_solver(coarse, rhs.astype(coarse.dtype))
        return np.asarray(solution, dtype=rhs.dtype).reshape(rhs.shape)

    def _cycle(self, index: int, rhs: FloatArray) -> FloatArray:
        levels = self.hierarchy.levels
        level = levels[index]
        x = np.zeros_like(rhs)
        level.presmoother(level.A, x, rhs)
        coarse_rhs = level.R @ (rhs - level.A @ x)
        if index == len(levels) - 2:
            coarse = self._coarse_solve(coarse_rhs)
        else:
            coarse = self._cycle(index + 1, coarse_rhs)
        x += level.P @ coarse
        level.postsmoother(level.A, x, rhs)
        return x


def _to_point_smoothing(
    hierarchy: Any, matrix: sp.csr_matrix, dtype: type[np.floating[Any]] = np.float64
) -> None:
    """CSR operators on every level and point GS smoothers, the levels in ``dtype``.

    Level 0 is ``matrix`` itself (float64) or a ``dtype`` copy of its values sharing its
    index arrays; the coarsest level stays float64 (its exact solve).
    """
    levels = hierarchy.levels
    if dtype is np.float64 or len(levels) == 1:
        levels[0].A = matrix
    else:
        levels[0].A = sp.csr_matrix(
            (matrix.data.astype(dtype), matrix.indices, matrix.indptr), shape=matrix.shape
        )
    for level in levels[1:-1]:
        level.A = sp.csr_matrix(level.A, dtype=dtype)
    if len(levels) > 1:
        levels[-1].A = sp.csr_matrix(levels[-1].A, dtype=np.float64)
    for level in levels[:-1]:
        level.P = sp.csr_matrix(level.P, dtype=dtype)
        level.R = level.P.T  # a CSC view (symmetric problem: R = Pᵀ), not a second copy
    pyamg.relaxation.smoothing.change_smoothers(hierarchy, LEVEL_SMOOTHER, LEVEL_SMOOTHER)


def _dot(a: FloatArray, b: FloatArray) -> float:
    # einsum's own single-threaded loop: the same bits whatever the BLAS thread count
    return float(np.einsum("i,i->", a, b))


def preconditioned_cg(
    matrix: sp.csr_matrix,
    rhs: FloatArray,
    preconditioner: Callable[[FloatArray], FloatArray],
    *,
    rtol: float,
    maxiter: int,
) -> tuple[FloatArray, int, bool]:
    r"""Preconditioned conjugate gradients from a zero initial guess.

    Stops when the recursively updated residual satisfies ``‖r‖ ≤ rtol ‖b‖``. Inner
    products are evaluated by ``numpy.einsum`` rather than BLAS, so the iterates do not
    depend on the BLAS thread count (a sweep with one or two workers gives the same
    bits).

    Returns
    -------
    solution, iterations, converged
    """
    x = np.zeros_like(rhs)
    r = rhs.copy()
    threshold = rtol * np.sqrt(_dot(rhs, rhs))
    if np.sqrt(_dot(r, r)) <= threshold:
        return x, 0, True
    z = preconditioner(r)
    p = z.copy()
    rz = _dot(r, z)
    for iteration in range(1, maxiter + 1):
        q = matrix @ p
        alpha = rz / _dot(p, q)
        x += alpha * p
        r -= alpha * q
        if np.sqrt(_dot(r, r)) <= threshold:
            return x, iteration, True
        z = preconditioner(r)
        rz_next = _dot(r, z)
        p *= rz_next / rz
        p += z
        rz = rz_next
    return x, maxiter, False
