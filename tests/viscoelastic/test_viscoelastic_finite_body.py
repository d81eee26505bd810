"""Finite-strain viscoelastic layers in the body, against closed forms and elastic limits.

The layers' laws are wrapped by ``ViscoelasticLaw`` (Simo 1987 / Holzapfel 2000 QLV on
the isochoric stress; tissue_sim.mechanics.viscoelastic.finite) and a load history is
integrated in time by Newton (``solve_viscoelastic_finite``):

* a block under a held confined stretch (prescribed top, roller sides) is homogeneous,
  so its Cauchy stress relaxes in closed form: dev σ(t) = dev σ_iso (1 + Σ β_i
  e^{−t/τ_i}), the pressure U'(J) stays, for the fat (compression-stiffening) and the
  muscle (Ogden) laws with their Prony terms (fat g1 = 0.39, τ = 700 s, Sims 2010;
  muscle g1 = 0.549, τ = 6.01 s, Bosboom 2001; FACTS §2);
* at a small load the creep of a layered block equals the small-strain viscoelastic
  solution (``solve_viscoelastic``, an independent code path) with the laws' moduli;
* τ → 0 and τ → ∞ under a thumb-like follower pressure equal the elastic relaxed and
  instantaneous finite-strain solutions (``solve_frames``, the elastic path; the
  instantaneous law is the preset, the relaxed one the preset with its isochoric energy
  scaled by g∞).
"""

from __future__ import annotations

import numpy as np
import pytest
from _scaled import ScaledLaw

from tissue_sim.fem.dirichlet import DirichletCondition
from tissue_sim.geometry.block import BlockSpec, mesh_block
from tissue_sim.mechanics.body import SolidBody
from tissue_sim.mechanics.frames import FrameLoads, base_condition, skin_quadrature, solve_frames
from tissue_sim.mechanics.hyperelastic.compression_stiffening import CompressionStiffening
from tissue_sim.mechanics.hyperelastic.materials import NeoHookean, Ogden
from tissue_sim.mechanics.hyperelastic.volumetric import volumetric_energy
from tissue_sim.mechanics.newton import NewtonSettings
from tissue_sim.mechanics.viscoelastic import (
    PronySeries,
    solve_viscoelastic,
    solve_viscoelastic_finite,
    viscoelastic_laws,
)

FAT = PronySeries((0.39,), (700.0,))
MUSCLE = PronySeries((0.549,), (6.01,))
TIGHT = NewtonSettings(rtol=1e-10, initial_step=0.25)


def _deviator(tensor: np.ndarray) -> np.ndarray:
    trace = np.trace(tensor, axis1=-2, axis2=-1)
    return tensor - trace[..., None, None] / 3.0 * np.eye(3)


@pytest.mark.parametrize(
    ("law", "series", "element"),
    [
        (CompressionStiffening(748.5, 1.18, 748.5 * 500), FAT, "Q1"),
        (Ogden((1e3,), (8.0,), 1e3 * 100), MUSCLE, "Q1"),
        (Ogden((1e3,), (8.0,), 1e3 * 100), MUSCLE, "P2"),  # vertex pressure space
    ],
    ids=["fat", "muscle", "muscle-P2"],
)
def test_a_held_stretch_relaxes_in_closed_form(law, series: PronySeries, element: str) -> None:
    block = BlockSpec((0.01, 0.01), ("tissue",), (0.01,))
    mesh = mesh_block(block, element=element, size=2.5e-3, growth=1.0, min_layer_elements=2)
    body = SolidBody(mesh, viscoelastic_laws([law], [series], mesh.cell_layer))
    base = base_condition(mesh)
    fixed, values = base.fixed.copy(), base.values.copy()
    top = mesh.nodes_on_face("top")
    stretch = 0.8
    fixed[3 * top + 2] = True
    values[3 * top + 2] = (stretch - 1.0) * 0.01
    tau = series.times[0]
    times = np.concatenate([[0.0], tau * np.array([0.05, 0.2, 0.5, 1.0, 2.0, 4.0])])
    loads = FrameLoads.from_vectors(np.zeros((times.size, mesh.num_points, 3)))
    condition = DirichletCondition(fixed, values)
    solution, _ = solve_viscoelastic_finite(body, loads, times, condition, settings=TIGHT)
    f = np.diag([1.0, 1.0, stretch])[None, None]
    piola = law.isochoric_stress(f, tangent=False)[0][0, 0]
    iso = piola @ f[0, 0].T / stretch  # σ_iso = J⁻¹ P_iso Fᵀ
    pressure = volumetric_energy(law.volumetric, law.bulk_modulus, np.array([stretch]))[1][0]
    # the preset is the instantaneous law: g(t) = g∞ + g₁ e^(−t/τ) times its stress
    relax = series.long_term + series.fractions[0] * np.exp(-times / tau)
    stress = solution.fields.stress  # (K, m, 3, 3)
    expected_dev = _deviator(iso)[None, None] * relax[:, None, None, None]
    scale = np.abs(expected_dev).max()
    np.testing.assert_allclose(
        _deviator(stress), np.broadcast_to(expected_dev, stress.shape), atol=1e-9 * scale
    )
    mean = np.trace(stress, axis1=-2, axis2=-1) / 3.0
    expected_mean = np.trace(iso) / 3.0 * relax[:, None] + pressure
    np.testing.assert_allclose(mean, np.broadcast_to(expected_mean, mean.shape), rtol=1e-9)
    assert _deviator(stress)[-1, 0, 2, 2] / _deviator(stress)[0, 0, 2, 2] < 1.0 - 0.5 * (
        1 - series.long_term
    )  # it relaxed by most of its relaxing fraction


