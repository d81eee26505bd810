"""Result files: round trip through HDF5, XDMF readable by pyvista, atomic writing."""

from __future__ import annotations

import shutil
from pathlib import Path

import h5py
import numpy as np
import pytest
import pyvista as pv

from tissue_sim import load_config
from tissue_sim.errors import InputError
from tissue_sim.io import FORMAT_VERSION, atomic_path, read_result
from tissue_sim.pipeline import run_to_directory

_CONFIG = Path(__file__).resolve().parents[2] / "configs" / "static_compression.yaml"
_OVERRIDES = ["mesh.size=coarse", "mesh.element=P1", "biology.diffusion=false"]


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    scenario = load_config(_CONFIG, _OVERRIDES)
    out = tmp_path_factory.mktemp("io")
    result, path = run_to_directory(scenario, out, figures=False, report=False)
    return result, path


def test_round_trip(written) -> None:
    result, path = written
    back = read_result(path)
    assert back.config_hash == result.config_hash
    assert np.array_equal(back.mechanics.displacement, result.mechanics.displacement)
    assert np.array_equal(back.mesh.cells, result.mesh.cells)
    assert back.mesh.layer_names == result.mesh.layer_names
    for name, values in result.stimulus.features.items():
        assert np.array_equal(back.stimulus.features[name], values)
    assert back.sources == result.sources


def test_pyvista_reads_the_xdmf_frames(written) -> None:
    result, path = written
    reader = pv.get_reader(str(path.with_name("result.xdmf")))
    frames = result.mechanics.displacement.shape[0]
    assert len(reader.time_values) == frames
    reader.set_active_time_value(reader.time_values[-1])
    grid = reader.read()
    grid = grid[0] if isinstance(grid, pv.MultiBlock) else grid
    assert grid.n_cells == result.mesh.linear_cells.shape[0]
    assert np.allclose(grid["displacement"], result.mechanics.displacement[-1])
    assert np.allclose(
        grid["max_principal_strain"], result.mechanics.cell_scalars["max_principal_strain"][-1]
    )


def test_atomic_path_leaves_the_old_file_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "result.h5"
    target.write_bytes(b"finished result")
    with pytest.raises(RuntimeError), atomic_path(target) as temporary:
        temporary.write_bytes(b"half")
        raise RuntimeError("crash while writing")
    assert target.read_bytes() == b"finished result"
    assert list(tmp_path.iterdir()) == [target]


def test_control_and_effect_round_trip(written) -> None:
    result, path = written
    bio = result.biology
    assert bio.control is not None and set(bio.control) == set(bio.layers)
    back = read_result(path).biology
    assert back.control is not None
    for layer, species in bio.layers.items():
        for name, values in species.items():
            control = bio.control[layer][name]
            assert control.shape == values.shape
            assert np.array_equal(back.control[layer][name], control)
            assert np.array_equal(back.effect_difference[layer][name], values - control)
            ratio = back.effect_ratio[layer][name]
            defined = control != 0.0
            assert np.array_equal(ratio[defined], values[defined] / control[defined])
            assert np.all(np.isnan(ratio[~defined]))
    for name, values in bio.control_fields.items():
        assert np.array_equal(back.control_fields[name], values)
    assert back.statistics["distinct_points"] <= back.statistics["points"]
    with h5py.File(path) as f:
        assert f.attrs["format_version"] == FORMAT_VERSION == 3
        layer, name = next(iter(bio.layers)), "tgfb1_active"
        stored = f[f"biology/effect/difference/{layer}/{name}"][()]
        assert np.array_equal(stored, bio.layers[layer][name] - bio.control[layer][name])
        assert f[f"biology/control/layers/{layer}/{name}"].attrs["units"] == "1"


def test_load_frames_round_trip(written) -> None:
    """``/loading`` holds every patch load of every frame: the frames come back exactly."""
    from tissue_sim.loading import surface_traction

    result, path = written
    scenario_frames = [
        frame
        for step in load_config(_CONFIG, _OVERRIDES).loading.steps
        for frame in step.frames().frames
    ]
    back = read_result(path).loading
    assert back is not None and result.loading is not None
    assert back.n_frames == result.mechanics.frame_time.size == len(scenario_frames)
    assert back.step_names == result.mechanics.step_names
    assert back.step_descriptions == result.loading.step_descriptions
    assert "static compression at" in back.step_descriptions[0]
    points = np.column_stack([np.linspace(-0.02, 0.02, 41), np.zeros(41), np.full(41, 0.05)])
    for frame, expected in zip(back.frames(), scenario_frames, strict=True):
        assert frame == expected
        assert np.array_equal(surface_traction(frame, points), surface_traction(expected, points))
    with h5py.File(path) as f:
        assert f["loading/pressure"].attrs["units"] == "Pa"
        assert f["loading/centre"].attrs["units"] == "m"


def test_report_declarations_round_trip(written) -> None:
    result, path = written
    back = read_result(path).biology
    assert back.report_species == result.biology.report_species
    assert back.species_labels == result.biology.species_labels
    assert back.report_scales == result.biology.report_scales
    assert back.derived == result.biology.derived == {"m2_fraction": "m2 / (m1 + m2)"}
    assert back.units["m2_fraction"] == "1"
    assert "m2_fraction" in back.shown_species()


def test_version_2_files_read_without_load_frames(written, tmp_path: Path) -> None:
    """A format-2 file has no ``/loading`` and no report scales or derived quantities."""
    _, path = written
    old = tmp_path / "version2.h5"
    shutil.copy(path, old)
    with h5py.File(old, "a") as f:
        del f["loading"]
        del f["biology"].attrs["report_scales"], f["biology"].attrs["derived"]
        f["biology"].attrs["report_species"] = np.array([], dtype="S")
        f.attrs["format_version"] = 2
    back = read_result(old)
    assert back.loading is None and back.biology.derived == {}
    assert back.biology.control is not None
    # shown: the shipped models' key species it has (FALLBACK_REPORT_SPECIES)
    assert back.biology.shown_species()[:2] == ("tgfb1_latent", "tgfb1_active")


def test_version_1_files_still_read_without_a_control(written, tmp_path: Path) -> None:
    _, path = written
    old = tmp_path / "version1.h5"
    shutil.copy(path, old)
    with h5py.File(old, "a") as f:
        del f["biology/control"], f["biology/effect"], f["loading"]
        for name in ("report_species", "species_labels", "report_scales", "derived"):
            del f["biology"].attrs[name]
        f.attrs["format_version"] = 1
    back = read_result(old)
    assert back.biology.control is None
    assert back.biology.effect_difference == {} and back.biology.effect_ratio == {}
    assert back.biology.report_species == ()


def test_a_newer_format_is_refused_with_a_clear_message(written, tmp_path: Path) -> None:
    _, path = written
    newer = tmp_path / "newer.h5"
    shutil.copy(path, newer)
    with h5py.File(newer, "a") as f:
        f.attrs["format_version"] = 99
    with pytest.raises(InputError, match=r"format version 99 cannot be read .* versions 1, 2, 3"):
        read_result(newer)
