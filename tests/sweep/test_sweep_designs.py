"""Design points: grid order, zip, Latin hypercube strata, Saltelli blocks, Morris
trajectories, seeds, scales."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from _sweep_files import sweep_mapping

from tissue_sim.sweep import build_design, sweep_from_mapping
from tissue_sim.sweep.spec import design_point_count


def _design(parameters: dict[str, Any], design: Any = "grid") -> Any:
    spec = sweep_from_mapping(sweep_mapping(parameters=parameters, design=design))
    return build_design(spec)


def test_grid_varies_the_first_axis_slowest_in_axis_units() -> None:
    design = _design(
        {
            "loading.pressure": ["5 kPa", "10 kPa"],
            "tissue.layers.adipose.thickness": ["1 cm", "15 mm", "2 cm"],
        }
    )
    assert [p.display for p in design.points] == [
        (5.0, 1.0),
        (5.0, 1.5),
        (5.0, 2.0),
        (10.0, 1.0),
        (10.0, 1.5),
        (10.0, 2.0),
    ]
    assert design.points[1].values == ("5 kPa", "15 mm")  # the values as written
    assert [p.index for p in design.points] == list(range(6))


def test_ranges_with_steps_and_log_scale() -> None:
    design = _design(
        {
            "tissue.layers.adipose.thickness": {
                "range": ["1 mm", "100 mm"],
                "steps": 3,
                "scale": "log",
            },
            "loading.frames": {"range": [1, 3], "steps": 3, "integer": True},
        },
        design="zip",
    )
    np.testing.assert_allclose(
        [p.display for p in design.points], [(1.0, 1.0), (10.0, 2.0), (100.0, 3.0)], rtol=1e-12
    )
    middle = design.points[1]
    assert middle.values == (f"{middle.display[0]!r} mm", 2)


def test_zip_pairs_the_values() -> None:
    design = _design(
        {"loading.pressure": ["5 kPa", "10 kPa"], "loading.frames": [2, 3]}, design="zip"
    )
    assert [p.values for p in design.points] == [("5 kPa", 2), ("10 kPa", 3)]
    assert {p.block for p in design.points} == {"zip"}


def test_latin_hypercube_has_one_point_per_stratum_and_a_seed() -> None:
    parameters = {
        "loading.pressure": {"range": ["0 kPa", "20 kPa"]},
        "tissue.layers.adipose.thickness": {"range": ["0 mm", "10 mm"]},
    }
    design = _design(parameters, {"type": "latin_hypercube", "samples": 10, "seed": 4})
    x = np.array([p.display for p in design.points])
    assert x.shape == (10, 2)
    assert sorted(np.floor(x[:, 0] / 2.0).astype(int)) == list(range(10))
    assert sorted(np.floor(x[:, 1] / 1.0).astype(int)) == list(range(10))
    again = _design(parameters, {"type": "latin_hypercube", "samples": 10, "seed": 4})
    other = _design(parameters, {"type": "latin_hypercube", "samples": 10, "seed": 5})
    assert again.points == design.points
    assert other.points != design.points
    # the YAML value carries the exact sampled magnitude in the axis unit
    assert design.points[0].values[0] == f"{float(x[0, 0])!r} kPa"


def test_sobol_design_follows_saltelli() -> None:
    parameters = {
        "loading.pressure": {"range": ["1 kPa", "20 kPa"]},
        "tissue.layers.adipose.thickness": {"range": ["5 mm", "25 mm"]},
        "biology.parameters.tgfb1_fibrosis.g_drain": {"range": [1.0, 100.0], "scale": "log"},
    }
    design = _design(parameters, {"type": "sobol", "samples": 8, "seed": 1})
    k = 3
    assert len(design.points) == 8 * (k + 2) and design.base_samples == 8
    for j in range(8):
        group = [p for p in design.points if p.sample == j]
        blocks = {(p.block, p.axis): np.array(p.display) for p in group}
        a, b = blocks[("A", -1)], blocks[("B", -1)]
        for i in range(k):
            mixed = blocks[("AB", i)]
            assert mixed[i] == b[i]
            assert np.all(np.delete(mixed, i) == np.delete(a, i))
    x = np.array([p.display for p in design.points])
    assert x[:, 2].min() >= 1.0 and x[:, 2].max() <= 100.0
    assert isinstance(design.points[0].values[2], float)  # a bare number stays bare


@pytest.mark.parametrize("kind", ["latin_hypercube", "sobol"])
def test_integer_axes_sample_whole_numbers_in_range(kind: str) -> None:
    design = _design(
        {"loading.frames": {"range": [1, 4], "integer": True}},
        {"type": kind, "samples": 16, "seed": 0},
    )
    values = {p.values[0] for p in design.points}
    assert values <= {1, 2, 3, 4} and len(values) >= 3
    assert all(isinstance(v, int) for v in values)


MORRIS_AXES = {
    "loading.pressure": {"range": ["2 kPa", "20 kPa"]},
    "tissue.layers.adipose.thickness": {"range": ["5 mm", "25 mm"]},
    "biology.parameters.tgfb1_fibrosis.g_drain": {"range": [1.0, 100.0], "scale": "log"},
}


def test_morris_design_is_trajectories_of_one_at_a_time_steps_on_the_grid() -> None:
    """Morris (1991): r trajectories of k + 1 points on a p-level grid, each step changing
    one parameter by Δ = p / (2 (p − 1)) = 2/3 for p = 4, every parameter once."""
    design_spec = {"type": "morris", "trajectories": 6, "levels": 4, "seed": 2}
    spec = sweep_from_mapping(sweep_mapping(parameters=MORRIS_AXES, design=design_spec))
    design = build_design(spec)
    r, k = 6, 3
    assert len(design.points) == r * (k + 1) == design_point_count(spec.design, spec.axes)
    assert design.base_samples == r and {p.block for p in design.points} == {"trajectory"}
    unit = np.array([p.unit for p in design.points])
    np.testing.assert_allclose(3.0 * unit, np.round(3.0 * unit), atol=1e-12)  # levels 0..1/3..1
    steps = np.diff(unit.reshape(r, k + 1, k), axis=1)
    moved = np.abs(steps) > 1e-12
    assert np.all(moved.sum(axis=2) == 1)  # one coordinate per step
    np.testing.assert_allclose(np.abs(steps[moved]), 2.0 / 3.0, rtol=1e-12)
    changed = np.argmax(moved, axis=2)
    assert np.all(np.sort(changed, axis=1) == np.arange(k))  # every parameter once
    recorded = np.array([p.axis for p in design.points]).reshape(r, k + 1)
    assert np.all(recorded[:, 0] == -1) and np.array_equal(recorded[:, 1:], changed)
    assert [p.sample for p in design.points] == [t for t in range(r) for _ in range(k + 1)]
    # the unit cube mapped onto each range: linear, linear, log
    x = np.array([p.display for p in design.points])
    np.testing.assert_allclose(x[:, 0], 2.0 + 18.0 * unit[:, 0], rtol=1e-12)
    np.testing.assert_allclose(x[:, 1], 5.0 + 20.0 * unit[:, 1], rtol=1e-12)
    np.testing.assert_allclose(x[:, 2], 100.0 ** unit[:, 2], rtol=1e-12)
    assert design.points[0].values[0] == f"{float(x[0, 0])!r} kPa"
    again = build_design(spec)
    other = build_design(
        sweep_from_mapping(sweep_mapping(parameters=MORRIS_AXES, design={**design_spec, "seed": 3}))
    )
    assert again.points == design.points and other.points != design.points


def test_morris_integer_axis_takes_one_whole_number_per_level() -> None:
    # 1..7 on 4 levels: 1 + floor(7 u) for u = 0, 1/3, 2/3, and 7 at u = 1
    design = _design(
        {"schedule.sessions_per_day": {"range": [1, 7], "integer": True}},
        {"type": "morris", "trajectories": 20, "seed": 0},
    )
    values = [p.values[0] for p in design.points]
    assert set(values) <= {1, 3, 5, 7} and len(set(values)) >= 3
    assert all(isinstance(v, int) for v in values)
