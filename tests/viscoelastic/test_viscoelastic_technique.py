"""A technique's load history in real time: holds creep, cycles show hysteresis.

Closed form for the cycles: under a harmonic stress of amplitude σ_a a standard linear
solid dissipates W = π σ_a² J''(ω) per cycle, J'' = −Im 1/M*(ω),
M*(ω) = M∞ + (M0 − M∞) iωτ/(1 + iωτ) (steady state). Layer parameters: fat g1 = 0.39,
τ = 700 s (Sims et al. 2010); muscle g1 = 0.549, τ = 6.01 s (Bosboom et al. 2001),
FACTS §2.
"""

from __future__ import annotations

import numpy as np
import pytest
from test_viscoelastic_block import PRESSURE, THICKNESS, _materials, _pressure_loads

from tissue_sim import load_config
from tissue_sim.geometry.block import BlockSpec, mesh_block
from tissue_sim.loading import smallest_load_feature
from tissue_sim.mechanics.frames import FrameLoads, base_condition, skin_quadrature
from tissue_sim.mechanics.materials import LinearElasticMaterial
from tissue_sim.mechanics.session import MechanicsSettings, solve_session_mechanics
from tissue_sim.mechanics.viscoelastic import (
    LoadHistory,
    PronySeries,
    layer_prony,
    solve_session_viscoelastic,
    solve_viscoelastic,
    technique_history,
    tissue_prony,
)
from tissue_sim.pipeline import _materials as layer_materials
from tissue_sim.pipeline import build_mesh

SMALL = ["mesh.size=coarse", "tissue.size=[4 cm, 4 cm]", "mechanics.model=linear"]


def test_history_carries_the_frames_at_their_real_times() -> None:
    scenario = load_config("configs/sustained_shear.yaml", SMALL)
    mesh = build_mesh(scenario)
    frames = scenario.loading.steps[0].frames()
    quadrature = skin_quadrature(mesh, smallest_load_feature(scenario.loading.techniques))
    history = technique_history(frames, quadrature, mesh.num_points, cycles=2, max_step=5.0)
    period = frames.cycle_period
    at_frames = history.frame_index >= 0
    expected = np.concatenate([frames.frame_times, frames.frame_times + period])
    np.testing.assert_allclose(history.times[at_frames], expected, atol=1e-12)
    loads = FrameLoads.from_technique(frames, quadrature, follower=False)
    np.testing.assert_allclose(history.factors[at_frames], np.tile(loads.factors, (2, 1)))
    assert history.times[-1] == pytest.approx(2 * period)
    assert np.max(np.diff(history.times)) <= 5.0 + 1e-12
    # linear between frames: the ramp 0 → 2 s is at half its load at 1 s
    ramp = technique_history(frames, quadrature, mesh.num_points, max_step=1.0)
    assert ramp.factors[ramp.times == 1.0, 0][0] == pytest.approx(0.5)


def test_a_myofascial_hold_creeps_and_an_elastic_one_does_not() -> None:
    scenario = load_config("configs/sustained_shear.yaml", SMALL)
    mesh = build_mesh(scenario)
    step = scenario.loading.steps[0]
    quadrature = skin_quadrature(mesh, smallest_load_feature(scenario.loading.techniques))
    history = technique_history(step.frames(), quadrature, mesh.num_points, max_step=2.0)
    materials = layer_materials(scenario)
    hold = np.flatnonzero(history.frame_index >= 1)[:2]  # start (2 s) and end (62 s) of the hold
    prony = layer_prony(mesh.layer_names)
    assert [p.terms for p in prony] == [
        1 if n in ("adipose", "muscle") else 0 for n in mesh.layer_names
    ]
    visco = solve_viscoelastic(
        mesh, materials, prony, history, None, base_condition(mesh), stored=hold
    )
    elastic = solve_viscoelastic(
        mesh,
        materials,
        [PronySeries()] * len(prony),
        history,
        None,
        base_condition(mesh),
        stored=hold,
    )
    depth = lambda frames: -frames.displacement[:, :, 2].min(axis=1)  # noqa: E731
    assert depth(elastic)[1] == pytest.approx(depth(elastic)[0], rel=1e-12)
    assert depth(visco)[1] > 1.01 * depth(visco)[0]  # the hold creeps by more than 1 %
    # the presets are instantaneous moduli: by the start of the hold (2 s) the muscle has
    # relaxed, so the tissue is softer than the elastic (instantaneous) one
    assert depth(visco)[0] > depth(elastic)[0]


