"""Finite-strain viscoelastic layers through the pipeline (``mechanics.viscoelastic``).

A thumb holds 20 kPa on the lumbar stack (configs/static_compression.yaml, finite strain,
coarse mesh, 6 x 6 cm), the layers' Prony series from the preset (fat g1 = 0.39, τ = 700 s, Sims
et al. 2010; muscle g1 = 0.549, τ = 6.01 s, Bosboom et al. 2001; FACTS §2). The presets'
moduli are instantaneous ones (elastography, FACTS §2, §9), so the hold starts at the
elastic finite-strain solution with the presets' laws (the t = 0 limit of the QLV law)
and creeps towards the relaxed one (the laws' isochoric energies scaled by g∞, bulk
unchanged) as it is held; with relaxation times short against the hold, its later
frames are that relaxed elastic solution.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from _scaled import ScaledLaw

from tissue_sim import load_config
from tissue_sim.loading import smallest_load_feature
from tissue_sim.mechanics.session import MechanicsSettings, solve_session_mechanics
from tissue_sim.mechanics.viscoelastic import PronySeries, solve_session_viscoelastic, tissue_prony
from tissue_sim.pipeline import build_mesh, prepare, run

CONFIG = "configs/static_compression.yaml"
COARSE = [
    "mesh.size=coarse",
    "tissue.size=[6 cm, 6 cm]",  # three times the thumb's diameter (CI cost)
    "biology.enabled=false",
    "output.figures=false",
    "output.report=false",
]


def _depth(displacement: np.ndarray) -> np.ndarray:
    return np.abs(displacement[..., 2]).max(axis=1)


def test_a_finite_strain_hold_creeps_from_the_instantaneous_solution() -> None:
    scenario = load_config(CONFIG, [*COARSE, "mechanics.viscoelastic.max_step=10 s"])
    assert scenario.mechanics.model == "hyperelastic"
    result = run(scenario)
    mechanics = result.mechanics
    assert mechanics.solver["method"] == "viscoelastic"
    assert mechanics.solver["model"] == mechanics.model == "hyperelastic"
    times = scenario.loading.steps[0].frames().frame_times
    np.testing.assert_array_equal(mechanics.frame_time, times)
    depth = _depth(mechanics.displacement)
    assert np.all(np.diff(depth) > 0.0)  # it deepens while held
    assert depth[-1] > 1.001 * depth[0]  # 0.16 % over 40 s in this narrow block
    mesh = build_mesh(scenario)
    laws = prepare(scenario).hyperelastic_materials
    assert laws is not None
    series = tissue_prony(scenario.tissue.layers, mesh.layer_names)
    settings = MechanicsSettings(model="hyperelastic", solver="direct")
    feature = smallest_load_feature(scenario.loading.techniques)
    # the instantaneous solution is the elastic run with the presets' laws
    instantaneous = solve_session_mechanics(
        mesh, laws, scenario.loading.steps, settings, smallest_feature=feature
    )
    scale = depth[0]
    # Newton stops at a 1e-3 relative residual in both solves
    np.testing.assert_allclose(
        mechanics.displacement[0], instantaneous.displacement[0], atol=2e-3 * scale
    )
    # with relaxation times short against the hold its later frames are the relaxed ones
    # (the viscous stress left after a step Δt ≫ τ is Σ β τ/Δt of the step's change)
    fast = [PronySeries(s.fractions, tuple(1e-3 for _ in s.times)) for s in series]
    tight = replace(settings, newton_rtol=1e-6)
    short = solve_session_viscoelastic(
        mesh,
        laws,
        scenario.loading.steps,
        tight,
        smallest_feature=feature,
        prony=fast,
        max_step=10.0,
    )
    relaxed = solve_session_mechanics(  # the presets' isochoric energies times g∞
        mesh,
        [ScaledLaw(law, s.long_term) for law, s in zip(laws, series, strict=True)],
        scenario.loading.steps,
        tight,
        smallest_feature=feature,
    )
    for frame in (1, 2):
        np.testing.assert_allclose(
            short.displacement[frame], relaxed.displacement[frame], atol=1e-5 * scale
        )
    np.testing.assert_allclose(  # its first frame is instantaneous whatever τ
        short.displacement[0], instantaneous.displacement[0], atol=2e-3 * scale
    )
    assert _depth(short.displacement)[0] < 0.97 * _depth(relaxed.displacement)[0]
    assert _depth(relaxed.displacement).min() > depth[-1]  # the relaxed hold is deeper
