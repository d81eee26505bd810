"""``tissue-sim verify DIR`` passes an intact run and fails (exit 1) on every corruption."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import h5py
import numpy as np
import pytest

from tissue_sim.cli import main


def _nan_in_displacement(folder: Path) -> None:
    with h5py.File(folder / "result.h5", "r+") as f:
        f["mechanics/displacement"][0, 0, 0] = np.nan


def _drop_units(folder: Path) -> None:
    with h5py.File(folder / "result.h5", "r+") as f:
        del f["mechanics/cell_stress"].attrs["units"]


def _edit_config(folder: Path) -> None:
    with h5py.File(folder / "result.h5", "r+") as f:
        f.attrs["config"] = str(f.attrs["config"]).replace("5000.0", "5001.0", 1)


def _edit_provenance_run_key(folder: Path) -> None:
    with h5py.File(folder / "result.h5", "r+") as f:
        f.attrs["provenance"] = str(f.attrs["provenance"]).replace('"run_key": "', '"run_key": "0')


def _xdmf_wrong_shape(folder: Path) -> None:
    xdmf = folder / "result.xdmf"
    with h5py.File(folder / "result.h5") as f:
        points = f["mesh/points"].shape[0]
    text = xdmf.read_text()
    assert f'Dimensions="{points} 3"' in text
    xdmf.write_text(text.replace(f'Dimensions="{points} 3"', f'Dimensions="{points + 7} 3"'))


def _xdmf_missing_dataset(folder: Path) -> None:
    xdmf = folder / "result.xdmf"
    xdmf.write_text(xdmf.read_text().replace("/mesh/points", "/mesh/nowhere", 1))


def _truncate(folder: Path) -> None:
    path = folder / "result.h5"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])


def _remove_xdmf(folder: Path) -> None:
    (folder / "result.xdmf").unlink()


def _replace_result_by_another_mesh(folder: Path) -> None:
    with h5py.File(folder / "result.h5", "r+") as f:
        points = f["mesh/points"][()]
        del f["mesh/points"]
        f.create_dataset("mesh/points", data=points[:-5]).attrs["units"] = "m"


#: Each corruption and the problem ``verify`` must name (not just any failure).
CORRUPTIONS: dict[str, tuple[Callable[[Path], None], str]] = {
    "nan-in-a-dataset": (_nan_in_displacement, "result.h5: /mechanics/displacement: 1 non-finite"),
    "missing-units": (_drop_units, "result.h5: /mechanics/cell_stress: no units attribute"),
    "config-edited": (_edit_config, "result.h5: the stored config does not hash to config_hash"),
    "run-key-edited": (_edit_provenance_run_key, "result.h5: the run key does not match"),
    "xdmf-wrong-shape": (_xdmf_wrong_shape, "result.xdmf: /mesh/points has shape"),
    "xdmf-missing-dataset": (
        _xdmf_missing_dataset,
        "result.xdmf: /mesh/nowhere is not a dataset of result.h5",
    ),
    "truncated-hdf5": (_truncate, "result.h5: not a readable HDF5 file"),
    "xdmf-removed": (_remove_xdmf, "result.xdmf: missing"),
    "hdf5-of-another-mesh": (
        _replace_result_by_another_mesh,
        "result.xdmf: /mesh/points has shape",
    ),
}


def test_an_intact_run_verifies(finished_run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", str(finished_run)]) == 0
    assert "ok" in capsys.readouterr().out


@pytest.mark.parametrize("corruption", sorted(CORRUPTIONS))
def test_every_corruption_is_found(
    run_copy: Path, corruption: str, capsys: pytest.CaptureFixture[str]
) -> None:
    corrupt, problem = CORRUPTIONS[corruption]
    corrupt(run_copy)
    assert main(["verify", str(run_copy)]) == 1
    captured = capsys.readouterr()
    lines = captured.out.strip().splitlines()
    assert any(problem in line for line in lines), lines
    count = len(lines)
    assert f"verify failed: {count} problem(s) in {run_copy}" in captured.err


def test_a_folder_without_a_result_is_bad_input(tmp_path: Path) -> None:
    assert main(["verify", str(tmp_path)]) == 2
    assert main(["verify", str(tmp_path / "absent")]) == 2
