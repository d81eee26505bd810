"""A therapeutic window, end to end: mechanics → stimulus → biology (issue 10 item 2).

* Every shipped therapeutic scenario (``configs/*.yaml`` but the injurious one) at its
  documented pressure gives, in every layer and at every output time of its course,
  treated ≤ untreated for IL-6, IL-1β, TNF-α, both TGF-β1 pools, myofibroblasts, collagen
  and M1 (massage-like loading lowers TGF-β1, collagen and inflammatory macrophages:
  Bove 2016, Barbe 2021, Waters-Banker 2014, FACTS §5–§6), and no damage beyond the
  untreated course's.
* The deliberately injurious protocol (``configs/injurious_static_hold.yaml``: a 150-kPa
  indentation held 2 h, Stekelenburg 2006, FACTS §9) registers damage and worsens them.
* With zero load there is no effect: the treated course is the untreated one.

The untreated course is the run's own control (``result.biology.control``). Coarse meshes;
in CI the courses are cut to their first days (3 days, or one week of a weekly pattern):
the claims hold at every output time, so a shorter course checks the first sessions and
the days after them. ``@pytest.mark.slow`` runs the full courses with both mechanics models
(linear and finite-strain hyperelastic); CI uses each scenario's own mechanics model (the
one its file names; finite strain for the shipped configs), except effleurage, which
repeats the baseline's stroke at 4 kPa and runs linear in CI (``CI_LINEAR``).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from tissue_sim import load_config
from tissue_sim.io import RunResult
from tissue_sim.pipeline import run

ON_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
ROOT = Path(__file__).resolve().parents[2]
INJURIOUS = "injurious_static_hold.yaml"
THERAPEUTIC = sorted(p.name for p in (ROOT / "configs").glob("*.yaml") if p.name != INJURIOUS)
SPECIES = (
    "il6",
    "il1b",
    "tnfa",
    "tgfb1_latent",
    "tgfb1_active",
    "myofibroblast",
    "collagen",
    "m1",
)
#: Relative slack for treated vs untreated: both courses are integrated with rtol = 1e-5 and
#: take different steps (the treated one restarts at every session), so an untouched layer
#: can differ by a few 1e-5; a real effect is larger than 1e-3.
NUMERICAL = 2e-4


def _short_course(name: str) -> list[str]:
    """Overrides that cut a scenario's course to its first days (CI)."""
    raw = (ROOT / "configs" / name).read_text(encoding="utf-8")
    if "treatment_days:" in raw and "weeks:" in raw:
        return ["schedule.treatment_days.weeks=1"]
    if "treatment_days:" in raw:
        return []
    return ["schedule.days=3"]


def _run(name: str, *overrides: str) -> RunResult:
    return run(load_config(ROOT / "configs" / name, ["mesh.size=coarse", *overrides]))


def _worst_ratio(result: RunResult) -> tuple[float, str, str, float]:
    """Largest treated/untreated ratio over layers, species and time (and where)."""
    assert result.biology is not None and result.biology.control is not None
    worst = (-np.inf, "", "", 0.0)
    for layer, species in result.biology.layers.items():
        control = result.biology.control[layer]
        for name in SPECIES:
            ratio = species[name][:, 0] / control[name][:, 0]
            index = int(np.argmax(ratio))
            if ratio[index] > worst[0]:
                worst = (float(ratio[index]), layer, name, float(result.biology.time[index]))
    return worst


def _check_window(name: str, result: RunResult) -> None:
    assert result.biology is not None and result.biology.control is not None
    ratio, layer, species, time = _worst_ratio(result)
    assert ratio <= 1.0 + NUMERICAL, (
        f"{name}: treated {species} in the {layer} is {ratio:.5f}x untreated at "
        f"{time / 86400:.2f} days"
    )
    # no injury: damage stays within 1 % of the cells of the untreated course (the injurious
    # protocol damages > 5 %); deep friction's static 227 kPa adds ~2e-4 in the fat
    for layer_name, layer_species in result.biology.layers.items():
        treated_damage = layer_species["damage"][:, 2]
        untreated_damage = result.biology.control[layer_name]["damage"][:, 2]
        assert np.all(treated_damage <= untreated_damage + 0.01), (name, layer_name)
    # the treatment does something: some layer's inflammation and fibrosis fall by > 1 %
    falls = [
        1.0 - result.biology.layers[layer][name][-1, 0] / result.biology.control[layer][name][-1, 0]
        for layer in result.biology.layers
        for name in ("m1", "tgfb1_active")
    ]
    assert max(falls) > 0.01, (name, falls)


#: CI size: scenarios that repeat another's stroke run with linear mechanics in CI (the
#: slow test runs them at finite strain): effleurage is the baseline's stroke at 4 kPa
#: instead of 5 over the same tissue, and its 24 finite-strain frames cost ~490 s at load 9
#: (measured; linear: ~20 s) while the baseline already checks that stroke at finite strain.
CI_LINEAR = ("effleurage.yaml",)


