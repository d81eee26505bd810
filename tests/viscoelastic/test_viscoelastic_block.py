"""Viscoelastic layers against closed forms: relaxation and creep of a confined block.

A block on a fixed base with roller sides is in confined compression under a uniform
top load: σ_zz is the same in every layer and each layer is a standard linear solid
with the constrained relaxation modulus M(t) = κ + (4/3) μ0 g(t),
g(t) = g∞ + g1 e^{−t/τ} (Prony series on the deviatoric part, tissue_sim.mechanics.
viscoelastic.prony). Closed forms:

* relaxation under a held strain ε: σ_zz(t) = M(t) ε;
* creep under a held pressure p: ε_zz(t) = −p [1/M∞ + (1/M0 − 1/M∞) e^{−t/τ_c}],
  τ_c = τ M0/M∞ (retardation time of the standard linear solid);
* elastic limits: τ → 0 gives the relaxed elastic solid (μ∞ = g∞ μ0), τ → ∞ the
  instantaneous one (μ0: the material's shear modulus, as the presets' elastography
  moduli, FACTS §2, §9).

Layer parameters: fat g1 = 0.39, τ = 700 s (Sims et al. 2010, FACTS §2); muscle
g1 = 0.549, τ = 6.01 s (Bosboom et al. 2001, FACTS §2).
"""

from __future__ import annotations

import numpy as np
import pytest

from tissue_sim.fem.dirichlet import DirichletCondition
from tissue_sim.geometry.block import BlockSpec, mesh_block
from tissue_sim.mechanics.frames import base_condition
from tissue_sim.mechanics.materials import LinearElasticMaterial
from tissue_sim.mechanics.viscoelastic import (
    LAYER_PRONY,
    PronySeries,
    layer_prony,
    solve_viscoelastic,
)
from tissue_sim.mechanics.viscoelastic.prony import step_coefficients

THICKNESS = (0.004, 0.006)  # adipose over muscle [m]
PRESSURE = 2e3  # [Pa]


@pytest.fixture(scope="module")
def mesh():
    block = BlockSpec((0.01, 0.01), ("adipose", "muscle"), THICKNESS)
    return mesh_block(block, element="Q1", size=2.5e-3, growth=1.0, min_layer_elements=2)


def _pressure_loads(mesh, frames: int) -> np.ndarray:
    """Consistent nodal forces of a uniform pressure on the top (Q1: tributary areas)."""
    top = mesh.nodes_on_face("top")
    xy = mesh.points[top, :2]
    loads = np.zeros((mesh.num_points, 3))
    for axis in range(2):
        grid = np.unique(np.round(xy[:, axis], 12))
        edges = np.concatenate([[grid[0]], 0.5 * (grid[1:] + grid[:-1]), [grid[-1]]])
        width = np.diff(edges)
        index = np.searchsorted(grid, np.round(xy[:, axis], 12))
        factor = width[index]
        loads[top, 2] = factor if axis == 0 else loads[top, 2] * factor
    loads[top, 2] *= -PRESSURE
    assert loads[:, 2].sum() == pytest.approx(-PRESSURE * 1e-4, rel=1e-12)
    return np.broadcast_to(loads, (frames, *loads.shape)).copy()


def _materials(nu: float = 0.3, mu: float = 1e3) -> list[LinearElasticMaterial]:
    return [LinearElasticMaterial(2 * mu * (1 + nu), nu)] * 2


def _layer_strain(mesh, frames) -> np.ndarray:
    """ε_zz per frame and layer, checking it is uniform in the layer."""
    out = np.empty((frames.times.size, 2))
    for layer in range(2):
        values = frames.cell_strain[:, mesh.cell_layer == layer, 2, 2]
        np.testing.assert_allclose(values, np.broadcast_to(values[:, :1], values.shape), rtol=1e-8)
        out[:, layer] = values[:, 0]
    return out


