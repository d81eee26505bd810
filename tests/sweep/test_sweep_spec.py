"""Sweep files: the schema, and clear InputErrors for bad sweep files before anything runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from _sweep_files import BASE, sweep_mapping

from tissue_sim.cli import main
from tissue_sim.config import parse_override
from tissue_sim.errors import InputError
from tissue_sim.sweep import load_sweep, plan_sweep, run_sweep, sweep_from_mapping
from tissue_sim.sweep.spec import yaml_scalar

REPO = Path(__file__).resolve().parents[2]


def test_example_sweep_files_plan() -> None:
    grid = plan_sweep(load_sweep(REPO / "configs/sweeps/pressure_adipose_grid.yaml"))
    assert len(grid.runs) == 12 and len(grid.unique_hashes()) == 12
    assert grid.spec.axes[0].label == "loading.pressure [kPa]"
    sobol = load_sweep(REPO / "configs/sweeps/mechanobiology_sobol.yaml")
    assert len(sobol.axes) == 5 and sobol.design.kind == "sobol"
    assert {a.path.split(".")[0] for a in sobol.axes} == {"loading", "tissue", "biology"}


def test_schema_is_read_into_frozen_dataclasses() -> None:
    spec = sweep_from_mapping(
        sweep_mapping(
            parameters={
                "loading.pressure": ["5 kPa", "2e4 Pa"],
                "tissue.layers.adipose.thickness": {
                    "range": ["1 cm", "30 mm"],
                    "steps": 3,
                    "scale": "log",
                },
            },
            outputs=["mechanics.layer_stats.adipose.max_shear_strain.max"],
        ),
        file=str(REPO / "configs/sweeps/x.yaml"),
    )
    pressure, thickness = spec.axes
    assert (pressure.kind, pressure.unit, pressure.display_value("2e4 Pa")) == (
        "quantity",
        "kPa",
        20.0,
    )
    assert (thickness.low, thickness.high, thickness.steps, thickness.scale) == (1.0, 3.0, 3, "log")
    assert spec.base == BASE
    assert spec.fixed == (
        "mesh.size=coarse",
        "schedule.days=1",
        "tissue.size=[4 cm, 4 cm]",
        "mechanics.model=linear",
    )
    assert spec.outputs[0].name == "mechanics.layer_stats.adipose.max_shear_strain.max"
    assert spec.outputs[0].path.selector == "max" and spec.outputs[0].path.column == "max"
    with pytest.raises(AttributeError):
        spec.name = "other"  # type: ignore[misc]


@pytest.mark.parametrize(
    "value", [1e-05, 0.1, 3.0, -2.5e20, 7, "20 kPa", "true", "1e3", "coarse", "a: b", True]
)
def test_yaml_scalar_round_trips_through_overrides(value: Any) -> None:
    _, parsed = parse_override(f"key={yaml_scalar(value)}")
    assert parsed == value and type(parsed) is type(value)


def test_set_takes_lists_of_scalars_as_the_command_line_does() -> None:
    values = ["4 cm", "a, b", "x]", 1e-05, 7, True, "true", None]
    spec = sweep_from_mapping(sweep_mapping(set={"tissue.size": ["5 cm", "6 cm"], "x.y": values}))
    # list items are YAML scalars, JSON-quoted where the flow syntax would split them
    assert spec.fixed == (
        "tissue.size=[5 cm, 6 cm]",
        'x.y=[4 cm, "a, b", "x]", 1.0e-05, 7, true, "true", null]',
    )
    _, parsed = parse_override(spec.fixed[1])
    assert parsed == values and [type(v) for v in parsed] == [type(v) for v in values]
    with pytest.raises(InputError) as caught:
        sweep_from_mapping(sweep_mapping(set={"tissue.size": [["5 cm"]]}), file="s.yaml")
    assert caught.value.key == "set.tissue.size" and "list of scalars" in caught.value.message


def _error(data: dict[str, Any], tmp_path: Path) -> InputError:
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(InputError) as info:
        plan_sweep(load_sweep(path))
    assert info.value.file == str(path), info.value
    return info.value


@pytest.mark.parametrize(
    ("sections", "key", "words"),
    [
        ({"base": "missing.yaml"}, "base", "not found"),
        ({"sweeps": 3}, "sweeps", "unknown key"),
        ({"parameters": {}}, "parameters", "at least one"),
        ({"design": "random"}, "design", "grid, zip, latin_hypercube, sobol, morris"),
        ({"design": "sobol"}, "design", "needs samples"),
        (
            {"design": {"type": "sobol", "samples": 12}},
            "design.samples",
            "power of two",
        ),
        (
            {"design": {"type": "latin_hypercube", "samples": 4}},
            "parameters.loading.pressure.values",
            "range: [low, high]",
        ),
        (
            {"parameters": {"loading.pressure": {"values": ["1 kPa"], "range": [1, 2]}}},
            "parameters.loading.pressure",
            "either values",
        ),
        (
            {"parameters": {"loading.pressure": ["1 kPa", 2000]}},
            "parameters.loading.pressure.values",
            "mixes",
        ),
        (
            {"parameters": {"loading.pressure": ["1 kPa", "2 mm"]}},
            "parameters.loading.pressure.values[1]",
            "convertible to 'kPa'",
        ),
        (
            {"parameters": {"loading.pressure": {"range": ["9 kPa", "2 kPa"], "steps": 2}}},
            "parameters.loading.pressure.range",
            "low < high",
        ),
        (
            {"parameters": {"loading.pressure": {"range": ["1 kPa", "2 kPa"]}}},
            "parameters.loading.pressure.steps",
            "required",
        ),
        (
            {
                "design": "zip",
                "parameters": {
                    "loading.pressure": ["1 kPa", "2 kPa"],
                    "tissue.layers.adipose.thickness": ["1 cm"],
                },
            },
            "parameters",
            "same number of values",
        ),
        (
            {"parameters": {"mesh.size": ["coarse", "medium"]}},
            "parameters.mesh.size",
            "also fixed under set",
        ),
        ({"outputs": {"x": "biology.layer.fascia.il6.mean"}}, "outputs.x", "does not match"),
        ({"outputs": {"x": "biology.layers.fascia.il6.max"}}, "outputs.x", "unknown column"),
        ({"outputs": {"x": "mechanics.layer_stats.skin.pressure.peak.max"}}, "outputs.x", "frame"),
        ({"outputs": {"x": "biology.layers.fascia.il6.day_x.mean"}}, "outputs.x", "day<N>"),
        ({"outputs": {"bad name": "biology.layers.fascia.il6.mean"}}, "outputs.bad name", "name"),
    ],
)
def test_bad_sweep_structure_is_a_clear_error(
    sections: dict[str, Any], key: str, words: str, tmp_path: Path
) -> None:
    error = _error(sweep_mapping(**sections), tmp_path)
    assert error.key == key, error
    assert words in error.message, error


@pytest.mark.parametrize(
    ("sections", "key", "words"),
    [
        # an unknown parameter path
        ({"parameters": {"loading.presure": ["1 kPa"]}}, "parameters.loading.presure", "unknown"),
        ({"parameters": {"tissue.layers.adipos.thickness": ["1 cm"]}}, None, "no layer"),
        # a value with the wrong unit
        (
            {"parameters": {"loading.pressure": ["2 mm", "3 mm"]}},
            "parameters.loading.pressure",
            "expected a pressure",
        ),
        (
            {
                "parameters": {
                    "tissue.layers.adipose.thickness": {"range": [0.01, 0.02], "steps": 2}
                }
            },
            "parameters.tissue.layers.adipose.thickness",
            "add a unit",
        ),
        (
            {"parameters": {"biology.parameters.tgfb1_fibrosis.K_nope": [0.05]}},
            "parameters.biology.parameters.tgfb1_fibrosis.K_nope",
            "unknown cell-model parameter",
        ),
        (
            {"parameters": {"schedule.days": [1, 2.5]}, "set": {"mesh.size": "coarse"}},
            "parameters.schedule.days",
            "whole number",
        ),
        ({"set": {"mesh.size": "tiny"}}, "set.mesh.size", "coarse, medium, fine"),
        # outputs that do not exist in this scenario
        ({"outputs": {"x": "biology.layers.dermis.il6.mean"}}, "outputs.x", "no layer 'dermis'"),
        ({"outputs": {"x": "biology.layers.fascia.tgfb2.mean"}}, "outputs.x", "no species"),
        (
            {"outputs": {"x": "mechanics.layer_stats.fascia.strain.max"}},
            "outputs.x",
            "no mechanics quantity",
        ),
        (
            {"outputs": {"x": "stimulus.layer_stats.fascia.dose.max"}},
            "outputs.x",
            "no stimulus feature",
        ),
        (
            {"outputs": {"x": "biology.layers.fascia.il6.day3.mean"}},
            "outputs.x",
            "after the end of the course",
        ),
        (
            {"set": {"mesh.size": "coarse", "biology.enabled": False}},
            "outputs.tgfb1",
            "biology is disabled",
        ),
    ],
)
def test_bad_points_and_outputs_are_caught_before_any_run(
    sections: dict[str, Any], key: str | None, words: str, tmp_path: Path
) -> None:
    error = _error(sweep_mapping(**sections), tmp_path)
    if key is None:
        assert error.key is not None and error.key.startswith("parameters"), error
    else:
        assert error.key == key, error
    assert words in error.message, error


def test_a_point_error_names_the_design_point(tmp_path: Path) -> None:
    error = _error(
        sweep_mapping(
            parameters={
                "loading.pressure": ["10 kPa", "20 kPa"],
                "schedule.days": [1, 0],
            },
            set={"mesh.size": "coarse"},
        ),
        tmp_path,
    )
    assert error.key == "parameters.schedule.days"
    assert "design point 1 (loading.pressure=10 kPa, schedule.days=0)" in error.message
    assert "static_compression.yaml" in error.message


def test_nothing_runs_when_one_point_is_bad(tmp_path: Path) -> None:
    spec = sweep_from_mapping(
        sweep_mapping(parameters={"schedule.days": [1, 0]}, set={"mesh.size": "coarse"}),
        file="s.yaml",
    )
    with pytest.raises(InputError):
        run_sweep(spec, tmp_path / "out", workers=1, quiet=True)
    assert not (tmp_path / "out").exists()


MORRIS_AXIS = {"loading.pressure": {"range": ["5 kPa", "20 kPa"]}}


@pytest.mark.parametrize(
    ("design", "parameters", "key", "words"),
    [
        ("morris", MORRIS_AXIS, "design", "needs trajectories"),
        ({"type": "morris"}, MORRIS_AXIS, "design.trajectories", "required"),
        ({"type": "morris", "trajectories": 1}, MORRIS_AXIS, "design.trajectories", ">= 2"),
        ({"type": "morris", "trajectories": 2.5}, MORRIS_AXIS, "design.trajectories", "whole"),
        (
            {"type": "morris", "trajectories": 4, "levels": 5},
            MORRIS_AXIS,
            "design.levels",
            "even number of levels (e.g. 4 or 6)",
        ),
        ({"type": "morris", "trajectories": 4, "levels": 0}, MORRIS_AXIS, "design.levels", ">= 2"),
        (
            {"type": "morris", "trajectories": 4, "samples": 8},
            MORRIS_AXIS,
            "design.samples",
            "unknown key; known keys here: confidence, levels, resamples, seed, trajectories",
        ),
        (
            {"type": "morris", "trajectories": 4, "confidence": 1.5},
            MORRIS_AXIS,
            "design.confidence",
            "0.999",
        ),
        (
            {"type": "morris", "trajectories": 2000, "resamples": 100_000},
            MORRIS_AXIS,
            "design.resamples",
            "bootstrap draws",
        ),
        (
            {"type": "morris", "trajectories": 6000},
            MORRIS_AXIS,
            "design.trajectories",
            "1.2e+04 points, more than the limit of 10000",
        ),
        (
            {"type": "morris", "trajectories": 4},
            {"loading.pressure": ["5 kPa", "20 kPa"]},
            "parameters.loading.pressure.values",
            "a morris design samples ranges",
        ),
        (
            {"type": "morris", "trajectories": 4, "levels": 6},
            {"schedule.sessions_per_day": {"range": [1, 4], "integer": True}},
            "parameters.schedule.sessions_per_day.range",
            "at least 6 whole numbers in its range, got 4",
        ),
    ],
)
def test_bad_morris_options_exit_2_naming_the_file_and_the_key(
    design: Any,
    parameters: dict[str, Any],
    key: str,
    words: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "morris.yaml"
    path.write_text(
        yaml.safe_dump(sweep_mapping(parameters=parameters, design=design), sort_keys=False)
    )
    with pytest.raises(InputError) as caught:
        load_sweep(path)
    assert (caught.value.file, caught.value.key) == (str(path), key), caught.value
    assert words in caught.value.message, caught.value
    out = tmp_path / "out"
    assert main(["sweep", str(path), "-o", str(out), "--quiet"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and f"{path}: {key}: " in lines[0], lines
    assert not out.exists()


def test_a_morris_sweep_plans_trajectories_times_k_plus_1_runs() -> None:
    spec = sweep_from_mapping(
        sweep_mapping(
            parameters={
                "loading.pressure": {"range": ["5 kPa", "20 kPa"]},
                "tissue.layers.adipose.thickness": {"range": ["5 mm", "25 mm"]},
            },
            design={"type": "morris", "trajectories": 3, "levels": 4, "seed": 1},
        ),
        file=str(REPO / "configs/sweeps/x.yaml"),
    )
    plan = plan_sweep(spec)
    assert len(plan.runs) == 3 * (2 + 1)
    manifest = plan.manifest()
    assert manifest["design"]["trajectories"] == 3 and manifest["design"]["levels"] == 4
    assert all(len(point["unit"]) == 2 for point in manifest["points"])
    changed = [point["axis"] for point in manifest["points"]]
    assert changed[::3] == [-1, -1, -1] and sorted(changed[1:3]) == [0, 1]
