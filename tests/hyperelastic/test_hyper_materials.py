"""Hyperelastic laws: closed-form stresses of homogeneous deformations, derivatives, limits.

The closed forms below are written out independently of the implementation (principal
stretches for diagonal F, the principal axes of simple shear for Ogden) and compared to
round-off.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest

from tissue_sim.mechanics.hyperelastic import (
    VOLUMETRIC_LAWS,
    FibreReinforced,
    HyperelasticMaterial,
    NeoHookean,
    Ogden,
    fibre_directions_from_angles,
    volumetric_energy,
)
from tissue_sim.mechanics.hyperelastic._tensors import isochoric_response

ROUND_OFF = 1e-12

# Skin after the pressure-injury FE set (FACTS §2: C10 = 4 kPa, K0 = 666.67 kPa)
SKIN = NeoHookean(8e3, 666.67e3)
# Muscle after Bosboom et al. 2001 (FACTS §2: μ = 15.6 kPa, α = 21.4), κ for ν = 0.494
MUSCLE = Ogden((15.6e3,), (21.4,), 2.0 * 15.6e3 * 1.494 / (3.0 * 0.012))
TWO_TERM = Ogden((2.0e3, 1.0e3), (6.0, -4.0), 3.0e5, volumetric="quadratic")
FASCIA = FibreReinforced(2.0e3, 4.0e5, 5.0e4, 4.0, (math.radians(39.0), -math.radians(39.0)))
FASCIA_NATALI = FibreReinforced(
    2.0e3, 4.0e5, 2.5e5, 10.397, (0.0,), fibre_energy="exponential", volumetric="logarithmic"
)


def _volumetric_first(material: HyperelasticMaterial, jac: float) -> float:
    return float(volumetric_energy(material.volumetric, material.bulk_modulus, jac)[1])


def _fibre_first(material: FibreReinforced, strain: float) -> float:
    """ψ'(Ē) written out for both fibre energies (tension only)."""
    if strain <= 0.0:
        return 0.0
    k1, k2 = material.k1, material.k2
    if material.fibre_energy == "exponential_quadratic":
        return k1 * strain * math.exp(k2 * strain**2)
    return k1 / (4.0 * k2) * math.expm1(k2 * strain)


def _deviator(tensor: np.ndarray) -> np.ndarray:
    return tensor - np.trace(tensor) / 3.0 * np.eye(3)


def closed_form_cauchy(material: HyperelasticMaterial, f: np.ndarray) -> np.ndarray:
    """Cauchy stress of a homogeneous F from the classical formulas."""
    jac = float(np.linalg.det(f))
    fbar = jac ** (-1.0 / 3.0) * f
    bbar = fbar @ fbar.T
    eigenvalues, vectors = np.linalg.eigh(bbar)
    stretches = np.sqrt(eigenvalues)
    if isinstance(material, Ogden):
        principal = np.zeros(3)
        for mu, alpha in zip(material.mu, material.alpha, strict=True):
            powers = stretches**alpha
            principal += 2.0 * mu / alpha * (powers - powers.sum() / 3.0)
        isochoric = (vectors * principal) @ vectors.T
    else:
        isochoric = material.shear_modulus * _deviator(bbar)
    if isinstance(material, FibreReinforced):
        for direction in material.fibre_directions:
            current = fbar @ direction
            strain = float(current @ current) - 1.0
            isochoric = isochoric + 2.0 * _fibre_first(material, strain) * _deviator(
                np.outer(current, current)
            )
    return isochoric / jac + _volumetric_first(material, jac) * np.eye(3)


LAWS = [SKIN, MUSCLE, TWO_TERM, FASCIA, FASCIA_NATALI]
LAW_IDS = ["neo_hookean", "ogden_bosboom", "ogden_two_term", "hgo", "hgo_natali_fibres"]


def _check(material: HyperelasticMaterial, f: np.ndarray) -> None:
    expected = closed_form_cauchy(material, f)
    computed = material.cauchy_stress(f[None])[0]
    scale = np.abs(expected).max()
    assert scale > 0.0
    np.testing.assert_allclose(computed, expected, rtol=0.0, atol=ROUND_OFF * scale)


