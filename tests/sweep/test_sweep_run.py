"""Running sweeps: local pool vs Dask, resume after SIGKILL, failed runs, summaries, CLI.

Determinism (docs/sweeps.md, issue 12): the grid crosses two pressures with the direct and
the AMG solver path (``mechanics.solver: amg`` is the path whose set-up is randomised:
pyamg's spectral-radius estimate, seeded in tissue_sim/fem/_solver_amg.py), and the same
summary must come out of a pool of 2 local workers (:func:`local_sweep`), a Dask
LocalCluster of 2 worker processes, and a killed-then-resumed sweep with 1 worker (its
runs one after the other in one process, where state left by an earlier run would show).
"""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest
import yaml
from _sweep_files import FAST, sweep_mapping

from tissue_sim.cli import main
from tissue_sim.io import read_result
from tissue_sim.sweep import load_sweep, run_sweep, summarise

GRID = sweep_mapping(
    name="grid",
    parameters={
        "loading.pressure": {"range": ["10 kPa", "20 kPa"], "steps": 2},
        "mechanics.solver": ["direct", "amg"],
    },
    outputs={
        "fascia_tgfb1": "biology.layers.fascia.tgfb1_active.final.mean",
        "adipose_shear": "mechanics.layer_stats.adipose.max_shear_strain.max",
        "fascia_strain": "stimulus.layer_stats.fascia.effective_strain_peak.p90",
        "skin_stress": "mechanics.layer_stats.skin.von_mises_stress.mean.p50",
    },
)


def _table(directory: Path, wall_time: bool = False) -> list[list[str]]:
    with open(directory / "summary.csv", newline="") as f:
        rows = list(csv.reader(f))
    return rows if wall_time else [row[:-1] for row in rows]


def _stamps(directory: Path) -> dict[str, tuple[int, int]]:
    """inode and mtime of every finished run's result.h5."""
    return {
        path.parent.name: (path.stat().st_ino, path.stat().st_mtime_ns)
        for path in (directory / "runs").glob("*/result.h5")
    }