@pytest.fixture(scope="module", params=THERAPEUTIC)
def therapeutic(request: pytest.FixtureRequest) -> tuple[str, RunResult]:
    name = request.param
    reduced = ["mechanics.model=linear"] if ON_CI and name in CI_LINEAR else []
    return name, _run(name, *_short_course(name), *reduced)


def test_every_therapeutic_scenario_is_never_worse_than_untreated(therapeutic) -> None:
    """Bove 2016, Barbe 2021, Waters-Banker 2014, Haas 2013 (FACTS §5–§6): massage at its
    documented dose lowers, never raises, inflammation and fibrosis in any layer."""
    name, result = therapeutic
    _check_window(name, result)


def test_the_fascia_answers_through_its_sliding_layer(therapeutic) -> None:
    """Langevin 2011 (FACTS §10): fascial shear lives in the loose layer at the fascia's
    surface; Bove 2016 (FACTS §5): manual therapy lowers fascial TGF-β1. Wherever a scenario
    strains the loose sublayer cyclically (> 1 %), its TGF-β1 and M1 fall, while the dense
    fascia strains about a hundred times less."""
    name, result = therapeutic
    stats = result.stimulus.layer_stats
    if "fascia_loose" not in stats:
        pytest.skip(f"{name}: its tissue has no sliding sublayer")
    amplitude = np.atleast_2d(stats["fascia_loose"]["effective_strain_amplitude"])[:, 0].max()
    if amplitude < 0.01:
        pytest.skip(f"{name}: the sliding layer is barely loaded (amplitude {amplitude:.3g})")
    dense = np.atleast_2d(stats["fascia"]["effective_strain_peak"])[:, 0].max()
    loose = np.atleast_2d(stats["fascia_loose"]["effective_strain_peak"])[:, 0].max()
    assert loose > 10.0 * dense
    layers = result.biology.layers["fascia_loose"]
    control = result.biology.control["fascia_loose"]
    for species in ("tgfb1_active", "m1"):
        assert layers[species][-1, 0] < 0.995 * control[species][-1, 0], (name, species)


@pytest.fixture(scope="module")
def injurious() -> RunResult:
    return _run(INJURIOUS)


def test_stekelenburg_2006_a_2_h_static_indentation_registers_damage_and_worsens(
    injurious: RunResult,
) -> None:
    """Stekelenburg 2006, Loerakker 2010 (FACTS §9): 150 kPa held 2 h damages the loaded
    tissue; inflammation and the TGF-β1 response follow, above the untreated course."""
    biology = injurious.biology
    assert biology is not None and biology.control is not None
    damaged = [
        layer for layer in biology.layers if biology.layers[layer]["damage"][:, 2].max() > 0.05
    ]
    assert damaged, {layer: biology.layers[layer]["damage"][:, 2].max() for layer in biology.layers}
    for layer in damaged:
        assert np.all(biology.control[layer]["damage"][:, 2] == 0.0)
        treated, control = biology.layers[layer], biology.control[layer]
        for name in SPECIES:  # collagen, the slowest (half-life 14 days), rises ~1 % in 2 weeks
            column = 2  # the 90th percentile: the loaded part of the layer
            assert treated[name][:, column].max() > 1.005 * control[name][:, column].max(), (
                layer,
                name,
            )


def test_a_shorter_gentler_hold_below_the_threshold_does_not_injure() -> None:
    """Stekelenburg 2006 (FACTS §9): 50 kPa for 4 h gave no MRI-detectable damage (here a
    50-kPa hold of 4 h over the same tissue stays below the damage of the 150-kPa hold)."""
    gentle = _run(INJURIOUS, "loading.pressure=50 kPa", "schedule.days=1")
    assert gentle.biology is not None
    for layer, species in gentle.biology.layers.items():
        assert species["damage"][:, 0].max() < 0.05, layer


def test_zero_load_has_no_effect() -> None:
    """No strain, no dose: every drive is zero (the cycle frequency alone drives nothing),
    so the treated course follows the control to the integrator's tolerance (the two take
    different steps: the treated one restarts at each session)."""
    result = _run(
        "baseline.yaml", "loading.pressure=0 kPa", "loading.friction=0", "schedule.days=2"
    )
    assert result.biology is not None and result.biology.control is not None
    for layer, species in result.biology.layers.items():
        for name, values in species.items():
            control = result.biology.control[layer][name]
            assert np.allclose(values, control, rtol=NUMERICAL, atol=1e-12), (layer, name)


#: The reduced CI size of the slow test: the other mechanics model for one scenario (deep
#: friction runs finite strain above; its linear run is cheap), on its short course.
CI_CASES = {("deep_friction.yaml", "linear")}  # effleurage at finite strain: see CI_LINEAR


@pytest.mark.slow
@pytest.mark.parametrize("mechanics", ["linear", "hyperelastic"])
@pytest.mark.parametrize("name", THERAPEUTIC)
def test_full_courses_with_both_mechanics_models(name: str, mechanics: str) -> None:
    if ON_CI and (name, mechanics) not in CI_CASES:
        pytest.skip("CI size: the short courses above and one scenario with both models")
    course = _short_course(name) if ON_CI else []
    _check_window(name, _run(name, f"mechanics.model={mechanics}", *course))
