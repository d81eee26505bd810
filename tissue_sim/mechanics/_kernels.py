r"""Element kernels of the solid body (private): forces and stiffness blocks of a chunk.

All kernels work on a chunk of ``E`` cells with ``Q`` quadrature points and ``N``
nodes: weights ``w`` ``(E, Q)`` [m³] and physical basis gradients ``∂_J N_a``
``(E, Q, N, 3)`` [1/m]. No Python loop runs over cells or points.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


def element_force(weights: FloatArray, stress: FloatArray, gradients: FloatArray) -> FloatArray:
    r""":math:`f_{ai} = \sum_q w\,P_{iJ}\,\partial_J N_a`, shape ``(E, N, 3)`` [N]."""
    weighted = stress * weights[:, :, None, None]  # (E, Q, 3, 3) [e,q,i,J]
    e, q, n, _ = gradients.shape
    # [e, a, (q, J)] @ [e, (q, J), i]
    left = np.ascontiguousarray(gradients.transpose(0, 2, 1, 3)).reshape(e, n, q * 3)
    right = np.ascontiguousarray(weighted.transpose(0, 1, 3, 2)).reshape(e, q * 3, 3)
    return np.asarray(np.matmul(left, right))


def element_stiffness(
    weights: FloatArray, gradients: FloatArray, tangent: FloatArray
) -> FloatArray:
    """``Σ_q w ∂_J N_a A_{iJkL} ∂_L N_b`` as blocks ``(E, N, N, 3, 3)`` (two batched matmuls).

    The tangent is copied once into the layout ``[e, q, J, (i, k), L]``; then
    ``U[e, (q, J), (i, k, b)] = A · ∂N_b`` (contraction over L) and
    ``K[e, a, (i, k, b)] = Σ_{q,J} w ∂_J N_a U`` need no further copy of an
    ``(E, Q, N, 27)`` intermediate.
    """
    e, q, n, _ = gradients.shape
    a = np.ascontiguousarray(tangent.transpose(0, 1, 3, 2, 4, 5)).reshape(e * q, 27, 3)
    right = np.ascontiguousarray(np.swapaxes(gradients, 2, 3)).reshape(e * q, 3, n)
    product = np.matmul(a, right).reshape(e, q * 3, 9 * n)  # [e, (q, J), (i, k, b)]
    weighted = gradients * weights[:, :, None, None]
    left = np.ascontiguousarray(weighted.transpose(0, 2, 1, 3)).reshape(e, n, 3 * q)
    blocks = np.matmul(left, product).reshape(e, n, 3, 3, n)  # [e, a, i, k, b]
    return np.asarray(blocks.transpose(0, 1, 4, 2, 3))


def isotropic_stiffness(
    weights: FloatArray,
    gradients: FloatArray,
    shear_modulus: FloatArray,
    volumetric_coefficient: FloatArray,
) -> FloatArray:
    r"""Small-strain isotropic element matrices in dof order ``(E, N, 3, N, 3)`` [N/m].

    With :math:`G_{aibj} = \sum_q w\,\partial_i N_a\,\partial_j N_b` (one batched matrix
    product over the points):
    :math:`K_{aibj} = c\,G_{aibj} + \mu\,G_{ajbi} + \mu\,\delta_{ij}\,G_{akbk}`, i.e.
    :math:`\int 2\mu\,\varepsilon(N_a e_i):\varepsilon(N_b e_j) + c\,\partial_iN_a\partial_jN_b`,
    with :math:`c = \lambda` (displacement formulation) or :math:`c = -2\mu/3` (the
    deviatoric part of the mixed formulation, whose volumetric part is condensed
    separately).

    Parameters
    ----------
    weights, gradients
        Quadrature weights ``(E, Q)`` [m³] and gradients ``(E, Q, N, 3)`` [1/m].
    shear_modulus, volumetric_coefficient
        μ and c per cell ``(E,)`` [Pa].
    """
    n_cells, n_points, n_nodes, _ = gradients.shape
    flat = gradients.reshape(n_cells, n_points, 3 * n_nodes)
    gram = np.matmul(np.swapaxes(flat * weights[:, :, None], 1, 2), flat)
    gram = gram.reshape(n_cells, n_nodes, 3, n_nodes, 3)
    mu = shear_modulus[:, None, None, None, None]
    blocks = gram * volumetric_coefficient[:, None, None, None, None]
    blocks += gram.transpose(0, 1, 4, 3, 2) * mu
    trace = np.einsum("eakbk->eab", gram)
    for i in range(3):
        blocks[:, :, i, :, i] += trace * mu[:, :, 0, :, 0]
    return np.asarray(blocks)
