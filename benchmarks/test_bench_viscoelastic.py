"""Benchmark of viscoelastic layers: the cost of a time step against an elastic frame
(issue 15.1, "the cost per frame stays within 1.5× the elastic frame").

The case is what ``tissue-sim run`` does in its mechanics stage for a held thumb
(configs/static_compression.yaml: 20 kPa, 1 cm radius, lumbar stack, three frames at
0, 20 and 40 s, small strain, direct solver), once elastic
(``solve_session_mechanics``) and once with the layers' Prony series
(``solve_session_viscoelastic``: fat g1 = 0.39, τ = 700 s, Sims 2010; muscle
g1 = 0.549, τ = 6.01 s, Bosboom 2001), each in a fresh worker process with
``OPENBLAS_NUM_THREADS=1``. Reported, in the same run:

* the elastic stage's time per frame (factorisation, solves and cell fields, ÷ frames);
* the viscoelastic stage's time per integrated time step (its two factorisations, the
  solves, the history loads and the cell fields, ÷ steps) — the issue's ratio;
* the same two without their factorisations (an estimate: each viscoelastic
  factorisation is taken to cost the elastic set-up, same matrix size and pattern);
* the viscoelastic stage's time per *output* frame (÷ frames), which grows with the
  number of steps between frames (``max_step``).

Process CPU time is recorded beside wall time (less sensitive to the machine's load).
Nothing about speed is asserted; the checks are that the hold creeps and that its first
frame is stiffer than the elastic (relaxed) one.

Sizes: ``full`` (default) the medium mesh (27k unknowns), ``max_step`` 1 s (61 steps);
``TISSUE_SIM_BENCH_SCALE=small`` the coarse mesh (10k unknowns), ``max_step`` 5 s.

Run alone: ``.venv/bin/pytest benchmarks/test_bench_viscoelastic.py --benchmark-only -s``.
This file is also the worker script of its cases (``python test_bench_viscoelastic.py``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from _support import GIB, SCALE, Prepared, derived, measure_in_worker, record, worker_main

SECTION = "Viscoelastic layers: held thumb, time step vs elastic frame (issue 15.1)"
CONFIG = Path(__file__).resolve().parents[1] / "configs" / "static_compression.yaml"
#: Mesh size and largest time step [s] per scale.
SIZES = {"small": ("coarse", 5.0), "full": ("medium", 1.0)}


def _session(params: Mapping[str, Any]) -> Prepared:
    """Worker case: build the mesh and loads (untimed), then the mechanics stage (timed)."""
    from tissue_sim import load_config
    from tissue_sim.loading import smallest_load_feature
    from tissue_sim.mechanics.frames import skin_quadrature
    from tissue_sim.mechanics.session import MechanicsSettings, solve_session_mechanics
    from tissue_sim.mechanics.viscoelastic import solve_session_viscoelastic, technique_history
    from tissue_sim.pipeline import _materials, build_mesh

    size, max_step = SIZES[params["scale"]]
    scenario = load_config(str(CONFIG), ["mechanics.model=linear", f"mesh.size={size}"])
    mesh = build_mesh(scenario)
    materials = _materials(scenario)
    steps = scenario.loading.steps
    feature = smallest_load_feature(scenario.loading.techniques)
    settings = MechanicsSettings(model="linear", solver="direct")
    quadrature = skin_quadrature(mesh, feature)
    time_steps = sum(
        technique_history(step.frames(), quadrature, mesh.num_points, max_step=max_step).times.size
        for step in steps
    )
    frames = sum(step.frames().frame_times.size for step in steps)
    state: dict[str, Any] = {}

    def run() -> dict[str, Any]:
        cpu = time.process_time()
        start = time.perf_counter()
        if params["case"] == "elastic":
            session = solve_session_mechanics(
                mesh, materials, steps, settings, smallest_feature=feature
            )
        else:
            session = solve_session_viscoelastic(
                mesh, materials, steps, settings, smallest_feature=feature, max_step=max_step
            )
        state["session"] = session
        return {
            "wall": time.perf_counter() - start,
            "cpu": time.process_time() - cpu,
            "factorisations": int(session.solver.get("factorisations", 1)),
            "setup": float(session.solver.get("setup_seconds", float("nan"))),
        }

    def check() -> dict[str, Any]:
        depth = np.abs(state["session"].displacement[..., 2]).max(axis=1)
        return {"depth_first": float(depth[0]), "depth_last": float(depth[-1])}

    return Prepared(
        run=run,
        check=check,
        info={
            "unknowns": 3 * mesh.num_points,
            "frames": frames,
            "steps": time_steps if params["case"] == "viscoelastic" else frames,
            "load": os.getloadavg()[0],
        },
    )


CASES = {"session": _session}


@pytest.mark.parametrize("case", ["elastic", "viscoelastic"])
def test_viscoelastic_step_vs_elastic_frame(benchmark: Any, case: str) -> None:
    """A held thumb's mechanics stage, elastic and viscoelastic (issue 15.1)."""
    benchmark.group = SECTION
    result = measure_in_worker(benchmark, Path(__file__), "session", {"scale": SCALE, "case": case})
    facts, info = result.facts, result.info
    record(
        SECTION,
        f"{case}, {info['unknowns']} unknowns",
        **{
            "time [s]": result.seconds,
            "CPU [s]": facts["cpu"],
            "frames": info["frames"],
            "time steps": info["steps"],
            "per step [s]": result.seconds / info["steps"],
            "per step CPU [s]": facts["cpu"] / info["steps"],
            "per output frame [s]": result.seconds / info["frames"],
            "factorisations": facts["factorisations"],
            "set-up [s]": facts["setup"],
            "depth first → last [mm]": (
                f"{1e3 * result.checks['depth_first']:.3f} → "
                f"{1e3 * result.checks['depth_last']:.3f}"
            ),
            "peak RSS [GiB]": result.peak_rss / GIB,
            "load": info["load"],
        },
    )
    if case == "viscoelastic":
        assert result.checks["depth_last"] > result.checks["depth_first"]  # it creeps


@derived
def _step_ratio(rows: dict[str, dict[str, dict[str, Any]]]) -> list[str]:
    table = rows.get(SECTION, {})
    elastic = next((row for name, row in table.items() if name.startswith("elastic")), None)
    visco = next((row for name, row in table.items() if name.startswith("viscoelastic")), None)
    if elastic is None or visco is None:
        return []
    wall = visco["per step [s]"] / elastic["per step [s]"]
    cpu = visco["per step CPU [s]"] / elastic["per step CPU [s]"]
    frame = visco["per output frame [s]"] / elastic["per output frame [s]"]
    # without the factorisations (estimate: each viscoelastic one costs the elastic
    # set-up, same matrix pattern and size): the marginal cost of a step and a frame
    setup = elastic["set-up [s]"]
    marginal = (visco["time [s]"] - visco["factorisations"] * setup) / visco["time steps"]
    marginal /= (elastic["time [s]"] - setup) / elastic["frames"]
    verdict = "met" if wall <= 1.5 else "MISSED"
    return [
        f"- viscoelastic time step / elastic frame: {wall:.2f}× wall, {cpu:.2f}× CPU "
        f"(target ≤ 1.5×: {verdict}); without the factorisations {marginal:.2f}× "
        f"(estimate); per output frame {frame:.1f}× "
        f"({visco['time steps']} steps for {visco['frames']} frames)"
    ]


if __name__ == "__main__":
    worker_main(CASES)
