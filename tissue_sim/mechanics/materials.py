r"""Small-strain constitutive laws.

Isotropic linear elasticity with the deviatoric/volumetric split used by the
nearly-incompressible (mixed) formulation:

.. math::

    W(\varepsilon) = \mu\,\varepsilon_{dev}:\varepsilon_{dev}
                   + \tfrac{\kappa}{2}(\operatorname{tr}\varepsilon)^2,
    \qquad
    \sigma = 2\mu\,\varepsilon_{dev} + \kappa\,\operatorname{tr}(\varepsilon)\,I,

with :math:`\mu = E/(2(1+\nu))`, :math:`\kappa = E/(3(1-2\nu))`,
:math:`\lambda = \kappa - 2\mu/3 = E\nu/((1+\nu)(1-2\nu))`.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["LinearElasticMaterial"]


@dataclass(frozen=True)
class LinearElasticMaterial:
    """Isotropic linear elastic material.

    Attributes
    ----------
    youngs_modulus
        Young's modulus E [Pa], > 0.
    poisson_ratio
        Poisson's ratio ν, −1 < ν < 0.5.
    """

    youngs_modulus: float
    poisson_ratio: float

    def __post_init__(self) -> None:
        if not self.youngs_modulus > 0.0:
            raise ValueError("Young's modulus must be positive")
        if not -1.0 < self.poisson_ratio < 0.5:
            raise ValueError("Poisson's ratio must lie in (-1, 0.5)")

    @property
    def shear_modulus(self) -> float:
        """μ = E / (2 (1 + ν)) [Pa]."""
        return self.youngs_modulus / (2.0 * (1.0 + self.poisson_ratio))

    @property
    def bulk_modulus(self) -> float:
        """κ = E / (3 (1 − 2ν)) [Pa]."""
        return self.youngs_modulus / (3.0 * (1.0 - 2.0 * self.poisson_ratio))

    @property
    def lame_lambda(self) -> float:
        """λ = E ν / ((1 + ν)(1 − 2ν)) [Pa]."""
        nu = self.poisson_ratio
        return self.youngs_modulus * nu / ((1.0 + nu) * (1.0 - 2.0 * nu))

    @classmethod
    def from_moduli(cls, shear_modulus: float, bulk_modulus: float) -> LinearElasticMaterial:
        """Build from μ and κ [Pa]: E = 9κμ/(3κ+μ), ν = (3κ−2μ)/(2(3κ+μ))."""
        youngs = 9.0 * bulk_modulus * shear_modulus / (3.0 * bulk_modulus + shear_modulus)
        nu = (3.0 * bulk_modulus - 2.0 * shear_modulus) / (
            2.0 * (3.0 * bulk_modulus + shear_modulus)
        )
        return cls(youngs, nu)
