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
    """Principal values of a symmetric tensor, sorted descending, shape ``(..., 3)``."""
    values = np.linalg.eigvalsh(np.asarray(strain, dtype=float))
    return values[..., ::-1]


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
    """Octahedral shear strain :math:`\\tfrac{2}{3}\\sqrt{\\sum (\\varepsilon_i-\\varepsilon_j)^2}` [-]."""
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
