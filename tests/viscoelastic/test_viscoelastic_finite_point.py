"""Finite-strain viscoelastic law at material points (tissue_sim.mechanics.viscoelastic.finite).

Simo (1987) / Holzapfel (2000, §6.10) quasi-linear viscoelasticity on the isochoric
second Piola–Kirchhoff stress of the hyperelastic laws: S = S_vol + a S_iso + Σ Q_i with
Q_i = ∫ β_i e^{−(t−s)/τ_i} dS_iso/ds ds. The preset law is the instantaneous one by
default (a = g∞, β_i = g_i: elastography moduli, FACTS §2, §9); with ``moduli="relaxed"``
a = 1, β_i = g_i/g∞. Checked here, independently of the body:

* the consistent tangent against central finite differences of the stress, with a
  history and a time step, for every law the presets use;
* a ramp then hold of an isochoric stretch against the hereditary integral evaluated
  by adaptive quadrature (second-order convergence in Δt);
* the limits τ → 0 (the relaxed law: g∞ times the preset's isochoric stress) and τ → ∞
  (the instantaneous law: the preset), and the same with ``moduli="relaxed"`` (the
  preset, and 1/g∞ times it);
* a held stretch relaxes as S_iso (g∞ + Σ g_i e^{−t/τ_i}), exactly.

Layer parameters: fat g1 = 0.39, τ = 700 s (Sims et al. 2010, FACTS §2); muscle
g1 = 0.549, τ = 6.01 s (Bosboom et al. 2001, FACTS §2).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import quad

from tissue_sim.mechanics.hyperelastic.compression_stiffening import CompressionStiffening
from tissue_sim.mechanics.hyperelastic.materials import FibreReinforced, NeoHookean, Ogden
from tissue_sim.mechanics.viscoelastic import PronySeries, ViscoelasticLaw

FAT = PronySeries((0.39,), (700.0,))
MUSCLE = PronySeries((0.549,), (6.01,))
TWO_TERMS = PronySeries((0.2, 0.3), (0.5, 20.0))

LAWS = {
    "neo_hookean": NeoHookean(mu=1e3, bulk_modulus=1e5),
    "ogden": Ogden(mu=(1e3,), alpha=(8.0,), bulk_modulus=1e5),
    "compression_stiffening": CompressionStiffening(748.5, 1.18, 748.5 * 500),
    "hgo": FibreReinforced(mu=1e4, bulk_modulus=1e6, k1=1e5, k2=10.0, fibre_angles=(0.3, -0.3)),
}


def _law(name: str):
    return LAWS[name]


def _gradients(count: int, size: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.eye(3) + size * rng.standard_normal((count, 1, 3, 3))


def _wrap(law, series: PronySeries, cells: int) -> ViscoelasticLaw:
    return ViscoelasticLaw(law, series, np.arange(cells), cells)


@pytest.mark.parametrize("name", list(LAWS))
def test_tangent_matches_finite_differences(name: str) -> None:
    law = _law(name)
    wrapped = _wrap(law, TWO_TERMS, 4)
    cells = np.arange(4)
    wrapped.begin_step(0.0)
    wrapped.isochoric_stress_at(_gradients(4, 0.15, 1), cells, tangent=False)
    wrapped.commit()  # a history at every point
    wrapped.begin_step(0.7)
    f = _gradients(4, 0.15, 2)
    _, tangent = wrapped.isochoric_stress_at(f, cells)
    assert tangent is not None
    h = 1e-6
    numeric = np.empty_like(tangent)
    for k in range(3):
        for big_l in range(3):
            step = np.zeros((3, 3))
            step[k, big_l] = h
            plus = wrapped.isochoric_stress_at(f + step, cells, tangent=False)[0]
            minus = wrapped.isochoric_stress_at(f - step, cells, tangent=False)[0]
            numeric[..., k, big_l] = (plus - minus) / (2 * h)
    scale = np.abs(tangent).max()
    np.testing.assert_allclose(tangent, numeric, atol=2e-6 * scale)
    # the viscous part is there: the tangent is not the elastic one
    elastic = law.isochoric_stress(f, tangent=True)[1]
    assert np.abs(tangent - elastic).max() > 0.05 * scale
    # major symmetry A_iJkL = A_kLiJ (the body assembles a symmetric tangent)
    np.testing.assert_allclose(
        tangent, np.transpose(tangent, (0, 1, 4, 5, 2, 3)), atol=1e-9 * scale
    )


def _uniaxial(stretch: float) -> np.ndarray:
    lateral = stretch**-0.5
    return np.diag([lateral, lateral, stretch])[None, None]


def _second_piola(law, stretch: float) -> np.ndarray:
    f = _uniaxial(stretch)
    piola = law.isochoric_stress(f, tangent=False)[0]
    return np.linalg.solve(f, piola)[0, 0]


def _run(wrapped: ViscoelasticLaw, law, times: np.ndarray, stretch) -> np.ndarray:
    """S_zz of the viscous branches (Σ Q_i) at every time of a stretch history."""
    cells = np.arange(1)
    wrapped.reset()
    out = np.empty(times.size)
    for n, t in enumerate(times):
        wrapped.begin_step(0.0 if n == 0 else float(t - times[n - 1]))
        wrapped.isochoric_stress_at(_uniaxial(stretch(t)), cells, tangent=False)
        wrapped.commit()
        out[n] = wrapped.history_stress()[0, 0, 2, 2]
    return out


@pytest.mark.parametrize(
    ("name", "series"),
    [("ogden", MUSCLE), ("neo_hookean", PronySeries((0.2, 0.3), (0.5, 20.0), "relaxed"))],
)
def test_ramp_and_hold_converges_to_the_hereditary_integral(name: str, series) -> None:
    law = _law(name)
    wrapped = _wrap(law, series, 1)
    ramp, end, top = 2.0, 20.0, 1.3

    def stretch(t: float) -> float:
        return 1.0 + (top - 1.0) * min(t, ramp) / ramp

    def rate(s: float) -> float:  # dS_iso,zz/ds on the ramp (central difference in λ)
        lam, h = stretch(s), 1e-6
        slope = (_second_piola(law, lam + h)[2, 2] - _second_piola(law, lam - h)[2, 2]) / (2 * h)
        return slope * (top - 1.0) / ramp

    # β_i = g_i for an instantaneous preset, g_i / g∞ for a relaxed one
    betas = np.asarray(series.fractions) / (
        1.0 if series.moduli == "instantaneous" else series.long_term
    )

    def exact(t: float) -> float:
        upper = min(t, ramp)
        return sum(
            beta
            * quad(lambda s, tau=tau: np.exp(-(t - s) / tau) * rate(s), 0.0, upper, epsabs=1e-12)[0]
            for beta, tau in zip(betas, series.times, strict=True)
        )

    checks = np.array([1.0, 2.0, 5.0, 20.0])
    reference = np.array([exact(t) for t in checks])
    errors = []
    for steps in (20, 40, 80):
        times = np.linspace(0.0, end, steps + 1)
        values = _run(wrapped, law, times, stretch)
        errors.append(np.abs(np.interp(checks, times, values) - reference).max())
    scale = np.abs(reference).max()
    assert errors[-1] < 2e-3 * scale
    orders = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    assert np.all(orders > 1.8), orders  # second order in Δt


@pytest.mark.parametrize("name", ["neo_hookean", "ogden", "compression_stiffening"])
def test_elastic_limits_and_held_relaxation(name: str) -> None:
    law = _law(name)
    cells = np.arange(3)
    f = _gradients(3, 0.2, 3)
    preset = law.isochoric_stress(f, tangent=False)[0]
    g_inf = FAT.long_term
    times = np.array([0.0, 0.3, 1.0, 4.0, 30.0])
    limits = (
        ("instantaneous", 1e-9, g_inf * preset),  # relaxed: g∞ times the preset
        ("instantaneous", 1e9, preset),  # instantaneous: the preset
        ("relaxed", 1e-9, preset),
        ("relaxed", 1e9, preset / g_inf),
    )
    for moduli, tau, expected in limits:
        wrapped = _wrap(law, PronySeries(FAT.fractions, (tau,), moduli), 3)
        wrapped.begin_step(0.0)
        path = _gradients(3, 0.1, 4)  # any path from rest, then f
        wrapped.isochoric_stress_at(path, cells, tangent=False)
        wrapped.commit()
        for dt in (0.5, 2.0):
            wrapped.begin_step(dt)
            stress = wrapped.isochoric_stress_at(f, cells, tangent=False)[0]
            wrapped.commit()
        np.testing.assert_allclose(stress, expected, rtol=1e-7, atol=1e-9 * np.abs(expected).max())
    # a step to f held: P(t) = P_iso g(t) = P_iso (g∞ + Σ g_i e^{−t/τ_i}), exact for the
    # recurrence (the preset is the instantaneous law)
    wrapped = _wrap(law, TWO_TERMS, 3)
    for n, t in enumerate(times):
        wrapped.begin_step(0.0 if n == 0 else float(t - times[n - 1]))
        stress = wrapped.isochoric_stress_at(f, cells, tangent=False)[0]
        wrapped.commit()
        factor = TWO_TERMS.relaxation(t)
        np.testing.assert_allclose(stress, factor * preset, rtol=1e-12, atol=1e-12)


def test_history_is_per_point_and_committed_only_on_commit() -> None:
    law = LAWS["neo_hookean"]
    wrapped = _wrap(law, FAT, 5)
    f = _gradients(5, 0.2, 5)
    wrapped.begin_step(0.0)
    wrapped.isochoric_stress_at(f[:2], np.array([3, 1]), tangent=False)
    # trial evaluations change nothing before commit
    assert np.all(wrapped.history_stress() == 0.0)
    wrapped.isochoric_stress_at(f[:2], np.array([3, 1]), tangent=False)
    wrapped.commit()
    history = wrapped.history_stress()
    assert np.all(history[[0, 2, 4]] == 0.0)  # untouched points stay at rest
    assert np.abs(history[3]).max() > 0.0 and np.abs(history[1]).max() > 0.0
    with pytest.raises(ValueError, match="outside the viscoelastic layer"):
        ViscoelasticLaw(law, FAT, np.array([0, 1]), 5).isochoric_stress_at(
            f[:1], np.array([4]), tangent=False
        )
    with pytest.raises(TypeError, match="isochoric_stress_at"):
        wrapped.isochoric_stress(f)


def test_every_time_step_relabels_the_tangent() -> None:
    """Kept element matrices (``tangent_tolerance``) must not outlive a time step: the
    tangent (a + Σ β_i γ_i(Δt)) A_iso + δ_ik H_JL changes with H at every commit, even at
    the same Δt. Within a step (no commit) the label is kept. The wrapped law's own branch
    labels (HGO: fibres taut or slack) are kept in the low bits."""
    law = LAWS["hgo"]
    wrapped = _wrap(law, FAT, 3)
    cells = np.arange(3)
    f = _gradients(3, 0.1, 6)
    wrapped.begin_step(1.0)
    first = wrapped.tangent_regime(f)
    _, before = wrapped.isochoric_stress_at(f, cells)
    wrapped.begin_step(1.0)  # the same step again (no commit): same label
    np.testing.assert_array_equal(wrapped.tangent_regime(f), first)
    wrapped.commit()
    wrapped.begin_step(1.0)  # the next step, same Δt: a new label and a new tangent
    assert np.all(wrapped.tangent_regime(f) != first)
    _, after = wrapped.isochoric_stress_at(f, cells)
    assert before is not None and after is not None
    # H = Σ d Q^n − c S^n is ~0 at rest and ~(d − 1) β S after the first commit
    assert np.abs(after - before).max() > 1e-6 * np.abs(before).max()
    wrapped.begin_step(2.0)
    assert np.all(wrapped.tangent_regime(f) != first)
    np.testing.assert_array_equal(first & ((1 << 20) - 1), law.tangent_regime(f))
    # zero-length steps (two history times equal): the commit between them moves H, so
    # it relabels although both steps have the Δt = 0 coefficients
    wrapped.begin_step(0.0)
    zero = wrapped.tangent_regime(f)
    wrapped.isochoric_stress_at(f, cells)
    wrapped.commit()
    wrapped.begin_step(0.0)
    assert np.all(wrapped.tangent_regime(f) != zero)
    # back to rest (the next technique step): the history is gone, a new label again
    committed = wrapped.tangent_regime(f)
    wrapped.reset()
    assert np.all(wrapped.tangent_regime(f) != committed)


def _shear_cycles(law, series: PronySeries, amplitude: float, period: float, cycles: int):
    """Simple shear γ(t) = γ_a sin(2πt/T) at a point (a homogeneous block, J = 1): the
    work ∮ P_12 dγ of the last cycle per unit reference volume [J/m³] (trapezoidal)."""
    per_cycle = 64
    times = np.arange(cycles * per_cycle + 1) * (period / per_cycle)
    gamma = amplitude * np.sin(2 * np.pi * times / period)
    wrapped = _wrap(law, series, 1)
    cells = np.arange(1)
    shear = np.empty(times.size)
    for n, t in enumerate(times):
        wrapped.begin_step(0.0 if n == 0 else float(t - times[n - 1]))
        f = np.eye(3)[None, None].copy()
        f[0, 0, 0, 1] = gamma[n]
        shear[n] = wrapped.isochoric_stress_at(f, cells, tangent=False)[0][0, 0, 0, 1]
        wrapped.commit()
    last = slice(-per_cycle - 1, None)
    return float(np.sum(0.5 * (shear[last][1:] + shear[last][:-1]) * np.diff(gamma[last])))


@pytest.mark.parametrize("name", ["neo_hookean", "ogden"])
def test_shear_cycles_dissipate_the_closed_form_loss(name: str) -> None:
    """Issue 15 item 1, "cycles show hysteresis", at finite strain. In the small-amplitude
    limit the steady loop of the QLV law is that of the linear standard solid with the
    instantaneous modulus μ0 (the preset): ∮ P_12 dγ = π γ_a² μ0 Σ g_i ωτ_i/(1 + ω²τ_i²)
    (muscle g1 = 0.549, τ = 6.01 s, Bosboom 2001, FACTS §2; ωτ = 1). At γ_a = 0.5 the loop
    still dissipates (positive work per cycle); the elastic law's loop has no area."""
    law = _law(name)
    mu0 = law.shear_modulus
    tau, g1 = MUSCLE.times[0], MUSCLE.fractions[0]
    period = 2 * np.pi * tau  # ωτ = 1: the largest loss
    small = 1e-3
    expected = np.pi * small**2 * mu0 * g1 * 0.5
    dissipated = _shear_cycles(law, MUSCLE, small, period, cycles=6)
    assert dissipated == pytest.approx(expected, rel=5e-3)
    large = _shear_cycles(law, MUSCLE, 0.5, period, cycles=6)
    assert large > 0.1 * np.pi * 0.5**2 * mu0 * g1 * 0.5  # finite-amplitude hysteresis
    elastic = _shear_cycles(law, PronySeries((g1,), (1e-9,)), 0.5, period, cycles=2)
    assert abs(elastic) < 1e-6 * large  # τ → 0: the relaxed elastic law, no loop