def test_step_coefficients_and_relaxation_function() -> None:
    series = PronySeries((0.39,), (700.0,))
    assert series.relaxation(0.0) == pytest.approx(1.0)
    assert series.relaxation(1e9) == pytest.approx(0.61)
    decay, gamma = step_coefficients(np.array([700.0]), 0.0)
    assert decay[0] == 1.0 and gamma[0] == 1.0
    decay, gamma = step_coefficients(np.array([1e-12, 1e12]), 10.0)
    np.testing.assert_allclose(decay, [0.0, 1.0], atol=1e-10)
    np.testing.assert_allclose(gamma, [0.0, 1.0], atol=1e-10)
    # the recurrence is exact for a strain ramp: h(t) = τ ė (1 − e^{−t/τ})
    tau, rate, dt = 5.0, 0.01, 0.7
    h, e = 0.0, 0.0
    d, g = step_coefficients(np.array([tau]), dt)
    for _ in range(20):
        h = d[0] * h + g[0] * rate * dt
        e += rate * dt
    assert h == pytest.approx(tau * rate * (1 - np.exp(-20 * dt / tau)), rel=1e-13)
    assert LAYER_PRONY["adipose"].fractions == (0.39,) and LAYER_PRONY["muscle"].times == (6.01,)
    assert [p.terms for p in layer_prony(["skin", "adipose", "fascia", "muscle"])] == [0, 1, 0, 1]


def test_relaxation_of_a_held_strain_is_exact(mesh) -> None:
    nu, mu0 = 0.3, 1e3  # the material's modulus is the instantaneous one
    series = PronySeries((0.5,), (10.0,))
    materials = _materials(nu, mu0)
    height = sum(THICKNESS)
    squeeze = 1e-4  # [m]
    condition = base_condition(mesh, "roller")
    fixed = condition.fixed.copy()
    values = condition.values.copy()
    top = mesh.nodes_on_face("top")
    fixed[3 * top + 2] = True
    values[3 * top + 2] = -squeeze
    times = np.array([0.0, 1.0, 2.0, 5.0, 10.0, 20.0, 40.0, 100.0])
    frames = solve_viscoelastic(
        mesh,
        materials,
        [series, series],
        np.zeros((times.size, mesh.num_points, 3)),
        times,
        DirichletCondition(fixed, values),
    )
    strain = -squeeze / height
    np.testing.assert_allclose(frames.cell_strain[..., 2, 2], strain, rtol=1e-9)
    kappa = materials[0].bulk_modulus
    expected = (kappa + 4.0 / 3.0 * mu0 * series.relaxation(times)) * strain
    stress = frames.cell_stress[..., 2, 2]
    np.testing.assert_allclose(stress, np.broadcast_to(expected[:, None], stress.shape), rtol=1e-9)
    assert frames.factorisations == 7  # Δt = 0 and six distinct steps


def _creep(t: np.ndarray, kappa: float, mu0: float, series: PronySeries) -> np.ndarray:
    m0 = kappa + 4.0 / 3.0 * mu0
    m_inf = kappa + 4.0 / 3.0 * mu0 * series.long_term
    retardation = series.times[0] * m0 / m_inf
    return -PRESSURE * (1 / m_inf + (1 / m0 - 1 / m_inf) * np.exp(-t / retardation))


def test_creep_under_a_held_pressure_converges_to_the_closed_form(mesh) -> None:
    series = PronySeries((0.5,), (10.0,))
    materials = _materials()
    kappa, mu = materials[0].bulk_modulus, materials[0].shear_modulus
    errors = []
    for steps in (20, 40):
        times = np.linspace(0.0, 60.0, steps + 1)
        frames = solve_viscoelastic(
            mesh,
            materials,
            [series, series],
            _pressure_loads(mesh, times.size),
            times,
            base_condition(mesh, "roller"),
        )
        assert frames.factorisations == 2  # Δt = 0, then one uniform step
        strain = _layer_strain(mesh, frames)
        exact = _creep(times, kappa, mu, series)
        assert strain[0, 0] == pytest.approx(exact[0], rel=1e-9)  # instantaneous response
        creep = exact - exact[0]
        errors.append(np.max(np.abs(strain[:, 0] - exact)) / np.max(np.abs(creep)))
    assert errors[0] < 5e-3
    assert errors[0] / errors[1] > 3.5  # second order in Δt