@pytest.fixture(scope="module")
def layered():
    block = BlockSpec((0.01, 0.01), ("adipose", "muscle"), (0.004, 0.006))
    return mesh_block(block, element="Q1", size=2.5e-3, growth=1.0, min_layer_elements=2)


def _top_pressure(mesh, pressure: float) -> np.ndarray:
    """Dead nodal forces of a uniform pressure on the top (Q1 tributary areas)."""
    top = mesh.nodes_on_face("top")
    xy = mesh.points[top, :2]
    factor = np.ones(top.size)
    for axis in range(2):
        grid = np.unique(np.round(xy[:, axis], 12))
        edges = np.concatenate([[grid[0]], 0.5 * (grid[1:] + grid[:-1]), [grid[-1]]])
        factor *= np.diff(edges)[np.searchsorted(grid, np.round(xy[:, axis], 12))]
    loads = np.zeros((mesh.num_points, 3))
    loads[top, 2] = -pressure * factor
    return loads


def test_small_load_creep_equals_the_small_strain_solution(layered) -> None:
    mesh = layered
    laws = [NeoHookean(mu=1e3, bulk_modulus=2.2e3), Ogden((2e3,), (6.0,), 4e3)]
    series = [PronySeries((0.39,), (20.0,)), MUSCLE]
    times = np.concatenate([[0.0], np.arange(1.0, 31.0, 1.0)])
    loads = np.broadcast_to(_top_pressure(mesh, 0.05), (times.size, mesh.num_points, 3))
    condition = base_condition(mesh)
    body = SolidBody(mesh, viscoelastic_laws(laws, series, mesh.cell_layer))
    finite, _ = solve_viscoelastic_finite(
        body, FrameLoads.from_vectors(loads), times, condition, settings=TIGHT
    )
    small = solve_viscoelastic(
        mesh, [law.small_strain_material() for law in laws], series, loads, times, condition
    )
    scale = np.abs(small.displacement).max()
    assert scale < 1e-6  # strains ~1e-5 over the 1-cm block: the small-load limit
    creep = np.abs(small.displacement[-1] - small.displacement[0]).max()
    assert creep > 0.1 * scale  # the block creeps substantially over the 30 s
    np.testing.assert_allclose(finite.displacement, small.displacement, atol=2e-4 * scale)


@pytest.mark.parametrize("tau", [1e-9, 1e9])
def test_elastic_limits_under_a_thumb(layered, tau: float) -> None:
    mesh = layered
    laws = [CompressionStiffening(748.5, 1.18, 748.5 * 500), Ogden((1e3,), (8.0,), 1e5)]
    series = [PronySeries((0.39,), (tau,)), PronySeries((0.549,), (tau,))]

    def thumb(points: np.ndarray) -> np.ndarray:  # smooth 300-Pa patch, radius 3 mm
        r2 = (points[:, 0] - 0.005) ** 2 + (points[:, 1] - 0.005) ** 2
        traction = np.zeros_like(points)
        traction[:, 2] = -300.0 * np.clip(1.0 - r2 / 0.003**2, 0.0, None) ** 2
        return traction

    quadrature = skin_quadrature(mesh, 0.003)
    times = np.array([0.0, 1.0, 2.0, 5.0])
    loads = FrameLoads.from_tractions(quadrature, [thumb], factors=np.ones((times.size, 1)))
    condition = base_condition(mesh)
    body = SolidBody(mesh, viscoelastic_laws(laws, series, mesh.cell_layer))
    visco, _ = solve_viscoelastic_finite(body, loads, times, condition, settings=TIGHT)
    one = FrameLoads.from_tractions(quadrature, [thumb])
    # the presets are the instantaneous laws; the relaxed ones have g∞ times their
    # isochoric energy (the volumetric part is elastic)
    instantaneous, _ = solve_frames(SolidBody(mesh, laws), one, condition, newton=TIGHT)
    scaled = [ScaledLaw(law, s.long_term) for law, s in zip(laws, series, strict=True)]
    relaxed, _ = solve_frames(SolidBody(mesh, scaled), one, condition, newton=TIGHT)
    scale = np.abs(relaxed.displacement).max()
    assert scale > 1e-4  # a finite strain: the indentation is a tenth of the fat
    difference = np.abs(instantaneous.displacement - relaxed.displacement).max()
    assert difference > 0.2 * scale
    # the first frame (a step from rest) is instantaneous whatever τ
    np.testing.assert_allclose(
        visco.displacement[0], instantaneous.displacement[0], atol=1e-7 * scale
    )
    limit = relaxed if tau < 1.0 else instantaneous
    for frame in visco.displacement[1:]:
        np.testing.assert_allclose(frame, limit.displacement[0], atol=1e-7 * scale)
    np.testing.assert_allclose(
        visco.fields.stress[-1],
        limit.fields.stress[0],
        atol=1e-6 * np.abs(limit.fields.stress).max(),
    )
