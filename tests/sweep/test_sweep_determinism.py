"""A sweep gives identical summaries for 1 and N workers, local or Dask, on the AMG path.

``mechanics.solver: amg`` is the path whose setup is randomised (pyamg's spectral-radius
estimate); the seeding lives in tissue_sim/fem/solvers.py. The default-solver path is
compared across executors in test_sweep_run.py.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import yaml
from conftest import FAST, sweep_mapping

from tissue_sim.sweep import load_sweep, run_sweep

AMG = sweep_mapping(
    name="amg_grid",
    set={**FAST, "mechanics.solver": "amg", "biology.enabled": False},
    parameters={"loading.pressure": ["10 kPa", "20 kPa"]},
    outputs={
        "fascia_strain": "stimulus.layer_stats.fascia.effective_strain_peak.p90",
        "adipose_shear": "mechanics.layer_stats.adipose.max_shear_strain.max",
        "skin_stress": "mechanics.layer_stats.skin.von_mises_stress.mean.p50",
    },
)


def _table(directory: Path) -> list[list[str]]:
    with open(directory / "summary.csv", newline="") as f:
        return [row[:-1] for row in csv.reader(f)]  # without wall time


@pytest.fixture(scope="module")
def amg_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("amg") / "amg.yaml"
    path.write_text(yaml.safe_dump(AMG, sort_keys=False))
    return path


def test_one_and_two_workers_local_and_dask_give_identical_summaries(
    amg_file: Path, tmp_path: Path
) -> None:
    tables = {}
    for name, executor, workers in (
        ("local-1", "local", 1),
        ("local-2", "local", 2),
        ("dask-2", "dask", 2),
    ):
        summary = run_sweep(
            load_sweep(amg_file),
            tmp_path / name,
            workers=workers,
            executor=executor,
            quiet=True,
            plots=False,
        )
        assert summary.all_ok, summary.describe()
        tables[name] = _table(tmp_path / name)
    assert tables["local-1"] == tables["local-2"] == tables["dask-2"]
