"""End-to-end benchmark of the default scenario (issue 5, "Performance (benchmarks/)").

``configs/baseline.yaml`` at its default size (lumbar stack, Q1 mesh, 24-frame effleurage
stroke, 14 days of daily sessions) through ``run_to_directory``: mesh, mechanics,
stimulus, biology, ``result.h5`` + XDMF, the pictures and the HTML report — what
``tissue-sim run configs/baseline.yaml`` (``make demo``) does after start-up. Wall time
per stage comes from ``result.timings``; peak memory is the worker process's peak RSS
during the run (a fresh process, see ``_support``).

The default mechanics is finite strain (``mechanics.model: hyperelastic``); Newton's
iterations per frame and the tangent set-ups are recorded beside the stage times.
Issue target (issue 11; reported in the end-of-run summary, never asserted): ≤ 60 s in all.
``TISSUE_SIM_BENCH_SCALE=small`` runs the same scenario at ``mesh.size=coarse`` over
3 days. This module is also the worker script: ``python test_bench_pipeline.py CASE
PARAMS_JSON``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from _support import GIB, SCALE, Prepared, derived, measure_in_worker, record, worker_main

REPOSITORY = Path(__file__).resolve().parents[1]
SECTION = "End-to-end baseline run (issue 5)"
STAGES = ("mesh", "mechanics", "stimulus", "biology", "output", "figures", "report")
TARGET_SECONDS = 60.0

#: ``--set`` overrides per scale: the default size, or a smoke run.
OVERRIDES: dict[str, list[str]] = {
    "full": [],
    "small": ["mesh.size=coarse", "schedule.days=3"],
}


# --------------------------------------------------------------------------------------
# worker side
# --------------------------------------------------------------------------------------
def pipeline_case(params: Mapping[str, Any]) -> Prepared:
    """Load the scenario and import every stage (untimed); the phase is the whole run."""
    os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")
    import tissue_sim.viz  # noqa: F401 - imported here so that the phase measures work only
    from tissue_sim.config import load_config
    from tissue_sim.pipeline import run_to_directory

    scenario = load_config(REPOSITORY / params["config"], params["overrides"])
    folder = Path(tempfile.mkdtemp(prefix="bench-pipeline-"))

    def run() -> dict[str, Any]:
        result, path = run_to_directory(scenario, folder)
        facts: dict[str, Any] = {f"{stage} [s]": result.timings.get(stage, 0.0) for stage in STAGES}
        facts["unknowns"] = 3 * int(result.mesh.points.shape[0])
        facts["cells"] = int(result.mesh.linear_cells.shape[0])
        facts["frames"] = int(result.mechanics.frame_time.shape[0])
        facts["days"] = scenario.schedule.days
        facts["result.h5 [MiB]"] = path.stat().st_size / 2**20
        facts["report.html [MiB]"] = (folder / "report.html").stat().st_size / 2**20
        facts["pictures"] = len(list((folder / "figures").glob("*.png")))
        solver = result.mechanics.solver
        facts["mechanics model"] = result.mechanics.model
        per_frame = [int(count) for count in solver.get("newton_iterations_per_frame", [])]
        facts["Newton iterations per frame"] = " ".join(map(str, per_frame))
        facts["Newton iterations"] = sum(per_frame)
        facts["tangent set-ups"] = int(solver.get("tangent_setups", 0))
        return facts

    def remove_output() -> dict[str, Any]:
        shutil.rmtree(folder, ignore_errors=True)
        return {}

    return Prepared(run=run, check=remove_output, info={"scale": SCALE, "config": params["config"]})


CASES = {"pipeline": pipeline_case}


# --------------------------------------------------------------------------------------
# parent side
# --------------------------------------------------------------------------------------
def test_bench_baseline_end_to_end(benchmark: Any) -> None:
    """``run_to_directory(configs/baseline.yaml)``: every stage, pictures and report."""
    benchmark.group = SECTION
    params = {"config": "configs/baseline.yaml", "overrides": OVERRIDES[SCALE]}
    result = measure_in_worker(benchmark, Path(__file__), "pipeline", params)
    facts = result.facts
    assert facts["pictures"] == 5 and facts["report.html [MiB]"] > 0.1
    staged = sum(facts[f"{stage} [s]"] for stage in STAGES)
    record(
        SECTION,
        "baseline" if SCALE == "full" else "baseline (coarse, 3 days)",
        **{
            "unknowns": facts["unknowns"],
            "cells": facts["cells"],
            "frames": facts["frames"],
            "days": facts["days"],
            "mechanics": facts["mechanics model"],
            "Newton iterations": facts["Newton iterations"],
            "Newton iterations per frame": facts["Newton iterations per frame"],
            "tangent set-ups": facts["tangent set-ups"],
            "total [s]": result.seconds,
            **{f"{stage} [s]": facts[f"{stage} [s]"] for stage in STAGES},
            "other [s]": result.seconds - staged,
            "peak RSS [GiB]": result.peak_rss / GIB,
            "result.h5 [MiB]": facts["result.h5 [MiB]"],
            "report.html [MiB]": facts["report.html [MiB]"],
        },
    )


@derived
def _target(rows: dict[str, dict[str, dict[str, Any]]]) -> list[str]:
    table = rows.get(SECTION, {})
    lines = []
    for name, row in table.items():
        total = row["total [s]"]
        verdict = "met" if total <= TARGET_SECONDS else "MISSED"
        lines.append(
            f"- {name}: {total:.1f} s end to end (target ≤ {TARGET_SECONDS:g} s: {verdict}); "
            f"peak RSS {row['peak RSS [GiB]']:.2f} GiB"
        )
    return lines


if __name__ == "__main__":
    worker_main(CASES)
