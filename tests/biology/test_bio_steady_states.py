"""Steady states derived by hand, conservation of macrophages and positivity."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tissue_sim.biology import CellModel
from tissue_sim.biology.simulate import simulate

HOUR = 3600.0
DAY = 24 * HOUR
NO_STIMULUS = {"effective_strain_peak": 0.0, "effective_strain_mean": 0.0, "strain_rate_peak": 0.0}


def hill(x: float, k: float, n: float) -> float:
    return x**n / (k**n + x**n)


def parameter(model: CellModel, name: str) -> float:
    (key,) = [key for key in model.parameters if key.endswith(f".{name}")]
    return model.parameters[key].value


@pytest.mark.parametrize(
    "fixture", ["fibroblast_model", "macrophage_model", "tgfb1_model", "composed_model"]
)
def test_healthy_state_is_a_steady_state_without_stimulus(fixture: str, request) -> None:
    model: CellModel = request.getfixturevalue(fixture)
    healthy = model.initial_state("healthy")
    inputs = {name: 0.0 for name in model.inputs}
    rates = model.rhs(0.0, healthy[None, :], inputs)[0]
    slowest = 1e-7  # 1/s: far below every rate constant in the models
    assert np.all(np.abs(rates) < 1e-6 * slowest * np.maximum(np.abs(healthy), 1.0))


def test_fibroblast_steady_state_under_constant_stimulus_matches_hand_derivation(
    fibroblast_model: CellModel,
) -> None:
    """A* = D_inj, F* = a/(a + b), IL6* and IL1b* linear in F* (see the model description)."""
    p = lambda name: parameter(fibroblast_model, name)  # noqa: E731
    peak, mean, rate = 0.09, 0.03, 0.2
    d_inj = hill(peak, p("K_injury"), p("n_injury")) * hill(rate, p("K_rate"), p("n_rate"))
    d_sus = hill(mean, p("K_sustained"), p("n_sustained")) * (
        1 - hill(rate, p("K_rate"), p("n_rate"))
    )
    f0 = p("fak_healthy")
    k_basal = p("k_fak_off") * f0 / (1 - f0)
    adaptation = d_inj
    on = k_basal + p("k_fak_on") * d_inj * p("K_adaptation") / (p("K_adaptation") + adaptation)
    off = p("k_fak_off") + p("k_fak_release") * d_sus
    fak = on / (on + off)
    il6 = 1 - p("w_il6_fak") + p("w_il6_fak") * fak / f0
    il1b = 1 - p("w_il1b_fak") + p("w_il1b_fak") * fak / f0
    result = simulate(
        fibroblast_model,
        {"effective_strain_peak": peak, "effective_strain_mean": mean, "strain_rate_peak": rate},
        [[0.0, 40 * DAY]],
        40 * DAY,
        summary_times=[40 * DAY],
        rtol=1e-8,
        atol=1e-12,
    )
    assert result.final_state[0] == pytest.approx([fak, adaptation, il6, il1b], rel=1e-6)


def test_tgfb1_model_returns_to_its_hand_derived_healthy_state(tgfb1_model: CellModel) -> None:
    """L = 1, A = k_a/k_A = active_healthy, μ = μ₀, C = 1 (model description)."""
    p = lambda name: parameter(tgfb1_model, name)  # noqa: E731
    k_activation = p("active_healthy") * p("k_active_decay")
    expected = [1.0, k_activation / p("k_active_decay"), p("myo_healthy"), 1.0]
    result = simulate(
        tgfb1_model,
        {"effective_strain_peak": 0.0},
        [],
        400 * DAY,
        initial_state="chronic_overuse",
        summary_times=[400 * DAY],
        rtol=1e-8,
        atol=1e-12,
    )
    assert result.final_state[0] == pytest.approx(expected, rel=1e-5)


def test_macrophage_rates_that_keep_the_healthy_state(macrophage_model: CellModel) -> None:
    """k01 and k02 from the hand-derived balance reproduce the healthy fractions."""
    p = lambda name: parameter(macrophage_model, name)  # noqa: E731
    m0, m1 = p("m0_healthy"), p("m1_healthy")
    m2 = 1 - m0 - m1
    k01 = ((p("k_m1_m2") + p("k_efflux")) * m1 - p("k_m2_m1") * m2) / m0
    k02 = p("k_efflux") * (1 - m0) / m0 - k01
    assert k01 > 0 and k02 > 0
    healthy = macrophage_model.initial_state()
    assert healthy[:3] == pytest.approx([m0, m1, m2])
    result = simulate(
        macrophage_model,
        {"effective_strain_peak": 0.0},
        [],
        60 * DAY,
        initial_state="acute_exercise_damage",
        summary_times=[60 * DAY],
        rtol=1e-8,
        atol=1e-12,
    )
    assert result.final_state[0] == pytest.approx(healthy, rel=1e-5)


def test_polarisation_conserves_macrophages(composed_model: CellModel) -> None:
    """N = M0 + M1 + M2 obeys dN/dt = k_out − e·N in closed form, whatever the cytokines do."""
    k_out = parameter(composed_model, "k_efflux")
    gain = parameter(composed_model, "g_efflux_mech")
    k_mech, n_mech = parameter(composed_model, "K_mech"), parameter(composed_model, "n_mech")
    peak = np.array([0.0, 0.04, 0.1])
    stimulus = {
        "effective_strain_peak": peak,
        "effective_strain_mean": peak / 2,
        "strain_rate_peak": np.array([0.0, 0.05, 0.4]),
    }
    times = np.array([0.0, 6 * HOUR, DAY, 3 * DAY])
    result = simulate(
        composed_model,
        stimulus,
        [[0.0, 3 * DAY]],
        3 * DAY,
        initial_state="acute_exercise_damage",
        field_times=times,
        summary_times=times,
        rtol=1e-8,
        atol=1e-12,
    )
    index = [composed_model.species_index(name) for name in ("m0", "m1", "m2")]
    total = result.fields[:, :, index].sum(axis=2)
    efflux = k_out * (1 + gain * peak**n_mech / (k_mech**n_mech + peak**n_mech))
    start = composed_model.initial_state("acute_exercise_damage")[index].sum()
    limit = k_out / efflux
    expected = limit + (start - limit) * np.exp(-np.outer(times, efflux))
    assert total == pytest.approx(expected, rel=1e-6)


def test_species_stay_non_negative_under_harsh_loading(composed_model: CellModel) -> None:
    rng = np.random.default_rng(2)
    n_points = 25
    stimulus = {
        "effective_strain_peak": rng.uniform(0.0, 0.3, n_points),
        "effective_strain_mean": rng.uniform(0.0, 0.2, n_points),
        "strain_rate_peak": rng.uniform(0.0, 2.0, n_points),
    }
    sessions = [[d * DAY + 8 * HOUR, d * DAY + 16 * HOUR] for d in range(3)]
    times = np.linspace(0.0, 3 * DAY, 73)
    result = simulate(
        composed_model,
        stimulus,
        sessions,
        3 * DAY,
        initial_state="acute_exercise_damage",
        field_times=times,
        summary_times=times,
    )
    assert result.fields.min() > -1e-7
    fractions = result.fields[:, :, composed_model.species_index("myofibroblast")]
    assert fractions.max() < 1.0
    assert math.isfinite(float(result.fields.sum()))
