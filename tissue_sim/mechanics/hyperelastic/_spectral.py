r"""Closed-form spectral decomposition and the tangent of isotropic laws (private).

:func:`symmetric_eigen` diagonalises batches of symmetric 3×3 matrices without LAPACK:
the trigonometric solution of the characteristic cubic (Smith 1961) locates the most
isolated eigenvalue; its eigenvector is the null vector of :math:`A - \lambda I`
(cross products of its rows, refined once with the Rayleigh quotient), and the other
two follow from a Jacobi rotation of the 2×2 block on its orthogonal complement. The
basis is orthonormal to round-off for any eigenvalue gaps, including coincident
eigenvalues (where the eigenvectors are not unique, any orthonormal basis of the
eigenspace results). Spectral functions :math:`\sum_a g(c_a) N_a\otimes N_a` are then
accurate to round-off even for nearly coincident eigenvalues.

:func:`isotropic_response` turns the derivatives of an energy :math:`\Psi(c_1, c_2, c_3)`
of the eigenvalues :math:`c_a` of :math:`C = F^TF` into

.. math::

    S = 2\sum_a \psi_a N_a\otimes N_a, \qquad P = FS,

    \mathbb A_{iJkL} = \delta_{ik}S_{JL} + \sum_{a,b} 4\psi_{ab}\,(f_a\otimes N_a)_{iJ}
        (f_b\otimes N_b)_{kL}
        + \sum_{a\ne b} 2\,\psi_{[ab]}\,(f_a\otimes N_b)_{iJ}
        \left[(f_a\otimes N_b) + (f_b\otimes N_a)\right]_{kL},

with :math:`\psi_a = \partial\Psi/\partial c_a`, :math:`\psi_{ab} = \partial^2\Psi/\partial
c_a\partial c_b`, the divided differences :math:`\psi_{[ab]} = (\psi_a - \psi_b)/(c_a - c_b)`
(their limit :math:`\psi_{aa} - \psi_{ab}` for coincident eigenvalues, which the law
supplies in closed form), and :math:`f_a = FN_a`. This is
:math:`\delta_{ik}S_{JL} + F_{iI}\mathbb C_{IJKL}F_{kK}` with the material elasticity
:math:`\mathbb C = 2\,\partial S/\partial C` of an isotropic tensor function (e.g.
Holzapfel 2000, §6.7), evaluated as one 9×9 quadratic form per point.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


def _cross(u: FloatArray, v: FloatArray) -> FloatArray:
    out = np.empty_like(u)
    out[:, 0] = u[:, 1] * v[:, 2] - u[:, 2] * v[:, 1]
    out[:, 1] = u[:, 2] * v[:, 0] - u[:, 0] * v[:, 2]
    out[:, 2] = u[:, 0] * v[:, 1] - u[:, 1] * v[:, 0]
    return out


def _quadratic(m: FloatArray, v: FloatArray) -> FloatArray:
    """``vᵀ m v`` per row, ``(n,)``."""
    return np.asarray(np.sum(v * (m @ v[:, :, None])[:, :, 0], axis=1))


def _null_vector(m: FloatArray, value: FloatArray) -> FloatArray:
    """Unit null vector of ``m − value·I`` (rows' largest cross product), ``(n, 3)``."""
    shifted = m - value[:, None, None] * np.eye(3)
    rows = shifted[:, 0], shifted[:, 1], shifted[:, 2]
    candidates = np.stack(
        [_cross(rows[0], rows[1]), _cross(rows[0], rows[2]), _cross(rows[1], rows[2])], axis=1
    )  # (n, 3, 3)
    norms = np.sum(candidates * candidates, axis=2)
    best = np.argmax(norms, axis=1)
    vector = candidates[np.arange(m.shape[0]), best]
    size = np.sqrt(norms[np.arange(m.shape[0]), best])
    degenerate = ~(size > 0.0)
    vector[degenerate] = (1.0, 0.0, 0.0)
    size[degenerate] = 1.0
    return np.asarray(vector / size[:, None])


def symmetric_eigen(matrices: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Eigenvalues ``(..., 3)`` and orthonormal eigenvectors (columns, ``(..., 3, 3)``).

    Of symmetric 3×3 matrices; unsorted (see the module description).
    """
    shape = matrices.shape[:-2]
    m = np.ascontiguousarray(matrices, dtype=float).reshape(-1, 3, 3)
    n = m.shape[0]
    q = np.trace(m, axis1=1, axis2=2) / 3.0
    d00, d11, d22 = m[:, 0, 0] - q, m[:, 1, 1] - q, m[:, 2, 2] - q
    a01, a02, a12 = m[:, 0, 1], m[:, 0, 2], m[:, 1, 2]
    p = np.sqrt(
        (d00 * d00 + d11 * d11 + d22 * d22 + 2.0 * (a01 * a01 + a02 * a02 + a12 * a12)) / 6.0
    )
    determinant = (
        d00 * (d11 * d22 - a12 * a12)
        - a01 * (a01 * d22 - a12 * a02)
        + a02 * (a01 * a12 - d11 * a02)
    )
    safe = np.where(p > 0.0, p, 1.0)
    phi = np.arccos(np.clip(determinant / (2.0 * safe**3), -1.0, 1.0)) / 3.0
    largest = q + 2.0 * p * np.cos(phi)
    smallest = q + 2.0 * p * np.cos(phi + 2.0 * np.pi / 3.0)
    middle = 3.0 * q - largest - smallest
    isolated = np.where(largest - middle >= middle - smallest, largest, smallest)
    v0 = _null_vector(m, isolated)
    rayleigh = _quadratic(m, v0)
    v0 = _null_vector(m, rayleigh)
    # orthonormal complement: the axis least aligned with v0, crossed with it
    axis = np.zeros((n, 3))
    axis[np.arange(n), np.argmin(np.abs(v0), axis=1)] = 1.0
    u = _cross(axis, v0)
    u /= np.linalg.norm(u, axis=1)[:, None]
    w = _cross(v0, u)
    mw = (m @ w[:, :, None])[:, :, 0]
    m_uu = _quadratic(m, u)
    m_ww = np.sum(w * mw, axis=1)
    m_uw = np.sum(u * mw, axis=1)
    theta = 0.5 * np.arctan2(2.0 * m_uw, m_uu - m_ww)
    c, s = np.cos(theta), np.sin(theta)
    v1 = c[:, None] * u + s[:, None] * w
    v2 = -s[:, None] * u + c[:, None] * w
    values = np.empty((n, 3))
    values[:, 0] = _quadratic(m, v0)
    values[:, 1] = c * c * m_uu + 2.0 * c * s * m_uw + s * s * m_ww
    values[:, 2] = s * s * m_uu - 2.0 * c * s * m_uw + c * c * m_ww
    vectors = np.stack([v0, v1, v2], axis=-1)
    return values.reshape(*shape, 3), vectors.reshape(*shape, 3, 3)


def isotropic_response(
    deformation_gradient: FloatArray,
    vectors: FloatArray,
    first: FloatArray,
    second: FloatArray | None,
    divided: FloatArray | None,
) -> tuple[FloatArray, FloatArray | None]:
    """First Piola–Kirchhoff stress and ``∂P/∂F`` from spectral derivatives.

    Parameters
    ----------
    deformation_gradient
        ``F`` ``(..., 3, 3)``.
    vectors
        Eigenvectors of ``C`` (columns ``N_a``), ``(..., 3, 3)``.
    first
        ``ψ_a`` ``(..., 3)`` [Pa].
    second, divided
        ``ψ_ab`` and ``ψ_[ab]`` ``(..., 3, 3)`` [Pa] (the diagonal of ``divided`` is
        ignored), or ``None`` for the stress only.

    Returns
    -------
    stress, tangent
        ``P`` ``(..., 3, 3)`` and ``∂P/∂F`` ``(..., 3, 3, 3, 3)`` (or ``None``) [Pa].
    """
    f = deformation_gradient
    shape = f.shape[:-2]
    s = (vectors * (2.0 * first)[..., None, :]) @ np.swapaxes(vectors, -1, -2)
    stress = f @ s
    if second is None or divided is None:
        return stress, None
    n = int(np.prod(shape, dtype=np.int64))
    stretched = np.ascontiguousarray(np.swapaxes(f @ vectors, -1, -2)).reshape(n, 9)  # [a, i]
    directions = np.ascontiguousarray(np.swapaxes(vectors, -1, -2)).reshape(n, 9)  # [b, J]
    # dyads[n, (a, b), (i, J)] = f_a,i N_b,J
    outer = (stretched[:, :, None] * directions[:, None, :]).reshape(n, 3, 3, 3, 3)
    dyads = np.ascontiguousarray(outer.transpose(0, 1, 3, 2, 4)).reshape(n, 9, 9)
    second = second.reshape(n, 3, 3)
    divided = divided.reshape(n, 3, 3)
    # right[p] = Σ_q M_pq Y_q with the sparse 9×9 coefficient matrix M
    right = np.empty_like(dyads)
    diagonal = dyads[:, [0, 4, 8], :]  # Y_aa
    right[:, [0, 4, 8], :] = np.matmul(4.0 * second, diagonal)
    for a, b in ((0, 1), (0, 2), (1, 2)):
        value = (2.0 * divided[:, a, b])[:, None]
        pair = dyads[:, 3 * a + b] + dyads[:, 3 * b + a]
        right[:, 3 * a + b] = value * pair
        right[:, 3 * b + a] = value * pair
    tangent = np.matmul(np.swapaxes(dyads, 1, 2), right).reshape(n, 3, 3, 3, 3)
    transposed = np.swapaxes(s, -1, -2).reshape(n, 3, 3)
    for i in range(3):
        tangent[:, i, :, i, :] += transposed
    return stress, tangent.reshape(*shape, 3, 3, 3, 3)
