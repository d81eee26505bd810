"""The explorer's fast mechanics against direct solves of the same scenario.

* Small strain: superposition of the unit pressure and shear patterns is exact, so the
  strain at any (pressure, shear ratio) equals the session solve of that scenario to
  round-off — for a fixed patch and for a moving stroke.
* Finite strain: at a grid node the interpolated strain is the Newton solution (to its
  tolerance); between nodes PCHIP in pressure and linear interpolation in the shear ratio
  stay within a few per cent of the peak strain (the page states that the strain comes
  from a grid).

Small meshes (10 mm elements on a 6-cm forearm block) keep each finite-strain solve to
seconds.
"""

from __future__ import annotations

import numpy as np
import pytest

from tissue_sim.config import scenario_from_mapping
from tissue_sim.explore.controls import REFERENCE_PRESSURE, Controls, scenario_mapping
from tissue_sim.explore.mechanics import (
    FiniteStrainGrid,
    LinearPatterns,
    build_strain_model,
    proportional_frames,
    technique_patterns,
)
from tissue_sim.explore.model import preset_adipose_thickness
from tissue_sim.loading import smallest_load_feature
from tissue_sim.mechanics.session import MechanicsSettings, solve_session_mechanics
from tissue_sim.pipeline import build_mesh, prepare


def _scenario(technique: str, model: str, pressure: float, ratio: float, size: str = "10 mm"):
    controls = Controls(preset="forearm", technique=technique, days=2, session_minutes=5.0)
    mapping = scenario_mapping(
        controls,
        adipose_thickness=preset_adipose_thickness("forearm"),
        mechanics_model=model,
        pressure=pressure,
        shear_ratio=ratio,
    )
    mapping["mesh"]["size"] = size
    if technique in ("static_compression", "kneading", "sustained_shear", "cross_fibre_friction"):
        mapping["tissue"]["size"] = ["6 cm", "6 cm"]
    return scenario_from_mapping(mapping, file="<test>")


def _direct(scenario) -> np.ndarray:
    prepared = prepare(scenario)
    materials = prepared.hyperelastic_materials
    if materials is None:
        from tissue_sim.mechanics.session import layer_materials

        materials = layer_materials(scenario.tissue.layers, "linear")
    session = solve_session_mechanics(
        build_mesh(scenario),
        materials,
        scenario.loading.steps,
        MechanicsSettings(model=scenario.mechanics.model),
        smallest_feature=smallest_load_feature(scenario.loading.techniques),
    )
    return np.asarray(session.cell_strain)


@pytest.mark.parametrize("technique", ["sustained_shear", "effleurage"])
def test_linear_superposition_equals_the_direct_solve(technique: str) -> None:
    reference = _scenario(technique, "linear", REFERENCE_PRESSURE, 1.0)
    mesh = build_mesh(reference)
    patterns = technique_patterns(reference, mesh, 1.0)
    model = build_strain_model(reference, patterns)
    assert isinstance(model, LinearPatterns)
    pressure, ratio = 7.0e3, 0.3
    direct = _direct(_scenario(technique, "linear", pressure, ratio))
    superposed = model.strain(pressure, ratio)
    assert superposed.shape == direct.shape
    scale = np.abs(direct).max()
    assert scale > 1e-3  # a real load
    np.testing.assert_allclose(superposed, direct, rtol=0.0, atol=1e-9 * scale)


@pytest.fixture(scope="module")
def grid() -> FiniteStrainGrid:
    reference = _scenario("sustained_shear", "hyperelastic", REFERENCE_PRESSURE, 1.0)
    mesh = build_mesh(reference)
    patterns = technique_patterns(reference, mesh, 1.0)
    model = build_strain_model(reference, patterns, pressures=(4e3, 8e3), ratios=(0.0, 0.4))
    assert isinstance(model, FiniteStrainGrid)
    return model


