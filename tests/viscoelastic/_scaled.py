"""Test helper: an elastic law with another law's isochoric energy scaled.

The relaxed elastic limit of a Prony-series layer (t → ∞ of the QLV law of
tissue_sim.mechanics.viscoelastic.finite) is its preset (instantaneous) law with the
isochoric energy, stress and tangent multiplied by g∞ and the volumetric part unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ScaledLaw:
    """An elastic law with the isochoric energy of another scaled by ``factor``."""

    law: object
    factor: float
    small_strain = False

    @property
    def shear_modulus(self) -> float:
        return self.factor * self.law.shear_modulus

    @property
    def bulk_modulus(self) -> float:
        return self.law.bulk_modulus

    @property
    def volumetric(self) -> str:
        return self.law.volumetric

    @property
    def fibre_directions(self) -> np.ndarray:
        return self.law.fibre_directions

    def tangent_regime(self, f):
        regime = getattr(self.law, "tangent_regime", None)
        return regime(f) if callable(regime) else None

    def isochoric_energy(self, f):
        return self.factor * self.law.isochoric_energy(f)

    def isochoric_stress(self, f, *, tangent: bool = True):
        stress, moduli = self.law.isochoric_stress(f, tangent=tangent)
        return self.factor * stress, None if moduli is None else self.factor * moduli

    def small_strain_material(self):
        return self.law.small_strain_material()
