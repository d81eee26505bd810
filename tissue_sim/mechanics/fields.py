r"""Volume-averaged fields per cell of a mechanics solution (small or finite strain).

For small strain the strain is the small-strain tensor :math:`\varepsilon` with the
projected dilatation of the mixed formulation; for finite strain it is the
Green–Lagrange strain :math:`E = \tfrac12(\tilde F^T\tilde F - I)` of the *modified*
deformation gradient :math:`\tilde F = (\theta/J)^{1/3}F` (θ the projected volume
ratio; θ = J for the displacement formulation), averaged over the reference cell, so
principal values are those of the averaged tensor. The stress is the Cauchy stress
averaged over the current cell volume.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["CellFields"]

FloatArray = NDArray[np.float64]

_ARRAYS = (
    "strain",
    "stress",
    "energy_density",
    "principal_stretches",
    "fibre_stretch",
    "volume_ratio",
)


@dataclass(frozen=True)
class CellFields:
    """Volume-averaged fields per cell (optionally with a leading frame axis ``K``).

    Attributes
    ----------
    strain
        Small strain (linear) or Green–Lagrange strain (finite), ``(..., m, 3, 3)`` [-].
    stress
        Cauchy stress, ``(..., m, 3, 3)`` [Pa].
    energy_density
        Strain energy per reference volume, ``(..., m)`` [J/m³].
    principal_stretches
        Principal stretches of ``I + 2E``, descending, ``(..., m, 3)`` [-]; finite
        strain only (``None`` for small strain).
    fibre_stretch
        Stretch along each fibre family of the cell's material, ``(..., m, 2)`` [-]; 1
        where the cell has no such family; finite strain only.
    volume_ratio
        Projected volume ratio θ averaged over the reference cell, ``(..., m)`` [-];
        finite strain only.
    """

    strain: FloatArray
    stress: FloatArray
    energy_density: FloatArray
    principal_stretches: FloatArray | None = None
    fibre_stretch: FloatArray | None = None
    volume_ratio: FloatArray | None = None

    @property
    def finite_strain(self) -> bool:
        """Whether the fields come from a finite-strain solution."""
        return self.principal_stretches is not None

    @property
    def green_lagrange(self) -> FloatArray:
        """Alias of :attr:`strain` (Green–Lagrange for a finite-strain solution)."""
        return self.strain

    @property
    def cauchy_stress(self) -> FloatArray:
        """Alias of :attr:`stress` [Pa]."""
        return self.stress

    @property
    def hencky_principal(self) -> FloatArray:
        """Logarithmic principal strains ``ln λ_i``, descending, ``(..., m, 3)`` [-]."""
        if self.principal_stretches is None:
            raise AttributeError("Hencky strains exist for finite-strain fields only")
        return np.asarray(np.log(self.principal_stretches))

    @property
    def pressure(self) -> FloatArray:
        """Hydrostatic pressure ``−tr σ / 3``, ``(..., m)`` [Pa]."""
        return np.asarray(-np.trace(self.stress, axis1=-2, axis2=-1) / 3.0)

    def extra_scalars(self) -> dict[str, FloatArray]:
        """Finite-strain scalars per cell: Hencky, stretches, fibre stretch, volume ratio.

        Empty for small-strain fields. All dimensionless.
        """
        if self.principal_stretches is None:
            return {}
        assert self.fibre_stretch is not None and self.volume_ratio is not None
        hencky = self.hencky_principal
        return {
            "max_hencky_strain": hencky[..., 0],
            "min_hencky_strain": hencky[..., 2],
            "max_principal_stretch": self.principal_stretches[..., 0],
            "min_principal_stretch": self.principal_stretches[..., 2],
            "fibre_stretch": self.fibre_stretch.max(axis=-1),
            "volume_ratio": self.volume_ratio,
        }

    def combine(self, factors: FloatArray) -> CellFields:
        """Linear combinations ``Σ_b factors[k, b] · field_b`` of small-strain fields.

        The fields must carry a leading pattern axis ``B``; the energy density of each
        combination is recomputed as ½ σ : ε. Finite-strain fields are not linear in the
        load and cannot be combined.
        """
        if self.finite_strain:
            raise ValueError("finite-strain fields do not superpose")
        strain = np.einsum("kb,bmij->kmij", factors, self.strain)
        stress = np.einsum("kb,bmij->kmij", factors, self.stress)
        energy = 0.5 * np.einsum("kmij,kmij->km", stress, strain)
        return CellFields(strain, stress, energy)

    def frame(self, index: int) -> CellFields:
        """The fields of frame ``index`` of fields with a leading frame axis."""

        def pick(value: FloatArray | None) -> FloatArray | None:
            return None if value is None else np.asarray(value[index])

        return CellFields(
            np.asarray(self.strain[index]),
            np.asarray(self.stress[index]),
            np.asarray(self.energy_density[index]),
            pick(self.principal_stretches),
            pick(self.fibre_stretch),
            pick(self.volume_ratio),
        )

    @staticmethod
    def stack(frames: list[CellFields]) -> CellFields:
        """Stack single-frame fields along a new leading frame axis."""
        values: dict[str, FloatArray | None] = {}
        for name in _ARRAYS:
            items = [getattr(frame, name) for frame in frames]
            values[name] = None if items[0] is None else np.stack(items)
        return CellFields(**values)  # type: ignore[arg-type]
