"""Result files: round trip through HDF5, XDMF readable by pyvista, atomic writing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import pyvista as pv

from tissue_sim import load_config
from tissue_sim.io import atomic_path, read_result
from tissue_sim.pipeline import run_to_directory


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    scenario = load_config(
        "configs/static_compression.yaml", ["mesh.size=coarse", "mesh.element=P1"]
    )
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
