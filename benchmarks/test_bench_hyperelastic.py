"""Benchmark of finite-strain hyperelasticity (issue 7, "Performance (benchmarks/)").

A layered block (skin, adipose, fascia, muscle on bone; Q1 hexahedra with the
three-field mean-dilatation formulation) indented by a rounded flat punch until the
adipose layer under the punch is compressed by about 30 %. Reported: wall time of the
nonlinear solve, Newton iterations per increment, cut-backs, time in tangent assembly
and in the linear solves, and peak memory (RSS of a fresh worker process). Nothing about
speed is asserted; the checks are that the solve converged and that the adipose layer
reached the intended compression.

Sizes: ``full`` (default) ~108k DOFs (32 × 32 × 32 cells); ``TISSUE_SIM_BENCH_SCALE=small``
~6.6k DOFs (12 × 12 × 12 cells).

Materials (FACTS §2; the fascia is an assumption adapted from plantar fascia):

* skin: neo-Hookean μ = 8 kPa, κ = 666.67 kPa (C10 = 4 kPa, K0; Int Wound J 2018 set);
* adipose: neo-Hookean μ = 0.8 kPa, κ = 66.67 kPa (C10 = 0.4 kPa; same set);
* fascia: HGO type, matrix μ = 1 MPa, κ = 4.67 MPa, two fibre families at ±39°
  (interlayer angle ~78°, Benetazzo 2011 / Bonaldi 2023) with Natali et al. 2010's
  exponential fibre energy k1 = 25.4 MPa, k2 = 10.397 (k reduced tenfold: assumption);
* muscle: Ogden μ = 15.6 kPa, α = 21.4 (Bosboom et al. 2001), κ for ν = 0.49 (assumption).

Run alone: ``.venv/bin/pytest benchmarks/test_bench_hyperelastic.py --benchmark-only -s``.
This file is also the worker script of its case (``python test_bench_hyperelastic.py``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from _support import GIB, SCALE, Prepared, measure_in_worker, record, worker_main

SECTION = "Hyperelastic indentation to 30 % adipose compression (issue 7)"

#: Cells per layer (skin, adipose, fascia, muscle) and across, per scale.
GRIDS = {
    "small": {"lateral": 12, "layers": (2, 6, 1, 3)},
    "full": {"lateral": 32, "layers": (4, 16, 2, 10)},
}
#: Layer thicknesses, top first [m]: skin, adipose, fascia, muscle.
THICKNESSES = (3e-3, 15e-3, 1.4e-3, 20e-3)
WIDTH = 80e-3  # [m]
PUNCH_RADIUS = 10e-3  # flat part [m]
PUNCH_ROUNDING = 6e-3  # width of the cos² rounded edge [m]
#: Punch depth per scale [m]: the adipose layer under the punch then shortens by about
#: 30 % at that resolution (the coarse mesh is stiffer in bending).
DEPTHS = {"small": 4.3e-3, "full": 5.0e-3}


def _materials() -> list[Any]:
    from tissue_sim.mechanics.hyperelastic import FibreReinforced, NeoHookean, Ogden

    fibre = math.radians(39.0)
    return [
        NeoHookean(8.0e3, 666.67e3),
        NeoHookean(0.8e3, 66.67e3),
        FibreReinforced(1.0e6, 4.67e6, 25.4e6, 10.397, (fibre, -fibre), fibre_energy="exponential"),
        Ogden((15.6e3,), (21.4,), 2.0 * 15.6e3 * 1.49 / (3.0 * 0.02)),
    ]


def _mesh(scale: str) -> Any:
    from tissue_sim.geometry.mesh import structured_block_mesh

    grid = GRIDS[scale]
    cells = grid["layers"]
    z = [0.0]
    layer_by_z: list[int] = []
    # bottom (muscle, index 3) to top (skin, index 0)
    for layer in (3, 2, 1, 0):
        z.extend(z[-1] + THICKNESSES[layer] * (np.arange(1, cells[layer] + 1) / cells[layer]))
        layer_by_z.extend([layer] * cells[layer])
    lateral = np.linspace(-0.5 * WIDTH, 0.5 * WIDTH, grid["lateral"] + 1)
    return structured_block_mesh(
        lateral,
        lateral,
        np.asarray(z),
        np.asarray(layer_by_z, dtype=np.int32),
        ("skin", "adipose", "fascia", "muscle"),
    )


def _indentation(params: Mapping[str, Any]) -> Prepared:
    """Worker case: build the problem (untimed), then solve the indentation (timed)."""
    from tissue_sim.fem.dirichlet import DirichletCondition
    from tissue_sim.mechanics import FrameLoads, NewtonSettings, SolidBody, solve_frames

    mesh = _mesh(params["scale"])
    problem = SolidBody(mesh, _materials())
    points = mesh.points
    fixed = np.zeros((mesh.num_points, 3), dtype=bool)
    values = np.zeros((mesh.num_points, 3))
    fixed[mesh.nodes_on_face("bottom")] = True
    for face, axis in (("x_min", 0), ("x_max", 0), ("y_min", 1), ("y_max", 1)):
        fixed[mesh.nodes_on_face(face), axis] = True  # rollers: surrounding tissue
    top = mesh.nodes_on_face("top")
    radius = np.hypot(points[top, 0], points[top, 1])
    edge = np.clip((radius - PUNCH_RADIUS) / PUNCH_ROUNDING, 0.0, 1.0)
    fixed[top, 2] = True  # frictionless punch over the whole top: outside it w = 0
    values[top, 2] = -DEPTHS[params["scale"]] * np.cos(0.5 * np.pi * edge) ** 2
    condition = DirichletCondition(fixed.reshape(-1), values.reshape(-1))
    settings = NewtonSettings(initial_step=0.25, linear_solver=params["solver"])
    timings = {"evaluate": 0.0, "evaluations": 0, "tangents": 0}
    evaluate = problem.evaluate

    def timed_evaluate(displacement: Any, *, tangent: bool = True, energy: bool = False) -> Any:
        start = time.perf_counter()
        result = evaluate(displacement, tangent=tangent, energy=energy)
        timings["evaluate"] += time.perf_counter() - start
        timings["evaluations"] += 1
        timings["tangents"] += int(tangent)
        return result

    problem.evaluate = timed_evaluate  # type: ignore[method-assign]
    state: dict[str, Any] = {}

    def run() -> dict[str, Any]:
        start = time.perf_counter()
        loads = FrameLoads.from_vectors(np.zeros((1, mesh.num_points, 3)))
        state["solution"], _ = solve_frames(problem, loads, condition, newton=settings)
        seconds = time.perf_counter() - start
        frame = state["solution"].newton.frames[0]
        increments = [inc for inc in frame.increments if inc.converged]
        return {
            "increments": len(increments),
            "cutbacks": frame.cutbacks,
            "newton_iterations": frame.newton_iterations,
            "iterations_per_increment": " ".join(str(inc.iterations) for inc in increments),
            "linear_iterations": frame.linear_iterations,
            "tangent_setups": frame.setups,
            "evaluate_seconds": timings["evaluate"],
            "tangent_assemblies": timings["tangents"],
            "residual_evaluations": timings["evaluations"] - timings["tangents"],
            "solve_seconds": seconds - timings["evaluate"],
        }

    def check() -> dict[str, Any]:
        displacement = state["solution"].displacement[0]
        centre = np.flatnonzero(np.hypot(points[:, 0], points[:, 1]) < 1e-9)
        heights = points[centre, 2]
        adipose_top = sum(THICKNESSES[1:])
        adipose_bottom = sum(THICKNESSES[2:])
        top_node = centre[np.argmin(np.abs(heights - adipose_top))]
        bottom_node = centre[np.argmin(np.abs(heights - adipose_bottom))]
        shortening = displacement[bottom_node, 2] - displacement[top_node, 2]
        fields = problem.cell_fields(displacement)
        adipose = mesh.cell_layer == 1
        return {
            "adipose_compression": float(shortening / THICKNESSES[1]),
            "min_adipose_stretch": float(fields.principal_stretches[adipose].min()),
            "max_fascia_fibre_stretch": float(fields.fibre_stretch[mesh.cell_layer == 2].max()),
        }

    return Prepared(
        run=run,
        check=check,
        info={"dofs": 3 * mesh.num_points, "cells": mesh.num_cells, "scale": params["scale"]},
    )


CASES = {"indentation": _indentation}


def test_hyperelastic_indentation(benchmark: Any) -> None:
    """~100k-DOF layered block indented to 30 % adipose compression (issue 7)."""
    benchmark.group = SECTION
    result = measure_in_worker(
        benchmark, Path(__file__), "indentation", {"scale": SCALE, "solver": "auto"}
    )
    facts, checks = result.facts, result.checks
    record(
        SECTION,
        f"Q1 three-field, {result.info['dofs']} DOFs",
        **{
            "time [s]": result.seconds,
            "increments": facts["increments"],
            "Newton its / increment": facts["iterations_per_increment"],
            "cut-backs": facts["cutbacks"],
            "tangent assembly [s]": facts["evaluate_seconds"],
            "linear solves [s]": facts["solve_seconds"],
            "GMRES its": facts["linear_iterations"],
            "factorisations": facts["tangent_setups"],
            "adipose compression": checks["adipose_compression"],
            "peak RSS [GiB]": result.peak_rss / GIB,
        },
    )
    assert facts["increments"] >= 1
    assert 0.27 < checks["adipose_compression"] < 0.33


if __name__ == "__main__":
    worker_main(CASES)
