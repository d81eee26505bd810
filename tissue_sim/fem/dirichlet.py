"""Dirichlet (prescribed displacement) conditions applied to a BSR matrix in place.

Rows and columns of prescribed degrees of freedom are zeroed and their diagonal set to
a positive scale, keeping the matrix symmetric positive definite and its 3×3 block
pattern intact (so algebraic multigrid still sees node blocks). The right-hand side is
lifted by ``-K u_D`` before the rows are cleared.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

__all__ = ["DirichletCondition", "apply_dirichlet"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]


@dataclass(frozen=True)
class DirichletCondition:
    """Prescribed degrees of freedom.

    Attributes
    ----------
    fixed
        Boolean mask over the ``3 n`` degrees of freedom (dof = 3 × node + component).
    values
        Prescribed values over all dofs (ignored where not fixed) [m].
    """

    fixed: NDArray[np.bool_]
    values: FloatArray

    @classmethod
    def homogeneous(
        cls, num_nodes: int, nodes_components: list[tuple[NDArray[np.int64], tuple[int, ...]]]
    ) -> DirichletCondition:
        """Zero displacement on the given (nodes, components) pairs."""
        fixed = np.zeros(3 * num_nodes, dtype=bool)
        for nodes, components in nodes_components:
            for component in components:
                fixed[3 * np.asarray(nodes) + component] = True
        return cls(fixed, np.zeros(3 * num_nodes))


#: The positions of the last sparsity pattern and mask (Newton constrains one pattern with one
#: mask at every iteration): ``(indptr, indices, fixed, zeroed, diagonal)``.
_ENTRIES: list[tuple[NDArray[Any], NDArray[Any], NDArray[np.bool_], IntArray, IntArray]] = []


def _constrained_entries(
    indptr: NDArray[Any], indices: NDArray[Any], fixed: NDArray[np.bool_]
) -> tuple[IntArray, IntArray]:
    """Flat positions in a 3×3 BSR ``data`` array of the entries in a fixed row or column
    (set to zero) and of the fixed dofs' diagonal entries (set to the scale).

    Computed once per sparsity pattern and mask (the last one is kept: comparing the
    index arrays costs a fraction of recomputing the boolean masks of every entry).
    """
    for cached_indptr, cached_indices, cached_fixed, zeroed, diagonal in _ENTRIES:
        if (
            np.array_equal(cached_fixed, fixed)
            and np.array_equal(cached_indptr, indptr)
            and np.array_equal(cached_indices, indices)
        ):
            return zeroed, diagonal
    block_rows = np.repeat(np.arange(indptr.size - 1), np.diff(indptr))
    fixed_rows = fixed.reshape(-1, 3)[block_rows]  # (nnzb, 3)
    fixed_cols = fixed.reshape(-1, 3)[indices]  # (nnzb, 3)
    mask = fixed_rows[:, :, None] | fixed_cols[:, None, :]
    zeroed = np.flatnonzero(mask.reshape(-1))
    on_diagonal = np.flatnonzero(block_rows == indices)
    parts = []
    for component in range(3):
        rows = on_diagonal[fixed_rows[on_diagonal, component]]
        parts.append(9 * rows + 4 * component)  # entry (component, component) of block
    diagonal = np.sort(np.concatenate(parts))
    _ENTRIES[:] = [(indptr.copy(), indices.copy(), fixed.copy(), zeroed, diagonal)]
    return zeroed, diagonal


def apply_dirichlet(
    matrix: sp.bsr_matrix, rhs: FloatArray, condition: DirichletCondition
) -> tuple[sp.bsr_matrix, FloatArray]:
    """Return the constrained matrix and right-hand side(s).

    Parameters
    ----------
    matrix
        Assembled BSR matrix with 3×3 blocks (not modified).
    rhs
        Right-hand side(s), ``(3n,)`` or ``(3n, k)``.
    condition
        The prescribed dofs and values.

    Returns
    -------
    matrix, rhs
        Constrained copies: fixed rows/columns zero with a diagonal scale, right-hand
        sides lifted and equal to ``scale × value`` at fixed dofs.
    """
    fixed = condition.fixed
    rhs = np.array(rhs, dtype=float, copy=True)
    values = condition.values
    two_dimensional = rhs.ndim == 2
    if np.any(values[fixed] != 0.0):
        lift = matrix @ np.where(fixed, values, 0.0)
        rhs -= lift[:, None] if two_dimensional else lift
    indptr, indices = matrix.indptr, matrix.indices
    zeroed, diagonal_entries = _constrained_entries(indptr, indices, fixed)
    diagonal = matrix.diagonal()
    scale = float(np.mean(np.abs(diagonal[~fixed]))) if np.any(~fixed) else 1.0
    data = matrix.data.copy()
    flat = data.reshape(-1)
    flat[zeroed] = 0.0
    flat[diagonal_entries] = scale
    constrained = sp.bsr_matrix((data, indices, indptr), shape=matrix.shape)
    if two_dimensional:
        rhs[fixed, :] = scale * values[fixed, None]
    else:
        rhs[fixed] = scale * values[fixed]
    return constrained, rhs
