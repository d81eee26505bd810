"""Steady states derived by hand, bistability, conservation of macrophages and positivity."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import brentq

from tissue_sim.biology import CellModel
from tissue_sim.biology.simulate import simulate

HOUR = 3600.0
DAY = 24 * HOUR


def hill(x: float, k: float, n: float) -> float:
    return x**n / (k**n + x**n)


def parameter(model: CellModel, name: str) -> float:
    (key,) = [key for key in model.parameters if key.endswith(f".{name}")]
    return model.parameters[key].value


def no_stimulus(model: CellModel) -> dict[str, float]:
    return {name: 0.0 for name in model.inputs}


@pytest.mark.parametrize(
    "fixture", ["fibroblast_model", "macrophage_model", "tgfb1_model", "composed_model"]
)
def test_healthy_state_is_a_steady_state_without_stimulus(fixture: str, request) -> None:
    model: CellModel = request.getfixturevalue(fixture)
    healthy = model.initial_state("healthy")
    rates = model.rhs(0.0, healthy[None, :], no_stimulus(model))[0]
    slowest = 1e-7  # 1/s: far below every rate constant in the models
    assert np.all(np.abs(rates) < 1e-6 * slowest * np.maximum(np.abs(healthy), 1.0))


def test_fibroblast_steady_state_under_constant_stimulus_matches_hand_derivation(
    fibroblast_model: CellModel,
) -> None:
    """R* = f w / k_R, H* = χ/(k_rec (1 − χ)), F*, Dm*, IL6*, IL1b* (model description)."""
    model = fibroblast_model
    p = lambda name: parameter(model, name)  # noqa: E731
    stimulus = {
        "effective_strain_peak": 0.55,
        "strain_rate_peak": 0.4,
        "cycle_frequency": 0.5,
        "longest_time_above_3pct": 30.0,
        "time_above_3pct": 1.2,
        "longest_time_above_50pct": 90.0,
        "time_above_50pct": 0.8,
    }
    f = stimulus["cycle_frequency"]
    w = hill(0.55, p("K_injury"), p("n_injury")) * hill(0.4, p("K_rate"), p("n_rate"))
    load = f * w / p("k_repetitive_decay")
    sustained = hill(30.0, p("tau_sustained"), p("n_sustained")) * 1.2 * f
    held = hill(90.0, p("tau_hold"), p("n_hold")) * 0.8 * f
    exposure = held / (p("k_exposure_recovery") * (1 - held))
    f0 = p("fak_healthy")
    on = p("k_fak_off") * f0 / (1 - f0) + p("k_fak_on") * w * hill(
        load, p("K_repetitive"), p("n_repetitive")
    )
    fak = on / (on + p("k_fak_off") + p("k_fak_release") * sustained)
    drive = p("k_damage") * hill(exposure, p("K_exposure"), p("n_exposure"))
    damage = drive / (drive + p("k_damage_clearance"))  # macrophages at their healthy total 1
    il6 = 1 - p("w_il6_fak") + p("w_il6_fak") * fak / f0 + p("w_il6_damage") * damage
    il1b = 1 - p("w_il1b_fak") + p("w_il1b_fak") * fak / f0 + p("w_il1b_damage") * damage
    result = simulate(
        model,
        stimulus,
        [[0.0, 60 * DAY]],
        60 * DAY,
        summary_times=[60 * DAY],
        rtol=1e-8,
        atol=1e-12,
    )
    expected = dict(
        fak=fak, repetitive_load=load, hold_exposure=exposure, damage=damage, il6=il6, il1b=il1b
    )
    got = dict(zip(model.species_names, result.final_state[0], strict=True))
    for name, value in expected.items():
        assert got[name] == pytest.approx(value, rel=1e-5), name


def _fibrotic_roots(model: CellModel) -> list[float]:
    """Roots m = μ/μ₀ of the hand-derived steady-state condition (tgfb1_fibrosis description)."""
    p = lambda name: parameter(model, name)  # noqa: E731
    mu0, a0 = p("myo_healthy"), p("active_healthy")
    rho = a0 * p("k_active_decay") / p("k_latent_clearance")
    u0 = 1 - p("u_fak") - p("u_m2") - p("u_myo")

    def condition(m: float) -> float:
        production = u0 + p("u_fak") + p("u_m2") + p("u_myo") * m
        activation = 1 - p("w_activation_myo") + p("w_activation_myo") * m
        latent = (1 + rho) * production / (rho * activation + 1)
        active = a0 * activation * latent
        collagen = 1 - p("w_collagen_myo") + p("w_collagen_myo") * m
        drive = hill(active, p("K_active_myo"), p("n_active_myo")) / hill(
            a0, p("K_active_myo"), p("n_active_myo")
        )
        stiffness = 1 - p("w_stiffness") + p("w_stiffness") * collagen
        return drive * stiffness - m * (1 - mu0) / (1 - mu0 * m)

    grid = np.linspace(0.2, 0.99 / mu0, 4000)
    values = np.array([condition(m) for m in grid])
    roots = []
    for index in np.flatnonzero(np.diff(np.sign(values))):
        roots.append(brentq(condition, grid[index], grid[index + 1], xtol=1e-12))
    return roots


def test_tgfb1_model_is_bistable_with_hand_derived_states(tgfb1_model: CellModel) -> None:
    """Adler et al. 2020, Zhou et al. 2018 (FACTS §10): a self-sustaining fibrotic state.

    The hand-derived condition has three roots: healthy (m = 1), a threshold and the fibrotic
    state; the chronic_overuse preset settles on the fibrotic one, a perturbation below the
    threshold returns to healthy.
    """
    roots = _fibrotic_roots(tgfb1_model)
    assert len(roots) == 3
    assert roots[0] == pytest.approx(1.0, abs=1e-6)
    threshold, fibrotic = roots[1], roots[2]
    assert 2.0 < threshold < 4.0 < fibrotic
    mu0 = parameter(tgfb1_model, "myo_healthy")
    kwargs = {"summary_times": [400 * DAY], "rtol": 1e-8, "atol": 1e-12}
    chronic = simulate(
        tgfb1_model,
        no_stimulus(tgfb1_model),
        [],
        400 * DAY,
        initial_state="chronic_overuse",
        **kwargs,
    )
    myo = tgfb1_model.species_index("myofibroblast")
    assert chronic.final_state[0, myo] / mu0 == pytest.approx(fibrotic, rel=1e-3)
    below = tgfb1_model.initial_state()
    below[myo] = 0.85 * threshold * mu0
    healed = simulate(
        tgfb1_model,
        no_stimulus(tgfb1_model),
        [],
        400 * DAY,
        initial_state=below,
        summary_times=[200 * DAY, 400 * DAY],
        rtol=1e-8,
        atol=1e-12,
    )
    # back towards healthy; slowly near it (the loop's gain there is 0.8: ~40-day relaxation)
    course = healed.summaries["myofibroblast"][:, 0, 0] / mu0
    assert course[1] < course[0] and abs(course[1] - 1.0) < 0.01
    assert healed.final_state[0] == pytest.approx(tgfb1_model.initial_state(), rel=0.01)
    above = tgfb1_model.initial_state()
    above[myo] = 1.5 * threshold * mu0  # past the threshold with the other species healthy
    scarred = simulate(
        tgfb1_model, no_stimulus(tgfb1_model), [], 400 * DAY, initial_state=above, **kwargs
    )
    assert scarred.final_state[0, myo] / mu0 == pytest.approx(fibrotic, rel=5e-3)


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
        no_stimulus(macrophage_model),
        [],
        60 * DAY,
        initial_state="acute_exercise_damage",
        summary_times=[60 * DAY],
        rtol=1e-8,
        atol=1e-12,
    )
    assert result.final_state[0] == pytest.approx(healthy, rel=1e-5)


def test_polarisation_conserves_macrophages(macrophage_model: CellModel) -> None:
    """N = M0 + M1 + M2 obeys dN/dt = r_in − e·N in closed form, whatever the cytokines do
    (damage held at 0: the macrophage model alone)."""
    model = macrophage_model
    k_out = parameter(model, "k_efflux")
    gain = parameter(model, "g_efflux_mech")
    k_mech, n_mech = parameter(model, "K_mech"), parameter(model, "n_mech")
    amplitude = np.array([0.0, 0.02, 0.1])
    times = np.array([0.0, 6 * HOUR, DAY, 3 * DAY])
    result = simulate(
        model,
        {"effective_strain_amplitude": amplitude},
        [[0.0, 3 * DAY]],
        3 * DAY,
        initial_state="acute_exercise_damage",
        field_times=times,
        summary_times=times,
        rtol=1e-8,
        atol=1e-12,
    )
    index = [model.species_index(name) for name in ("m0", "m1", "m2")]
    total = result.fields[:, :, index].sum(axis=2)
    efflux = k_out * (1 + gain * amplitude**n_mech / (k_mech**n_mech + amplitude**n_mech))
    start = model.initial_state("acute_exercise_damage")[index].sum()
    limit = k_out / efflux
    expected = limit + (start - limit) * np.exp(-np.outer(times, efflux))
    assert total == pytest.approx(expected, rel=1e-6)


def test_species_stay_non_negative_under_harsh_loading(composed_model: CellModel) -> None:
    rng = np.random.default_rng(2)
    n_points = 25
    period = rng.uniform(0.5, 120.0, n_points)
    above = rng.uniform(0.0, 1.0, n_points) * period
    stimulus = {
        "effective_strain_peak": rng.uniform(0.0, 1.0, n_points),
        "effective_strain_amplitude": rng.uniform(0.0, 0.5, n_points),
        "strain_rate_peak": rng.uniform(0.0, 2.0, n_points),
        "cycle_frequency": 1.0 / period,
        "longest_time_above_3pct": above,
        "time_above_3pct": above,
        "longest_time_above_50pct": 0.5 * above,
        "time_above_50pct": 0.5 * above,
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
    for name in ("myofibroblast", "fak", "damage"):
        assert result.fields[:, :, composed_model.species_index(name)].max() < 1.0, name
    assert math.isfinite(float(result.fields.sum()))
