r"""Element kernels of the solid body (private): forces and stiffness blocks of a chunk.

All kernels work on a chunk of ``E`` cells with ``Q`` quadrature points and ``N``
nodes: weights ``w`` ``(E, Q)`` [m³] and physical basis gradients ``∂_J N_a``
``(E, Q, N, 3)`` [1/m]. No Python loop runs over cells or points.
"""

from __future__ import annotations

import numpy as np
from numba import njit
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
    weights: FloatArray,
    gradients: FloatArray,
    tangent: FloatArray,
    inverse_transposed: FloatArray | None = None,
    jacobian_scale: FloatArray | None = None,
) -> FloatArray:
    r"""``Σ_q w ∂_J N_a (A_{iJkL} + s ∂²J/∂F_{iJ}∂F_{kL}) ∂_L N_b`` as blocks ``(E, N, N, 3, 3)``.

    One compiled pass per point (:func:`_stiffness_kernel`): ``U_{b,iJk} = A_{iJkL}
    ∂_L N_b``, then ``K_{ab,ik} += w ∂_J N_a U_{b,iJk}``. The optional term with
    :math:`\partial^2J/\partial F\partial F = J(F^{-T}_{iJ}F^{-T}_{kL} - F^{-T}_{iL}F^{-T}_{kJ})`
    (``jacobian_scale`` = s J per point, e.g. :math:`	ilde p J`) is added as
    :math:`w\,sJ\,(d_{ai}d_{bk} - d_{bi}d_{ak})` with :math:`d_{ai} = F^{-T}_{iJ}\partial_J N_a`,
    without forming it at the points.

    Parameters
    ----------
    weights, gradients
        Quadrature weights ``(E, Q)`` [m³] and gradients ``(E, Q, N, 3)`` [1/m].
    tangent
        ``A = ∂P/∂F`` per point ``(E, Q, 3, 3, 3, 3)`` [Pa].
    inverse_transposed, jacobian_scale
        ``F^{-T}`` ``(E, Q, 3, 3)`` and s J ``(E, Q)`` [Pa] of the Jacobian term (both or
        neither).
    """
    geometric = inverse_transposed is not None and jacobian_scale is not None
    empty = np.zeros((0, 0, 3, 3))
    return np.asarray(
        _stiffness_kernel(
            np.ascontiguousarray(weights, dtype=float),
            np.ascontiguousarray(gradients, dtype=float),
            np.ascontiguousarray(tangent, dtype=float),
            np.ascontiguousarray(inverse_transposed, dtype=float) if geometric else empty,
            np.ascontiguousarray(jacobian_scale, dtype=float) if geometric else empty[:, :, 0, 0],
            geometric,
        )
    )


@njit(cache=True, nogil=True, error_model="numpy")
def _stiffness_kernel(  # pragma: no cover - compiled
    weights: FloatArray,
    gradients: FloatArray,
    tangent: FloatArray,
    inverse_transposed: FloatArray,
    jacobian_scale: FloatArray,
    geometric: bool,
) -> FloatArray:
    n_cells, n_points, n_nodes, _ = gradients.shape
    blocks = np.zeros((n_cells, n_nodes, n_nodes, 3, 3))
    contracted = np.empty((n_nodes, 3, 3, 3))  # U[b, i, J, k]
    divergence = np.empty((n_nodes, 3))  # d[a, i]
    for e in range(n_cells):
        for q in range(n_points):
            w = weights[e, q]
            a_point = tangent[e, q]
            g = gradients[e, q]
            for b in range(n_nodes):
                g0, g1, g2 = g[b, 0], g[b, 1], g[b, 2]
                for i in range(3):
                    for j in range(3):
                        for k in range(3):
                            contracted[b, i, j, k] = (
                                a_point[i, j, k, 0] * g0
                                + a_point[i, j, k, 1] * g1
                                + a_point[i, j, k, 2] * g2
                            )
            if geometric:
                h = inverse_transposed[e, q]
                for a in range(n_nodes):
                    for i in range(3):
                        divergence[a, i] = h[i, 0] * g[a, 0] + h[i, 1] * g[a, 1] + h[i, 2] * g[a, 2]
                scale = w * jacobian_scale[e, q]
            for a in range(n_nodes):
                w0, w1, w2 = w * g[a, 0], w * g[a, 1], w * g[a, 2]
                for b in range(n_nodes):
                    for i in range(3):
                        for k in range(3):
                            value = (
                                w0 * contracted[b, i, 0, k]
                                + w1 * contracted[b, i, 1, k]
                                + w2 * contracted[b, i, 2, k]
                            )
                            if geometric:
                                value += scale * (
                                    divergence[a, i] * divergence[b, k]
                                    - divergence[b, i] * divergence[a, k]
                                )
                            blocks[e, a, b, i, k] += value
    return blocks


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
