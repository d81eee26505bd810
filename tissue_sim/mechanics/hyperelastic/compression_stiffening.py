r"""Compression-stiffening soft tissue fitted to in-vivo MR elastography under compression.

Hatt, Lloyd, Bolsterlee & Bilston (2023, *J Mech Behav Biomed Mater* 105924; FACTS §2, §9)
compressed the buttocks of ten participants in four steps during MR elastography at 50 Hz
and fitted the apparent shear modulus to the compression:

.. math::

    G^*_{fat} = 748.5\,C_{yy}^{-1.18}\ \mathrm{Pa}, \qquad
    G^*_{muscle} = 956.4\,C_{yy}^{-0.36}\ \mathrm{Pa},

with :math:`C_{yy}` the component of the right Cauchy–Green tensor :math:`C = F^TF` along
the compression direction (the tissue strain came from registering deformed to undeformed
images; :math:`C_{yy} = \lambda^2 = 1` at rest, < 1 in compression; see docs/materials.md
for what was checked and what is assumed).

The law
-------
:class:`CompressionStiffening` is the isotropic, nearly incompressible solid whose
small-amplitude shear modulus about a uniaxially compressed state is exactly that power
law. With the isochoric principal stretches :math:`\bar\lambda_i = J^{-1/3}\lambda_i`,

.. math::

    W = \frac{2\mu_0}{\alpha^2}\left(\bar\lambda_1^{\alpha} + \bar\lambda_2^{\alpha}
        + \bar\lambda_3^{\alpha} - 3\right) + U(J), \qquad \alpha = 4b,

a one-term Ogden energy whose exponent is fixed by the measured stiffening exponent
:math:`b` (:math:`G \propto C_{yy}^{-b}`) and whose coefficient is the shear modulus at
rest :math:`\mu_0`; :math:`U` is the volumetric energy of
:mod:`~tissue_sim.mechanics.hyperelastic.volumetric` (bulk modulus κ).

Stress and tangent (those of the Ogden term, evaluated in
:class:`~tissue_sim.mechanics.hyperelastic.materials.Ogden`): with :math:`\bar c_i`,
:math:`N_i` the eigenvalues and eigenvectors of :math:`\bar C = J^{-2/3}C` and
:math:`g(c) = (\mu_0/\alpha)\,c^{\alpha/2-1}`,

.. math::

    \bar S = 2\sum_i g(\bar c_i)\,N_i\otimes N_i, \qquad
    \bar{\mathbb C} = 4\,\mathrm{sym}\sum_{ij} g^{[1]}(\bar c_i, \bar c_j)\,
        N_i\otimes N_j\otimes N_i\otimes N_j,

:math:`P = F\,S`, :math:`S = J^{-2/3}\operatorname{DEV}\bar S + U'(J)\,J\,C^{-1}`, and
:math:`\mathbb A = \partial P/\partial F` from the push-forward of
:func:`~tissue_sim.mechanics.hyperelastic._tensors.isochoric_response`. Cauchy stress in
principal directions: :math:`\sigma_i = J^{-1}(2\mu_0/\alpha)(\bar\lambda_i^{\alpha}
- \tfrac13\sum_k\bar\lambda_k^{\alpha}) + U'(J)`.

Why it reproduces the measured curve
------------------------------------
In an incompressible isotropic solid pre-stretched by principal stretches
:math:`\lambda_i`, a plane shear wave travelling along :math:`e_i` and polarised along
:math:`e_j` has :math:`\rho c^2 = \mathcal A^0_{ijij}` (Ogden 1984, *Non-linear elastic
deformations*, ch. 6). Under uniaxial compression :math:`\lambda` along the load (so
:math:`C_{yy} = \lambda^2`) the two transverse stretches are equal,
:math:`\lambda_t = \lambda^{-1/2}`, and in that transverse plane

.. math::

    \mu^*(C_{yy}) = \tfrac12\left(\lambda_t^2 W''(\lambda_t) + \lambda_t W'(\lambda_t)\right)
    = \mu_0\,\lambda_t^{\alpha} = \mu_0\,C_{yy}^{-\alpha/4} = \mu_0\,C_{yy}^{-b}

for :math:`W = \tfrac{2\mu_0}{\alpha^2}\sum_i\lambda_i^\alpha`. So the fitted law is met
exactly, for every :math:`C_{yy}`, with :math:`\alpha = 4b`: fat :math:`\alpha = 4.72`,
muscle :math:`\alpha = 1.44`. :func:`shear_wave_modulus` computes
:math:`\rho c^2` for any law from its tangent; :func:`transverse_shear_modulus` is the
measure compared with the data, and :func:`fit_compression_stiffening` fits
:math:`(\mu_0, b)` to data points by least squares on the logarithms.

Admissibility: with :math:`\mu_0 > 0` the energy is positive away from the reference state;
for the incompressible part :math:`\sum_i\lambda_i^{\alpha}` with :math:`\alpha \ge 1` is
convex in the singular values of F, and with :math:`\alpha \le -1` in those of cof F,
which makes it polyconvex (Ball 1977), so :math:`|b| \ge 1/4` is required. The isochoric
split :math:`J^{-1/3}` makes the compressible law not strictly polyconvex; strong
ellipticity over the stretch range used is checked in the tests.

Units: moduli and stresses in Pa, energies in J/m³, stretches and exponents dimensionless.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import brentq, least_squares

from tissue_sim.mechanics.hyperelastic.materials import HyperelasticMaterial, Ogden

__all__ = [
    "HATT_2023_FAT",
    "HATT_2023_MUSCLE",
    "CompressionStiffening",
    "PowerLawCurve",
    "StiffeningFit",
    "fit_compression_stiffening",
    "shear_wave_modulus",
    "transverse_shear_modulus",
    "uniaxial_compression",
    "uniaxial_stress",
]

FloatArray = NDArray[np.float64]

#: The axis of compression used by the helpers: z, the stack normal of the layered block.
COMPRESSION_AXIS = 2


@dataclass(frozen=True)
class PowerLawCurve:
    """A published fit :math:`G = a\\,C_{yy}^{-b}` of a shear modulus to compression.

    Attributes
    ----------
    coefficient
        a [Pa]: the modulus at rest (C_yy = 1).
    exponent
        b [-] (> 0: stiffens in compression).
    cyy_range
        Range of C_yy over which the fit is compared [-] (see ``range_source``).
    baseline
        Measured mean modulus of the undeformed tissue [Pa].
    source
        Citation.
    range_source
        Where ``cyy_range`` comes from.
    """

    coefficient: float
    exponent: float
    cyy_range: tuple[float, float]
    baseline: float
    source: str
    range_source: str

    def __call__(self, cyy: ArrayLike) -> FloatArray:
        """The curve :math:`a\\,C_{yy}^{-b}` [Pa]."""
        return np.asarray(self.coefficient * np.asarray(cyy, dtype=float) ** -self.exponent)

    def sample(self, count: int = 13) -> tuple[FloatArray, FloatArray]:
        """``count`` points (C_yy, G) evenly spaced in C_yy over :attr:`cyy_range`."""
        cyy = np.linspace(self.cyy_range[0], self.cyy_range[1], count)
        return cyy, self(cyy)


_HATT = "Hatt, Lloyd, Bolsterlee, Bilston 2023, J Mech Behav Biomed Mater 105924 (FACTS §2, §9)"
_RANGE = (
    "assumption: the abstract does not give the measured range; C_yy 0.4-1.0 "
    "(compressive stretch 0.63-1) covers four compression steps of a buttock"
)

#: Subcutaneous fat of the buttock, MR elastography at 50 Hz under compression.
HATT_2023_FAT = PowerLawCurve(748.5, 1.18, (0.4, 1.0), 752.0, _HATT, _RANGE)
#: Passive gluteal muscle under the same compression.
HATT_2023_MUSCLE = PowerLawCurve(956.4, 0.36, (0.4, 1.0), 1000.0, _HATT, _RANGE)


@dataclass(frozen=True)
class CompressionStiffening(HyperelasticMaterial):
    r"""Nearly incompressible solid that stiffens in compression as living fat and muscle do.

    .. math::

        W = \frac{2\mu_0}{\alpha^2}\Big(\sum_{i=1}^{3}\bar\lambda_i^{\alpha} - 3\Big) + U(J),
        \qquad \alpha = 4b,

    so that the small-amplitude shear modulus in the plane transverse to a uniaxial
    compression is :math:`\mu^* = \mu_0\,C^{-b}` with :math:`C = \lambda^2` along the
    load (Hatt et al. 2023; see the module docstring for the derivation and for the
    stress and tangent). The small-strain limit is linear elasticity with shear modulus
    :math:`\mu_0` and bulk modulus κ.

    Attributes
    ----------
    mu
        Shear modulus at rest μ₀ [Pa] (> 0).
    stiffening_exponent
        b [-], with |b| ≥ 1/4 (polyconvex Ogden exponent |α| ≥ 1); b = 1/2 is neo-Hookean.
    bulk_modulus
        κ [Pa] (> 0).
    volumetric
        Volumetric energy (default ``"simo_miehe"``).
    """

    law: ClassVar[str] = "compression_stiffening"
    mu: float
    stiffening_exponent: float
    bulk_modulus: float
    volumetric: str = "simo_miehe"
    _ogden: Ogden = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not (math.isfinite(self.mu) and self.mu > 0.0):
            raise ValueError(f"shear modulus must be positive, got {self.mu!r}")
        b = self.stiffening_exponent
        if not (math.isfinite(b) and abs(b) >= 0.25):
            raise ValueError(
                f"stiffening exponent must satisfy |b| >= 0.25 (Ogden |alpha| >= 1), got {b!r}"
            )
        self._check_common()
        ogden = Ogden((self.mu,), (self.alpha,), self.bulk_modulus, self.volumetric)
        object.__setattr__(self, "_ogden", ogden)

    @property
    def alpha(self) -> float:
        """The Ogden exponent α = 4b [-]."""
        return 4.0 * self.stiffening_exponent

    @property
    def shear_modulus(self) -> float:
        """μ₀, the shear modulus at rest [Pa]."""
        return self.mu

    def isochoric_energy(self, deformation_gradient: ArrayLike) -> FloatArray:
        """Ψ_iso = 2μ₀/α² (Σ λ̄_i^α − 3) [J/m³]."""
        return self._ogden.isochoric_energy(deformation_gradient)

    def fictitious_response(
        self, cbar: FloatArray, *, tangent: bool = True
    ) -> tuple[FloatArray, FloatArray | None]:
        """``S̄ = 2∂Ψ/∂C̄`` and ``ℂ̄ = 4∂²Ψ/∂C̄∂C̄`` at ``C̄`` [Pa]."""
        return self._ogden.fictitious_response(cbar, tangent=tangent)

    def isochoric_stress(
        self, deformation_gradient: ArrayLike, *, tangent: bool = True
    ) -> tuple[FloatArray, FloatArray | None]:
        """Isochoric ``P`` and ``∂P/∂F`` [Pa]."""
        return self._ogden.isochoric_stress(deformation_gradient, tangent=tangent)

    def transverse_modulus(self, cyy: ArrayLike) -> FloatArray:
        """Closed form :math:`\\mu^* = \\mu_0 C^{-b}` of the law [Pa] (see the class)."""
        return np.asarray(self.mu * np.asarray(cyy, dtype=float) ** -self.stiffening_exponent)


def uniaxial_compression(cyy: ArrayLike, axis: int = COMPRESSION_AXIS) -> FloatArray:
    """Isochoric uniaxial deformation gradients with ``C[axis, axis] = cyy``.

    Parameters
    ----------
    cyy
        Squared stretch along ``axis`` [-], > 0 (< 1 compresses).
    axis
        Loaded axis (default z, the stack normal).

    Returns
    -------
    numpy.ndarray
        ``F = diag(λ^{-1/2}, λ^{-1/2}, λ)`` (permuted to ``axis``), λ = √cyy, shape
        ``(*cyy.shape, 3, 3)``, det F = 1.
    """
    stretch = np.sqrt(np.asarray(cyy, dtype=float))
    diagonal = np.stack([stretch**-0.5] * 3, axis=-1)
    diagonal[..., axis] = stretch
    return np.asarray(diagonal[..., :, None] * np.eye(3), dtype=float)


def shear_wave_modulus(
    material: HyperelasticMaterial,
    deformation_gradient: ArrayLike,
    propagation: ArrayLike,
    polarisation: ArrayLike,
) -> FloatArray:
    r"""ρc² of a small-amplitude plane shear wave in the pre-deformed material [Pa].

    .. math::

        \rho c^2 = m_i\,\mathcal A^0_{ijkl}\,n_j n_l\,m_k, \qquad
        \mathcal A^0_{ijkl} = J^{-1}F_{jJ}F_{lL}\,\mathbb A_{iJkL},

    with the law's tangent :math:`\mathbb A = \partial P/\partial F`, the unit
    propagation direction :math:`n` and polarisation :math:`m \perp n` in the deformed
    configuration. For :math:`m \perp n` the volumetric part drops out, so the result is
    the incompressible wave modulus (Ogden 1984, ch. 6) and, at F = I, the shear modulus.

    Parameters
    ----------
    material
        Any hyperelastic law.
    deformation_gradient
        Pre-deformation ``F``, shape ``(..., 3, 3)``.
    propagation, polarisation
        Unit vectors n and m (m · n = 0), shape ``(3,)``.

    Returns
    -------
    numpy.ndarray
        ρc², shape ``(...)`` [Pa].
    """
    f = np.asarray(deformation_gradient, dtype=float)
    n = np.asarray(propagation, dtype=float)
    m = np.asarray(polarisation, dtype=float)
    if abs(float(n @ m)) > 1e-12 * float(np.linalg.norm(n) * np.linalg.norm(m)):
        raise ValueError("the polarisation of a shear wave must be normal to its propagation")
    _, tangent = material.stress_and_tangent(f)
    fn = np.einsum("...jJ,j->...J", f, n)  # (Fᵀn)_J
    value = np.einsum("i,...iJkL,...J,...L,k->...", m, tangent, fn, fn, m)
    return np.asarray(value / np.linalg.det(f), dtype=float)


def transverse_shear_modulus(
    material: HyperelasticMaterial, cyy: ArrayLike, axis: int = COMPRESSION_AXIS
) -> FloatArray:
    """Shear modulus of waves in the plane transverse to a uniaxial compression [Pa].

    The measure compared with Hatt et al. (2023): the tissue is compressed isochorically
    with ``C[axis, axis] = cyy`` (:func:`uniaxial_compression`) and the wave travels and
    is polarised in the transverse plane, where the two stretches are equal (so both
    directions in that plane give the same value).

    Parameters
    ----------
    material
        Any hyperelastic law.
    cyy
        Squared stretch along the compression [-].
    axis
        Compression axis (default z).

    Returns
    -------
    numpy.ndarray
        :func:`shear_wave_modulus` for n, m the two other axes, shaped like ``cyy`` [Pa].
    """
    others = [index for index in range(3) if index != axis]
    eye = np.eye(3)
    return shear_wave_modulus(
        material, uniaxial_compression(cyy, axis), eye[others[0]], eye[others[1]]
    )


@dataclass(frozen=True)
class StiffeningFit:
    """Result of :func:`fit_compression_stiffening`.

    Attributes
    ----------
    shear_modulus
        Fitted μ₀ [Pa].
    stiffening_exponent
        Fitted b [-].
    relative_residuals
        Law / data − 1 at every data point [-].
    """

    shear_modulus: float
    stiffening_exponent: float
    relative_residuals: FloatArray

    @property
    def max_relative_error(self) -> float:
        """Largest |law / data − 1| over the data points [-]."""
        return float(np.max(np.abs(self.relative_residuals)))


def fit_compression_stiffening(
    cyy: ArrayLike,
    modulus: ArrayLike,
    *,
    initial: tuple[float, float] = (1.0e3, 0.5),
    poisson_ratio: float = 0.499,
) -> StiffeningFit:
    r"""Least-squares fit of :class:`CompressionStiffening` to (C_yy, shear modulus) data.

    Minimises :math:`\sum_k [\ln\mu^*_{law}(C_k) - \ln G_k]^2` over
    :math:`(\ln\mu_0, b)`, with :math:`\mu^*_{law}` evaluated by
    :func:`transverse_shear_modulus` from the law's tangent (not from the closed form),
    so the fit also exercises the stress and tangent implementation.

    Parameters
    ----------
    cyy
        Squared stretches along the compression [-], shape ``(n,)``.
    modulus
        Measured shear moduli [Pa], shape ``(n,)``, > 0.
    initial
        Starting (μ₀ [Pa], b [-]).
    poisson_ratio
        ν of the law used during the fit (it does not affect the transverse modulus).

    Returns
    -------
    StiffeningFit
        The fitted μ₀ and b with the relative residuals.
    """
    cyy_values = np.asarray(cyy, dtype=float)
    data = np.asarray(modulus, dtype=float)
    if cyy_values.shape != data.shape or cyy_values.ndim != 1 or cyy_values.size < 2:
        raise ValueError("cyy and modulus must be 1-D arrays of the same length (>= 2)")
    if np.any(data <= 0.0) or np.any(cyy_values <= 0.0):
        raise ValueError("cyy and modulus must be positive")

    def law(parameters: FloatArray) -> FloatArray:
        mu = float(np.exp(parameters[0]))
        kappa = 2.0 * mu * (1.0 + poisson_ratio) / (3.0 * (1.0 - 2.0 * poisson_ratio))
        material = CompressionStiffening(mu, float(parameters[1]), kappa)
        return transverse_shear_modulus(material, cyy_values)

    def residual(parameters: FloatArray) -> FloatArray:
        return np.asarray(np.log(law(parameters)) - np.log(data))

    start = np.array([math.log(initial[0]), initial[1]])
    # |b| >= 1/4 (polyconvexity): search the stiffening branch b >= 1/4
    result = least_squares(residual, start, bounds=([-np.inf, 0.25], [np.inf, np.inf]))
    return StiffeningFit(
        shear_modulus=float(np.exp(result.x[0])),
        stiffening_exponent=float(result.x[1]),
        relative_residuals=np.asarray(law(result.x) / data - 1.0),
    )


def uniaxial_stress(
    material: HyperelasticMaterial, stretch: float, axis: int = COMPRESSION_AXIS
) -> tuple[float, float]:
    """Nominal stress of uniaxial stress along ``axis`` at axial stretch ``stretch``.

    The lateral stretch t is found so that the lateral Cauchy stress vanishes
    (``F = diag(t, t, stretch)``, permuted), which includes the small volume change of the
    nearly incompressible law. For checks and figures (one scalar point per call).

    Parameters
    ----------
    material
        Any isotropic hyperelastic law.
    stretch
        Axial stretch λ [-] (> 0; < 1 compresses).
    axis
        Loaded axis (default z).

    Returns
    -------
    nominal_stress, lateral_stretch
        :math:`P_{zz}` (force per reference area, < 0 in compression) [Pa] and t [-].
    """
    lateral_axis = (axis + 1) % 3

    def gradient(lateral: float) -> FloatArray:
        diagonal = np.full(3, lateral)
        diagonal[axis] = stretch
        return np.diag(diagonal)

    def lateral_stress(lateral: float) -> float:
        return float(material.cauchy_stress(gradient(lateral))[lateral_axis, lateral_axis])

    guess = stretch**-0.5
    lateral = float(brentq(lateral_stress, 0.5 * guess, 2.0 * guess, xtol=1e-14, rtol=1e-14))
    nominal = material.first_piola_kirchhoff(gradient(lateral))[axis, axis]
    return float(nominal), lateral
