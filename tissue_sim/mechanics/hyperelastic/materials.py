r"""Hyperelastic laws of the soft-tissue layers, vectorised over material points.

Every law is nearly incompressible with an isochoric/volumetric split (Flory 1961;
Simo & Taylor 1991):

.. math::

    W(F) = \Psi_{iso}(\bar C) + U(J), \qquad J = \det F, \quad
    \bar C = J^{-2/3}C, \quad C = F^TF,

with the volumetric energy :math:`U` of :mod:`~tissue_sim.mechanics.hyperelastic.volumetric`
(bulk modulus κ). A law returns, for deformation gradients ``F`` of shape
``(..., 3, 3)``:

* the first Piola–Kirchhoff stress :math:`P = \partial W/\partial F` [Pa],
* the tangent :math:`\mathbb A = \partial P/\partial F`, shape ``(..., 3, 3, 3, 3)``
  with :math:`\mathbb A_{iJkL} = \partial P_{iJ}/\partial F_{kL}` [Pa],
* the Cauchy stress :math:`\sigma = J^{-1}PF^T` [Pa].

The isochoric part alone (:meth:`HyperelasticMaterial.isochoric_stress`) is what the
mixed finite-element formulation needs; its volumetric part uses a projected
volume ratio instead of the pointwise J.

Laws
----
:class:`NeoHookean` (skin, adipose tissue)
    :math:`\Psi_{iso} = \tfrac{\mu}{2}(\bar I_1 - 3)`.
:class:`Ogden` (skeletal muscle)
    :math:`\Psi_{iso} = \sum_p \tfrac{2\mu_p}{\alpha_p^2}
    (\bar\lambda_1^{\alpha_p} + \bar\lambda_2^{\alpha_p} + \bar\lambda_3^{\alpha_p} - 3)`.
:class:`FibreReinforced` (fascia; Holzapfel–Gasser–Ogden type)
    neo-Hookean matrix plus one or two fibre families in the layer plane that bear
    tension only.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from tissue_sim.mechanics.hyperelastic._invariant_kernel import invariant_batch
from tissue_sim.mechanics.hyperelastic._spectral_kernels import ogden_batch
from tissue_sim.mechanics.hyperelastic._tensors import (
    IDENTITY,
    determinant,
    inverse_transpose,
    jacobian_second_derivative,
    outer,
    power_divided_difference,
)
from tissue_sim.mechanics.hyperelastic.volumetric import VOLUMETRIC_LAWS, volumetric_energy
from tissue_sim.mechanics.materials import LinearElasticMaterial
from tissue_sim.mechanics.strain_measures import principal_strains

__all__ = [
    "FIBRE_ENERGIES",
    "FibreReinforced",
    "HyperelasticMaterial",
    "NeoHookean",
    "Ogden",
    "fibre_directions_from_angles",
]

FloatArray = NDArray[np.float64]

#: Names of the fibre strain energies of :class:`FibreReinforced`.
FIBRE_ENERGIES = ("exponential_quadratic", "exponential")


def _as_array(deformation_gradient: ArrayLike) -> FloatArray:
    f = np.asarray(deformation_gradient, dtype=float)
    if f.shape[-2:] != (3, 3):
        raise ValueError(f"deformation gradients must have shape (..., 3, 3), got {f.shape}")
    return f


def _isochoric_right_cauchy_green(f: FloatArray) -> FloatArray:
    jac = np.linalg.det(f)
    c = np.swapaxes(f, -1, -2) @ f
    return np.asarray((jac ** (-2.0 / 3.0))[..., None, None] * c, dtype=float)


class HyperelasticMaterial(ABC):
    """A nearly incompressible hyperelastic law ``W = Ψ_iso(C̄) + U(J)``.

    Subclasses are frozen dataclasses with at least ``bulk_modulus`` [Pa] and
    ``volumetric`` (one of :data:`~tissue_sim.mechanics.hyperelastic.VOLUMETRIC_LAWS`).
    """

    #: Law name as written in a preset (``law: ...``).
    law: ClassVar[str]
    #: Finite-strain law: the body uses the full kinematics (see the material protocol).
    small_strain: ClassVar[bool] = False
    bulk_modulus: float
    volumetric: str

    # -- properties ----------------------------------------------------------------
    @property
    @abstractmethod
    def shear_modulus(self) -> float:
        """Small-strain shear modulus μ of the (matrix) response [Pa]."""

    @property
    def fibre_directions(self) -> FloatArray:
        """Unit fibre directions in the reference configuration, ``(n_families, 3)``."""
        return np.zeros((0, 3))

    def tangent_regime(self, deformation_gradient: FloatArray) -> NDArray[np.int64] | None:
        """Which branch of a piecewise law each point is on, ``(...)`` (``None``: smooth).

        A law whose tangent jumps (tension-only fibres: ``ψ'' = 0`` when slack, ``k₁``
        at the onset of tension) labels its branches; an element matrix kept from an
        earlier state (:class:`~tissue_sim.mechanics.body.SolidBody`'s
        ``tangent_tolerance``) is only valid while the label of every point is unchanged.
        """
        return None

    def small_strain_material(self) -> LinearElasticMaterial:
        """The linear-elastic material with the same μ and κ (fibres are slack at rest)."""
        return LinearElasticMaterial.from_moduli(self.shear_modulus, self.bulk_modulus)

    # -- isochoric part (implemented by the laws) ---------------------------------------
    @abstractmethod
    def isochoric_energy(self, deformation_gradient: ArrayLike) -> FloatArray:
        """Isochoric strain energy density Ψ_iso(C̄), shape ``(...)`` [J/m³]."""

    @abstractmethod
    def isochoric_stress(
        self, deformation_gradient: ArrayLike, *, tangent: bool = True
    ) -> tuple[FloatArray, FloatArray | None]:
        """Isochoric first Piola–Kirchhoff stress and its tangent.

        Parameters
        ----------
        deformation_gradient
            ``F``, shape ``(..., 3, 3)``, det F > 0.
        tangent
            Also return ``∂P_iso/∂F``.

        Returns
        -------
        stress, tangent
            ``(..., 3, 3)`` and ``(..., 3, 3, 3, 3)`` (or ``None``) [Pa].
        """

    # -- volumetric part and totals -------------------------------------------------------
    def volumetric_energy(
        self, volume_ratio: ArrayLike
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """``U(J)``, ``U'(J)``, ``U''(J)`` of this law's volumetric energy [Pa]."""
        return volumetric_energy(self.volumetric, self.bulk_modulus, volume_ratio)

    def strain_energy(self, deformation_gradient: ArrayLike) -> FloatArray:
        """Total strain energy density ``W = Ψ_iso + U(J)``, shape ``(...)`` [J/m³]."""
        f = _as_array(deformation_gradient)
        energy, _, _ = self.volumetric_energy(np.linalg.det(f))
        return self.isochoric_energy(f) + energy

    def stress_and_tangent(self, deformation_gradient: ArrayLike) -> tuple[FloatArray, FloatArray]:
        r"""Total ``P`` and ``A = ∂P/∂F`` of the law [Pa].

        The volumetric part is :math:`P_{vol} = U'(J)\,\operatorname{cof}F` and
        :math:`\mathbb A_{vol} = U''(J)\operatorname{cof}F\otimes\operatorname{cof}F
        + U'(J)\,\partial^2J/\partial F\partial F`.
        """
        f = _as_array(deformation_gradient)
        stress, tangent = self.isochoric_stress(f, tangent=True)
        assert tangent is not None
        inv_t, jac = inverse_transpose(f)
        _, first, second = self.volumetric_energy(jac)
        cof = jac[..., None, None] * inv_t
        stress = stress + first[..., None, None] * cof
        tangent = tangent + second[..., None, None, None, None] * outer(cof, cof)
        tangent += first[..., None, None, None, None] * jacobian_second_derivative(inv_t, jac)
        return stress, tangent

    def first_piola_kirchhoff(self, deformation_gradient: ArrayLike) -> FloatArray:
        """Total first Piola–Kirchhoff stress ``P``, shape ``(..., 3, 3)`` [Pa]."""
        f = _as_array(deformation_gradient)
        stress, _ = self.isochoric_stress(f, tangent=False)
        inv_t, jac = inverse_transpose(f)
        _, first, _ = self.volumetric_energy(jac)
        return np.asarray(stress + (first * jac)[..., None, None] * inv_t, dtype=float)

    def cauchy_stress(self, deformation_gradient: ArrayLike) -> FloatArray:
        """Cauchy stress ``σ = P Fᵀ / J``, shape ``(..., 3, 3)`` [Pa]."""
        f = _as_array(deformation_gradient)
        stress = self.first_piola_kirchhoff(f)
        return np.asarray(
            (stress @ np.swapaxes(f, -1, -2)) / np.linalg.det(f)[..., None, None], dtype=float
        )

    # -- helpers for subclasses ----------------------------------------------------------
    def _check_common(self) -> None:
        if not (math.isfinite(self.bulk_modulus) and self.bulk_modulus > 0.0):
            raise ValueError(f"bulk modulus must be positive, got {self.bulk_modulus!r}")
        if self.volumetric not in VOLUMETRIC_LAWS:
            raise ValueError(
                f"unknown volumetric law {self.volumetric!r}; expected one of {VOLUMETRIC_LAWS}"
            )


def _invariant_response(
    f: FloatArray,
    inv_t: FloatArray,
    scale: FloatArray,
    structure: FloatArray | None,
    first: FloatArray,
    second: FloatArray | None,
    out_stress: FloatArray,
    out_tangent: FloatArray | None,
) -> None:
    r"""Add ``P`` and ``∂P/∂F`` of an energy ψ(Ī) of one isochoric invariant (in place).

    :math:`\bar I = J^{-2/3} h`, :math:`h = H:C` (H = I: :math:`\bar I_1`; a fibre
    structure tensor: :math:`\bar E_f + 1`), with ``scale`` :math:`s = J^{-2/3}`,
    :math:`B = FH` and :math:`F^{-T}`:

    .. math::

        P = \psi'\,D, \qquad D = \frac{\partial\bar I}{\partial F}
            = 2s\left(B - \tfrac h3 F^{-T}\right),

        \mathbb A = \psi''\,D\otimes D + 2s\psi'\Big[\delta_{ik}H_{LJ}
            - \tfrac23\left(E\otimes F^{-T} + F^{-T}\otimes E\right)
            + \tfrac h3\,F^{-T}_{iL}F^{-T}_{kJ}\Big], \qquad E = B - \tfrac h6 F^{-T}.

    ``first``/``second`` are ψ', ψ'' per point; ``structure`` ``None`` means H = I. One
    compiled pass per point (:func:`~._invariant_kernel.invariant_batch`); the outputs
    must be C-contiguous.
    """
    if not out_stress.flags.c_contiguous or (
        out_tangent is not None and not out_tangent.flags.c_contiguous
    ):
        raise ValueError("the output arrays must be C-contiguous")
    n = int(np.prod(f.shape[:-2], dtype=np.int64))
    stress = out_stress.reshape(n, 3, 3)
    tangent = out_tangent.reshape(n, 3, 3, 3, 3) if out_tangent is not None else None
    invariant_batch(
        np.ascontiguousarray(f, dtype=float).reshape(n, 3, 3),
        np.ascontiguousarray(inv_t, dtype=float).reshape(n, 3, 3),
        np.ascontiguousarray(scale, dtype=float).reshape(n),
        IDENTITY if structure is None else np.ascontiguousarray(structure, dtype=float),
        np.ascontiguousarray(first, dtype=float).reshape(n),
        np.zeros(n) if second is None else np.ascontiguousarray(second, dtype=float).reshape(n),
        second is not None,
        stress,
        np.zeros((0, 3, 3, 3, 3)) if tangent is None else tangent,
        tangent is not None,
    )


def _neo_hookean_isochoric(
    f: FloatArray, shear_modulus: float, tangent: bool
) -> tuple[FloatArray, FloatArray | None]:
    r"""Closed-form neo-Hookean isochoric stress and tangent.

    :math:`P = \mu J^{-2/3}(F - \tfrac13 I_1F^{-T})` and
    :math:`\mathbb A = \mu J^{-2/3}[\delta_{ik}\delta_{JL}
    - \tfrac23(F_{iJ}F^{-T}_{kL} + F^{-T}_{iJ}F_{kL})
    + \tfrac29 I_1F^{-T}_{iJ}F^{-T}_{kL} + \tfrac13 I_1F^{-T}_{iL}F^{-T}_{kJ}]`
    (:func:`_invariant_response` with ψ = μ/2 (Ī₁ − 3)).
    """
    inv_t, jac = inverse_transpose(f)
    scale = jac ** (-2.0 / 3.0)
    stress = np.zeros_like(f)
    stiffness = np.zeros((*f.shape, 3, 3)) if tangent else None
    half = np.full(f.shape[:-2], 0.5 * shear_modulus)
    _invariant_response(f, inv_t, scale, None, half, None, stress, stiffness)
    return stress, stiffness


@dataclass(frozen=True)
class NeoHookean(HyperelasticMaterial):
    r"""Nearly incompressible neo-Hookean solid (skin, adipose tissue).

    .. math::

        W = \frac{\mu}{2}(\bar I_1 - 3) + U(J), \qquad \bar I_1 = J^{-2/3}\operatorname{tr}C,

    i.e. :math:`C_{10} = \mu/2`. Cauchy stress
    :math:`\sigma = \mu J^{-5/3}\operatorname{dev}(b) + U'(J)\,I`, :math:`b = FF^T`.

    Attributes
    ----------
    mu
        Shear modulus μ [Pa] (> 0).
    bulk_modulus
        κ [Pa] (> 0).
    volumetric
        Volumetric energy (default ``"simo_miehe"``).
    """

    law: ClassVar[str] = "neo_hookean"
    mu: float
    bulk_modulus: float
    volumetric: str = "simo_miehe"

    def __post_init__(self) -> None:
        if not (math.isfinite(self.mu) and self.mu > 0.0):
            raise ValueError(f"shear modulus must be positive, got {self.mu!r}")
        self._check_common()

    @property
    def shear_modulus(self) -> float:
        """μ [Pa]."""
        return self.mu

    def isochoric_energy(self, deformation_gradient: ArrayLike) -> FloatArray:
        """Ψ_iso = μ/2 (Ī₁ − 3) [J/m³]."""
        cbar = _isochoric_right_cauchy_green(_as_array(deformation_gradient))
        return np.asarray(0.5 * self.mu * (np.trace(cbar, axis1=-2, axis2=-1) - 3.0))

    def isochoric_stress(
        self, deformation_gradient: ArrayLike, *, tangent: bool = True
    ) -> tuple[FloatArray, FloatArray | None]:
        """Isochoric ``P`` and ``∂P/∂F`` in closed form [Pa]."""
        return _neo_hookean_isochoric(_as_array(deformation_gradient), self.mu, tangent)

    def fictitious_response(self, cbar: FloatArray) -> tuple[FloatArray, FloatArray]:
        """``S̄ = μ I`` and ``ℂ̄ = 0`` (used to check the generic isochoric push-forward)."""
        shape = cbar.shape[:-2]
        stress = np.broadcast_to(self.mu * IDENTITY, (*shape, 3, 3)).copy()
        return stress, np.zeros((*shape, 3, 3, 3, 3))


def _as_terms(value: float | tuple[float, ...] | list[float]) -> tuple[float, ...]:
    if isinstance(value, int | float):
        return (float(value),)
    return tuple(float(v) for v in value)


@dataclass(frozen=True)
class Ogden(HyperelasticMaterial):
    r"""Nearly incompressible Ogden solid (skeletal muscle under transverse compression).

    .. math::

        W = \sum_{p=1}^{N} \frac{2\mu_p}{\alpha_p^2}
            \left(\bar\lambda_1^{\alpha_p} + \bar\lambda_2^{\alpha_p}
            + \bar\lambda_3^{\alpha_p} - 3\right) + U(J),

    with :math:`\bar\lambda_i = J^{-1/3}\lambda_i` the isochoric principal stretches;
    the small-strain shear modulus is :math:`\mu = \sum_p \mu_p` (the convention of
    Abaqus). In terms of the eigenvalues :math:`\bar c_i` and eigenvectors
    :math:`N_i` of :math:`\bar C`: :math:`\bar S = 2\sum_i g(\bar c_i)N_i\otimes N_i`
    with :math:`g(c) = \sum_p (\mu_p/\alpha_p)c^{\alpha_p/2-1}`, and the elasticity
    :math:`\bar{\mathbb C} = 4\,\mathrm{sym}\sum_{ij} g^{[1]}(\bar c_i,\bar c_j)
    N_i\otimes N_j\otimes N_i\otimes N_j` with the divided difference
    :math:`g^{[1]}(a,b) = (g(a)-g(b))/(a-b)`, :math:`g^{[1]}(a,a) = g'(a)`
    (Daleckii–Krein), evaluated without cancellation, so coincident stretches
    (uniaxial, equibiaxial, the reference state) are exact.

    Cauchy stress in principal directions:
    :math:`\sigma_i = J^{-1}\sum_p \tfrac{2\mu_p}{\alpha_p}(\bar\lambda_i^{\alpha_p}
    - \tfrac13\sum_k\bar\lambda_k^{\alpha_p}) + U'(J)`.

    Attributes
    ----------
    mu
        Moduli μ_p [Pa], one per term (a float for a one-term model); μ_p > 0.
    alpha
        Exponents α_p [-], one per term, non-zero.
    bulk_modulus
        κ [Pa].
    volumetric
        Volumetric energy (default ``"simo_miehe"``).

    Notes
    -----
    Bosboom et al. (2001) fitted μ = 15.6 ± 5.4 kPa, α = 21.4 ± 5.7 to in-vivo
    transverse compression of rat tibialis anterior (incompressible viscoelastic
    Ogden; FACTS §2). Whether their μ is the initial shear modulus (this convention)
    or differs by a constant factor is not confirmed here.
    """

    law: ClassVar[str] = "ogden"
    mu: tuple[float, ...]
    alpha: tuple[float, ...]
    bulk_modulus: float
    volumetric: str = "simo_miehe"

    def __post_init__(self) -> None:
        mu = _as_terms(self.mu)
        alpha = _as_terms(self.alpha)
        object.__setattr__(self, "mu", mu)
        object.__setattr__(self, "alpha", alpha)
        if len(mu) != len(alpha) or not mu:
            raise ValueError("Ogden mu and alpha need the same number (≥ 1) of terms")
        if not all(math.isfinite(m) and m > 0.0 for m in mu):
            raise ValueError(f"Ogden moduli mu must be positive, got {mu}")
        if not all(math.isfinite(a) and a != 0.0 for a in alpha):
            raise ValueError(f"Ogden exponents alpha must be finite and non-zero, got {alpha}")
        self._check_common()

    @property
    def shear_modulus(self) -> float:
        """μ = Σ μ_p [Pa]."""
        return float(sum(self.mu))

    def isochoric_energy(self, deformation_gradient: ArrayLike) -> FloatArray:
        """Ψ_iso = Σ 2μ_p/α_p² (Σ_i λ̄_i^α_p − 3) [J/m³]."""
        f = _as_array(deformation_gradient)
        eigenvalues = principal_strains(np.swapaxes(f, -1, -2) @ f)  # eigenvalues of C
        jac = determinant(f)
        energy = np.zeros(f.shape[:-2])
        for mu, alpha in zip(self.mu, self.alpha, strict=True):
            total = np.sum(eigenvalues ** (0.5 * alpha), axis=-1)
            energy += (2.0 * mu / alpha**2) * (jac ** (-alpha / 3.0) * total - 3.0)
        return energy

    def fictitious_response(
        self, cbar: FloatArray, *, tangent: bool = True
    ) -> tuple[FloatArray, FloatArray | None]:
        """``S̄ = 2∂Ψ/∂C̄`` and ``ℂ̄ = 4∂²Ψ/∂C̄∂C̄`` at ``C̄`` [Pa]."""
        eigenvalues, vectors = np.linalg.eigh(cbar)
        g = np.zeros_like(eigenvalues)
        for mu, alpha in zip(self.mu, self.alpha, strict=True):
            g += (mu / alpha) * eigenvalues ** (0.5 * alpha - 1.0)
        stress = 2.0 * np.einsum("...Ii,...i,...Ji->...IJ", vectors, g, vectors)
        if not tangent:
            return stress, None
        a = eigenvalues[..., :, None]
        b = eigenvalues[..., None, :]
        divided = np.zeros_like(a * b)
        for mu, alpha in zip(self.mu, self.alpha, strict=True):
            divided += (mu / alpha) * power_divided_difference(a, b, 0.5 * alpha - 1.0)
        t = np.einsum(
            "...ij,...Ii,...Jj,...Ki,...Lj->...IJKL",
            divided,
            vectors,
            vectors,
            vectors,
            vectors,
            optimize=True,
        )
        return stress, 2.0 * (t + np.swapaxes(t, -1, -2))

    def isochoric_stress(
        self, deformation_gradient: ArrayLike, *, tangent: bool = True
    ) -> tuple[FloatArray, FloatArray | None]:
        r"""Isochoric ``P`` and ``∂P/∂F`` in closed form from the eigenvalues of ``C`` [Pa].

        With the eigenvalues :math:`c_a = \lambda_a^2` of :math:`C` and
        :math:`J = \sqrt{c_1c_2c_3}`, one term reads
        :math:`\Psi = \tfrac{2\mu}{\alpha^2}(J^{-\alpha/3}T - 3)`,
        :math:`T = \sum_a c_a^{\alpha/2}`; with :math:`K = (\mu/\alpha)J^{-\alpha/3}` and
        :math:`\beta = \alpha/2 - 1`:

        .. math::

            \psi_a = K\left(c_a^{\beta} - \frac{T}{3c_a}\right), \qquad
            \psi_{[ab]} = K\left(\frac{c_a^\beta - c_b^\beta}{c_a - c_b}
                + \frac{T}{3c_ac_b}\right),

            \psi_{ab} = -\frac{\alpha K}{6}\left(\frac{c_a^\beta}{c_b} + \frac{c_b^\beta}{c_a}
                - \frac{T}{3c_ac_b}\right)
                + \delta_{ab}\,K\left(\beta c_a^{\beta-1} + \frac{T}{3c_a^2}\right),

        the divided difference evaluated without cancellation
        (:func:`~tissue_sim.mechanics.hyperelastic._tensors.power_divided_difference`), then
        :math:`P` and :math:`\mathbb A` from
        :func:`~tissue_sim.mechanics.hyperelastic._spectral.isotropic_response` (one
        compiled pass per point, :func:`~._spectral_kernels.ogden_batch`). The same
        stress and tangent as the push-forward of :meth:`fictitious_response`, several
        times faster (no LAPACK eigensolver, no fourth-order projections).
        """
        f = _as_array(deformation_gradient)
        shape = f.shape[:-2]
        stress, result = ogden_batch(
            np.ascontiguousarray(f).reshape(-1, 3, 3),
            np.asarray(self.mu, dtype=float),
            np.asarray(self.alpha, dtype=float),
            tangent,
        )
        if not tangent:
            return stress.reshape(*shape, 3, 3), None
        return stress.reshape(*shape, 3, 3), result.reshape(*shape, 3, 3, 3, 3)


def fibre_directions_from_angles(angles: ArrayLike) -> FloatArray:
    """Unit vectors ``(cos θ, sin θ, 0)`` in the layer (x–y) plane, ``(n, 3)``.

    Parameters
    ----------
    angles
        Angles from the x axis towards the y axis [rad].
    """
    theta = np.atleast_1d(np.asarray(angles, dtype=float))
    return np.column_stack([np.cos(theta), np.sin(theta), np.zeros_like(theta)])


@dataclass(frozen=True)
class FibreReinforced(HyperelasticMaterial):
    r"""Fibre-reinforced fascia: neo-Hookean matrix with tension-only fibre families.

    Holzapfel–Gasser–Ogden type (Holzapfel, Gasser & Ogden 2000; dispersion after
    Gasser, Ogden & Holzapfel 2006):

    .. math::

        W = \frac{\mu}{2}(\bar I_1 - 3) + \sum_f \psi(\bar E_f) + U(J), \qquad
        \bar E_f = \kappa_d(\bar I_1 - 3) + (1 - 3\kappa_d)(\bar I_{4f} - 1),

    with :math:`\bar I_{4f} = a_f\cdot\bar C a_f` the squared isochoric stretch along
    the reference fibre direction :math:`a_f = (\cos\theta_f, \sin\theta_f, 0)` (in the
    layer plane) and :math:`\kappa_d \in [0, 1/3]` the dispersion (0: aligned fibres).
    Fibres bear tension only: :math:`\psi = 0` when :math:`\bar E_f \le 0`, so under
    compression along the fibres the response is exactly the isotropic matrix. For
    :math:`\bar E > 0`:

    ``"exponential_quadratic"`` (HGO 2000)
        :math:`\psi = \tfrac{k_1}{2k_2}\left(e^{k_2\bar E^2} - 1\right)`.
    ``"exponential"`` (the fibre term of Natali, Pavan & Stecco 2010)
        :math:`\psi = \tfrac{k_1}{4k_2^2}\left(e^{k_2\bar E} - k_2\bar E - 1\right)`;
        with incompressibility and κ_d = 0 its uniaxial fibre-direction Cauchy stress
        is :math:`\tfrac{k_1}{2k_2}(e^{k_2(\lambda^2-1)} - 1)\lambda^2`, Natali's
        :math:`k/(2\alpha)(e^{\alpha(\lambda^2-1)}-1)\lambda^2` with
        :math:`k_1 = k`, :math:`k_2 = \alpha`.

    Both have :math:`\psi(0) = \psi'(0) = 0`, so the stress is continuous when a
    fibre goes slack. Fictitious stress and elasticity of a family:
    :math:`\bar S_f = 2\psi'H_f`, :math:`\bar{\mathbb C}_f = 4\psi''H_f\otimes H_f`,
    :math:`H_f = \kappa_d I + (1-3\kappa_d)a_f\otimes a_f`.

    Attributes
    ----------
    mu
        Matrix shear modulus μ [Pa].
    bulk_modulus
        κ [Pa].
    k1
        Fibre stiffness k₁ [Pa] (≥ 0).
    k2
        Fibre exponent k₂ [-] (> 0).
    fibre_angles
        One or two fibre angles θ_f in the layer plane, from the x axis [rad].
    dispersion
        κ_d in [0, 1/3] (default 0).
    fibre_energy
        ``"exponential_quadratic"`` (default) or ``"exponential"``.
    volumetric
        Volumetric energy (default ``"simo_miehe"``).

    Notes
    -----
    The fibres use the isochoric invariant :math:`\bar I_4` (as in HGO 2000). With
    compressible parameters this gives a non-physical volumetric coupling of the
    fibres (Sansour 2008); at the near-incompressibility used here (κ ≫ μ) the
    difference is negligible.
    """

    law: ClassVar[str] = "hgo"
    mu: float
    bulk_modulus: float
    k1: float
    k2: float
    fibre_angles: tuple[float, ...]
    dispersion: float = 0.0
    fibre_energy: str = "exponential_quadratic"
    volumetric: str = "simo_miehe"

    def __post_init__(self) -> None:
        angles = _as_terms(self.fibre_angles)
        object.__setattr__(self, "fibre_angles", angles)
        if not 1 <= len(angles) <= 2 or not all(math.isfinite(a) for a in angles):
            raise ValueError(f"one or two finite fibre angles are required, got {angles}")
        if not (math.isfinite(self.mu) and self.mu > 0.0):
            raise ValueError(f"shear modulus must be positive, got {self.mu!r}")
        if not (math.isfinite(self.k1) and self.k1 >= 0.0):
            raise ValueError(f"fibre stiffness k1 must be non-negative, got {self.k1!r}")
        if not (math.isfinite(self.k2) and self.k2 > 0.0):
            raise ValueError(f"fibre exponent k2 must be positive, got {self.k2!r}")
        if not 0.0 <= self.dispersion <= 1.0 / 3.0:
            raise ValueError(f"dispersion must lie in [0, 1/3], got {self.dispersion!r}")
        if self.fibre_energy not in FIBRE_ENERGIES:
            raise ValueError(
                f"unknown fibre energy {self.fibre_energy!r}; expected one of {FIBRE_ENERGIES}"
            )
        self._check_common()

    @property
    def shear_modulus(self) -> float:
        """Matrix shear modulus μ [Pa]."""
        return self.mu

    @property
    def fibre_directions(self) -> FloatArray:
        """Reference fibre directions ``(n_families, 3)`` in the x–y plane."""
        return fibre_directions_from_angles(self.fibre_angles)

    def _structure_tensors(self) -> FloatArray:
        a = self.fibre_directions
        kd = self.dispersion
        return np.asarray(kd * IDENTITY + (1.0 - 3.0 * kd) * np.einsum("fi,fj->fij", a, a))

    def _fibre_energy(self, e: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        """ψ, ψ', ψ'' of the fibre energy at the (clipped, ≥ 0) fibre strain ``e``."""
        k1, k2 = self.k1, self.k2
        active = e > 0.0
        x = np.where(active, e, 0.0)
        with np.errstate(over="ignore", invalid="ignore"):
            if self.fibre_energy == "exponential_quadratic":
                exponential = np.exp(k2 * x * x)
                energy = k1 / (2.0 * k2) * (exponential - 1.0)
                first = k1 * x * exponential
                second = k1 * (1.0 + 2.0 * k2 * x * x) * exponential
            else:
                exponential = np.exp(k2 * x)
                energy = k1 / (4.0 * k2 * k2) * (np.expm1(k2 * x) - k2 * x)
                first = k1 / (4.0 * k2) * np.expm1(k2 * x)
                second = 0.25 * k1 * exponential
        zero = np.zeros_like(x)
        return (
            np.where(active, energy, zero),
            np.where(active, first, zero),
            np.where(active, second, zero),
        )

    def fibre_strains(self, cbar: FloatArray) -> FloatArray:
        """``Ē_f = H_f : C̄ − 1`` per family, shape ``(..., n_families)`` [-]."""
        return np.einsum("fIJ,...IJ->...f", self._structure_tensors(), cbar) - 1.0

    def tangent_regime(self, deformation_gradient: FloatArray) -> NDArray[np.int64]:
        """Bit ``f`` set where fibre family ``f`` is in tension (``Ē_f > 0``), ``(...)``."""
        cbar = _isochoric_right_cauchy_green(_as_array(deformation_gradient))
        active = self.fibre_strains(cbar) > 0.0
        bits = np.left_shift(1, np.arange(active.shape[-1], dtype=np.int64))
        return np.asarray((active * bits).sum(axis=-1), dtype=np.int64)

    def isochoric_energy(self, deformation_gradient: ArrayLike) -> FloatArray:
        """Ψ_iso = μ/2 (Ī₁ − 3) + Σ_f ψ(Ē_f) [J/m³]."""
        cbar = _isochoric_right_cauchy_green(_as_array(deformation_gradient))
        matrix = 0.5 * self.mu * (np.trace(cbar, axis1=-2, axis2=-1) - 3.0)
        energy, _, _ = self._fibre_energy(self.fibre_strains(cbar))
        return np.asarray(matrix + energy.sum(axis=-1))

    def fictitious_response(
        self, cbar: FloatArray, *, tangent: bool = True, matrix: bool = True
    ) -> tuple[FloatArray, FloatArray | None]:
        """``S̄`` and ``ℂ̄`` of the fibres (plus the matrix ``μ I`` if ``matrix``) [Pa]."""
        structure = self._structure_tensors()
        _, first, second = self._fibre_energy(self.fibre_strains(cbar))
        stress = 2.0 * np.einsum("...f,fIJ->...IJ", first, structure)
        if matrix:
            stress = stress + self.mu * IDENTITY
        if not tangent:
            return stress, None
        elasticity = 4.0 * np.einsum(
            "...f,fIJ,fKL->...IJKL", second, structure, structure, optimize=True
        )
        return stress, elasticity

    def isochoric_stress(
        self, deformation_gradient: ArrayLike, *, tangent: bool = True
    ) -> tuple[FloatArray, FloatArray | None]:
        """Isochoric ``P`` and ``∂P/∂F`` in closed form: the neo-Hookean matrix, and every
        fibre family as an energy of the invariant ``H_f : C̄`` (see
        :func:`_invariant_response`), evaluated only where that family is in tension [Pa]."""
        f = _as_array(deformation_gradient)
        stress, stiffness = _neo_hookean_isochoric(f, self.mu, tangent)
        inv_t, jac = inverse_transpose(f)
        scale = jac ** (-2.0 / 3.0)
        c = np.swapaxes(f, -1, -2) @ f
        for structure in self._structure_tensors():
            strain = scale * np.sum(structure * c, axis=(-2, -1)) - 1.0
            active = strain > 0.0
            if not np.any(active):
                continue
            _, first, second = self._fibre_energy(strain[active])
            part_stress = np.zeros((first.size, 3, 3))
            part_tangent = np.zeros((first.size, 3, 3, 3, 3)) if tangent else None
            _invariant_response(
                f[active],
                inv_t[active],
                scale[active],
                structure,
                first,
                second if tangent else None,
                part_stress,
                part_tangent,
            )
            stress[active] += part_stress
            if stiffness is not None and part_tangent is not None:
                stiffness[active] += part_tangent
        return stress, stiffness