@pytest.mark.parametrize("material", LAWS, ids=LAW_IDS)
@pytest.mark.parametrize("stretch", [0.7, 1.25])
def test_uniaxial_isochoric_stress(material: HyperelasticMaterial, stretch: float) -> None:
    f = np.diag([stretch, stretch**-0.5, stretch**-0.5])
    _check(material, f)
    sigma = material.cauchy_stress(f)
    # incompressible uniaxial difference σ11 − σ22 of the classical formulas
    if isinstance(material, NeoHookean):
        expected = material.mu * (stretch**2 - 1.0 / stretch)
    elif isinstance(material, Ogden):
        expected = sum(
            2.0 * mu / a * (stretch**a - stretch ** (-0.5 * a))
            for mu, a in zip(material.mu, material.alpha, strict=True)
        )
    else:
        return
    assert sigma[0, 0] - sigma[1, 1] == pytest.approx(expected, rel=1e-12)
    assert sigma[1, 1] == pytest.approx(sigma[2, 2], abs=1e-12 * abs(expected))


@pytest.mark.parametrize("material", LAWS, ids=LAW_IDS)
@pytest.mark.parametrize("stretch", [0.85, 1.2])
def test_equibiaxial_stress(material: HyperelasticMaterial, stretch: float) -> None:
    _check(material, np.diag([stretch, stretch, stretch**-2]))


@pytest.mark.parametrize("material", LAWS, ids=LAW_IDS)
def test_compressible_triaxial_stress(material: HyperelasticMaterial) -> None:
    """Distinct stretches with a volume change: exercises the volumetric part as well."""
    _check(material, np.diag([1.08, 0.93, 1.03]))


@pytest.mark.parametrize("material", LAWS, ids=LAW_IDS)
@pytest.mark.parametrize("shear", [0.1, 0.6])
def test_simple_shear_stress(material: HyperelasticMaterial, shear: float) -> None:
    f = np.eye(3)
    f[0, 1] = shear
    _check(material, f)


@pytest.mark.parametrize("shear", [0.1, 0.6])
def test_simple_shear_textbook_values(shear: float) -> None:
    f = np.eye(3)
    f[0, 1] = shear
    sigma = SKIN.cauchy_stress(f)
    assert sigma[0, 1] == pytest.approx(SKIN.mu * shear, rel=1e-13)
    assert sigma[0, 0] - sigma[1, 1] == pytest.approx(SKIN.mu * shear**2, rel=1e-13)
    # Ogden: principal stretches λ, 1/λ with λ − 1/λ = γ, axes at tan 2φ = 2/γ
    big = 0.5 * shear + math.sqrt(1.0 + 0.25 * shear**2)
    mu, alpha = MUSCLE.mu[0], MUSCLE.alpha[0]
    expected = 2.0 * mu / alpha * (big**alpha - big**-alpha) / math.sqrt(4.0 + shear**2)
    assert MUSCLE.cauchy_stress(f)[0, 1] == pytest.approx(expected, rel=1e-12)
    # fibres along y are stretched by γ: σ12 gains 2ψ'(γ²)γ
    fibre_y = FibreReinforced(2.0e3, 4.0e5, 5.0e4, 4.0, (math.pi / 2,))
    psi = 5.0e4 * shear**2 * math.exp(4.0 * shear**4)
    assert fibre_y.cauchy_stress(f)[0, 1] == pytest.approx(2.0e3 * shear + 2.0 * psi * shear)


