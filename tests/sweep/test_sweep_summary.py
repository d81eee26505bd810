"""Summaries of a Sobol design from runs on disk: indices, failed groups, files, plots.

The runs are stand-ins: each ``result.h5`` holds only the dataset the output reads, filled
with a known function of the parameters, so the summary's sensitivity analysis can be
checked without running the pipeline.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import h5py
import numpy as np
import pytest
from _sweep_files import FAST, sweep_mapping

from tissue_sim.sweep import plan_sweep, summarise, sweep_from_mapping
from tissue_sim.sweep.store import (
    record_failure,
    record_success,
    run_directory,
    write_manifest,
)

OUTPUT = "mechanics.layer_stats.adipose.max_shear_strain.max"
#: The stand-ins read a mechanics output only: planning needs no cell model.
STAND_IN = {**FAST, "biology.enabled": False}


def _model(pressure_kpa: float, thickness_mm: float) -> float:
    """y = p + t²/20: additive, analytic Sobol indices for uniform inputs."""
    return pressure_kpa + thickness_mm**2 / 20.0


def _indices() -> tuple[np.ndarray, np.ndarray]:
    # p ~ U(1, 21): var 400/12; t ~ U(0, 20): var of t²/20 = (E t⁴ − (E t²)²) / 400
    var_p = 20.0**2 / 12.0
    var_t = (20.0**4 / 5.0 - (20.0**2 / 3.0) ** 2) / 400.0
    shares = np.array([var_p, var_t]) / (var_p + var_t)
    return shares, shares  # additive: first order = total


def _stand_in_folder(
    folder: Path,
    parameters: dict[str, object],
    design: dict[str, object],
    model: Callable[..., float],
    failed_point: int,
    wall_time: float,
) -> Path:
    """Write the manifest and a stand-in ``result.h5`` of ``model`` for every planned run.

    Every run of design point ``failed_point`` is recorded as failed instead.
    """
    name = f"{design['type']}_stand_in"
    spec = sweep_from_mapping(
        sweep_mapping(
            name=name, set=STAND_IN, parameters=parameters, design=design, outputs={"shear": OUTPUT}
        )
    )
    plan = plan_sweep(spec)
    write_manifest(folder, plan.manifest())
    failed = {run.config_hash for run in plan.runs if run.point.index == failed_point}
    for run in plan.runs:
        run_dir = run_directory(folder, run.config_hash)
        if run.config_hash in failed:
            record_failure(run_dir, "SolverError: did not converge")
            continue
        run_dir.mkdir(parents=True, exist_ok=True)
        table = np.zeros((3, 5))
        table[1, 1] = model(*run.point.display)  # column max, peak over the frames
        with h5py.File(run_dir / "result.h5", "w") as f:
            f.create_dataset("mechanics/layer_stats/adipose/max_shear_strain", data=table)
        record_success(run_dir, wall_time)
    return folder


@pytest.fixture(scope="module")
def sobol_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    parameters: dict[str, object] = {
        "loading.pressure": {"range": ["1 kPa", "21 kPa"]},
        "tissue.layers.adipose.thickness": {"range": ["0 mm", "20 mm"]},
    }
    design: dict[str, object] = {"type": "sobol", "samples": 64, "seed": 3, "resamples": 200}
    # one failed run (point 7): its base sample is left out
    return _stand_in_folder(tmp_path_factory.mktemp("sobol"), parameters, design, _model, 7, 1.5)


def test_sobol_indices_are_computed_written_and_plotted(sobol_folder: Path) -> None:
    summary = summarise(sobol_folder)
    assert (summary.ok, summary.failed, summary.pending) == (255, 1, 0)
    indices = summary.sensitivity["shear"]
    assert indices.samples == 63
    first, total = _indices()
    # 63 base samples: a coarse estimate, but within its 95 % intervals
    np.testing.assert_allclose(indices.first_order, first, atol=0.1)
    np.testing.assert_allclose(indices.total, total, atol=0.1)
    assert np.all(np.abs(indices.first_order - first) <= indices.first_order_conf)
    assert np.all(np.abs(indices.total - total) <= indices.total_conf)
    with open(sobol_folder / "sensitivity.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [row["parameter"] for row in rows] == [
        "loading.pressure",
        "tissue.layers.adipose.thickness",
    ]
    assert float(rows[0]["S1"]) == indices.first_order[0]
    assert float(rows[1]["ST_conf"]) == indices.total_conf[1]
    with h5py.File(sobol_folder / "summary.h5") as f:
        group = f["sensitivity/shear"]
        np.testing.assert_array_equal(group["ST"][()], indices.total)
        assert group.attrs["samples"] == 63
        assert f["status"].asstr()[7] == "failed"
        assert "did not converge" in f["error"].asstr()[7]
        np.testing.assert_array_equal(f["wall_time"][()][:2], [1.5, 1.5])
    plots = sorted(path.name for path in (sobol_folder / "plots").iterdir())
    assert plots == [
        "dose_response_loading.pressure.png",
        "dose_response_tissue.layers.adipose.thickness.png",
        "sobol_indices.png",
    ]


def test_summary_rows_follow_the_design_order(sobol_folder: Path) -> None:
    summary = summarise(sobol_folder, plots=False)
    blocks = [point.block for point in summary.points[:8]]
    assert blocks == ["A", "B", "AB", "AB", "A", "B", "AB", "AB"]
    expected = [_model(*row) for row in summary.parameters]
    ok = np.array([status == "ok" for status in summary.status])
    np.testing.assert_allclose(summary.values[ok, 0], np.array(expected)[ok], rtol=1e-12)
    assert np.isnan(summary.values[7, 0])


def _morris_model(pressure_kpa: float, thickness_mm: float, skin_mm: float) -> float:
    """y = p + (t − 5)²/10 (skin thickness inert): per full range, EE_p = 20 exactly and
    EE_t = 40 (2u ± Δ) ∈ {80/3, 160/3} for a step from u by ±Δ = ±2/3 (t = 5 + 20 u)."""
    return pressure_kpa + (thickness_mm - 5.0) ** 2 / 10.0


@pytest.fixture(scope="module")
def morris_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    parameters: dict[str, object] = {
        "loading.pressure": {"range": ["1 kPa", "21 kPa"]},
        "tissue.layers.adipose.thickness": {"range": ["5 mm", "25 mm"]},
        "tissue.layers.skin.thickness": {"range": ["1 mm", "3 mm"]},
    }
    design: dict[str, object] = {"type": "morris", "trajectories": 12, "levels": 4, "seed": 5}
    # point 9 fails: trajectory 2 is left out
    folder = tmp_path_factory.mktemp("morris")
    return _stand_in_folder(folder, parameters, design, _morris_model, 9, 1.0)


def test_morris_statistics_are_computed_written_and_plotted(morris_folder: Path) -> None:
    summary = summarise(morris_folder)
    assert summary.design == "morris" and len(summary.points) == 12 * 4
    statistics = summary.morris["shear"]
    # trajectories with the failed run (points on the grid may repeat) are left out
    failed = np.array([status == "failed" for status in summary.status]).reshape(12, 4)
    kept = int(np.count_nonzero(~failed.any(axis=1)))
    assert failed[2].any() and 2 <= kept < 12
    assert statistics.trajectories == kept
    pressure, thickness, skin = 0, 1, 2
    assert list(statistics.ranking()) == [thickness, pressure, skin]
    # linear in p: every effect is 20 per range; no spread, so zero-width intervals
    assert statistics.mu_star[pressure] == pytest.approx(20.0)
    assert statistics.mu[pressure] == pytest.approx(20.0)
    assert statistics.sigma[pressure] == pytest.approx(0.0, abs=1e-9)
    assert statistics.mu_star_conf[pressure] == pytest.approx(0.0, abs=1e-9)
    # quadratic in t: effects of 80/3 or 160/3, so their mean lies between and σ > 0
    assert 80.0 / 3.0 < statistics.mu_star[thickness] < 160.0 / 3.0
    assert statistics.mu[thickness] == pytest.approx(statistics.mu_star[thickness])
    assert 0.0 < statistics.sigma[thickness] <= 40.0 / 3.0 * np.sqrt(kept / (kept - 1.0))
    assert 0.0 < statistics.mu_star_conf[thickness] < statistics.mu_star[thickness]
    assert statistics.mu_star[skin] == 0.0 and statistics.sigma[skin] == 0.0

    with open(morris_folder / "morris.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [row["parameter"] for row in rows] == [
        "tissue.layers.adipose.thickness",
        "loading.pressure",
        "tissue.layers.skin.thickness",
    ]
    assert [row["rank"] for row in rows] == ["1", "2", "3"]
    assert float(rows[0]["mu_star"]) == statistics.mu_star[thickness]
    assert float(rows[0]["sigma_conf"]) == statistics.sigma_conf[thickness]
    assert rows[0]["trajectories"] == str(kept) and rows[0]["unit"] == "1"
    with h5py.File(morris_folder / "summary.h5") as f:
        group = f["morris/shear"]
        np.testing.assert_array_equal(group["mu_star"][()], statistics.mu_star)
        np.testing.assert_array_equal(group["sigma"][()], statistics.sigma)
        assert group.attrs["trajectories"] == kept and group.attrs["levels"] == 4
        assert [p.decode() for p in group.attrs["parameters"]] == [
            "loading.pressure",
            "tissue.layers.adipose.thickness",
            "tissue.layers.skin.thickness",
        ]
    plots = sorted(path.name for path in (morris_folder / "plots").iterdir())
    assert "morris.png" in plots and "sobol_indices.png" not in plots
    assert not (morris_folder / "sensitivity.csv").exists()


def test_morris_summary_rebuilds_the_same_statistics(morris_folder: Path) -> None:
    first = summarise(morris_folder, plots=False).morris["shear"]
    second = summarise(morris_folder, plots=False).morris["shear"]
    for name in ("mu_star", "mu_star_conf", "mu", "mu_conf", "sigma", "sigma_conf"):
        np.testing.assert_array_equal(getattr(first, name), getattr(second, name))
