r"""Finite-strain measures and the per-cell output fields of a hyperelastic solution.

For a deformation gradient :math:`F` with right Cauchy–Green tensor :math:`C = F^TF`
(eigenvalues :math:`\lambda_i^2`):

* Green–Lagrange strain :math:`E = \tfrac12(C - I)`;
* principal stretches :math:`\lambda_1 \ge \lambda_2 \ge \lambda_3`;
* logarithmic (Hencky) principal strains :math:`\ln\lambda_i`;
* stretch along a reference unit direction :math:`a`: :math:`\lambda_a = \sqrt{a\cdot Ca}`.

All functions are vectorised over leading axes and dimensionless.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "HyperelasticCellFields",
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


@dataclass(frozen=True)
class HyperelasticCellFields:
    """Volume-averaged fields per cell (optionally with a leading frame axis ``K``).

    Strain measures derive from the reference-volume average of the Green–Lagrange
    strain of the *modified* deformation gradient :math:`\\tilde F = (\\theta/J)^{1/3}F`
    (θ the projected volume ratio of the mixed formulation; θ = J for the displacement
    formulation), so principal values are those of the averaged tensor.

    Attributes
    ----------
    green_lagrange
        Green–Lagrange strain, ``(..., m, 3, 3)`` [-].
    principal_stretches
        Principal stretches of ``I + 2E``, descending, ``(..., m, 3)`` [-].
    hencky_principal
        Logarithmic principal strains ``ln λ_i``, descending, ``(..., m, 3)`` [-].
    fibre_stretch
        Stretch along each fibre family of the cell's material, ``(..., m, 2)`` [-];
        1 where the cell has no such family (the stimulus convention).
    cauchy_stress
        Cauchy stress averaged over the current cell volume, ``(..., m, 3, 3)`` [Pa].
    volume_ratio
        Projected volume ratio θ averaged over the reference cell, ``(..., m)`` [-].
    energy_density
        Strain energy per reference volume, ``(..., m)`` [J/m³].
    """

    green_lagrange: FloatArray
    principal_stretches: FloatArray
    hencky_principal: FloatArray
    fibre_stretch: FloatArray
    cauchy_stress: FloatArray
    volume_ratio: FloatArray
    energy_density: FloatArray

    @property
    def strain(self) -> FloatArray:
        """Alias of :attr:`green_lagrange` (the strain the stimulus stage reads)."""
        return self.green_lagrange

    @property
    def stress(self) -> FloatArray:
        """Alias of :attr:`cauchy_stress` [Pa]."""
        return self.cauchy_stress

    @property
    def pressure(self) -> FloatArray:
        """Hydrostatic pressure ``−tr σ / 3``, ``(..., m)`` [Pa]."""
        return np.asarray(-np.trace(self.cauchy_stress, axis1=-2, axis2=-1) / 3.0)

    @staticmethod
    def stack(frames: list[HyperelasticCellFields]) -> HyperelasticCellFields:
        """Stack single-frame fields along a new leading frame axis."""
        return HyperelasticCellFields(
            *(
                np.stack([getattr(f, name) for f in frames])
                for name in (
                    "green_lagrange",
                    "principal_stretches",
                    "hencky_principal",
                    "fibre_stretch",
                    "cauchy_stress",
                    "volume_ratio",
                    "energy_density",
                )
            )
        )


def stretches_from_green_lagrange(green_lagrange: FloatArray) -> FloatArray:
    """Principal stretches of ``C = I + 2E``, descending, ``(..., 3)`` [-]."""
    return _stretches_from_strain(green_lagrange)