@pytest.mark.parametrize("material", LAWS, ids=LAW_IDS)
def test_stress_and_tangent_are_derivatives(material: HyperelasticMaterial) -> None:
    rng = np.random.default_rng(7)
    f = np.eye(3) + 0.25 * rng.standard_normal((8, 3, 3))
    f = f[np.linalg.det(f) > 0.3]  # (away from F = I, where slack fibres have a kink)
    stress, tangent = material.stress_and_tangent(f)
    h = 1e-6
    stress_fd = np.empty_like(stress)
    tangent_fd = np.empty_like(tangent)
    for k in range(3):
        for col in range(3):
            step = np.zeros((3, 3))
            step[k, col] = h
            plus, minus = f + step, f - step
            stress_fd[..., k, col] = (
                material.strain_energy(plus) - material.strain_energy(minus)
            ) / (2 * h)
            tangent_fd[..., k, col] = (
                material.first_piola_kirchhoff(plus) - material.first_piola_kirchhoff(minus)
            ) / (2 * h)
    np.testing.assert_allclose(stress, stress_fd, atol=1e-7 * np.abs(stress).max())
    np.testing.assert_allclose(tangent, tangent_fd, atol=1e-7 * np.abs(tangent).max())
    # hyperelastic: major symmetry of A
    np.testing.assert_allclose(
        tangent, tangent.transpose(0, 3, 4, 1, 2), atol=1e-12 * np.abs(tangent).max()
    )


@pytest.mark.parametrize("material", LAWS, ids=LAW_IDS)
def test_objectivity(material: HyperelasticMaterial) -> None:
    rng = np.random.default_rng(3)
    f = np.eye(3) + 0.2 * rng.standard_normal((3, 3))
    q, _ = np.linalg.qr(rng.standard_normal((3, 3)))
    q *= np.sign(np.linalg.det(q))
    np.testing.assert_allclose(
        material.first_piola_kirchhoff(q @ f),
        q @ material.first_piola_kirchhoff(f),
        atol=1e-11 * np.abs(material.first_piola_kirchhoff(f)).max(),
    )
    assert material.strain_energy(q @ f) == pytest.approx(material.strain_energy(f), rel=1e-12)


@pytest.mark.parametrize("material", LAWS, ids=LAW_IDS)
def test_reference_state_gives_linear_elasticity(material: HyperelasticMaterial) -> None:
    stress, tangent = material.stress_and_tangent(np.eye(3))
    assert np.abs(stress).max() < 1e-12 * material.bulk_modulus
    mu, kappa = material.shear_modulus, material.bulk_modulus
    eye = np.eye(3)
    linear = mu * (np.einsum("ik,jl->ijkl", eye, eye) + np.einsum("il,jk->ijkl", eye, eye)) + (
        kappa - 2.0 * mu / 3.0
    ) * np.einsum("ij,kl->ijkl", eye, eye)
    np.testing.assert_allclose(tangent, linear, atol=1e-10 * kappa)
    assert material.strain_energy(np.eye(3)) == pytest.approx(0.0, abs=1e-12 * mu)
    small = material.small_strain_material()
    assert small.shear_modulus == pytest.approx(mu)
    assert small.bulk_modulus == pytest.approx(kappa)


def test_ogden_with_alpha_two_is_neo_hookean() -> None:
    ogden = Ogden((8e3,), (2.0,), 666.67e3)
    rng = np.random.default_rng(11)
    f = np.eye(3) + 0.3 * rng.standard_normal((20, 3, 3))
    f = f[np.linalg.det(f) > 0.2]
    p_ogden, a_ogden = ogden.stress_and_tangent(f)
    p_neo, a_neo = SKIN.stress_and_tangent(f)
    np.testing.assert_allclose(p_ogden, p_neo, atol=1e-9 * np.abs(p_neo).max())
    np.testing.assert_allclose(a_ogden, a_neo, atol=1e-9 * np.abs(a_neo).max())


def test_ogden_coincident_stretches_are_exact() -> None:
    """Uniaxial and reference states have repeated eigenvalues: tangent stays exact."""
    for f in (np.eye(3), np.diag([1.3, 1.3**-0.5, 1.3**-0.5])):
        _, tangent = MUSCLE.stress_and_tangent(f)
        h = 1e-7
        column = (
            MUSCLE.first_piola_kirchhoff(f + h * np.eye(3)[0][:, None] * np.eye(3)[1])
            - MUSCLE.first_piola_kirchhoff(f - h * np.eye(3)[0][:, None] * np.eye(3)[1])
        ) / (2 * h)
        np.testing.assert_allclose(tangent[:, :, 0, 1], column, rtol=1e-6, atol=1e-6)
        assert np.all(np.isfinite(tangent))


