"""Sensitivity through SALib: Sobol indices on the Ishigami function (analytic values) and
Morris screening on functions whose ranking is known."""

from __future__ import annotations

import numpy as np
import pytest
from _sweep_files import sweep_mapping

from tissue_sim.sweep import build_design, saltelli_blocks, sobol_indices, sweep_from_mapping
from tissue_sim.sweep.designs import unit_samples
from tissue_sim.sweep.sensitivity import (
    elementary_effects,
    morris_indices,
    morris_unit_samples,
)

A, B = 7.0, 0.1


def ishigami(x: np.ndarray) -> np.ndarray:
    """Ishigami & Homma (1990): sin x1 + a sin² x2 + b x3⁴ sin x1, x_i ~ U(-π, π)."""
    return np.sin(x[:, 0]) + A * np.sin(x[:, 1]) ** 2 + B * x[:, 2] ** 4 * np.sin(x[:, 0])


def ishigami_indices() -> tuple[np.ndarray, np.ndarray]:
    """Analytic first-order and total indices (Sobol' & Levitan 1999)."""
    pi = np.pi
    v1 = 0.5 * (1 + B * pi**4 / 5) ** 2
    v2 = A**2 / 8
    v13 = B**2 * pi**8 * (1 / 18 - 1 / 50)
    variance = v1 + v2 + v13
    return np.array([v1, v2, 0.0]) / variance, np.array([v1 + v13, v2, v13]) / variance


def test_analytic_reference_values() -> None:
    first, total = ishigami_indices()
    np.testing.assert_allclose(first, [0.3139, 0.4424, 0.0], atol=1e-4)
    np.testing.assert_allclose(total, [0.5576, 0.4424, 0.2437], atol=1e-4)


