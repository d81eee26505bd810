"""The remodelled course through the pipeline: fibrosis stiffens a layer, which then
strains less; a course that resolves the fibrosis restores the strain.

The load is a uniform pressure p over the whole skin of a laterally confined block
(roller sides, fixed base): every layer is in confined compression, σ_zz = −p, and its
strain is ε_zz = −p/M with the constrained modulus M = E(1 − ν)/((1 + ν)(1 − 2ν)), so
the effective strain ``max_shear_strain`` = ε₁ − ε₃ = p/M exactly, and p/(s·M) with the
layer's stiffness scaled by s (closed form; Q1 with mean dilatation is exact for this
homogeneous state). The law is the collagen power law (n = 1.91, Böhringer et al. 2024;
tissue_sim.remodelling.law).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tissue_sim import load_config
from tissue_sim.errors import InputError
from tissue_sim.io import read_result
from tissue_sim.pipeline import run, run_to_directory

CONFIG = "configs/static_compression.yaml"
PRESSURE = 5e3
CONFINED = [
    "mesh.size=coarse",
    "tissue.size=[4 cm, 4 cm]",
    "mechanics.model=linear",
    "mechanics.solver=direct",
    "loading.pressure=5 kPa",
    "loading.patch={shape: rectangle, semi_axes: [2 cm, 2 cm], profile: uniform, "
    "centre: [0 cm, 0 cm]}",
    "stimulus.effective_measure=max_shear_strain",
]

#: A test model: collagen that cyclic loading resolves (half-life 1 min while a session
#: presses, nothing between sessions), starting fibrotic (collagen index 2).
RESOLVING = """\
name: resolving_fibrosis
title: Fibrosis that loading resolves (test model)
description: |
  dC/dt = −k · hill(ε_peak, K, 1) · (C − 1); the myofibroblast fraction stays put.
inputs: [effective_strain_peak]
species:
  collagen: {unit: "1", initial: 1.0, description: collagen index}
  myofibroblast: {unit: "1", initial: 0.05, description: myofibroblast fraction}
parameters:
  k: {half_life: 1 min, source: "assumption: test model"}
  K: {value: 1.0e-7, source: "assumption: test model"}
rates:
  collagen: "-k * hill(effective_strain_peak, K, 1) * (collagen - 1)"
  myofibroblast: "0 * myofibroblast"
presets:
  fibrotic: {collagen: 2.0}