def test_the_qlv_history_carries_a_small_pure_pressure() -> None:
    """The documented QLV approximation (docs/viscoelasticity.md): Q_i is not re-projected
    at the current C, so C : Q ≠ 0 after C changes; Simo's projected history
    DEV[Q] = Q − (C:Q)/3 C⁻¹ differs from it by the hydrostatic Cauchy stress
    (C:Q)/(3J) I only. Muscle series (Bosboom 2001, FACTS §2), Ogden law: a 2-s ramp
    to λ = 1.3, 4 s held, then a simple shear of 0.5 over 2 s."""
    law = LAWS["ogden"]
    wrapped = _wrap(law, MUSCLE, 1)
    cells = np.arange(1)
    path = [(t, _uniaxial(1 + 0.3 * t / 2)) for t in np.linspace(0.0, 2.0, 21)]
    path += [(t, _uniaxial(1.3)) for t in (3.0, 4.0, 5.0, 6.0)]
    for k, t in enumerate(np.linspace(6.2, 8.0, 10)):
        f = _uniaxial(1.3).copy()
        f[0, 0, 0, 1] = 0.5 * (k + 1) / 10
        path.append((t, f))
    previous = 0.0
    for t, f in path:
        wrapped.begin_step(t - previous)
        previous = t
        piola = wrapped.isochoric_stress_at(f, cells, tangent=False)[0][0, 0]
        wrapped.commit()
    f = path[-1][1][0, 0]
    c, j = f.T @ f, np.linalg.det(f)
    history = wrapped.history_stress()[0, 0]
    trace = float(np.tensordot(c, history))
    projected = history - trace / 3.0 * np.linalg.inv(c)
    difference = f @ (history - projected) @ f.T / j  # Cauchy
    np.testing.assert_allclose(difference, trace / (3 * j) * np.eye(3), atol=1e-12 * abs(trace))
    sigma = piola @ f.T / j
    deviator = np.linalg.norm(sigma - np.trace(sigma) / 3 * np.eye(3))
    assert 1e-4 < abs(trace / (3 * j)) / deviator < 0.02  # 1.4 %: small, and not zero