def _saltelli_matrices(n: int, k: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A, B and A_B^(i) of a scrambled Sobol sequence on [-π, π]^k, as the sweep builds them."""
    unit = unit_samples("sobol", 2 * k, n, seed)
    a, b = -np.pi + 2 * np.pi * unit[:, :k], -np.pi + 2 * np.pi * unit[:, k:]
    ab = np.repeat(a[:, None, :], k, axis=1)
    for i in range(k):
        ab[:, i, i] = b[:, i]
    return a, b, ab


def test_ishigami_indices_match_the_analytic_values() -> None:
    a, b, ab = _saltelli_matrices(8192, 3, seed=11)
    f_ab = ishigami(ab.reshape(-1, 3)).reshape(8192, 3)
    indices = sobol_indices(ishigami(a), ishigami(b), f_ab, resamples=200, seed=0)
    first, total = ishigami_indices()
    np.testing.assert_allclose(indices.first_order, first, atol=0.02)
    np.testing.assert_allclose(indices.total, total, atol=0.02)
    for conf in (indices.first_order_conf, indices.total_conf):
        assert np.all(conf > 0.0) and np.all(conf < 0.05)
    # the intervals cover the analytic values
    assert np.all(np.abs(indices.first_order - first) <= indices.first_order_conf)
    assert np.all(np.abs(indices.total - total) <= indices.total_conf)
    assert indices.samples == 8192 and indices.confidence == 0.95


def test_ishigami_indices_from_a_sobol_sweep_design() -> None:
    spec = sweep_from_mapping(
        sweep_mapping(
            parameters={f"x.x{i}": {"range": [-np.pi, np.pi]} for i in (1, 2, 3)},
            design={"type": "sobol", "samples": 1024, "seed": 11},
        )
    )
    design = build_design(spec)
    x = np.array([point.display for point in design.points], dtype=float)
    f_a, f_b, f_ab = saltelli_blocks(design.points, ishigami(x), 3)
    assert f_a.shape == (1024,) and f_ab.shape == (1024, 3)
    indices = sobol_indices(f_a, f_b, f_ab, resamples=300, seed=0)
    first, total = ishigami_indices()
    # within three standard errors (the 95 % half-width is 1.96 of them), and informative
    for estimate, conf, exact in (
        (indices.first_order, indices.first_order_conf, first),
        (indices.total, indices.total_conf, total),
    ):
        assert np.all(np.abs(estimate - exact) <= 3.0 * conf / 1.96)
        assert np.all(conf < 0.12)
    assert list(np.argsort(-indices.total)) == [0, 1, 2]


def test_indices_do_not_depend_on_the_output_mean() -> None:
    rng = np.random.default_rng(2)
    n = 512
    a, b = rng.uniform(-np.pi, np.pi, (2, n, 3))
    ab = np.repeat(a[:, None, :], 3, axis=1)
    for i in range(3):
        ab[:, i, i] = b[:, i]
    f_a, f_b, f_ab = ishigami(a), ishigami(b), ishigami(ab.reshape(-1, 3)).reshape(n, 3)
    plain = sobol_indices(f_a, f_b, f_ab, resamples=100)
    shifted = sobol_indices(f_a + 1e4, f_b + 1e4, f_ab + 1e4, resamples=100)
    np.testing.assert_allclose(shifted.first_order, plain.first_order, atol=1e-9)
    np.testing.assert_allclose(shifted.first_order_conf, plain.first_order_conf, atol=1e-9)
    np.testing.assert_allclose(shifted.total, plain.total, atol=1e-9)


def test_intervals_shrink_with_more_samples() -> None:
    rng = np.random.default_rng(0)
    widths = []
    for n in (256, 4096):
        a, b = rng.uniform(-np.pi, np.pi, (2, n, 3))
        ab = np.repeat(a[:, None, :], 3, axis=1)
        for i in range(3):
            ab[:, i, i] = b[:, i]
        f_ab = ishigami(ab.reshape(-1, 3)).reshape(n, 3)
        indices = sobol_indices(ishigami(a), ishigami(b), f_ab, resamples=300, seed=1)
        widths.append(indices.total_conf.mean())
    assert widths[1] < widths[0] / 2.5  # ~ 1/sqrt(N): factor 4 expected


def test_groups_with_a_failed_run_are_left_out_and_constant_outputs_give_nan() -> None:
    spec = sweep_from_mapping(
        sweep_mapping(
            parameters={f"x.x{i}": {"range": [0.0, 1.0]} for i in (1, 2)},
            design={"type": "sobol", "samples": 8, "seed": 0},
        )
    )
    design = build_design(spec)
    values = np.arange(len(design.points), dtype=float)
    values[5] = np.nan  # a failed run in base sample 1
    f_a, f_b, f_ab = saltelli_blocks(design.points, values, 2)
    # groups of k + 2 = 4 points (A, B, AB_1, AB_2) per base sample; sample 1 is dropped
    kept = np.array([0, 2, 3, 4, 5, 6, 7])
    np.testing.assert_array_equal(f_a, 4 * kept)
    np.testing.assert_array_equal(f_b, 4 * kept + 1)
    np.testing.assert_array_equal(f_ab, 4 * kept[:, None] + [2, 3])
    constant = sobol_indices(np.ones(7), np.ones(7), np.ones((7, 2)), resamples=20)
    assert np.all(np.isnan(constant.first_order)) and np.all(np.isnan(constant.total))


def test_morris_effects_of_a_linear_function_are_its_coefficients() -> None:
    """For y = Σ c_i x_i every elementary effect of x_i is c_i exactly: μ* = |c|, σ = 0."""
    coefficients = np.array([10.0, -5.0, 1.0, 0.0])
    x = morris_unit_samples(4, trajectories=12, seed=3)
    assert x.shape == (12 * 5, 4) and x.min() >= 0.0 and x.max() <= 1.0
    indices = morris_indices(x, x @ coefficients, seed=0)
    np.testing.assert_allclose(indices.mu_star, np.abs(coefficients), atol=1e-9)
    np.testing.assert_allclose(indices.mu, coefficients, atol=1e-9)
    np.testing.assert_allclose(indices.sigma, 0.0, atol=1e-9)
    assert list(indices.ranking()[:3]) == [0, 1, 2]
    assert indices.trajectories == 12


def sobol_g(x: np.ndarray, a: np.ndarray) -> np.ndarray:
    """Sobol' G function: Π (|4 x_i − 2| + a_i) / (1 + a_i); smaller a_i, more influence."""
    return np.prod((np.abs(4.0 * x - 2.0) + a) / (1.0 + a), axis=1)


def test_morris_ranks_the_g_function_parameters_by_their_importance() -> None:
    """Saltelli et al. (2008, *Global Sensitivity Analysis: The Primer*, §3.5): the G
    function's importance falls with a_i; here a = (0, 1, 4.5, 9, 99)."""
    a = np.array([0.0, 1.0, 4.5, 9.0, 99.0])
    x = morris_unit_samples(5, trajectories=60, seed=7)
    indices = morris_indices(x, sobol_g(x, a), resamples=500, seed=1)
    assert list(indices.ranking()) == [0, 1, 2, 3, 4]
    assert np.all(np.diff(indices.mu_star) < 0.0)
    assert indices.mu_star[4] < 0.05 * indices.mu_star[0]  # a = 99: all but inert
    assert np.all(indices.mu_star_conf > 0.0) and np.all(indices.mu_star_conf < indices.mu_star)


def test_morris_sigma_sees_interactions_and_failed_trajectories_are_left_out() -> None:
    x = morris_unit_samples(3, trajectories=20, seed=5)
    y = 4.0 * x[:, 0] * x[:, 1] + 2.0 * x[:, 2]  # x0, x1 interact; x2 is additive
    full = morris_indices(x, y)
    assert full.sigma[0] > 0.1 and full.sigma[1] > 0.1
    assert full.sigma[2] == pytest.approx(0.0, abs=1e-9)
    assert full.mu_star[2] == pytest.approx(2.0)
    broken = y.copy()
    broken[4 * 3 + 1] = np.nan  # a failed run in trajectory 3
    partial = morris_indices(x, broken)
    assert partial.trajectories == 19
    assert partial.mu_star[2] == pytest.approx(2.0)
    with pytest.raises(ValueError, match="whole trajectories"):
        morris_indices(x[:-1], y[:-1])
    with pytest.raises(ValueError, match="even number of levels"):
        morris_unit_samples(3, 10, levels=3)


def test_elementary_effects_reproduce_salib_and_their_intervals_the_standard_error() -> None:
    """μ and σ of our elementary effects equal SALib's; the bootstrap half-width of μ is
    the normal one, z·s·√((r − 1)/r)/√r (the bootstrap standard error of a mean)."""
    a = np.array([0.0, 1.0, 4.5, 9.0])
    x = morris_unit_samples(4, trajectories=40, seed=11)
    y = sobol_g(x, a)
    effects = elementary_effects(x, y)
    assert effects.shape == (40, 4)
    indices = morris_indices(x, y, resamples=4000, seed=2)
    np.testing.assert_allclose(effects.mean(axis=0), indices.mu, rtol=1e-12)
    np.testing.assert_allclose(np.abs(effects).mean(axis=0), indices.mu_star, rtol=1e-12)
    np.testing.assert_allclose(effects.std(axis=0, ddof=1), indices.sigma, rtol=1e-12)
    standard_error = effects.std(axis=0, ddof=1) * np.sqrt(39.0 / 40.0) / np.sqrt(40.0)
    np.testing.assert_allclose(indices.mu_conf, 1.959964 * standard_error, rtol=0.06)
    assert np.all(indices.sigma_conf > 0.0) and np.all(indices.sigma_conf < indices.sigma)
    again = morris_indices(x, y, resamples=4000, seed=2)
    np.testing.assert_array_equal(again.sigma_conf, indices.sigma_conf)  # seeded
    with pytest.raises(ValueError, match="each once"):
        elementary_effects(np.repeat(x[:1], 5, axis=0), y[:5])  # steps that move nothing