def test_grid_node_is_the_newton_solution(grid: FiniteStrainGrid) -> None:
    assert grid.pressure_limit == 8e3
    direct = _direct(_scenario("sustained_shear", "hyperelastic", 8e3, 0.4))
    scale = np.abs(direct).max()
    assert scale > 0.05  # finite strain: several per cent
    np.testing.assert_allclose(grid.strain(8e3, 0.4), direct, rtol=0.0, atol=1e-4 * scale)
    assert np.all(grid.strain(0.0, 0.2) == 0.0)  # no load: the reference state


def test_grid_between_nodes_is_close_to_the_direct_solve(grid: FiniteStrainGrid) -> None:
    pressure, ratio = 6e3, 0.2
    direct = _direct(_scenario("sustained_shear", "hyperelastic", pressure, ratio))
    interpolated = grid.strain(pressure, ratio)
    scale = np.abs(direct).max()
    error = np.abs(interpolated - direct).max() / scale
    assert error < 0.03, f"interpolation error {error:.2%} of the peak strain"


@pytest.mark.parametrize(
    ("technique", "proportional"),
    [
        ("static_compression", True),
        ("kneading", True),  # one pattern times a raised cosine
        ("cross_fibre_friction", False),  # constant pressure, oscillating shear
        ("effleurage", False),  # a moving patch
    ],
)
def test_frames_of_one_scaled_pattern_are_recognised(technique: str, proportional: bool) -> None:
    reference = _scenario(technique, "linear", REFERENCE_PRESSURE, 1.0)
    patterns = technique_patterns(reference, build_mesh(reference), 1.0)
    found = proportional_frames(patterns)
    assert (found is not None) == proportional
    if found is not None:
        index, factors = found
        assert factors[index] == 1.0 and np.all((factors >= 0.0) & (factors <= 1.0))
        frames = reference.loading.steps[0].frames()
        if frames.basis_factors is not None:  # the technique's own load curve
            np.testing.assert_allclose(
                factors, frames.basis_factors[:, 0] / frames.basis_factors.max()
            )


def test_kneading_read_off_one_ladder_matches_its_frames() -> None:
    reference = _scenario("kneading", "hyperelastic", REFERENCE_PRESSURE, 1.0)
    patterns = technique_patterns(reference, build_mesh(reference), 1.0)
    grid = build_strain_model(reference, patterns, pressures=(2.5e3, 5e3, 10e3), ratios=(0.2,))
    assert isinstance(grid, FiniteStrainGrid) and grid.frame_factors is not None
    assert grid.strains.shape[2] == 1  # one ladder, not one per frame
    direct = _direct(_scenario("kneading", "hyperelastic", 10e3, 0.2))
    interpolated = grid.strain(10e3, 0.2)
    assert interpolated.shape == direct.shape
    scale = np.abs(direct).max()
    peak = int(np.argmax(grid.frame_factors))
    np.testing.assert_allclose(interpolated[peak], direct[peak], rtol=0.0, atol=1e-4 * scale)
    assert np.abs(interpolated - direct).max() < 0.03 * scale  # frames between the nodes


def test_a_cached_grid_reads_back_the_same(tmp_path) -> None:
    from tissue_sim.explore.model import _read_cache, _write_cache

    grid = FiniteStrainGrid(
        pressures=np.array([0.0, 5e3, 10e3]),
        ratios=np.array([0.0, 0.5]),
        strains=np.random.default_rng(1).normal(size=(2, 3, 1, 4, 3, 3)),
        reached=np.array([10e3, 5e3]),
        setup_seconds=1.0,
        frame_factors=np.array([0.0, 0.5, 1.0]),
    )
    path = tmp_path / "grid.npz"
    _write_cache(path, grid)
    back = _read_cache(path)
    assert isinstance(back, FiniteStrainGrid)
    assert back.pressure_limit == 5e3
    np.testing.assert_array_equal(back.strain(4e3, 0.3), grid.strain(4e3, 0.3))
    assert back.strain(4e3, 0.3).shape == (3, 4, 3, 3)
    path.write_bytes(b"not a grid")
    assert _read_cache(path) is None  # a damaged file is recomputed, not trusted
