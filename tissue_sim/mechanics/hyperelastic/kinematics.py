r"""Finite-strain measures of a deformation gradient.

For a deformation gradient :math:`F` with right Cauchy–Green tensor :math:`C = F^TF`
(eigenvalues :math:`\lambda_i^2`):

* Green–Lagrange strain :math:`E = \tfrac12(C - I)`;
* principal stretches :math:`\lambda_1 \ge \lambda_2 \ge \lambda_3`;
* logarithmic (Hencky) principal strains :math:`\ln\lambda_i`;
* stretch along a reference unit direction :math:`a`: :math:`\lambda_a = \sqrt{a\cdot Ca}`.

All functions are vectorised over leading axes and dimensionless.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "directional_stretch",
    "green_lagrange_strain",
    "hencky_principal_strains",
    "principal_stretches",
]

FloatArray = NDArray[np.float64]


def green_lagrange_strain(deformation_gradient: ArrayLike) -> FloatArray:
    """``E = ½(FᵀF − I)``, shape ``(..., 3, 3)`` [-]."""
    f = np.asarray(deformation_gradient, dtype=float)
    return np.asarray(0.5 * (np.swapaxes(f, -1, -2) @ f - np.eye(3)))


def _stretches_from_strain(green_lagrange: FloatArray) -> FloatArray:
    eigenvalues = np.linalg.eigvalsh(np.eye(3) + 2.0 * green_lagrange)[..., ::-1]
    return np.sqrt(np.clip(eigenvalues, 0.0, None))


def principal_stretches(deformation_gradient: ArrayLike) -> FloatArray:
    """Principal stretches, sorted descending, shape ``(..., 3)`` [-]."""
    return _stretches_from_strain(green_lagrange_strain(deformation_gradient))


def hencky_principal_strains(deformation_gradient: ArrayLike) -> FloatArray:
    """Logarithmic principal strains ``ln λ_i``, sorted descending, ``(..., 3)`` [-]."""
    return np.log(principal_stretches(deformation_gradient))


def directional_stretch(deformation_gradient: ArrayLike, direction: ArrayLike) -> FloatArray:
    """Stretch ``|F a|`` of the reference unit vector(s) ``a`` (broadcast), ``(...)`` [-]."""
    f = np.asarray(deformation_gradient, dtype=float)
    a = np.asarray(direction, dtype=float)
    return np.asarray(np.linalg.norm(np.einsum("...ij,...j->...i", f, a), axis=-1))


def stretches_from_green_lagrange(green_lagrange: FloatArray) -> FloatArray:
    """Principal stretches of ``C = I + 2E``, descending, ``(..., 3)`` [-]."""
    return _stretches_from_strain(green_lagrange)
