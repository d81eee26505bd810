r"""Volumetric strain energies :math:`U(J)` of the nearly incompressible laws.

Every hyperelastic law here is split into an isochoric part and a volumetric part,
:math:`W(F) = \Psi_{iso}(\bar C) + U(J)`. Three choices of :math:`U`, all with
:math:`U(1) = U'(1) = 0` and :math:`U''(1) = \kappa` (so κ is the small-strain bulk
modulus):

``"simo_miehe"`` (default; Simo & Miehe 1992)
    :math:`U = \tfrac{\kappa}{4}(J^2 - 1 - 2\ln J)`,
    :math:`U' = \tfrac{\kappa}{2}(J - J^{-1})`,
    :math:`U'' = \tfrac{\kappa}{2}(1 + J^{-2})`. Convex, and infinite as J → 0.
``"quadratic"`` (as in Abaqus, :math:`\kappa = 2/D_1`)
    :math:`U = \tfrac{\kappa}{2}(J - 1)^2`, :math:`U' = \kappa(J-1)`, :math:`U'' = \kappa`.
``"logarithmic"``
    :math:`U = \tfrac{\kappa}{2}(\ln J)^2`, :math:`U' = \kappa\ln J/J`,
    :math:`U'' = \kappa(1 - \ln J)/J^2`.

Units: κ and U in Pa (J/m³), J dimensionless.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["VOLUMETRIC_LAWS", "volumetric_energy"]

FloatArray = NDArray[np.float64]

#: Names of the volumetric energies.
VOLUMETRIC_LAWS = ("simo_miehe", "quadratic", "logarithmic")


def volumetric_energy(
    law: str, bulk_modulus: ArrayLike, volume_ratio: ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Volumetric energy and its first two derivatives.

    Parameters
    ----------
    law
        One of :data:`VOLUMETRIC_LAWS`.
    bulk_modulus
        κ [Pa], scalar or broadcastable to ``volume_ratio``.
    volume_ratio
        J (or its projection θ) > 0 [-].

    Returns
    -------
    energy, first, second
        :math:`U` [J/m³], :math:`U'` [Pa] and :math:`U''` [Pa], shaped like
        ``volume_ratio``.
    """
    kappa = np.asarray(bulk_modulus, dtype=float)
    j = np.asarray(volume_ratio, dtype=float)
    if law == "simo_miehe":
        inverse = 1.0 / j
        energy = 0.25 * kappa * (j * j - 1.0 - 2.0 * np.log(j))
        first = 0.5 * kappa * (j - inverse)
        second = 0.5 * kappa * (1.0 + inverse * inverse)
    elif law == "quadratic":
        energy = 0.5 * kappa * (j - 1.0) ** 2
        first = kappa * (j - 1.0)
        second = kappa * np.ones_like(j)
    elif law == "logarithmic":
        log_j = np.log(j)
        energy = 0.5 * kappa * log_j**2
        first = kappa * log_j / j
        second = kappa * (1.0 - log_j) / (j * j)
    else:
        raise ValueError(f"unknown volumetric law {law!r}; expected one of {VOLUMETRIC_LAWS}")
    shape = np.broadcast_shapes(kappa.shape, j.shape)
    return (
        np.broadcast_to(energy, shape).astype(float),
        np.broadcast_to(first, shape).astype(float),
        np.broadcast_to(second, shape).astype(float),
    )
