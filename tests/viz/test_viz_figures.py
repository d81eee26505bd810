"""The standard pictures: files, content, cut geometry, fields, and no memory growth."""

from __future__ import annotations

import dataclasses
import gc
from pathlib import Path

import numpy as np
import psutil
import pytest
from _standard_figures import STANDARD_FIGURES
from PIL import Image
from synthetic import LABELS, REPORT, synthetic_result

from tissue_sim.config import Scenario, load_config
from tissue_sim.errors import InputError
from tissue_sim.geometry.layer_statistics import stat
from tissue_sim.io import RunResult
from tissue_sim.pipeline import run
from tissue_sim.viz import key_numbers, resolve_field, write_figures
from tissue_sim.viz._grid import CutPlane, cut_section, interface_curves, snap_offset, volume_grid
from tissue_sim.viz._loads import skin_loads
from tissue_sim.viz._quantities import quantity_label
from tissue_sim.viz.fields import choose_cut, deformation_scale, peak_frame

REPOSITORY = Path(__file__).resolve().parents[2]


def _image(path: Path) -> np.ndarray:
    with Image.open(path) as picture:
        return np.asarray(picture.convert("RGB"), dtype=float)


def _polygon_area(polygon: np.ndarray) -> float:
    x, y = polygon[:, 0], polygon[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


def test_standard_figures_are_written(baseline_figures: list[Path]) -> None:
    """Every standard picture of a real run is written at a readable size (their content is
    checked against stored references in ``test_viz_regression.py``)."""
    assert [path.stem for path in baseline_figures] == list(STANDARD_FIGURES)
    for path in baseline_figures:
        height, width, _ = _image(path).shape
        assert width >= 900 and height >= 450, f"{path.name} is too small: {width}×{height}"


def test_cut_runs_through_the_centre_of_the_moving_patch(baseline_result: RunResult) -> None:
    """For the effleurage stroke the cut centre follows the patch along its path."""
    loads = skin_loads(baseline_result)
    assert loads.frames is not None and not loads.estimated
    mechanics = baseline_result.mechanics
    loaded = [k for k, frame in enumerate(loads.frames) if frame.loads]
    first, last = loaded[0], loaded[-1]
    start = choose_cut(baseline_result, first, loads)
    end = choose_cut(baseline_result, last, loads)
    # the path runs from x = -2 cm to +2 cm at y = 0; shear along x → an x–z cut
    assert start.normal_axis == 1 and end.normal_axis == 1
    assert start.centre[0] == pytest.approx(-0.02, abs=2e-3)
    assert end.centre[0] == pytest.approx(0.02, abs=2e-3)
    assert abs(start.centre[1]) < 1e-3
    # the peak frame is a loaded one and its cut lies between node planes
    frame = peak_frame(baseline_result)
    assert frame in loaded
    offset = choose_cut(baseline_result, frame, loads).offset
    assert not np.any(np.isclose(baseline_result.mesh.points[:, 1], offset, atol=1e-9))
    assert mechanics.cell_scalars["max_principal_strain"][frame].max() == pytest.approx(
        mechanics.cell_scalars["max_principal_strain"].max()
    )


def test_snap_offset_lands_between_node_planes() -> None:
    levels = np.array([0.0, 1.0, 2.0, 4.0])
    assert snap_offset(levels, 1.4) == pytest.approx(1.5)
    assert snap_offset(levels, 1.0) == pytest.approx(1.5)  # on a node plane: move off it
    assert snap_offset(levels, 3.9) == pytest.approx(3.0)
    assert snap_offset(levels, 9.0) == pytest.approx(3.0)  # outside: the last gap
    assert snap_offset(levels, -1.0) == pytest.approx(0.5)


def test_cut_covers_the_block_once(baseline_result: RunResult) -> None:
    """The undeformed cut tiles the block's side: area = width × height, no gaps or overlaps."""
    mesh = baseline_result.mesh
    grid = volume_grid(mesh)
    plane = CutPlane(1, snap_offset(mesh.points[:, 1], 0.0), (0.0, 0.0))
    section = cut_section(grid, plane)
    area = sum(_polygon_area(polygon) for polygon in section.polygons)
    width = np.ptp(mesh.points[:, 0])
    height = np.ptp(mesh.points[:, 2])
    assert area == pytest.approx(width * height, rel=1e-9)
    # every polygon carries the index of a cell the plane really cuts
    centres = mesh.points[mesh.linear_cells].mean(axis=1)
    spans = np.ptp(mesh.points[mesh.linear_cells][..., 1], axis=1)
    assert np.all(np.abs(centres[section.cell_ids, 1] - plane.offset) <= spans[section.cell_ids])


def test_interfaces_move_with_the_displacement(baseline_result: RunResult) -> None:
    mesh = baseline_result.mesh
    grid = volume_grid(mesh)
    plane = CutPlane(1, snap_offset(mesh.points[:, 1], 0.0), (0.0, 0.0))
    shift = np.zeros_like(mesh.points)
    shift[:, 2] = -1e-3 * mesh.points[:, 2] / mesh.points[:, 2].max()  # linear in z
    curves = interface_curves(grid, plane, mesh.interfaces, shift, scale=2.0)
    for height, curve in zip(mesh.interfaces, curves, strict=True):
        expected = height - 2.0 * 1e-3 * height / mesh.points[:, 2].max()
        assert np.allclose(curve[:, 1], expected, atol=1e-6)
        assert curve[0, 0] == pytest.approx(mesh.points[:, 0].min(), abs=1e-5)


def test_deformation_scale() -> None:
    large = np.array([[0.0, 0.0, -2e-3]])
    assert deformation_scale(large, 0.05) == 1.0  # 4 % of the height: true scale
    tiny = np.array([[0.0, 0.0, -1e-6]])
    factor = deformation_scale(tiny, 0.05)
    assert factor in {1000.0, 2000.0, 5000.0}
    assert 0.02 * 0.05 <= factor * 1e-6 <= 0.05 * 0.05
    assert deformation_scale(np.zeros((3, 3)), 0.05) == 1.0


def test_fields_by_name(baseline_result: RunResult) -> None:
    strain = resolve_field(baseline_result)
    assert strain.name == "max_principal_strain" and strain.unit == "%"
    frame = peak_frame(baseline_result)
    assert strain.frame == frame
    raw = baseline_result.mechanics.cell_scalars["max_principal_strain"][frame]
    assert np.allclose(strain.values, 100 * raw)
    stress = resolve_field(baseline_result, "von_mises_stress", frame=0)
    assert stress.unit == "kPa"
    assert np.allclose(
        stress.values, baseline_result.mechanics.cell_scalars["von_mises_stress"][0] / 1e3
    )
    biology = baseline_result.biology
    assert biology is not None
    # a derived quantity the macrophage model file declares (report: m2_fraction)
    share = resolve_field(baseline_result, "m2_fraction", time="1 d")
    m1, m2 = biology.fields["m1"][0], biology.fields["m2"][0]
    assert np.allclose(share.values, m2 / (m1 + m2)) and np.all(
        (share.values > 0) & (share.values < 1)
    )
    assert share.label == biology.species_labels["m2_fraction"]
    change = resolve_field(baseline_result, "tgfb1_active_change")
    start = biology.layers["skin"]["tgfb1_active"][0, 0]
    assert np.allclose(change.values, 100 * (biology.fields["tgfb1_active"][-1] - start) / start)
    assert change.diverging
    effect = resolve_field(baseline_result, "il6_effect", time="1 d")
    treated, untreated = biology.fields["il6"][0], biology.control_fields["il6"][0]
    assert np.allclose(effect.values, 100 * (treated / untreated - 1))
    assert effect.diverging and effect.unit == "%" and "untreated" in effect.label


@pytest.mark.parametrize(
    ("name", "frame", "time", "message"),
    [
        ("no_such_field", None, None, "no field 'no_such_field'"),
        (None, 999, None, "no frame 999"),
        ("il6", None, "9 d", "no biology field at 9 d"),
        ("il6", 0, None, "give --time"),
        ("max_shear_strain", None, "1 d", "give --frame"),
        ("il6", None, "2 mm", "expected a time"),
    ],
)
def test_field_mistakes_are_input_errors(
    baseline_result: RunResult, name: str | None, frame: int | None, time: str | None, message: str
) -> None:
    with pytest.raises(InputError, match=message):
        resolve_field(baseline_result, name, frame, time)


def test_key_numbers_match_the_layer_statistics(baseline_result: RunResult) -> None:
    numbers = {item.layer: item for item in key_numbers(baseline_result)}
    assert list(numbers) == list(baseline_result.mesh.layer_names)
    assert numbers["skin"].thickness == pytest.approx(3e-3)
    assert numbers["adipose"].thickness == pytest.approx(15e-3)
    for layer, item in numbers.items():
        stats = baseline_result.mechanics.layer_stats[layer]["max_principal_strain"]
        assert item.strain_p90 == pytest.approx(stat(stats, "p90").max())
        assert item.strain_max == pytest.approx(stat(stats, "max").max())
    # the soft adipose is strained far more than the stiff fascia
    assert numbers["adipose"].strain_p90 > 10 * numbers["fascia"].strain_p90


def test_load_frames_come_from_the_result_not_the_config(
    baseline_result: RunResult, baseline_scenario: Scenario
) -> None:
    """The stored frames are the ones the mechanics solved: same times, same resultants."""
    from tissue_sim.loading import frame_resultant

    broken = dataclasses.replace(baseline_result, config="", config_source="not: [yaml")
    loads = skin_loads(broken)
    assert loads.frames is not None and not loads.estimated
    mechanics = baseline_result.mechanics
    assert np.array_equal([frame.time for frame in loads.frames], mechanics.frame_time)
    # The frames the loading module builds for the scenario (nominal loads on the
    # reference skin): the stored ones are exactly these.
    scenario = baseline_scenario
    built = [frame for step in scenario.loading.steps for frame in step.frames().frames]
    assert len(built) == len(loads.frames)
    for stored, nominal in zip(loads.frames, built, strict=True):
        assert np.allclose(frame_resultant(stored), frame_resultant(nominal), rtol=1e-12)
    # Under finite strain the pressure follows the deformed skin, so the force the
    # mechanics applied differs from the nominal resultant by the change of the loaded
    # area; the linear solve applies exactly the nominal frames.
    if scenario.mechanics.model == "linear":
        for frame, force in zip(loads.frames, mechanics.applied_force, strict=True):
            assert np.allclose(
                frame_resultant(frame), force, rtol=0.02, atol=1e-6 * np.abs(force).max()
            )


def test_without_load_frames_the_loaded_area_is_estimated(
    baseline_result: RunResult, tmp_path: Path
) -> None:
    """A result written before format 3 (no ``/loading``) still gets its pictures."""
    broken = dataclasses.replace(baseline_result, loading=None)
    loads = skin_loads(broken)
    assert loads.frames is None and loads.estimated
    frame = peak_frame(broken)
    estimated = choose_cut(broken, frame, loads)
    exact = choose_cut(baseline_result, frame, skin_loads(baseline_result))
    assert estimated.normal_axis == exact.normal_axis
    assert np.hypot(*np.subtract(estimated.centre, exact.centre)) < 8e-3
    from tissue_sim.viz import plot_strain_cut, render_block

    assert plot_strain_cut(broken, tmp_path / "cut.png", loads=loads).is_file()
    written = render_block(broken, resolve_field(broken), tmp_path / "block.png", loads=loads)
    assert written is not None and written.is_file()


def _small_scenario(*overrides: str) -> Scenario:
    return load_config(
        REPOSITORY / "configs" / "static_compression.yaml",
        ["mesh.size=12 mm", "schedule.days=1", "biology.rtol=1e-4", *overrides],
    )


def test_one_strain_cut_per_technique_and_no_biology(tmp_path: Path) -> None:
    """Two techniques in a session and no cell models: one cut each, no biology pictures."""
    scenario = _small_scenario(
        "loading={techniques: [static_compression, {technique: sustained_shear}]}",
        "biology.enabled=false",
    )
    result = run(scenario)
    names = [path.name for path in write_figures(result, tmp_path)]
    assert names == [
        "strain_cut_1_static_compression.png",
        "strain_cut_2_sustained_shear.png",
        "block_3d.png",
        "strain_distributions.png",
    ]


def test_memory_does_not_grow_over_many_figure_sets(tmp_path: Path) -> None:
    """Plotters and figures are released: RSS stays flat over repeated picture sets.

    Measured on this machine: one plotter left open holds about 120 MiB (its EGL render
    window of 1400 × 900 pixels and VTK pipeline, whatever the mesh); with every plotter
    closed, RSS settles after two sets (font and colour-map caches) and then stays within
    1 MiB. A single leaked plotter per set would exceed the limit many times over. The
    pictures are those of the small synthetic run (no pipeline run, a tiny mesh: the cost
    is the drawing itself).
    """
    result = synthetic_result()
    process = psutil.Process()
    for _ in range(2):  # warm-up: first render, font caches, colour maps
        write_figures(result, tmp_path)
    gc.collect()
    before = process.memory_info().rss
    for _ in range(2):
        write_figures(result, tmp_path)
    gc.collect()
    growth = (process.memory_info().rss - before) / 2**20
    assert growth < 20.0, f"RSS grew by {growth:.1f} MiB over 2 picture sets"


def test_treatment_effects_are_treated_against_untreated(baseline_result: RunResult) -> None:
    from tissue_sim.viz.effect import effect_sentences, treatment_effects

    biology = baseline_result.biology
    assert biology is not None and biology.control is not None
    effects = treatment_effects(baseline_result)
    shown = biology.shown_species()
    assert [(e.layer, e.species) for e in effects] == [
        (layer, name) for layer in baseline_result.mesh.layer_names for name in shown
    ]
    for item in effects:
        if item.species in biology.derived:  # the M2 share: of the layer means
            m1, m2 = (biology.layers[item.layer][n][:, 0] for n in ("m1", "m2"))
            c1, c2 = (biology.control[item.layer][n][:, 0] for n in ("m1", "m2"))
            treated, untreated = m2 / (m1 + m2), c2 / (c1 + c2)
            assert item.treated == pytest.approx(treated[-1], rel=1e-12)
        else:
            treated = biology.layers[item.layer][item.species][:, 0]
            untreated = biology.control[item.layer][item.species][:, 0]
            assert item.treated == treated[-1] and item.untreated == untreated[-1]
        assert item.difference == pytest.approx(treated[-1] - untreated[-1], rel=1e-12)
        assert item.ratio == pytest.approx(treated[-1] / untreated[-1], rel=1e-12)
        # the largest effect over the course is at least the effect at the end
        assert item.largest_ratio is not None
        assert abs(item.largest_ratio - 1) >= abs(item.ratio - 1) - 1e-15  # type: ignore[operator]
    text = " ".join(effect_sentences(effects))
    lowered = min(effects, key=lambda e: e.percent)  # type: ignore[arg-type,return-value]
    assert f"{lowered.label} in the {lowered.layer} ({lowered.percent:+.3g} %)" in text


def test_model_declared_report_species_and_labels_are_used(
    baseline_result: RunResult, tmp_path: Path
) -> None:
    """What the model declares decides the species and their names (a user's own model)."""
    from tissue_sim.viz.effect import treatment_effects
    from tissue_sim.viz.effect_figures import plot_treated_vs_untreated

    biology = baseline_result.biology
    assert biology is not None
    declared = dataclasses.replace(
        biology, report_species=("tnfa", "il10"), species_labels={"tnfa": "tumour necrosis"}
    )
    custom = dataclasses.replace(baseline_result, biology=declared)
    effects = treatment_effects(custom)
    assert {e.species for e in effects} == {"tnfa", "il10"}
    assert {e.label for e in effects if e.species == "tnfa"} == {"tumour necrosis"}
    assert plot_treated_vs_untreated(custom, tmp_path / "effect.png").is_file()


def test_final_maps_are_against_the_untreated_control(baseline_result: RunResult) -> None:
    from tissue_sim.viz._quantities import cell_values
    from tissue_sim.viz.biology_figures import final_panels

    biology = baseline_result.biology
    assert biology is not None
    panels = final_panels(biology)
    assert len(panels) == 3
    for title, unit, values, diverging in panels:
        assert "treated vs untreated" in title and diverging and unit.endswith("[%]")
        name = next(
            n
            for n in biology.shown_species()
            if title == f"{quantity_label(biology, n)}: treated vs untreated"
        )
        last = biology.field_times.size - 1
        treated = cell_values(biology, name, last)
        untreated = cell_values(biology, name, last, control=True)
        assert np.allclose(values, 100 * (treated / untreated - 1))


def test_a_user_model_is_shown_by_its_own_declarations(tmp_path: Path) -> None:
    """The synthetic run's model (names no shipped model has) decides what is shown and
    how it is called, derived quantity included; nothing falls back to shipped names."""
    from tissue_sim.viz.effect import effect_table, treatment_effects
    from tissue_sim.viz.fields import available_fields

    result = synthetic_result()
    biology = result.biology
    assert biology is not None
    assert biology.shown_species() == REPORT
    effects = treatment_effects(result)
    assert [(e.layer, e.species) for e in effects] == [
        (layer, name) for layer in result.mesh.layer_names for name in REPORT
    ]
    for item in effects:
        assert item.label == LABELS[item.species]
    share = next(e for e in effects if e.species == "b_share" and e.layer == "adipose")
    a = stat(biology.layers["adipose"]["cell_a"], "mean", ("mean", "p10", "p90"))[-1]
    b = stat(biology.layers["adipose"]["cell_b"], "mean", ("mean", "p10", "p90"))[-1]
    assert share.treated == pytest.approx(b / (a + b), rel=1e-12)
    text = "\n".join(effect_table(result))
    assert all(label in text for label in LABELS.values())
    assert {"b_share", "b_share_effect", "b_share_change"} <= set(available_fields(result))
    field = resolve_field(result, "cell_b", time="2 d")
    assert field.label == "B cells (repair)" and field.unit == "× healthy B cells"
