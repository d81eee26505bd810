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
  solves, the history loads and the cell fields, ÷ steps);
* the same two without their factorisations (an estimate: each viscoelastic
  factorisation is taken to cost the elastic set-up, same matrix size and pattern);
* the viscoelastic stage's time per *output* frame (÷ frames) — the issue's ratio ("the
  cost per frame stays within 1.5× the elastic frame"); it grows with the number of
  steps between frames (``max_step``).

Process CPU time is recorded beside wall time (less sensitive to the machine's load).
Nothing about speed is asserted; the check is that the hold creeps (the presets' moduli
are instantaneous ones, so the first frame is the elastic one and the hold deepens).

Sizes: ``full`` (default) the medium mesh (27k unknowns), ``max_step`` 1 s (61 steps);
``TISSUE_SIM_BENCH_SCALE=small`` the coarse mesh (10k unknowns), ``max_step`` 5 s.
``TISSUE_SIM_BENCH_VISCO_MAX_STEP`` (seconds) overrides the largest time step, e.g. 10 for
the step of configs/sustained_shear.yaml (its accuracy against 1-s steps is in
docs/viscoelasticity.md), so the per-output-frame ratio can be read at a chosen accuracy.

**Finite strain** (``model=hyperelastic``, the shipped configs' model): the same hold with
the presets' hyperelastic laws, once elastic (Newton over the three frames) and once with
the layers wrapped by ``ViscoelasticLaw`` (one Newton frame per time step, the history
committed after each; nothing integrated after the last frame read). Ratios: the
viscoelastic stage's wall and CPU time per time step against the elastic stage's per
frame, and per output frame (the issue's ≤ 1.5×); Newton iterations of both.

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
FINITE_SECTION = "Finite-strain viscoelastic layers: held thumb, time step vs elastic frame"
CONFIG = Path(__file__).resolve().parents[1] / "configs" / "static_compression.yaml"
#: Mesh size and largest time step [s] per scale.
SIZES = {"small": ("coarse", 5.0), "full": ("medium", 1.0)}


def _session(params: Mapping[str, Any]) -> Prepared:
    """Worker case: build the mesh and loads (untimed), then the mechanics stage (timed)."""
    from tissue_sim import load_config
    from tissue_sim.loading import smallest_load_feature
    from tissue_sim.mechanics.frames import skin_quadrature
    from tissue_sim.mechanics.session import MechanicsSettings, solve_session_mechanics
    from tissue_sim.mechanics.viscoelastic import (
        solve_session_viscoelastic,
        technique_history,
        tissue_prony,
    )
    from tissue_sim.pipeline import _materials, build_mesh, prepare

    size, max_step = SIZES[params["scale"]]
    max_step = float(os.environ.get("TISSUE_SIM_BENCH_VISCO_MAX_STEP", max_step))
    model = params.get("model", "linear")
    scenario = load_config(str(CONFIG), [f"mechanics.model={model}", f"mesh.size={size}"])
    mesh = build_mesh(scenario)
    hyperelastic = prepare(scenario).hyperelastic_materials
    materials = hyperelastic if model == "hyperelastic" and hyperelastic else _materials(scenario)
    prony = tissue_prony(scenario.tissue.layers, mesh.layer_names)
    steps = scenario.loading.steps
    feature = smallest_load_feature(scenario.loading.techniques)
    settings = MechanicsSettings(model=model, solver="direct")
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
                mesh,
                materials,
                steps,
                settings,
                smallest_feature=feature,
                prony=prony,
                max_step=max_step,
            )
        state["session"] = session
        solver = session.solver
        return {
            "wall": time.perf_counter() - start,
            "cpu": time.process_time() - cpu,
            "factorisations": int(solver.get("factorisations", solver.get("tangent_setups", 1))),
            "setup": float(solver.get("setup_seconds", float("nan"))),
            "time_steps": int(solver.get("time_steps", 0)),
            "newton": int(
                solver.get("newton_iterations", sum(solver.get("newton_iterations_per_frame", [])))
            ),
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


@pytest.mark.parametrize("model", ["linear", "hyperelastic"])
@pytest.mark.parametrize("case", ["elastic", "viscoelastic"])
def test_viscoelastic_step_vs_elastic_frame(benchmark: Any, case: str, model: str) -> None:
    """A held thumb's mechanics stage, elastic and viscoelastic (issue 15.1)."""
    benchmark.group = SECTION if model == "linear" else FINITE_SECTION
    result = measure_in_worker(
        benchmark, Path(__file__), "session", {"scale": SCALE, "case": case, "model": model}
    )
    facts, info = result.facts, result.info
    steps = facts["time_steps"] or info["steps"]
    record(
        SECTION if model == "linear" else FINITE_SECTION,
        f"{case}, {info['unknowns']} unknowns",
        **{
            "time [s]": result.seconds,
            "CPU [s]": facts["cpu"],
            "frames": info["frames"],
            "time steps": steps,
            "Newton iterations": facts["newton"],
            "per step [s]": result.seconds / steps,
            "per step CPU [s]": facts["cpu"] / steps,
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
    lines = _ratios(rows.get(SECTION, {}), marginal=True)
    return lines + [
        f"- finite strain: {line[2:]}" for line in _ratios(rows.get(FINITE_SECTION, {}))
    ]


def _ratios(table: dict[str, dict[str, Any]], *, marginal: bool = False) -> list[str]:
    elastic = next((row for name, row in table.items() if name.startswith("elastic")), None)
    visco = next((row for name, row in table.items() if name.startswith("viscoelastic")), None)
    if elastic is None or visco is None:
        return []
    wall = visco["per step [s]"] / elastic["per step [s]"]
    cpu = visco["per step CPU [s]"] / elastic["per step CPU [s]"]
    frame = visco["per output frame [s]"] / elastic["per output frame [s]"]
    # without the factorisations (estimate: each viscoelastic one costs the elastic
    # set-up, same matrix pattern and size): the marginal cost of a step and a frame
    verdict = "met" if frame <= 1.5 else "MISSED"  # the target is per frame
    extra = ""
    if marginal:
        setup = elastic["set-up [s]"]
        cost = (visco["time [s]"] - visco["factorisations"] * setup) / visco["time steps"]
        cost /= (elastic["time [s]"] - setup) / elastic["frames"]
        extra = f"; without the factorisations {cost:.2f}× (estimate)"
    return [
        f"- viscoelastic time step / elastic frame: {wall:.2f}× wall, {cpu:.2f}× CPU{extra}; "
        f"per output frame {frame:.1f}× (the issue's target ≤ 1.5×: {verdict}) "
        f"({visco['time steps']} steps for {visco['frames']} frames; Newton iterations "
        f"{visco['Newton iterations']} vs {elastic['Newton iterations']}; load "
        f"{visco['load']:.1f})"
    ]


if __name__ == "__main__":
    worker_main(CASES)
