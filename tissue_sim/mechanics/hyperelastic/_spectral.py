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

from tissue_sim.mechanics.hyperelastic._spectral_kernels import eigen_batch, isotropic_batch

FloatArray = NDArray[np.float64]


def symmetric_eigen(matrices: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Eigenvalues ``(..., 3)`` and orthonormal eigenvectors (columns, ``(..., 3, 3)``).

    Of symmetric 3×3 matrices; unsorted (see the module description; compiled point
    kernel :func:`~._spectral_kernels.eigen_batch`).
    """
    shape = matrices.shape[:-2]
    m = np.ascontiguousarray(matrices, dtype=float).reshape(-1, 3, 3)
    values, vectors = eigen_batch(m)
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
    n = int(np.prod(shape, dtype=np.int64))
    tangent = second is not None and divided is not None
    zeros = np.zeros((n, 3, 3))
    stress, result = isotropic_batch(
        np.ascontiguousarray(f, dtype=float).reshape(n, 3, 3),
        np.ascontiguousarray(vectors, dtype=float).reshape(n, 3, 3),
        np.ascontiguousarray(first, dtype=float).reshape(n, 3),
        zeros if second is None else np.ascontiguousarray(second, dtype=float).reshape(n, 3, 3),
        zeros if divided is None else np.ascontiguousarray(divided, dtype=float).reshape(n, 3, 3),
        tangent,
    )
    stress = stress.reshape(*shape, 3, 3)
    if not tangent:
        return stress, None
    return stress, result.reshape(*shape, 3, 3, 3, 3)