def test_layers_creep_with_their_own_times_in_a_hold(mesh) -> None:
    """A 60-s hold on fat over muscle with the literature series: the muscle has crept
    almost fully, the fat barely (each layer its own closed form)."""
    prony = layer_prony(mesh.layer_names)
    nu = 0.45
    materials = [
        LinearElasticMaterial(2 * 530.0 * (1 + nu), nu),  # fat μ0 = 0.53 kPa (Sims 2010)
        LinearElasticMaterial(2 * 15.6e3 * (1 + nu), nu),  # muscle μ0 = 15.6 kPa (Bosboom 2001)
    ]
    times = np.concatenate([np.arange(0.0, 10.0, 0.25), np.arange(10.0, 60.5, 1.0)])
    frames = solve_viscoelastic(
        mesh, materials, prony, _pressure_loads(mesh, times.size), times, base_condition(mesh)
    )
    strain = _layer_strain(mesh, frames)
    for layer in range(2):
        m = materials[layer]
        exact = _creep(times, m.bulk_modulus, m.shear_modulus, prony[layer])
        creep = exact - exact[0]
        error = np.max(np.abs(strain[:, layer] - exact)) / np.max(np.abs(creep))
        assert error < 2e-3, (mesh.layer_names[layer], error)
    fat_done = (strain[-1, 0] - strain[0, 0]) / (
        _creep(np.array([1e9]), materials[0].bulk_modulus, materials[0].shear_modulus, prony[0])[0]
        - strain[0, 0]
    )
    assert strain[-1, 1] < strain[0, 1] and strain[-1, 0] < strain[0, 0]  # both creep
    assert fat_done < 0.15  # fat: 60 s of a 700-s relaxation


@pytest.mark.parametrize("tau", [1e-9, 1e9])
def test_elastic_limits(mesh, tau: float) -> None:
    series = PronySeries((0.4,), (tau,))
    materials = _materials()
    times = np.array([0.0, 1.0, 3.0, 10.0])
    loads = _pressure_loads(mesh, times.size)
    frames = solve_viscoelastic(
        mesh, materials, [series, series], loads, times, base_condition(mesh)
    )
    mu = materials[0].shear_modulus * (series.long_term if tau < 1 else 1.0)
    elastic = [LinearElasticMaterial.from_moduli(mu, materials[0].bulk_modulus)] * 2
    reference = solve_viscoelastic(
        mesh, elastic, [PronySeries(), PronySeries()], loads, times, base_condition(mesh)
    )
    later = slice(1, None) if tau < 1 else slice(None)  # τ → 0: relaxed after the step
    scale = np.abs(reference.displacement).max()
    np.testing.assert_allclose(
        frames.displacement[later], reference.displacement[later], atol=1e-7 * scale
    )
    np.testing.assert_allclose(
        frames.cell_stress[later], reference.cell_stress[later], atol=1e-7 * PRESSURE
    )


def test_equal_sub_steps_share_one_factorisation(mesh) -> None:
    """Times on a 0.1-s grid (``0.1 k``: their differences take 6 distinct floats, as the
    sub-steps of a technique history do) need two factorisations, Δt = 0 and 0.1 s, and the
    held pressure still creeps as the closed form (the step is 0.1 s to 12 digits)."""
    series = PronySeries((0.5,), (1.0,))
    materials = _materials()
    times = 0.1 * np.arange(30)
    assert np.unique(np.diff(times)).size > 1
    frames = solve_viscoelastic(
        mesh,
        materials,
        [series, series],
        _pressure_loads(mesh, times.size),
        times,
        base_condition(mesh, "roller"),
    )
    assert frames.factorisations == 2
    strain = _layer_strain(mesh, frames)
    creep = _creep(times, materials[0].bulk_modulus, materials[0].shear_modulus, series)
    assert np.max(np.abs(strain[:, 0] - creep)) < 1e-2 * np.abs(creep[-1] - creep[0])


@pytest.mark.parametrize("tau", [1e-9, 1e9])
def test_relaxed_moduli_are_the_long_term_ones(mesh, tau: float) -> None:
    """``moduli="relaxed"`` (a layer whose moduli come from an equilibrium test): the
    material's shear modulus is μ∞, so τ → 0 gives the elastic solid with it and τ → ∞ the
    one with μ0 = μ∞/g∞ (g∞ = 0.6 here)."""
    series = PronySeries((0.4,), (tau,), "relaxed")
    materials = _materials()
    times = np.array([0.0, 1.0, 3.0])
    loads = _pressure_loads(mesh, times.size)
    frames = solve_viscoelastic(
        mesh, materials, [series, series], loads, times, base_condition(mesh)
    )
    mu = materials[0].shear_modulus / (0.6 if tau > 1 else 1.0)
    elastic = [LinearElasticMaterial.from_moduli(mu, materials[0].bulk_modulus)] * 2
    reference = solve_viscoelastic(
        mesh, elastic, [PronySeries(), PronySeries()], loads, times, base_condition(mesh)
    )
    later = slice(1, None) if tau < 1 else slice(None)
    scale = np.abs(reference.displacement).max()
    np.testing.assert_allclose(
        frames.displacement[later], reference.displacement[later], atol=1e-7 * scale
    )