@pytest.fixture(scope="module")
def grid_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("spec") / "grid.yaml"
    path.write_text(yaml.safe_dump(GRID, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def local_sweep(grid_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("local")
    summary = run_sweep(load_sweep(grid_file), out, workers=2, executor="local", quiet=True)
    assert summary.all_ok, summary.describe()
    return out


def test_summary_has_one_row_per_point_with_units(local_sweep: Path) -> None:
    header, *rows = _table(local_sweep, wall_time=True)
    assert header == [
        "index",
        "run",
        "loading.pressure [kPa]",
        "mechanics.solver",
        "fascia_tgfb1",
        "adipose_shear",
        "fascia_strain",
        "skin_stress [Pa]",
        "status",
        "error",
        "wall_time [s]",
    ]
    assert [row[2:4] for row in rows] == [
        ["10.0", "direct"],
        ["10.0", "amg"],
        ["20.0", "direct"],
        ["20.0", "amg"],
    ]
    assert {row[8] for row in rows} == {"ok"} and all(float(row[10]) > 0 for row in rows)
    shear = np.array([float(row[5]) for row in rows])
    assert shear[2] > 1.5 * shear[0] and shear[3] > 1.5 * shear[1]  # twice the pressure
    # the AMG-CG solve agrees with the direct one to its tolerance, not to the last bit
    for column in (4, 5, 6, 7):
        values = np.array([float(row[column]) for row in rows])
        np.testing.assert_allclose(values[1::2], values[0::2], rtol=1e-5)
    for row in rows:
        run = local_sweep / "runs" / row[1]
        assert (run / "result.h5").is_file() and (run / "result.xdmf").is_file()
        assert read_result(run / "result.h5").provenance["run_key"] == row[1]
    with h5py.File(local_sweep / "summary.h5") as f:
        assert f["parameters/loading.pressure"].attrs["units"] == "kPa"
        assert f["outputs/skin_stress"].attrs["units"] == "Pa"
        assert f["outputs/fascia_tgfb1"].attrs["path"].endswith("final.mean")
        assert list(f["status"].asstr()[()]) == ["ok"] * 4
        np.testing.assert_array_equal(f["outputs/adipose_shear"][()], shear)
    plots = sorted(path.name for path in (local_sweep / "plots").iterdir())
    assert plots == [
        "dose_response_loading.pressure.png",
        "dose_response_mechanics.solver.png",
        "heatmap.png",
    ]


def test_local_pool_and_dask_cluster_give_identical_summaries(
    local_sweep: Path, grid_file: Path, tmp_path: Path
) -> None:
    summary = run_sweep(
        load_sweep(grid_file), tmp_path, workers=2, executor="dask", quiet=True, plots=False
    )
    assert summary.all_ok, summary.describe()
    assert _table(tmp_path) == _table(local_sweep)  # to the last digit, AMG rows too
    with h5py.File(local_sweep / "summary.h5") as a, h5py.File(tmp_path / "summary.h5") as b:
        for name in a["outputs"]:
            np.testing.assert_array_equal(a["outputs"][name][()], b["outputs"][name][()])


def test_summarise_rebuilds_the_summary_from_disk(local_sweep: Path, capsys: Any) -> None:
    before = (local_sweep / "summary.csv").read_text()
    for name in ("summary.csv", "summary.h5"):
        (local_sweep / name).unlink()
    assert main(["sweep", "--summarise", str(local_sweep), "--quiet"]) == 0
    assert (local_sweep / "summary.csv").read_text() == before
    assert (local_sweep / "summary.h5").is_file()


def test_resume_after_sigkill_keeps_finished_runs(
    local_sweep: Path, grid_file: Path, tmp_path: Path
) -> None:
    out = tmp_path / "resumed"
    command = [sys.executable, "-m", "tissue_sim.cli", "sweep", str(grid_file), "-o", str(out)]
    process = subprocess.Popen(
        [*command, "--workers", "1", "--quiet"],
        start_new_session=True,  # its own process group: the pool workers die with it
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 300
    while not _stamps(out) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=60)
    finished = _stamps(out)
    assert 1 <= len(finished) < 4, process.stderr.read() if process.stderr else ""
    for name in finished:  # whatever is named result.h5 is a complete result
        assert read_result(out / "runs" / name / "result.h5").provenance["run_key"] == name
    assert _table_rows_missing(out)

    summary = run_sweep(load_sweep(grid_file), out, workers=1, quiet=True, plots=False)
    assert summary.all_ok and summary.ok == 4
    after = _stamps(out)
    assert {name: after[name] for name in finished} == finished  # not rewritten
    assert not list((out / "runs").glob("*/.*tmp-*"))  # no temporary files left
    assert not list((out / "runs").glob(".*"))  # no staging folders left
    assert _table(out) == _table(local_sweep)  # 1 worker vs 2 workers: the same numbers


def _table_rows_missing(directory: Path) -> bool:
    """The killed sweep wrote no summary (a summary is only written at the end)."""
    return not (directory / "summary.csv").exists()


def test_failing_run_is_recorded_and_the_others_complete(tmp_path: Path, capsys: Any) -> None:
    # AMG-CG limited to one iteration cannot converge: a SolverError at run time
    sweep = tmp_path / "failing.yaml"
    data = sweep_mapping(
        parameters={"mechanics.max_iterations": [1, 2000]},
        set={**FAST, "mechanics.solver": "amg"},
    )
    sweep.write_text(yaml.safe_dump(data, sort_keys=False))
    out = tmp_path / "out"
    assert main(["sweep", str(sweep), "-o", str(out), "--workers", "2", "--quiet"]) == 1
    header, failed, ok = _table(out, wall_time=True)
    assert failed[header.index("status")] == "failed"
    assert "SolverError" in failed[header.index("error")]
    assert "did not converge" in failed[header.index("error")]
    assert failed[header.index("tgfb1")] == ""
    assert ok[header.index("status")] == "ok" and float(ok[header.index("tgfb1")]) > 0
    error_file = out / "runs" / failed[1] / "error.txt"
    assert "SolverError" in error_file.read_text()
    assert not (out / "runs" / failed[1] / "result.h5").exists()
    with h5py.File(out / "summary.h5") as f:
        assert list(f["status"].asstr()[()]) == ["failed", "ok"]
        assert np.isnan(f["outputs/tgfb1"][0]) and np.isfinite(f["outputs/tgfb1"][1])

    # a rerun retries the failed run only, and still reports the failure
    stamps = _stamps(out)
    summary = run_sweep(load_sweep(sweep), out, workers=1, quiet=True, plots=False)
    assert (summary.ok, summary.failed, summary.pending) == (1, 1, 0)
    assert _stamps(out) == stamps
    assert main(["sweep", "--summarise", str(out), "--quiet"]) == 1


def test_cli_reports_bad_input_with_exit_code_2(tmp_path: Path, capsys: Any) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        yaml.safe_dump(sweep_mapping(outputs={"x": "biology.layers.fascia.tgfb2.final.mean"}))
    )
    assert main(["sweep", str(bad), "-o", str(tmp_path / "out"), "--quiet"]) == 2
    message = capsys.readouterr().err
    assert str(bad) in message and "outputs.x" in message and "no species 'tgfb2'" in message
    assert not (tmp_path / "out").exists()
    assert main(["sweep", "--summarise", str(tmp_path)]) == 2
    assert "not a sweep folder" in capsys.readouterr().err
    assert main(["sweep"]) == 2
    assert main(["sweep", str(bad), "--address", "tcp://127.0.0.1:1"]) == 2
    assert "--executor dask" in capsys.readouterr().err


def test_summarise_marks_runs_not_yet_run(local_sweep: Path, tmp_path: Path) -> None:
    # a copy of the design with one run missing: the summary marks it pending
    out = tmp_path / "partial"
    (out / "runs").mkdir(parents=True)
    (out / "design.json").write_text((local_sweep / "design.json").read_text())
    first = next(iter(sorted((local_sweep / "runs").iterdir())))
    os.symlink(first, out / "runs" / first.name)
    summary = summarise(out, plots=False)
    assert summary.ok == 1 and summary.pending == 3 and not summary.all_ok
    assert sorted(set(summary.status)) == ["ok", "pending"]