"""


def _constrained_strain(layer) -> float:
    e, nu = layer.youngs_modulus, layer.poisson_ratio
    return PRESSURE / (e * (1 - nu) / ((1 + nu) * (1 - 2 * nu)))


def _layer_cells(result, name: str) -> np.ndarray:
    return result.mesh.cell_layer == result.mesh.layer_names.index(name)


@pytest.fixture(scope="module")
def plain_and_fibrotic_fascia():
    base = [*CONFINED, "schedule.days=2", "biology.initial_state=chronic_overuse"]
    plain = run(load_config(CONFIG, base))
    remodelled = run(
        load_config(CONFIG, [*base, "biology.remodelling={every: 1 day, layers: [fascia]}"])
    )
    return load_config(CONFIG, base), plain, remodelled


def test_a_fibrotic_layer_strains_less(plain_and_fibrotic_fascia) -> None:
    scenario, plain, remodelled = plain_and_fibrotic_fascia
    updates = remodelled.biology.remodelling
    assert updates is not None
    np.testing.assert_array_equal(updates.time, [0.0, 86400.0])
    collagen = 1.8  # the chronic_overuse preset
    factor = collagen**1.91
    for layer in scenario.tissue.layers:
        cells = _layer_cells(remodelled, layer.name)
        plain_strain = plain.stimulus.features["effective_strain_peak"][cells]
        np.testing.assert_allclose(plain_strain, _constrained_strain(layer), rtol=1e-8)
        expected = factor if layer.name == "fascia" else 1.0
        np.testing.assert_allclose(updates.cell_factor[0, cells], expected, rtol=1e-12)
        np.testing.assert_allclose(
            updates.cell_strain[0, cells], _constrained_strain(layer) / expected, rtol=1e-8
        )
    cells = _layer_cells(plain, "fascia")
    plain_fascia = plain.stimulus.features["effective_strain_peak"][cells].mean()
    assert updates.layer_strain["fascia"][0] < 0.5 * plain_fascia  # s = 3.07


def test_the_untreated_control_does_not_depend_on_the_mechanics(plain_and_fibrotic_fascia) -> None:
    _, plain, remodelled = plain_and_fibrotic_fascia
    for layer, species in plain.biology.control.items():
        for name, values in species.items():
            np.testing.assert_allclose(
                remodelled.biology.control[layer][name], values, rtol=1e-4, atol=1e-9
            )
    np.testing.assert_array_equal(remodelled.biology.time, plain.biology.time)


def test_cells_without_dose_have_exactly_no_treatment_effect() -> None:
    """A thumb hold on the stack: layers the hold does not dose have treated = untreated
    to the last bit with remodelling too (their cells integrate with their control)."""
    base = [
        "mesh.size=coarse",
        "tissue.size=[4 cm, 4 cm]",
        "mechanics.model=linear",
        "schedule.days=2",
        "biology.initial_state=chronic_overuse",
    ]
    plain = run(load_config(CONFIG, base)).biology
    remodelled = run(load_config(CONFIG, [*base, "biology.remodelling={every: 1 day}"])).biology
    untouched = 0
    for layer, species in plain.effect_difference.items():
        for name, difference in species.items():
            if np.all(difference == 0.0):
                untouched += 1
                assert np.all(remodelled.effect_difference[layer][name] == 0.0), (layer, name)
    assert untouched > 0


def test_a_course_that_resolves_fibrosis_restores_the_strain(tmp_path: Path) -> None:
    model = tmp_path / "resolving_fibrosis.yaml"
    model.write_text(RESOLVING)
    overrides = [
        *CONFINED,
        "schedule.days=3",
        f"biology.models=[{model}]",
        "biology.initial_state=fibrotic",
        "biology.remodelling={every: 1 day}",
    ]
    scenario = load_config(CONFIG, overrides)
    result = run(scenario)
    updates = result.biology.remodelling
    assert updates is not None
    np.testing.assert_array_equal(updates.time, [0.0, 86400.0, 172800.0])
    for layer in scenario.tissue.layers:
        healthy = _constrained_strain(layer)
        strain = updates.layer_strain[layer.name]
        factor = updates.layer_factor[layer.name]
        assert strain[0] == pytest.approx(healthy / 2.0**1.91, rel=1e-8)  # fibrotic: stiff
        assert np.all(np.diff(factor) < 0) and np.all(np.diff(strain) > 0)  # resolving
        assert strain[-1] == pytest.approx(healthy, rel=5e-3)  # restored
    # the biology saw it: collagen back near 1 after the last session
    assert result.biology.layers["fascia"]["collagen"][-1, 0] < 1.001


def test_exponent_zero_is_the_plain_course(tmp_path: Path) -> None:
    base = [*CONFINED, "schedule.days=2", "biology.initial_state=chronic_overuse"]
    plain = run(load_config(CONFIG, base))
    scenario = load_config(CONFIG, [*base, "biology.remodelling={every: 1 day, exponent: 0}"])
    result, path = run_to_directory(scenario, tmp_path / "run", figures=False, report=False)
    updates = result.biology.remodelling
    assert updates is not None and np.all(updates.cell_factor == 1.0)
    assert updates.resolved.tolist() == [False, True]  # the start reuses the first solve
    np.testing.assert_allclose(
        updates.cell_strain[1], plain.stimulus.features["effective_strain_peak"], rtol=1e-10
    )
    for layer, species in plain.biology.layers.items():
        for name, values in species.items():  # restarts at t_1: integrator tolerance
            np.testing.assert_allclose(
                result.biology.layers[layer][name], values, rtol=1e-3, atol=1e-8
            )
    back = read_result(path).biology
    assert back is not None and back.remodelling is not None
    np.testing.assert_array_equal(back.remodelling.time, updates.time)
    np.testing.assert_array_equal(back.remodelling.cell_factor, updates.cell_factor)
    np.testing.assert_array_equal(
        back.remodelling.layer_strain["fascia"], updates.layer_strain["fascia"]
    )
    assert back.remodelling.settings["exponent"] == 0.0


def test_reference_initial_starts_from_the_presets_stiffness() -> None:
    """``reference: initial``: the presets describe the tissue at the start (factor 1, no
    re-solve at t = 0); the factor then follows the collagen relative to its start."""
    overrides = [
        *CONFINED,
        "schedule.days=2",
        "biology.initial_state=chronic_overuse",
        "biology.remodelling={every: 1 day, reference: initial}",
    ]
    result = run(load_config(CONFIG, overrides))
    updates = result.biology.remodelling
    assert updates is not None
    assert updates.resolved.tolist() == [False, True]
    assert np.all(updates.cell_factor[0] == 1.0)
    collagen = result.biology.fields["collagen"][0]  # end of day 1
    np.testing.assert_allclose(updates.cell_factor[1], (collagen / 1.8) ** 1.91, rtol=0.021)


@pytest.mark.parametrize(
    ("setting", "key"),
    [
        ("biology.remodelling={layers: [tendon]}", "biology.remodelling.layers"),
        ("biology.remodelling={every: -1 day}", "biology.remodelling.every"),
        ("biology.remodelling={reference: yesterday}", "biology.remodelling.reference"),
    ],
)
def test_bad_settings_name_the_key(setting: str, key: str) -> None:
    with pytest.raises(InputError) as caught:
        run(load_config(CONFIG, [*CONFINED, "schedule.days=1", setting]))
    assert caught.value.key == key
    assert "static_compression.yaml" in str(caught.value)


def test_models_without_collagen_cannot_remodel() -> None:
    overrides = [
        *CONFINED,
        "schedule.days=1",
        "biology.models=[macrophage_polarisation]",
        "biology.remodelling={every: 1 day}",
    ]
    with pytest.raises(InputError) as caught:
        run(load_config(CONFIG, overrides))
    assert caught.value.key == "biology.remodelling.collagen"


def test_a_fibrotic_layer_strains_less_at_finite_strain() -> None:
    """The same confined compression with the finite-strain laws: the stiff fascia
    strains little, so its strain scales by 1/s to within 1 %; the other layers carry
    the same stress and keep their strain."""
    base = [
        *[c for c in CONFINED if not c.startswith("mechanics.")],
        "mechanics.model=hyperelastic",
        "schedule.days=1",
        "biology.initial_state=chronic_overuse",
    ]
    plain = run(load_config(CONFIG, base))
    remodelled = run(
        load_config(CONFIG, [*base, "biology.remodelling={every: 1 day, layers: [fascia]}"])
    )
    updates = remodelled.biology.remodelling
    assert updates is not None
    factor = 1.8**1.91
    for name in remodelled.mesh.layer_names:
        cells = _layer_cells(plain, name)
        before = plain.stimulus.features["effective_strain_peak"][cells].mean()
        after = updates.cell_strain[0, cells].mean()
        expected = before / factor if name == "fascia" else before
        assert after == pytest.approx(expected, rel=1e-2), name
