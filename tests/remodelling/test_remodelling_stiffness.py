"""Stiffness classes and scaled materials: the mechanics of a remodelled tissue.

Exact checks: scaling every modulus by s scales a small-strain displacement by 1/s; a
finite-strain body with its strain energy scaled by s under s times the load deforms
exactly as the unscaled body (W → sW, f → sf leaves the equilibrium unchanged).
"""

from __future__ import annotations

import numpy as np
import pytest

from tissue_sim import load_config
from tissue_sim.mechanics.hyperelastic import NeoHookean
from tissue_sim.mechanics.materials import LinearElasticMaterial
from tissue_sim.mechanics.session import MechanicsSettings, solve_session_mechanics
from tissue_sim.pipeline import _hyperelastic_materials, _materials, build_mesh
from tissue_sim.remodelling import ScaledMaterial, scaled_material, stiffness_classes

CONFIG = "configs/static_compression.yaml"
SMALL = ["mesh.size=coarse", "tissue.size=[4 cm, 4 cm]", "biology.enabled=false"]


def test_classes_group_cells_within_the_resolution() -> None:
    scenario = load_config(CONFIG, SMALL)
    mesh = build_mesh(scenario)
    rng = np.random.default_rng(7)
    factors = np.exp(rng.uniform(0.0, np.log(3.0), mesh.num_cells))
    volume = rng.uniform(0.5, 1.5, mesh.num_cells)
    classes = stiffness_classes(mesh, _materials(scenario), factors, volume, resolution=0.02)
    # each cell is solved with a factor within one class width of its own
    assert np.max(np.abs(np.log(classes.cell_factor / factors))) <= np.log(1.02)
    # each class belongs to one layer and holds the volume-weighted mean of its cells
    assert np.array_equal(classes.class_layer[classes.mesh.cell_layer], mesh.cell_layer)
    for index in range(len(classes.materials)):
        cells = classes.mesh.cell_layer == index
        mean = np.sum(volume[cells] * factors[cells]) / np.sum(volume[cells])
        assert classes.class_factor[index] == pytest.approx(mean, rel=1e-12)
        base = _materials(scenario)[int(classes.class_layer[index])]
        assert classes.materials[index].youngs_modulus == pytest.approx(
            mean * base.youngs_modulus, rel=1e-12
        )
    assert len(classes.materials) <= len(mesh.layer_names) * (np.log(3.0) / np.log(1.02) + 2)


def test_resolution_zero_is_one_class_per_layer_and_factor_one_changes_nothing() -> None:
    scenario = load_config(CONFIG, SMALL)
    mesh = build_mesh(scenario)
    materials = _materials(scenario)
    volume = np.ones(mesh.num_cells)
    factors = 1.0 + 0.1 * mesh.cell_layer + 0.01 * (np.arange(mesh.num_cells) % 3)
    classes = stiffness_classes(mesh, materials, factors, volume, resolution=0.0)
    assert len(classes.materials) == len(mesh.layer_names)
    for layer in range(len(mesh.layer_names)):
        cells = mesh.cell_layer == layer
        assert classes.class_factor[layer] == pytest.approx(factors[cells].mean(), rel=1e-12)
    same = stiffness_classes(mesh, materials, np.ones(mesh.num_cells), volume)
    assert same.unchanged and same.mesh is mesh and same.materials == tuple(materials)
    with pytest.raises(ValueError, match="positive"):
        stiffness_classes(mesh, materials, np.zeros(mesh.num_cells), volume)


def test_scaled_material_scales_energy_stress_and_tangent() -> None:
    base = NeoHookean(mu=1.2e3, bulk_modulus=60e3)
    scaled = scaled_material(base, 2.5)
    assert isinstance(scaled, ScaledMaterial)
    f = np.array([[1.1, 0.05, 0.0], [0.02, 0.95, 0.01], [0.0, 0.03, 0.97]])
    stress, tangent = base.isochoric_stress(f)
    s_stress, s_tangent = scaled.isochoric_stress(f)
    assert tangent is not None and s_tangent is not None
    np.testing.assert_allclose(s_stress, 2.5 * stress, rtol=1e-14)
    np.testing.assert_allclose(s_tangent, 2.5 * tangent, rtol=1e-14)
    assert scaled.isochoric_energy(f) == pytest.approx(2.5 * base.isochoric_energy(f))
    assert scaled.shear_modulus == pytest.approx(2.5 * base.shear_modulus)
    assert scaled.bulk_modulus == pytest.approx(2.5 * base.bulk_modulus)
    assert scaled.volumetric == base.volumetric
    linear = scaled.small_strain_material()
    assert linear.shear_modulus == pytest.approx(2.5 * base.shear_modulus, rel=1e-12)
    assert scaled_material(scaled, 2.0).factor == pytest.approx(5.0)  # no nesting
    for law in _hyperelastic_materials(load_config(CONFIG, SMALL)):
        regime = getattr(law, "tangent_regime", None)
        labels = regime(f[None, None]) if callable(regime) else None
        forwarded = ScaledMaterial(law, 3.0).tangent_regime(f[None, None])
        assert (labels is None and forwarded is None) or np.array_equal(labels, forwarded)
    elastic = scaled_material(LinearElasticMaterial(1e3, 0.45), 3.0)
    assert isinstance(elastic, LinearElasticMaterial)
    assert elastic.youngs_modulus == pytest.approx(3e3) and elastic.poisson_ratio == 0.45


def _solve(scenario, mesh, materials, settings):
    return solve_session_mechanics(
        mesh, materials, scenario.loading.steps, settings, smallest_feature=0.005
    )


def test_uniform_factor_scales_the_small_strain_displacement_by_its_inverse() -> None:
    scenario = load_config(CONFIG, [*SMALL, "mechanics.model=linear", "mechanics.solver=direct"])
    mesh = build_mesh(scenario)
    materials = _materials(scenario)
    settings = MechanicsSettings(model="linear", solver="direct")
    plain = _solve(scenario, mesh, materials, settings)
    classes = stiffness_classes(mesh, materials, np.full(mesh.num_cells, 2.0), plain.cell_volume)
    stiff = _solve(scenario, classes.mesh, classes.materials, settings)
    scale = np.abs(plain.displacement).max()
    np.testing.assert_allclose(stiff.displacement, plain.displacement / 2.0, atol=1e-9 * scale)


def test_scaled_finite_strain_body_under_scaled_load_deforms_the_same() -> None:
    # the default tangent reuse: the scaled laws must forward their branch labels
    settings = MechanicsSettings(model="hyperelastic", newton_rtol=1e-8, solver="direct")
    scenario = load_config(CONFIG, [*SMALL, "loading.pressure=2 kPa", "loading.frames=2"])
    doubled = load_config(CONFIG, [*SMALL, "loading.pressure=4 kPa", "loading.frames=2"])
    mesh = build_mesh(scenario)
    materials = _hyperelastic_materials(scenario)
    plain = _solve(scenario, mesh, materials, settings)
    classes = stiffness_classes(mesh, materials, np.full(mesh.num_cells, 2.0), plain.cell_volume)
    stiff = _solve(doubled, classes.mesh, classes.materials, settings)
    scale = np.abs(plain.displacement).max()
    np.testing.assert_allclose(stiff.displacement, plain.displacement, atol=1e-6 * scale)
