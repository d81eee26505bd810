"""Benchmark of the sweep executors (issue 6, "Performance (benchmarks/)").

16 coarse runs — a 4 × 4 grid of stroke pressure × adipose thickness on the baseline
effleurage scenario (``mesh.size=coarse``, one day of biology) — run in the same session
with 1 local worker, 2 local workers and a Dask ``LocalCluster`` of 2 worker processes.
Each case starts from an empty sweep folder (nothing cached) with the sweep already
planned, so the time covers starting the workers, the runs and the summary table.

Issue targets (reported in the end-of-run summary, never asserted): 2 workers ≥ 1.7×
faster than 1 on 2 cores; Dask overhead over the local pool ≤ 15 %. The summary also
says whether the three cases gave identical numbers. ``TISSUE_SIM_BENCH_SCALE=small``
runs a 2 × 2 grid of the static-compression scenario instead.
"""

from __future__ import annotations

import csv
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
from _support import SCALE, derived, record

from tissue_sim.sweep import plan_sweep, run_sweep, sweep_from_mapping

SECTION = (
    "Sweep executors: 16 coarse runs (issue 6)"
    if SCALE == "full"
    else ("Sweep executors: 4 coarse runs, small scale (issue 6)")
)
REPO = Path(__file__).resolve().parents[1]

#: Case → (executor, workers).
CASES = {
    "local_1_worker": ("local", 1),
    "local_2_workers": ("local", 2),
    "dask_2_workers": (
        "dask",
        2,
    ),
}

_TABLES: dict[str, list[list[str]]] = {}


def _sweep() -> dict[str, Any]:
    if SCALE == "full":
        base, pressures, thicknesses = (
            "baseline.yaml",
            ["2.5 kPa", "5 kPa", "10 kPa", "20 kPa"],
            ["5 mm", "10 mm", "15 mm", "25 mm"],
        )
    else:
        base, pressures, thicknesses = (
            "static_compression.yaml",
            ["10 kPa", "20 kPa"],
            [
                "10 mm",
                "20 mm",
            ],
        )
    return {
        "name": "bench_sweep",
        "base": str(REPO / "configs" / base),
        "set": {"mesh.size": "coarse", "schedule.days": 1},
        "parameters": {
            "loading.pressure": pressures,
            "tissue.layers.adipose.thickness": thicknesses,
        },
        "outputs": {
            "fascia_tgfb1": "biology.layers.fascia.tgfb1_active.final.mean",
            "adipose_shear": "mechanics.layer_stats.adipose.max_shear_strain.max",
            "fascia_strain": "stimulus.layer_stats.fascia.effective_strain_peak.p90",
        },
    }


@pytest.fixture(scope="module")
def plan() -> Any:
    return plan_sweep(sweep_from_mapping(_sweep()))


@pytest.mark.parametrize("case", list(CASES))
def test_sweep_executor(benchmark: Any, plan: Any, case: str) -> None:
    """The whole sweep on one executor, from an empty folder (nothing cached)."""
    executor, workers = CASES[case]
    benchmark.group = SECTION
    folders: list[Path] = []

    def fresh_folder() -> tuple[tuple[Path], dict[str, Any]]:
        folder = Path(tempfile.mkdtemp(prefix=f"bench_sweep_{case}_"))
        folders.append(folder)
        return (folder,), {}

    def sweep(folder: Path) -> Any:
        return run_sweep(plan, folder, workers=workers, executor=executor, quiet=True, plots=False)

    load_before = os.getloadavg()[0]
    summary = benchmark.pedantic(sweep, setup=fresh_folder, rounds=1, iterations=1)
    assert summary.all_ok, summary.describe()
    with open(folders[-1] / "summary.csv", newline="") as f:
        _TABLES[case] = [row[:-1] for row in csv.reader(f)]  # all but the wall time
    runs = len(plan.unique_hashes())
    seconds = benchmark.stats.stats.mean
    record(
        SECTION,
        case,
        **{
            "runs": runs,
            "workers": workers,
            "time [s]": seconds,
            "per run [s]": seconds / runs,
            "run wall time, mean [s]": float(summary.wall_time.mean()),
            # other work on the machine slows the runs down: compare with the core count
            "load average before / after": f"{load_before:.1f} / {os.getloadavg()[0]:.1f}",
        },
    )


@derived
def _speedups(rows: dict[str, dict[str, dict[str, Any]]]) -> list[str]:
    table = rows.get(SECTION, {})
    lines = []
    one, two, dask = (table.get(name) for name in CASES)
    if one and two:
        speedup = one["time [s]"] / two["time [s]"]
        verdict = "met" if speedup >= 1.7 else "MISSED"
        lines.append(f"- 2 local workers vs 1: {speedup:.2f}× faster (target ≥ 1.7×: {verdict})")
    if two and dask:
        overhead = dask["time [s]"] / two["time [s]"] - 1.0
        verdict = "met" if overhead <= 0.15 else "MISSED"
        lines.append(
            f"- Dask LocalCluster (2 workers) vs local pool (2 workers): {100 * overhead:+.1f}% "
            f"(target ≤ +15%: {verdict})"
        )
    if len(_TABLES) > 1:
        same = all(table == next(iter(_TABLES.values())) for table in _TABLES.values())
        lines.append(
            f"- identical summaries across {', '.join(_TABLES)}: {'yes' if same else 'NO'}"
        )
    return lines
