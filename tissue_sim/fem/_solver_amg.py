"""Smoothed-aggregation AMG hierarchy behind :mod:`tissue_sim.fem.solvers` (private).

pyamg on **CSR** input (with BSR input pyamg smooths with block Gauss–Seidel, 75 % of a
V-cycle; CSR point Gauss–Seidel is 22 % faster per iteration with the same iteration
count), the six rigid-body modes as near-null space, strength of connection
``("symmetric", {"theta": 0.02})`` (ENVIRONMENT.md: halves the time on the lumbar
stack) and the further settings in :data:`AMG_SETTINGS`, each measured on the
project's lumbar matrix (benchmarks/README.md, "Linear solvers").

The preconditioner is a bare V-cycle over the hierarchy's levels — pyamg's
``aspreconditioner()`` runs ``solve(maxiter=1)``, which adds two residual products
and norms to every application.

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


@contextlib.contextmanager
def seeded(seed: int = AMG_SEED) -> Iterator[None]:
    """Run a block with NumPy's global generator seeded, restoring its state after."""
    state = np.random.get_state()  # noqa: NPY002 (pyamg draws from it)
    np.random.seed(seed)  # noqa: NPY002
    try:
        yield
    finally:
        np.random.set_state(state)  # noqa: NPY002


class AMGHierarchy:
    """A smoothed-aggregation hierarchy of one CSR matrix and its V-cycle.

    Parameters
    ----------
    matrix
        The SPD matrix (CSR).
    near_null_space
        Near-null-space candidates ``(n, m)`` (rigid-body modes) or ``None``.
    settings
        Overrides of :data:`AMG_SETTINGS` (pyamg keyword arguments).
    """

    def __init__(
        self,
        matrix: sp.csr_matrix,
        near_null_space: FloatArray | None,
        settings: Mapping[str, Any] | None = None,
    ) -> None:
        self.settings = {**AMG_SETTINGS, **dict(settings or {})}
        self._near_null_space = near_null_space
        self._aggregates: list[Any] | None = None
        self.hierarchy: Any = None
        self._build(matrix)

    def _build(self, matrix: sp.csr_matrix, *, reuse: bool = False) -> None:
        settings = dict(self.settings)
        if reuse and self._aggregates is not None:
            # the strength graph is recomputed (cheap); keeping it would cost about one
            # more fine matrix of memory
            settings["aggregate"] = [("predefined", {"AggOp": a}) for a in self._aggregates]
        self.hierarchy = None  # release the old hierarchy before building the new one
        with seeded():
            hierarchy = pyamg.smoothed_aggregation_solver(
                matrix, B=self._near_null_space, keep=True, **settings
            )
        self._aggregates = [level.AggOp for level in hierarchy.levels[:-1]]
        for level in hierarchy.levels[:-1]:
            # keep what a later update needs (the aggregates), drop the rest
            for name in ("C", "T", "BH"):
                if hasattr(level, name):
                    delattr(level, name)
        self.hierarchy = hierarchy

    def update(self, matrix: sp.csr_matrix) -> None:
        """New values on the same pattern: reuse the aggregates, redo the rest."""
        self._build(matrix, reuse=True)

    @property
    def operator_complexity(self) -> float:
        """Sum of the level matrices' non-zeros over the fine matrix's."""
        return float(self.hierarchy.operator_complexity())

    def vcycle(self, rhs: FloatArray) -> FloatArray:
        """One V-cycle from a zero initial guess (a fixed SPD linear operator)."""
        return self._cycle(0, np.ascontiguousarray(rhs, dtype=float))

    def _cycle(self, index: int, rhs: FloatArray) -> FloatArray:
        levels = self.hierarchy.levels
        level = levels[index]
        x = np.zeros_like(rhs)
        level.presmoother(level.A, x, rhs)
        coarse_rhs = level.R @ (rhs - level.A @ x)
        if index == len(levels) - 2:
            coarse = self.hierarchy.coarse_solver(levels[-1].A, coarse_rhs)
        else:
            coarse = self._cycle(index + 1, coarse_rhs)
        x += level.P @ np.asarray(coarse).reshape(coarse_rhs.shape)
        level.postsmoother(level.A, x, rhs)
        return x


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