def test_cycles_dissipate_the_standard_linear_solid_loss() -> None:
    mesh = mesh_block(
        BlockSpec((0.01, 0.01), ("adipose", "muscle"), THICKNESS),
        element="Q1",
        size=2.5e-3,
        growth=1.0,
    )
    series = PronySeries((0.5,), (0.5,))
    materials = _materials()
    period, cycles, per_cycle = 2.0, 8, 32
    times = np.arange(cycles * per_cycle + 1) * (period / per_cycle)
    factor = 0.5 * (1.0 - np.cos(2 * np.pi * times / period))  # kneading-like, 0 → 1 → 0
    patterns = _pressure_loads(mesh, 1)
    history = LoadHistory(times, factor[:, None], patterns, np.zeros(times.size, np.int64))
    frames = solve_viscoelastic(
        mesh, materials, [series, series], history, None, base_condition(mesh)
    )
    elastic = solve_viscoelastic(
        mesh, materials, [PronySeries()] * 2, history, None, base_condition(mesh)
    )

    def loop_area(result) -> float:
        last = slice(-per_cycle - 1, None)
        strain = result.cell_strain[last, 0, 2, 2]
        stress = result.cell_stress[last, 0, 2, 2]
        return float(abs(np.sum(0.5 * (stress[1:] + stress[:-1]) * np.diff(strain))))

    kappa, mu = materials[0].bulk_modulus, materials[0].shear_modulus
    m_inf = kappa + 4 / 3 * mu * series.long_term  # the material's μ is μ0
    m0 = kappa + 4 / 3 * mu
    omega = 2 * np.pi / period
    tau = series.times[0]
    modulus = m_inf + (m0 - m_inf) * 1j * omega * tau / (1 + 1j * omega * tau)
    expected = np.pi * (0.5 * PRESSURE) ** 2 * -np.imag(1.0 / modulus)
    assert loop_area(frames) == pytest.approx(expected, rel=0.02)
    assert loop_area(elastic) < 1e-9 * expected


def test_a_thumb_hold_starts_instantaneous_and_ends_relaxed() -> None:
    """A non-uniform load (thumb on the lumbar stack): the first frame is the elastic
    solution with the materials' moduli (μ0) and, after 60 relaxation times, the hold has
    relaxed to the elastic solution with μ∞ = g∞ μ0 — both computed by the session's
    elastic solver (an independent code path). Exact only with histories at the quadrature
    points."""
    scenario = load_config("configs/static_compression.yaml", [*SMALL, "mechanics.solver=direct"])
    mesh = build_mesh(scenario)
    materials = layer_materials(scenario)
    feature = smallest_load_feature(scenario.loading.techniques)
    quadrature = skin_quadrature(mesh, feature)
    frames = scenario.loading.steps[0].frames()
    history = technique_history(frames, quadrature, mesh.num_points, max_step=1.0)
    series = PronySeries((0.5,), (1.0,))
    visco = solve_viscoelastic(
        mesh,
        materials,
        [series] * len(materials),
        history,
        None,
        base_condition(mesh),
        stored=[0, history.times.size - 1],
    )
    settings = MechanicsSettings(model="linear", solver="direct")

    def elastic(scale: float) -> np.ndarray:
        stiff = [
            LinearElasticMaterial.from_moduli(scale * m.shear_modulus, m.bulk_modulus)
            for m in materials
        ]
        session = solve_session_mechanics(
            mesh, stiff, scenario.loading.steps, settings, smallest_feature=feature
        )
        return session.displacement[0]

    relaxed, instantaneous = elastic(series.long_term), elastic(1.0)
    scale = np.abs(relaxed).max()
    np.testing.assert_allclose(visco.displacement[0], instantaneous, atol=1e-8 * scale)
    np.testing.assert_allclose(visco.displacement[1], relaxed, atol=1e-8 * scale)
    assert np.abs(relaxed - instantaneous).max() > 0.1 * scale  # the two differ


