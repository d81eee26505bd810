r"""The material protocol of the solid body, and isotropic linear elasticity.

Every material of :class:`~tissue_sim.mechanics.body.SolidBody` splits its strain energy
into an isochoric (deviatoric) and a volumetric part, and says whether it is a
small-strain law (:attr:`Material.small_strain`): the body then uses linearised
kinematics and caches its (constant) stiffness. The finite-strain laws (neo-Hookean,
Ogden, fibre-reinforced, ...) live in :mod:`tissue_sim.mechanics.hyperelastic`.

Isotropic linear elasticity, the small-strain law:

.. math::

    W(\varepsilon) = \mu\,\varepsilon_{dev}:\varepsilon_{dev}
                   + \tfrac{\kappa}{2}(\operatorname{tr}\varepsilon)^2,
    \qquad
    \sigma = 2\mu\,\varepsilon_{dev} + \kappa\,\operatorname{tr}(\varepsilon)\,I,

with :math:`\mu = E/(2(1+\nu))`, :math:`\kappa = E/(3(1-2\nu))`,
:math:`\lambda = \kappa - 2\mu/3 = E\nu/((1+\nu)(1-2\nu))`. In the body's mixed
formulation the volumetric term uses the projected dilatation,
:math:`U = \tfrac\kappa2(\theta - 1)^2` with :math:`\theta = 1 + \Pi_h\operatorname{tr}\varepsilon`
(the ``"quadratic"`` volumetric law).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Protocol, runtime_checkable

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["LinearElasticMaterial", "Material"]

FloatArray = NDArray[np.float64]

_IDENTITY = np.eye(3)
#: Deviatoric projector on symmetric tensors, I_sym − ⅓ I ⊗ I, shape (3, 3, 3, 3).
_DEVIATORIC = (
    0.5
    * (
        _IDENTITY[:, None, :, None] * _IDENTITY[None, :, None, :]
        + _IDENTITY[:, None, None, :] * _IDENTITY[None, :, :, None]
    )
    - _IDENTITY[:, :, None, None] * _IDENTITY[None, None, :, :] / 3.0
)


@runtime_checkable
class Material(Protocol):
    """What the solid body needs of a layer's material.

    Attributes
    ----------
    small_strain
        ``True`` for a small-strain (linear) law: linearised kinematics, constant
        stiffness.
    shear_modulus
        Small-strain shear modulus μ [Pa].
    bulk_modulus
        Small-strain bulk modulus κ [Pa].
    volumetric
        Name of the volumetric energy ``U(θ)`` (see
        :data:`~tissue_sim.mechanics.hyperelastic.VOLUMETRIC_LAWS`).
    fibre_directions
        Unit reference fibre directions ``(n_families, 3)`` (none: ``(0, 3)``).
    """

    small_strain: ClassVar[bool]

    @property
    def shear_modulus(self) -> float: ...

    @property
    def bulk_modulus(self) -> float: ...

    @property
    def volumetric(self) -> str: ...

    @property
    def fibre_directions(self) -> FloatArray: ...

    def isochoric_energy(self, deformation_gradient: ArrayLike) -> FloatArray:
        """Isochoric strain energy density at ``F`` ``(..., 3, 3)`` [J/m³]."""
        ...

    def isochoric_stress(
        self, deformation_gradient: ArrayLike, *, tangent: bool = True
    ) -> tuple[FloatArray, FloatArray | None]:
        """Isochoric first Piola–Kirchhoff stress and ``∂P/∂F`` [Pa]."""
        ...

    def small_strain_material(self) -> LinearElasticMaterial:
        """The linear-elastic material with the same μ and κ."""
        ...


@dataclass(frozen=True)
class LinearElasticMaterial:
    """Isotropic linear elastic material (the small-strain law of the solid body).

    Attributes
    ----------
    youngs_modulus
        Young's modulus E [Pa], > 0.
    poisson_ratio
        Poisson's ratio ν, −1 < ν < 0.5.
    """

    youngs_modulus: float
    poisson_ratio: float

    #: Linearised kinematics and a constant stiffness.
    small_strain: ClassVar[bool] = True
    #: The volumetric energy U = κ/2 (θ − 1)² of the projected dilatation.
    volumetric: ClassVar[str] = "quadratic"
    law: ClassVar[str] = "linear"

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

    @property
    def fibre_directions(self) -> FloatArray:
        """No fibres: shape ``(0, 3)``."""
        return np.zeros((0, 3))

    def small_strain_material(self) -> LinearElasticMaterial:
        """The material itself."""
        return self

    def isochoric_energy(self, deformation_gradient: ArrayLike) -> FloatArray:
        r"""Deviatoric energy :math:`\mu\,\varepsilon_{dev}:\varepsilon_{dev}`,
        :math:`\varepsilon = \operatorname{sym}(F - I)` [J/m³]."""
        deviator = _small_strain_deviator(deformation_gradient)
        return np.asarray(self.shear_modulus * np.einsum("...ij,...ij->...", deviator, deviator))

    def isochoric_stress(
        self, deformation_gradient: ArrayLike, *, tangent: bool = True
    ) -> tuple[FloatArray, FloatArray | None]:
        r"""Deviatoric stress :math:`2\mu\,\varepsilon_{dev}` and its constant tangent
        :math:`2\mu(\mathbb I_{sym} - \tfrac13 I\otimes I)` [Pa]."""
        deviator = _small_strain_deviator(deformation_gradient)
        stress = 2.0 * self.shear_modulus * deviator
        if not tangent:
            return stress, None
        moduli = np.broadcast_to(2.0 * self.shear_modulus * _DEVIATORIC, (*stress.shape, 3, 3))
        return stress, np.array(moduli)

    @classmethod
    def from_moduli(cls, shear_modulus: float, bulk_modulus: float) -> LinearElasticMaterial:
        """Build from μ and κ [Pa]: E = 9κμ/(3κ+μ), ν = (3κ−2μ)/(2(3κ+μ))."""
        youngs = 9.0 * bulk_modulus * shear_modulus / (3.0 * bulk_modulus + shear_modulus)
        nu = (3.0 * bulk_modulus - 2.0 * shear_modulus) / (
            2.0 * (3.0 * bulk_modulus + shear_modulus)
        )
        return cls(youngs, nu)


def _small_strain_deviator(deformation_gradient: ArrayLike) -> FloatArray:
    f = np.asarray(deformation_gradient, dtype=float)
    strain = 0.5 * (f + np.swapaxes(f, -1, -2)) - _IDENTITY
    trace = np.trace(strain, axis1=-2, axis2=-1)
    return np.asarray(strain - (trace / 3.0)[..., None, None] * _IDENTITY)
