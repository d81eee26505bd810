"""Compiled element and law kernels against their reference (array) formulations.

The element stiffness kernel sums only the blocks b >= a, folds the Jacobian term of
the pressure into the tangent and runs cells in parallel; the Ogden kernel evaluates
only the divided differences it needs and runs point ranges in parallel. Each is
compared here with the plain array formulation it replaced, on random (non-affine,
non-symmetric-geometry) data, and with itself at one and two threads (bitwise).
"""

from __future__ import annotations

import numba
import numpy as np
import pytest

from tissue_sim.mechanics._kernels import assemble_force, element_stiffness, point_kinematics
from tissue_sim.mechanics._pressure_space import element_volumetric_stiffness
from tissue_sim.mechanics.hyperelastic._spectral import isotropic_response, symmetric_eigen
from tissue_sim.mechanics.hyperelastic._spectral_kernels import ogden_batch
from tissue_sim.mechanics.hyperelastic._tensors import inverse_transpose
from tissue_sim.mechanics.hyperelastic.materials import Ogden

RNG_SEED = 20261202


def _random_chunk(
    rng: np.random.Generator, cells: int = 7, points: int = 8, nodes: int = 8
) -> tuple[np.ndarray, ...]:
    weights = rng.uniform(0.5, 1.5, (cells, points)) * 1e-9
    gradients = rng.standard_normal((cells, points, nodes, 3)) * 250.0
    f = np.eye(3) + 0.3 * rng.standard_normal((cells, points, 3, 3))
    f[np.linalg.det(f) < 0.0] *= -1.0
    # a major-symmetric tangent A_iJkL = A_kLiJ, as every hyperelastic law has
    raw = rng.standard_normal((cells, points, 9, 9)) * 1e4
    tangent = (raw + np.swapaxes(raw, -1, -2)).reshape(cells, points, 3, 3, 3, 3)
    return weights, gradients, f, tangent


def _reference_stiffness(
    weights: np.ndarray,
    gradients: np.ndarray,
    tangent: np.ndarray,
    inv_t: np.ndarray,
    scale: np.ndarray,
) -> np.ndarray:
    """The formulation before the kernel: every (a, b) pair, Jacobian term per pair."""
    blocks = np.einsum("eq,eqaj,eqijkl,eqbl->eabik", weights, gradients, tangent, gradients)
    d = np.einsum("eqij,eqaj->eqai", inv_t, gradients)
    geometric = np.einsum("eq,eqai,eqbk->eabik", weights * scale, d, d) - np.einsum(
        "eq,eqbi,eqak->eabik", weights * scale, d, d
    )
    return np.asarray(blocks + geometric)


@pytest.mark.parametrize("geometric", [True, False])
def test_element_stiffness_equals_the_reference_formulation(geometric: bool) -> None:
    rng = np.random.default_rng(RNG_SEED)
    weights, gradients, f, tangent = _random_chunk(rng)
    inv_t, jac = inverse_transpose(f)
    scale = rng.standard_normal(weights.shape) * 3e3 * jac
    if geometric:
        blocks = element_stiffness(weights, gradients, tangent, inv_t, scale)
        expected = _reference_stiffness(weights, gradients, tangent, inv_t, scale)
    else:
        blocks = element_stiffness(weights, gradients, tangent)
        expected = _reference_stiffness(weights, gradients, tangent, inv_t, 0.0 * scale)
    assert blocks.shape == (7, 8, 8, 3, 3)
    np.testing.assert_allclose(blocks, expected, rtol=0.0, atol=1e-12 * np.abs(expected).max())
    # exactly symmetric element matrices: K[a, b, i, k] = K[b, a, k, i]
    np.testing.assert_array_equal(blocks, blocks.transpose(0, 2, 1, 4, 3))


def test_element_stiffness_with_the_condensed_volumetric_part() -> None:
    """The P0 and P1disc condensed blocks passed to the kernel add to its result as the
    separately computed ``D^T M^-1 H M^-1 D`` does."""
    rng = np.random.default_rng(RNG_SEED + 1)
    weights, gradients, f, tangent = _random_chunk(rng, cells=5)
    inv_t, jac = inverse_transpose(f)
    scale = rng.standard_normal(weights.shape) * 3e3 * jac
    second = rng.uniform(1e5, 1e6, weights.shape)
    cofactor = jac[..., None, None] * inv_t
    divergence = gradients @ np.swapaxes(cofactor, -1, -2)
    points = rng.uniform(0.0, 1.0, (8, 3))
    for basis in (np.ones((8, 1)), np.column_stack([np.ones(8), points - 0.5])):
        mass = np.einsum("eq,qp,qr->epr", weights, basis, basis)
        mass_inverse = np.linalg.inv(mass)
        expected = _reference_stiffness(
            weights, gradients, tangent, inv_t, scale
        ) + element_volumetric_stiffness(weights, basis, mass_inverse, second, divergence)
        blocks = element_stiffness(
            weights,
            gradients,
            tangent,
            inv_t,
            scale,
            volumetric=(basis, mass_inverse, second, jac),
        )
        np.testing.assert_allclose(blocks, expected, rtol=0.0, atol=1e-12 * np.abs(expected).max())


def test_kernels_give_the_same_bits_on_one_and_two_threads() -> None:
    rng = np.random.default_rng(RNG_SEED + 2)
    weights, gradients, f, tangent = _random_chunk(rng, cells=150)
    inv_t, jac = inverse_transpose(f)
    moduli, exponents = np.array([2.0e3, 1.0e3]), np.array([6.0, -4.0])
    flat = np.ascontiguousarray(f.reshape(-1, 3, 3))
    results = []
    previous = numba.get_num_threads()
    try:
        for threads in sorted({1, min(2, numba.config.NUMBA_NUM_THREADS)}):
            numba.set_num_threads(threads)
            results.append(
                (
                    element_stiffness(weights, gradients, tangent, inv_t, jac * 1e3),
                    *ogden_batch(flat, moduli, exponents, True),
                )
            )
    finally:
        numba.set_num_threads(previous)
    for first, other in zip(results[0], results[-1], strict=True):
        np.testing.assert_array_equal(first, other)


