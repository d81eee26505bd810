r"""Scalar measures of a symmetric strain tensor, vectorised over any leading shape.

All functions take ``strain`` with shape ``(..., 3, 3)`` (symmetric; small strain
:math:`\varepsilon` or Green–Lagrange :math:`E`) and return arrays of shape ``(...)``
(or ``(..., 3)`` for principal values). Strains are dimensionless (m/m).

Definitions (:math:`\varepsilon_1 \ge \varepsilon_2 \ge \varepsilon_3` principal values):

* maximum principal strain :math:`\varepsilon_1`; minimum principal :math:`\varepsilon_3`
  (most compressive);
* maximum (engineering) shear strain :math:`\gamma_{max} = \varepsilon_1 - \varepsilon_3`;
* octahedral shear strain
  :math:`\gamma_{oct} = \tfrac{2}{3}\sqrt{(\varepsilon_1-\varepsilon_2)^2
  + (\varepsilon_2-\varepsilon_3)^2 + (\varepsilon_3-\varepsilon_1)^2}`;
* volumetric strain :math:`\varepsilon_v = \operatorname{tr}\varepsilon`;
* von Mises equivalent of a stress :math:`\sigma_{vM} = \sqrt{\tfrac{3}{2} s:s}`,
  :math:`s = \sigma - \tfrac{1}{3}\operatorname{tr}\sigma\,I`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "EFFECTIVE_STRAIN_MEASURES",
    "max_principal_strain",
    "max_shear_strain",
    "min_principal_strain",
    "octahedral_shear_strain",
    "principal_strains",
    "volumetric_strain",
    "von_mises_stress",
]

FloatArray = NDArray[np.float64]


def principal_strains(strain: FloatArray) -> FloatArray:
    r"""Principal values of a symmetric 3×3 tensor, sorted descending, shape ``(..., 3)``.

    Closed form (trigonometric solution of the characteristic cubic, Smith 1961):
    with :math:`q = \operatorname{tr}A/3`, :math:`p = \sqrt{\tfrac16 \|A - qI\|^2}`,
    :math:`B = (A - qI)/p` and :math:`\phi = \tfrac13\arccos(\det B/2)`,
    the eigenvalues are :math:`q + 2p\cos\phi`, :math:`q + 2p\cos(\phi + 2\pi/3)`,
    :math:`q + 2p\cos(\phi + 4\pi/3)`. Near a repeated eigenvalue
    (:math:`|\det B/2| \to 1`) the arccos loses half the digits, so those tensors are
    recomputed with LAPACK (``numpy.linalg.eigvalsh``); the result is accurate to about
    1e-14 of the tensor norm everywhere and several times faster than ``eigvalsh`` alone.
    """
    a = np.asarray(strain, dtype=float)
    q = np.trace(a, axis1=-2, axis2=-1) / 3.0
    d00 = a[..., 0, 0] - q
    d11 = a[..., 1, 1] - q
    d22 = a[..., 2, 2] - q
    a01, a02, a12 = a[..., 0, 1], a[..., 0, 2], a[..., 1, 2]
    off = a01 * a01 + a02 * a02 + a12 * a12
    p = np.sqrt((d00 * d00 + d11 * d11 + d22 * d22 + 2.0 * off) / 6.0)
    determinant = (
        d00 * (d11 * d22 - a12 * a12)
        - a01 * (a01 * d22 - a12 * a02)
        + a02 * (a01 * a12 - d11 * a02)
    )
    safe_p = np.where(p > 0.0, p, 1.0)
    half_det = np.clip(determinant / (2.0 * safe_p**3), -1.0, 1.0)
    phi = np.arccos(half_det) / 3.0
    values = np.empty((*a.shape[:-2], 3))
    values[..., 0] = q + 2.0 * p * np.cos(phi)
    values[..., 2] = q + 2.0 * p * np.cos(phi + 2.0 * np.pi / 3.0)
    values[..., 1] = 3.0 * q - values[..., 0] - values[..., 2]
    degenerate = (np.abs(half_det) > 1.0 - 1e-3) & (p > 0.0)
    if np.any(degenerate):
        values[degenerate] = np.linalg.eigvalsh(a[degenerate])[..., ::-1]
    return values


def max_principal_strain(strain: FloatArray) -> FloatArray:
    """Largest principal strain :math:`\\varepsilon_1` (tension positive) [-]."""
    return principal_strains(strain)[..., 0]


def min_principal_strain(strain: FloatArray) -> FloatArray:
    """Smallest principal strain :math:`\\varepsilon_3` (compression negative) [-]."""
    return principal_strains(strain)[..., 2]


def max_shear_strain(strain: FloatArray) -> FloatArray:
    """Maximum engineering shear strain :math:`\\varepsilon_1 - \\varepsilon_3` [-]."""
    values = principal_strains(strain)
    return values[..., 0] - values[..., 2]


def octahedral_shear_strain(strain: FloatArray) -> FloatArray:
    """Octahedral shear strain [-].

    :math:`\\tfrac{2}{3}\\sqrt{\\sum_{i<j} (\\varepsilon_i-\\varepsilon_j)^2}`.
    """
    values = principal_strains(strain)
    e1, e2, e3 = values[..., 0], values[..., 1], values[..., 2]
    return (2.0 / 3.0) * np.sqrt((e1 - e2) ** 2 + (e2 - e3) ** 2 + (e3 - e1) ** 2)


def volumetric_strain(strain: FloatArray) -> FloatArray:
    """Volumetric (dilatational) strain :math:`\\operatorname{tr}\\varepsilon` [-]."""
    return np.trace(np.asarray(strain, dtype=float), axis1=-2, axis2=-1)


def von_mises_stress(stress: FloatArray) -> FloatArray:
    """Von Mises equivalent stress :math:`\\sqrt{3/2\\, s:s}` [Pa] of a Cauchy stress [Pa]."""
    stress = np.asarray(stress, dtype=float)
    mean = np.trace(stress, axis1=-2, axis2=-1) / 3.0
    deviator = stress - mean[..., None, None] * np.eye(3)
    return np.sqrt(1.5 * np.einsum("...ij,...ij->...", deviator, deviator))


#: Name → function of the effective strain measures a scenario may choose to drive biology.
EFFECTIVE_STRAIN_MEASURES: dict[str, Callable[[FloatArray], FloatArray]] = {
    "max_principal_strain": max_principal_strain,
    "max_shear_strain": max_shear_strain,
    "octahedral_shear_strain": octahedral_shear_strain,
}
