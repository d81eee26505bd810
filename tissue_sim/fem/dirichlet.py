"""Dirichlet (prescribed displacement) conditions applied to a BSR matrix in place.

Rows and columns of prescribed degrees of freedom are zeroed and their diagonal set to
a positive scale, keeping the matrix symmetric positive definite and its 3×3 block
pattern intact (so algebraic multigrid still sees node blocks). The right-hand side is
lifted by ``-K u_D`` before the rows are cleared.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

__all__ = ["DirichletCondition", "apply_dirichlet"]

FloatArray = NDArray[np.float64]


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
    data = matrix.data.copy()
    indptr, indices = matrix.indptr, matrix.indices
    block_rows = np.repeat(np.arange(indptr.size - 1), np.diff(indptr))
    fixed_rows = fixed.reshape(-1, 3)[block_rows]  # (nnzb, 3)
    fixed_cols = fixed.reshape(-1, 3)[indices]  # (nnzb, 3)
    diagonal = matrix.diagonal()
    scale = float(np.mean(np.abs(diagonal[~fixed]))) if np.any(~fixed) else 1.0
    mask = fixed_rows[:, :, None] | fixed_cols[:, None, :]
    data[mask] = 0.0
    on_diagonal = np.flatnonzero(block_rows == indices)
    for component in range(3):
        rows = on_diagonal[fixed_rows[on_diagonal, component]]
        data[rows, component, component] = scale
    constrained = sp.bsr_matrix((data, indices, indptr), shape=matrix.shape)
    if two_dimensional:
        rhs[fixed, :] = scale * values[fixed, None]
    else:
        rhs[fixed] = scale * values[fixed]
    return constrained, rhs