@pytest.mark.parametrize("tangent", [True, False])
def test_ogden_kernel_equals_the_array_formulation(tangent: bool) -> None:
    """ψ_a, ψ_ab, ψ_[ab] of the Ogden docstring in numpy (all nine divided differences,
    each from its own powers), through :func:`isotropic_response`, against the kernel."""
    rng = np.random.default_rng(RNG_SEED + 3)
    f = np.eye(3) + 0.25 * rng.standard_normal((400, 3, 3))
    f[np.linalg.det(f) < 0.0] *= -1.0
    f[:20] = np.diag([1.2, 1.2, 1.0 / 1.44])  # coincident eigenvalues
    material = Ogden((2.0e3, 1.0e3), (6.0, -4.0), 3.0e5)
    mu, alpha = np.asarray(material.mu), np.asarray(material.alpha)
    c = np.swapaxes(f, -1, -2) @ f
    values, vectors = symmetric_eigen(c)
    jac = np.linalg.det(f)
    first = np.zeros((f.shape[0], 3))
    second = np.zeros((f.shape[0], 3, 3))
    divided = np.zeros((f.shape[0], 3, 3))
    ca, cb = values[:, :, None], values[:, None, :]
    for m, a in zip(mu, alpha, strict=True):
        beta = 0.5 * a - 1.0
        k = (m / a) * jac ** (-a / 3.0)
        powers = values**beta
        total = np.sum(powers * values, axis=1)
        first += k[:, None] * (powers - total[:, None] / (3.0 * values))
        third = (total[:, None, None] / 3.0) / (ca * cb)
        pa, pb = powers[:, :, None], powers[:, None, :]
        second -= (a * k / 6.0)[:, None, None] * (pa / cb + pb / ca - third)
        second += (
            np.eye(3)
            * (k[:, None] * (beta * powers / values + total[:, None] / (3.0 * values**2)))[
                :, None, :
            ]
        )
        r = np.log(ca) - np.log(cb)
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = np.where(np.expm1(r) == 0.0, beta, np.expm1(beta * r) / np.expm1(r))
        divided += k[:, None, None] * (cb ** (beta - 1.0) * ratio + third)
    stress, expected = isotropic_response(f, vectors, first, second, divided)
    got_stress, got = ogden_batch(f, mu, alpha, tangent)
    np.testing.assert_allclose(got_stress, stress, rtol=0.0, atol=1e-12 * np.abs(stress).max())
    if tangent:
        assert expected is not None
        np.testing.assert_allclose(got, expected, rtol=0.0, atol=1e-12 * np.abs(expected).max())
    else:
        assert got.shape[0] == 0


def test_point_kinematics_and_force_equal_the_array_formulation() -> None:
    """F, F^-T, J of the compiled pass and its nodal force assembly against the batched
    products and bincounts they replaced, on a random chunk of 9 cells over 30 nodes."""
    rng = np.random.default_rng(RNG_SEED + 4)
    weights, gradients, _, _ = _random_chunk(rng, cells=9)
    gradients *= 1e-3
    cells = rng.integers(0, 30, (9, 8))
    displacement = 0.2 * rng.standard_normal((30, 3))
    f, inv_t, jac = point_kinematics(displacement, cells, gradients)
    expected_f = np.swapaxes(displacement[cells], 1, 2)[:, None] @ gradients + np.eye(3)
    expected_inv_t, expected_jac = inverse_transpose(expected_f)
    np.testing.assert_allclose(f, expected_f, rtol=0.0, atol=1e-14)
    np.testing.assert_allclose(jac, expected_jac, rtol=1e-12)
    np.testing.assert_allclose(inv_t, expected_inv_t, rtol=0.0, atol=1e-12 * np.abs(inv_t).max())
    stress = rng.standard_normal(f.shape) * 1e3
    pressure = rng.standard_normal(jac.shape) * 1e4
    force = np.zeros((30, 3))
    assemble_force(force, cells, weights, gradients, stress, pressure, jac, inv_t)
    total = stress + (pressure * jac)[..., None, None] * inv_t
    local = np.einsum("eq,eqij,eqaj->eai", weights, total, gradients)
    expected = np.zeros((30, 3))
    np.add.at(expected, cells, local)
    np.testing.assert_allclose(force, expected, rtol=0.0, atol=1e-12 * np.abs(expected).max())


def test_element_stiffness_of_tangents_given_per_group_of_cells() -> None:
    """Per-layer tangents ``[(cells, A), ...]`` give the blocks of the gathered array."""
    rng = np.random.default_rng(RNG_SEED + 5)
    weights, gradients, f, tangent = _random_chunk(rng, cells=11)
    inv_t, jac = inverse_transpose(f)
    scale = rng.standard_normal(weights.shape) * 3e3 * jac
    layer = rng.integers(0, 3, 11)
    groups = [(np.flatnonzero(layer == k), tangent[layer == k]) for k in range(3)]
    expected = element_stiffness(weights, gradients, tangent, inv_t, scale)
    np.testing.assert_array_equal(
        element_stiffness(weights, gradients, groups, inv_t, scale), expected
    )
    with pytest.raises(ValueError, match="cover every cell"):
        element_stiffness(weights, gradients, groups[:2], inv_t, scale)
