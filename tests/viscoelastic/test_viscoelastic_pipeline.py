"""Viscoelastic layers through the pipeline (``mechanics.viscoelastic``).

A thumb holds 20 kPa on the lumbar stack (configs/static_compression.yaml, small strain,
coarse mesh). With the layers' Prony series (fat g1 = 0.39, τ = 700 s, Sims et al. 2010;
muscle g1 = 0.549, τ = 6.01 s, Bosboom et al. 2001; FACTS §2) the hold starts at the
instantaneous elastic solution (the presets' moduli: they are instantaneous ones, from
elastography, FACTS §2, §9; the closed-form t = 0 limit of the Prony law) and creeps
towards the relaxed one (shear moduli μ∞ = g∞ μ0, bulk moduli unchanged) as it is held;
the frames carry the technique's real times. Without the key, or with it false, the run is today's.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from tissue_sim import load_config
from tissue_sim.cli import main
from tissue_sim.errors import InputError
from tissue_sim.io import read_result
from tissue_sim.loading import smallest_load_feature
from tissue_sim.mechanics.materials import LinearElasticMaterial
from tissue_sim.mechanics.session import MechanicsSettings, solve_session_mechanics
from tissue_sim.mechanics.viscoelastic import tissue_prony
from tissue_sim.pipeline import _materials as layer_materials
from tissue_sim.pipeline import build_mesh, prepare, run, run_to_directory
from tissue_sim.viz.report import render_report

CONFIG = "configs/static_compression.yaml"
COARSE = [
    "mesh.size=coarse",
    "mechanics.model=linear",
    "mechanics.solver=direct",
    "biology.enabled=false",
    "output.figures=false",
    "output.report=false",
]
VISCO = [*COARSE, "mechanics.viscoelastic.max_step=5 s"]


def _depth(displacement: np.ndarray) -> np.ndarray:
    """Deepest indentation of every frame [m]."""
    return np.abs(displacement[..., 2]).max(axis=1)


def test_a_held_thumb_creeps_from_the_instantaneous_solution(tmp_path: Path) -> None:
    scenario = load_config(CONFIG, VISCO)
    result, h5 = run_to_directory(scenario, tmp_path / "run")
    mechanics = result.mechanics
    times = scenario.loading.steps[0].frames().frame_times
    np.testing.assert_array_equal(mechanics.frame_time, times)  # the technique's real times
    assert times[-1] - times[0] >= 30.0  # a held technique
    assert mechanics.solver["method"] == "viscoelastic"
    depth = _depth(mechanics.displacement)
    assert np.all(np.diff(depth) > 0.0)  # it deepens while held
    assert depth[-1] > 1.02 * depth[0]  # muscle (τ = 6 s) creeps over the 40-s hold
    # the first frame is the instantaneous elastic solution: the presets' moduli (μ0)
    mesh = build_mesh(scenario)
    presets = layer_materials(scenario)
    series = tissue_prony(scenario.tissue.layers, mesh.layer_names)

    def elastic(materials: list[LinearElasticMaterial]) -> np.ndarray:
        return solve_session_mechanics(
            mesh,
            materials,
            scenario.loading.steps,
            MechanicsSettings(model="linear", solver="direct"),
            smallest_feature=smallest_load_feature(scenario.loading.techniques),
        ).displacement

    instantaneous = elastic(presets)
    scale = np.abs(instantaneous[0]).max()
    np.testing.assert_allclose(mechanics.displacement[0], instantaneous[0], atol=1e-8 * scale)
    # the relaxed elastic hold (μ∞ = g∞ μ0 per layer) is deeper than any frame of a 40-s
    # viscoelastic one
    relaxed = elastic(
        [
            LinearElasticMaterial.from_moduli(m.shear_modulus * p.long_term, m.bulk_modulus)
            for m, p in zip(presets, series, strict=True)
        ]
    )
    assert _depth(relaxed).min() > depth[-1] > depth[0]
    # result.h5 keeps the frames' times and the method
    stored = read_result(h5)
    np.testing.assert_array_equal(stored.mechanics.frame_time, times)
    assert stored.mechanics.solver["method"] == "viscoelastic"
    assert "Viscoelastic layers" in render_report(result)  # the report says so


def test_viscoelastic_off_is_todays_run() -> None:
    today = run(load_config(CONFIG, COARSE)).mechanics
    plain = run(load_config(CONFIG, [*COARSE, "mechanics.viscoelastic=false"]))
    off = plain.mechanics
    assert "Viscoelastic layers" not in render_report(plain)
    np.testing.assert_array_equal(off.displacement, today.displacement)
    np.testing.assert_array_equal(off.cell_strain, today.cell_strain)
    np.testing.assert_array_equal(off.frame_time, today.frame_time)
    assert off.solver["method"] == today.solver["method"] != "viscoelastic"


def test_check_accepts_finite_strain_viscoelasticity(capsys: pytest.CaptureFixture[str]) -> None:
    scenario = load_config(CONFIG, ["mechanics.viscoelastic=true"])
    assert scenario.mechanics.model == "hyperelastic"
    prepare(scenario)
    assert main(["check", CONFIG, "--set", "mechanics.viscoelastic=true"]) == 0
    # the layers' series come from the tissue preset (models/tissues/lumbar.yaml)
    layers = {layer.name: layer.viscoelastic for layer in scenario.tissue.layers}
    assert layers["adipose"].fractions == (0.39,) and layers["adipose"].times == (700.0,)
    assert layers["muscle"].fractions == (0.549,) and layers["muscle"].times == (6.01,)
    assert layers["skin"] is None and layers["fascia"] is None
    assert "Sims" in scenario.tissue.sources["layers.adipose.viscoelastic.times"]
    # the presets' moduli are the instantaneous ones (elastography), with the source
    assert layers["adipose"].moduli == layers["muscle"].moduli == "instantaneous"
    assert "elastography" in scenario.tissue.sources["layers.adipose.viscoelastic.moduli"]


@pytest.mark.parametrize(
    ("block", "key", "message"),
    [
        ("{fractions: [0.7, 0.5], times: [1 s, 2 s]}", "fractions", "sum to less than 1"),
        ("{fractions: [0.3], times: [-1 s]}", "times[0]", "expected a time > 0"),
        ("{fractions: [0.3], times: [1 s, 2 s]}", "times", "one relaxation time per fraction"),
        ("{fractions: [0.0], times: [1 s]}", "fractions[0]", "expected a fraction > 0"),
        ("{fractions: [0.3], times: [3]}", "times[0]", "unit"),
        ("{fractions: [0.3]}", "times", "required key is missing"),
        ("{fractions: [0.3], times: [1 s], tau: 2}", "tau", "unknown key"),
        (
            "{fractions: [0.3], times: [1 s], moduli: quasi-static}",
            "moduli",
            "expected one of instantaneous, relaxed",
        ),
        ("often", "", "expected false or a mapping"),
    ],
)
def test_bad_prony_entries_name_the_file_and_key(block: str, key: str, message: str) -> None:
    with pytest.raises(InputError, match=re.escape(message)) as info:
        load_config(CONFIG, [f"tissue.layers.adipose.viscoelastic={block}"])
    path = "tissue.layers.adipose.viscoelastic" + (f".{key}" if key else "")
    assert info.value.key == path
    assert "static_compression.yaml" in str(info.value.file)


def test_a_layer_can_be_made_elastic() -> None:
    scenario = load_config(CONFIG, ["tissue.layers.muscle.viscoelastic=false"])
    layers = {layer.name: layer.viscoelastic for layer in scenario.tissue.layers}
    assert layers["muscle"] is None and layers["adipose"] is not None


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("mechanics.viscoelastic.cycle=2", "unknown key"),
        ("mechanics.viscoelastic.cycles=0", "cycles"),
        ("mechanics.viscoelastic=often", "expected true, false or a mapping"),
    ],
)
def test_bad_viscoelastic_keys_name_the_key(override: str, message: str) -> None:
    with pytest.raises(InputError, match=message) as info:
        load_config(CONFIG, ["mechanics.model=linear", override])
    assert str(info.value.key).startswith("mechanics.viscoelastic")


def test_the_config_and_the_law_know_the_same_moduli_choices() -> None:
    from tissue_sim.config.viscoelastic import MODULI as CONFIG_MODULI
    from tissue_sim.mechanics.viscoelastic.prony import MODULI

    assert CONFIG_MODULI == MODULI == ("instantaneous", "relaxed")


def test_a_tissue_file_can_say_its_moduli_are_relaxed() -> None:
    """``moduli: relaxed`` in a layer's block reaches the Prony series the mechanics uses
    (then μ0 = preset / g∞: ``instantaneous_scale`` 1/0.61 for the fat)."""
    scenario = load_config(
        CONFIG,
        ["tissue.layers.adipose.viscoelastic={fractions: [0.39], times: [700 s], moduli: relaxed}"],
    )
    mesh_names = [layer.name for layer in scenario.tissue.layers]
    series = dict(zip(mesh_names, tissue_prony(scenario.tissue.layers, mesh_names), strict=True))
    assert series["adipose"].moduli == "relaxed"
    assert series["adipose"].instantaneous_scale == pytest.approx(1.0 / 0.61, rel=1e-12)
    assert series["muscle"].moduli == "instantaneous" and series["muscle"].relaxed_scale == (
        pytest.approx(1.0 - 0.549, rel=1e-12)
    )