def test_session_stage_with_viscoelastic_layers() -> None:
    """The session's mechanics stage: elastic layers give the elastic stage's frames,
    loads and reactions; the literature series make the hold's last frame deeper than its
    first loaded one; the base balances the normal load in every frame."""
    scenario = load_config("configs/sustained_shear.yaml", [*SMALL, "mechanics.solver=direct"])
    mesh = build_mesh(scenario)
    materials = layer_materials(scenario)
    feature = smallest_load_feature(scenario.loading.techniques)
    settings = MechanicsSettings(model="linear", solver="direct")
    steps = scenario.loading.steps
    elastic = solve_session_mechanics(mesh, materials, steps, settings, smallest_feature=feature)
    same = solve_session_viscoelastic(
        mesh,
        materials,
        steps,
        settings,
        smallest_feature=feature,
        prony=[PronySeries()] * len(materials),
    )
    scale = np.abs(elastic.displacement).max()
    np.testing.assert_allclose(same.displacement, elastic.displacement, atol=1e-8 * scale)
    np.testing.assert_allclose(same.frame_time, elastic.frame_time)
    assert same.cell_scalars.keys() <= elastic.cell_scalars.keys()
    prony = tissue_prony(scenario.tissue.layers, mesh.layer_names)
    visco = solve_session_viscoelastic(
        mesh, materials, steps, settings, smallest_feature=feature, prony=prony
    )
    depth = -visco.displacement[:, :, 2].min(axis=1)  # frames at 0, 2 (loaded) and 62 s
    assert depth[2] > 1.01 * depth[1]
    force = np.abs(elastic.applied_force).max()
    np.testing.assert_allclose(same.base_reaction, elastic.base_reaction, atol=1e-8 * force)
    np.testing.assert_allclose(same.applied_force, elastic.applied_force, atol=1e-12 * force)
    # the base carries the normal load (the roller sides take the shear)
    np.testing.assert_allclose(
        visco.base_reaction[:, 2], -visco.applied_force[:, 2], atol=1e-8 * force
    )


def test_all_cycles_of_a_session_accumulate_the_slow_creep() -> None:
    """``cycles: all`` integrates every hold of the 5-min session (4 holds of 66 s): fat
    (τ = 700 s, Sims 2010) keeps creeping from hold to hold, so the last hold's frames
    are deeper than a single hold's; it is the same as asking for those 4 cycles."""
    scenario = load_config(
        "configs/sustained_shear.yaml",
        [*SMALL, "mechanics.solver=direct", "mechanics.viscoelastic.cycles=all"],
    )
    assert scenario.mechanics.viscoelastic.cycles == 0
    steps = scenario.loading.steps
    assert steps[0].cycles_per_session == 4
    mesh = build_mesh(scenario)
    materials = layer_materials(scenario)
    feature = smallest_load_feature(scenario.loading.techniques)
    settings = MechanicsSettings(model="linear", solver="direct")

    def session(cycles: int):
        return solve_session_viscoelastic(
            mesh,
            materials,
            steps,
            settings,
            smallest_feature=feature,
            prony=tissue_prony(scenario.tissue.layers, mesh.layer_names),
            cycles=cycles,
            max_step=20.0,
        )

    every, four, one = session(0), session(4), session(1)
    np.testing.assert_array_equal(every.displacement, four.displacement)
    assert every.solver["cycles"] == 0
    depth = -every.displacement[:, :, 2].min(axis=1)
    single = -one.displacement[:, :, 2].min(axis=1)
    assert np.all(depth[1:] > 1.001 * single[1:])  # the loaded frames sit deeper


def test_a_single_frame_technique_warns_that_nothing_relaxes() -> None:
    """configs/injurious_static_hold.yaml: a 2-h hold with one frame, at 0 s. With
    viscoelastic layers its only frame is the instantaneous one (nothing after it is
    integrated), so the run says so instead of silently showing no creep."""
    from tissue_sim.mechanics.viscoelastic.session import SingleFrameWarning

    scenario = load_config(
        "configs/injurious_static_hold.yaml", [*SMALL, "mechanics.solver=direct"]
    )
    mesh = build_mesh(scenario)
    with pytest.warns(SingleFrameWarning, match=r"static_compression has one frame \(at 0 s\)"):
        solve_session_viscoelastic(
            mesh,
            layer_materials(scenario),
            scenario.loading.steps,
            MechanicsSettings(model="linear", solver="direct"),
            smallest_feature=smallest_load_feature(scenario.loading.techniques),
            prony=tissue_prony(scenario.tissue.layers, mesh.layer_names),
        )
