"""Massage techniques through the finite-element solve (issue: techniques and dose).

* A static hold with K frames equals K copies of the single-load solve.
* Cyclic kneading: solving every frame equals the static solution scaled by the load
  curve (linear superposition), to solver tolerance.
* A moving stroke: the strain history of a skin-near point under the path peaks at the
  frame whose patch centre is nearest to it, and the peak moves with the patch.
* One solver set-up serves all frames.
"""

from __future__ import annotations

import numpy as np
import pytest

from tissue_sim import load_config
from tissue_sim.loading import technique_frames
from tissue_sim.mechanics import (
    FrameLoads,
    LinearSettings,
    SolidBody,
    base_condition,
    skin_quadrature,
    solve_frames,
)
from tissue_sim.mechanics.session import layer_materials
from tissue_sim.pipeline import build_mesh


def _problem(scenario):
    mesh = build_mesh(scenario)
    problem = SolidBody(mesh, layer_materials(scenario.tissue.layers, "linear"))
    return mesh, problem, base_condition(mesh), skin_quadrature(mesh, 4e-3)


def solve_linear_frames(
    problem, condition, frames, quadrature, *, solver=None, use_superposition=True
):
    """The technique's frames on the small-strain body (dead loads, one set-up solver)."""
    loads = FrameLoads.from_technique(
        frames, quadrature, superposition=use_superposition, follower=False
    )
    settings = LinearSettings(superposition=use_superposition)
    return solve_frames(problem, loads, condition, linear=settings, solver=solver)


def test_static_hold_with_k_frames_equals_the_single_solve() -> None:
    base = ["mesh.size=coarse"]
    single = load_config("configs/static_compression.yaml", [*base, "loading.frames=1"])
    many = load_config("configs/static_compression.yaml", [*base, "loading.frames=5"])
    _mesh, problem, condition, quadrature = _problem(single)
    one, solver = solve_linear_frames(
        problem, condition, single.loading.steps[0].frames(), quadrature
    )
    five, _ = solve_linear_frames(
        problem,
        condition,
        many.loading.steps[0].frames(),
        quadrature,
        solver=solver,
        use_superposition=False,
    )
    assert five.displacement.shape[0] == 5
    scale = np.abs(one.displacement).max()
    for k in range(5):
        assert np.abs(five.displacement[k] - one.displacement[0]).max() < 1e-10 * scale


def test_kneading_frames_are_the_static_solution_times_the_load_curve() -> None:
    scenario = load_config("configs/kneading.yaml", ["mesh.size=coarse", "loading.frames=8"])
    frames = scenario.loading.steps[0].frames()
    assert frames.load_factors is not None
    _mesh, problem, condition, quadrature = _problem(scenario)
    solved, _ = solve_linear_frames(problem, condition, frames, quadrature, use_superposition=False)
    superposed, _ = solve_linear_frames(problem, condition, frames, quadrature)
    peak = int(np.argmax(frames.load_factors))
    static = solved.displacement[peak] / frames.load_factors[peak]
    scale = np.abs(static).max()
    for k, factor in enumerate(frames.load_factors):
        assert np.abs(solved.displacement[k] - factor * static).max() < 1e-9 * scale
        assert np.abs(superposed.displacement[k] - solved.displacement[k]).max() < 1e-9 * scale
    assert np.allclose(
        superposed.cell_strain,
        solved.cell_strain,
        rtol=0,
        atol=1e-9 * np.abs(solved.cell_strain).max(),
    )


def test_moving_stroke_strain_peaks_when_the_patch_passes() -> None:
    scenario = load_config(
        "configs/effleurage.yaml", ["mesh.size=5 mm", "loading.frames=17", "loading.friction=0"]
    )
    step = scenario.loading.steps[0]
    frames = step.frames()
    mesh, problem, condition, quadrature = _problem(scenario)
    solution, solver = solve_linear_frames(problem, condition, frames, quadrature)
    assert solver.statistics.setup_seconds > 0 and len(solver.statistics.relative_residuals) > 0
    loaded = np.flatnonzero(frames.loaded)
    centres = np.array([frames.frames[k].loads[0].patch.centre for k in loaded])
    # the top row of adipose cells (the soft layer under the stiff skin, which compresses
    # where the hand presses) along the path (y ~ 0), between the first and last centres
    vertices = mesh.points[mesh.linear_cells()]
    centroid = vertices.mean(axis=1)
    adipose = mesh.cell_layer == mesh.layer_names.index("adipose")
    top_row = adipose & (vertices[:, :, 2].max(axis=1) >= centroid[adipose, 2].max() - 1e-9)
    on_path = top_row & (np.abs(centroid[:, 1]) < 3e-3)
    on_path &= (centroid[:, 0] > centres[2, 0]) & (centroid[:, 0] < centres[-3, 0])
    cells = np.flatnonzero(on_path)
    assert cells.size >= 4
    # vertical compressive strain history of each cell over the loaded frames
    history = -solution.cell_strain[loaded][:, cells, 2, 2]
    peak_frames = np.argmax(history, axis=0)
    nearest = np.argmin(np.abs(centres[:, 0][:, None] - centroid[cells, 0][None, :]), axis=0)
    assert np.all(np.abs(peak_frames - nearest) <= 1)
    order = np.argsort(centroid[cells, 0])
    assert np.all(np.diff(peak_frames[order]) >= 0)


def test_technique_frames_reuse_one_solver_across_a_session() -> None:
    scenario = load_config("configs/session_sequence.yaml", ["mesh.size=coarse"])
    _mesh, problem, condition, quadrature = _problem(scenario)
    solver = None
    for step in scenario.loading.steps:
        _solution, used = solve_linear_frames(
            problem, condition, step.frames(), quadrature, solver=solver
        )
        assert solver is None or used is solver
        solver = used
    assert solver is not None
    assert len(solver.statistics.relative_residuals) >= 3


@pytest.mark.parametrize("frames", [1])
def test_moving_patch_needs_two_frames(frames: int) -> None:
    from tissue_sim.errors import InputError

    with pytest.raises(InputError, match=r"loading\.frames"):
        load_config("configs/effleurage.yaml", [f"loading.frames={frames}"])


def test_frames_cover_the_cycle() -> None:
    scenario = load_config("configs/kneading.yaml")
    frames = technique_frames(scenario.loading.steps[0].technique, 8)
    assert frames.frame_times[0] == 0.0
    assert frames.frame_times[-1] < frames.cycle_period
    assert frames.cycle_frequency == pytest.approx(0.5)