def test_generic_push_forward_matches_closed_form_neo_hookean() -> None:
    rng = np.random.default_rng(5)
    f = np.eye(3) + 0.3 * rng.standard_normal((10, 3, 3))
    f = f[np.linalg.det(f) > 0.2]
    jac = np.linalg.det(f)
    cbar = jac[:, None, None] ** (-2.0 / 3.0) * np.swapaxes(f, -1, -2) @ f
    fictitious_stress, fictitious_elasticity = SKIN.fictitious_response(cbar)
    stress, tangent = isochoric_response(f, fictitious_stress, fictitious_elasticity)
    closed_stress, closed_tangent = SKIN.isochoric_stress(f)
    assert closed_tangent is not None and tangent is not None
    np.testing.assert_allclose(stress, closed_stress, atol=1e-12 * np.abs(closed_stress).max())
    np.testing.assert_allclose(tangent, closed_tangent, atol=1e-12 * np.abs(closed_tangent).max())


def test_fibres_bear_tension_only() -> None:
    """Compressing along the fibres gives exactly the isotropic matrix response."""
    one_family = FibreReinforced(2.0e3, 4.0e5, 5.0e4, 4.0, (0.0,))
    matrix = NeoHookean(2.0e3, 4.0e5)
    compress_x = np.diag([0.8, 0.8**-0.5, 0.8**-0.5])
    for f in (compress_x, np.diag([0.8, 1.0, 1.0])):
        p_fibre, a_fibre = one_family.stress_and_tangent(f)
        p_matrix, a_matrix = matrix.stress_and_tangent(f)
        np.testing.assert_allclose(p_fibre, p_matrix, rtol=0.0, atol=1e-12 * np.abs(p_matrix).max())
        np.testing.assert_allclose(a_fibre, a_matrix, rtol=0.0, atol=1e-12 * np.abs(a_matrix).max())
    # two families at ±39°: in-plane equibiaxial compression shortens both
    both = np.diag([0.9, 0.9, 0.9**-2])
    np.testing.assert_allclose(
        FASCIA.cauchy_stress(both), NeoHookean(2.0e3, 4.0e5).cauchy_stress(both), rtol=1e-13
    )
    # stretching along x does load the fibres
    stretch_x = np.diag([1.1, 1.1**-0.5, 1.1**-0.5])
    assert one_family.cauchy_stress(stretch_x)[0, 0] > 1.5 * matrix.cauchy_stress(stretch_x)[0, 0]


def test_natali_fibre_energy_gives_the_published_uniaxial_law() -> None:
    """Natali et al. 2010 (FACTS §2): σ = μ(λ²−1/λ) + k/(2α)(e^{α(λ²−1)}−1)λ²."""
    mu, k, alpha = 14.449e6, 254.02e6, 10.397
    natali = FibreReinforced(mu, 1e12, k, alpha, (0.0,), fibre_energy="exponential")
    for stretch in (1.02, 1.05):
        f = np.diag([stretch, stretch**-0.5, stretch**-0.5])
        sigma = natali.cauchy_stress(f)
        expected = (
            mu * (stretch**2 - 1 / stretch)
            + k / (2 * alpha) * (math.exp(alpha * (stretch**2 - 1)) - 1) * stretch**2
        )
        assert sigma[0, 0] - sigma[1, 1] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("law", VOLUMETRIC_LAWS)
def test_volumetric_energies(law: str) -> None:
    kappa = 5.0e5
    jac = np.array([0.6, 0.95, 1.0, 1.2])
    energy, first, second = volumetric_energy(law, kappa, jac)
    h = 1e-6
    e_plus, f_plus, _ = volumetric_energy(law, kappa, jac + h)
    e_minus, f_minus, _ = volumetric_energy(law, kappa, jac - h)
    np.testing.assert_allclose(first, (e_plus - e_minus) / (2 * h), rtol=1e-7, atol=1e-10 * kappa)
    np.testing.assert_allclose(second, (f_plus - f_minus) / (2 * h), rtol=1e-7)
    assert energy[2] == 0.0 and first[2] == 0.0
    assert second[2] == pytest.approx(kappa)
    with pytest.raises(ValueError, match="unknown volumetric law"):
        volumetric_energy("cubic", kappa, jac)


def test_fibre_directions_lie_in_the_layer_plane() -> None:
    directions = fibre_directions_from_angles([0.0, math.pi / 2])
    np.testing.assert_allclose(directions, [[1, 0, 0], [0, 1, 0]], atol=1e-16)
    assert FASCIA.fibre_directions.shape == (2, 3)
    assert SKIN.fibre_directions.shape == (0, 3)


BadFactory = Callable[[], object]


@pytest.mark.parametrize(
    ("factory", "message"),
    [
        (lambda: NeoHookean(-1.0, 1e5), "shear modulus"),
        (lambda: NeoHookean(1e3, 0.0), "bulk modulus"),
        (lambda: NeoHookean(1e3, 1e5, volumetric="cubic"), "volumetric law"),
        (lambda: Ogden((1e3, 2e3), (2.0,), 1e5), "same number"),
        (lambda: Ogden((1e3,), (0.0,), 1e5), "non-zero"),
        (lambda: Ogden((-1e3,), (2.0,), 1e5), "positive"),
        (lambda: FibreReinforced(1e3, 1e5, 1e3, 1.0, (0.0, 0.5, 1.0)), "one or two"),
        (lambda: FibreReinforced(1e3, 1e5, -1.0, 1.0, (0.0,)), "k1"),
        (lambda: FibreReinforced(1e3, 1e5, 1e3, 0.0, (0.0,)), "k2"),
        (lambda: FibreReinforced(1e3, 1e5, 1e3, 1.0, (0.0,), dispersion=0.4), "dispersion"),
        (lambda: FibreReinforced(1e3, 1e5, 1e3, 1.0, (0.0,), fibre_energy="x"), "fibre energy"),
    ],
)
def test_invalid_parameters_are_rejected(factory: BadFactory, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        factory()


def test_closed_form_eigen_decomposition_of_symmetric_matrices() -> None:
    """Orthonormal eigenvectors and eigenvalues to round-off, also for coincident and
    nearly coincident eigenvalues (the reference state, uniaxial states)."""
    from tissue_sim.mechanics.hyperelastic._spectral import symmetric_eigen

    rng = np.random.default_rng(5)
    random = rng.standard_normal((200, 3, 3))
    matrices = np.concatenate(
        [
            random + np.swapaxes(random, -1, -2),
            np.broadcast_to(np.eye(3), (5, 3, 3)),  # triple eigenvalue
            np.broadcast_to(np.diag([2.0, 0.5, 0.5]), (5, 3, 3)),  # double eigenvalue
            np.eye(3) + 1e-9 * (random[:20] + np.swapaxes(random[:20], -1, -2)),  # nearly
            np.zeros((2, 3, 3)),
        ]
    )
    rotation, _ = np.linalg.qr(rng.standard_normal((3, 3)))
    matrices[205:210] = rotation @ matrices[205:210] @ rotation.T
    values, vectors = symmetric_eigen(matrices)
    scale = np.abs(matrices).max(axis=(1, 2))[:, None, None] + 1e-300
    identity = np.swapaxes(vectors, -1, -2) @ vectors
    np.testing.assert_allclose(identity, np.broadcast_to(np.eye(3), identity.shape), atol=1e-13)
    rebuilt = (vectors * values[:, None, :]) @ np.swapaxes(vectors, -1, -2)
    assert np.all(np.abs(rebuilt - matrices) <= 1e-13 * scale)
    np.testing.assert_allclose(
        np.sort(values, axis=1), np.linalg.eigvalsh(matrices), atol=1e-13 * scale.max()
    )
