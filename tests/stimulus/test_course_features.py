"""Time-course features (tissue_sim/stimulus/course.py) against closed forms.

Sources: the closed form of confined compression of a linear elastic block (σ_zz = −p,
σ_xx = σ_yy = −ν/(1 − ν)·p, so the hydrostatic pressure is p(1 + ν)/(3(1 − ν)) → p as
ν → ½) solved by the real mechanics; the exact integral of a ramp function over a linear
piece; Landis 1930 (capillary closure between 12 and 32 mmHg, docs/biology.md "Perfusion").
"""

from __future__ import annotations

import numpy as np
import pytest

from tissue_sim.fem.dirichlet import DirichletCondition
from tissue_sim.fem.surface import facet_quadrature
from tissue_sim.geometry.mesh import structured_block_mesh
from tissue_sim.mechanics import FrameLoads, SolidBody, solve_frames
from tissue_sim.mechanics.materials import LinearElasticMaterial
from tissue_sim.stimulus.course import (
    MMHG,
    P_ARTERIOLAR,
    P_VENULAR,
    course_features,
    expand_phases,
    piece_excess_mean,
    skin_column,
)


def _confined_block(nu: float, pressure: float, factors: list[float]):  # type: ignore[no-untyped-def]
    """A 1-cm cube on rollers on all four sides and the base, pressed on top by a uniform
    pressure scaled by ``factors`` (one frame each): confined compression."""
    axis = np.linspace(0.0, 10e-3, 3)
    mesh = structured_block_mesh(axis, axis, axis, np.zeros(2, dtype=np.int32), ("skin",))
    body = SolidBody(mesh, [LinearElasticMaterial(20e3, nu)])
    condition = DirichletCondition.homogeneous(
        mesh.num_points,
        [
            (mesh.nodes_on_face("x_min"), (0,)),
            (mesh.nodes_on_face("x_max"), (0,)),
            (mesh.nodes_on_face("y_min"), (1,)),
            (mesh.nodes_on_face("y_max"), (1,)),
            (mesh.nodes_on_face("bottom"), (2,)),
        ],
    )
    top = facet_quadrature(mesh, mesh.facets["top"], degree=2)
    loads = FrameLoads.from_tractions(
        top,
        [lambda x: np.tile([0.0, 0.0, -pressure], (x.shape[0], 1))],
        factors=np.array(factors)[:, None],
    )
    solution, _ = solve_frames(body, loads, condition)
    return mesh, solution


@pytest.mark.parametrize("nu", [0.3, 0.4999])
def test_confined_compression_gives_the_closed_form_pressure(nu: float) -> None:
    """Uniform confined compression of a block by p: the most compressive stress is p, the
    hydrostatic pressure p(1 + ν)/(3(1 − ν)) (→ p for a nearly incompressible tissue), at
    every cell, from the stress the mechanics exports; the capillary closure follows."""
    pressure = 20.0 * MMHG
    mesh, solution = _confined_block(nu, pressure, [1.0])
    course = course_features(
        solution.cell_stress,
        solution.cell_strain,
        np.array([0.0]),
        cycle_period=60.0,
        session_duration=60.0,
    )
    hydrostatic = pressure * (1.0 + nu) / (3.0 * (1.0 - nu))
    np.testing.assert_allclose(course.cycle["compressive_stress"], pressure, rtol=1e-8)
    np.testing.assert_allclose(course.cycle["tissue_pressure"], hydrostatic, rtol=1e-8)
    closure = np.clip((hydrostatic - P_VENULAR) / (P_ARTERIOLAR - P_VENULAR), 0.0, 1.0)
    np.testing.assert_allclose(course.cycle["capillary_closure"], closure, rtol=1e-8)
    if nu > 0.49:
        np.testing.assert_allclose(course.cycle["tissue_pressure"], pressure, rtol=3e-4)
    assert not course.resolved  # a constant hold is one phase
    assert course.values["tissue_pressure"].shape == (1, mesh.num_cells)


def test_a_ramp_hold_release_is_resolved_into_its_phases_exactly() -> None:
    """A hold with ramps and a rest (frames at 0, 2, 62, 64 s of a 124-s cycle, load
    factors 0, 1, 1, 0) at 40 mmHg: four phases whose means are the exact integrals of the
    linear pieces — pressure 20, 40, 20, 0 mmHg; closure 0.45 on a ramp (fraction of the
    ramp above 12 mmHg weighted by the linear rise, plus the part above 32 mmHg), 1 on the
    hold, 0 at rest."""
    pressure = 40.0 * MMHG
    _, solution = _confined_block(0.4999, pressure, [0.0, 1.0, 1.0, 0.0])
    times = np.array([0.0, 2.0, 62.0, 64.0])
    course = course_features(
        solution.cell_stress,
        solution.cell_strain,
        times,
        cycle_period=124.0,
        session_duration=248.0,
    )
    assert course.resolved
    np.testing.assert_allclose(course.starts, times)
    np.testing.assert_allclose(course.ends, [2.0, 62.0, 64.0, 124.0])
    p = course.values["tissue_pressure"][:, 0] / pressure
    np.testing.assert_allclose(p, [0.5, 1.0, 0.5, 0.0], atol=3e-4)  # p(1+ν)/(3(1−ν)), ν=0.4999
    # exact closure of a ramp 0 → P (P = the cell's hydrostatic pressure)
    peak = course.cycle["pressure_peak"][0]
    a, b = P_VENULAR / peak, P_ARTERIOLAR / peak
    ramp = ((1 - a) ** 2 - (1 - b) ** 2) / 2 * peak / (P_ARTERIOLAR - P_VENULAR)
    np.testing.assert_allclose(course.values["capillary_closure"][:, 0], [ramp, 1, ramp, 0])
    assert ramp == pytest.approx(0.45, abs=1e-3)
    # cycle mean: weighted by the phase durations
    weights = (course.ends - course.starts) / 124.0
    assert course.cycle["capillary_closure"][0] == pytest.approx(
        float(weights @ course.values["capillary_closure"][:, 0])
    )
    # skin strain: the compressive strain magnitude, its rate only on the ramps
    rate = course.values["skin_strain_rate"][:, 0]
    assert rate[1] == rate[3] == 0.0
    assert rate[0] > 0.0 and rate[0] == pytest.approx(rate[2])


def test_a_fast_or_moving_cycle_is_one_phase() -> None:
    """A 1-s cycle (a stroke) is read as its cycle mean, as is any cycle when the caller
    says it moves."""
    stress = np.zeros((3, 2, 3, 3))
    stress[:, :, 2, 2] = np.array([0.0, -5e3, 0.0])[:, None]
    strain = np.zeros_like(stress)
    fast = course_features(
        stress, strain, np.array([0.0, 0.5, 0.75]), cycle_period=1.0, session_duration=600.0
    )
    slow = course_features(
        stress,
        strain,
        np.array([0.0, 10.0, 15.0]),
        cycle_period=20.0,
        session_duration=600.0,
        resolve=False,
    )
    assert not fast.resolved and not slow.resolved
    # mean over the cycle of a triangle 0 → 5 kPa/3 → 0 (period 1, wrap piece 0 → 0)
    np.testing.assert_allclose(fast.cycle["tissue_pressure"], 5e3 / 3 * 0.75 / 2)


@pytest.mark.parametrize("level", [0.0, 3.0, 7.5, 12.0])
def test_piece_excess_mean_is_the_exact_integral(level: float) -> None:
    """Mean of (v − L)+ over a linear piece against fine quadrature, rising, falling, flat."""
    starts = np.array([0.0, 10.0, 5.0, 9.0])
    ends = np.array([10.0, 0.0, 5.0, 9.0 + 1e-13])
    s = np.linspace(0.0, 1.0, 200001)
    expected = [
        np.trapezoid(np.maximum(a + (b - a) * s - level, 0.0), s)
        for a, b in zip(starts, ends, strict=True)
    ]
    np.testing.assert_allclose(piece_excess_mean(starts, ends, level), expected, atol=1e-8)


def test_phases_become_intervals_within_every_session_and_step() -> None:
    """A resolved step becomes one stimulus per phase, on in that phase of every cycle of
    every session, cut at the step's end; other features keep their cycle values; a step
    without a course is left alone."""
    stress = np.zeros((4, 1, 3, 3))
    stress[:, 0] = -np.array([0.0, 1.0, 1.0, 0.0])[:, None, None] * 40 * MMHG * np.eye(3)
    course = course_features(
        stress,
        np.zeros_like(stress),
        np.array([0.0, 2.0, 62.0, 64.0]),
        cycle_period=124.0,
        session_duration=300.0,
    )
    sessions = np.array([[100.0, 400.0], [86500.0, 86800.0]])
    other = np.array([[400.0, 500.0], [86800.0, 86900.0]])
    stimuli, intervals = expand_phases(
        [{"a": np.array([7.0])}, {"a": np.array([3.0])}], [sessions, other], [course, None]
    )
    assert len(stimuli) == 5 and len(intervals) == 5
    assert all(s["a"][0] == 7.0 for s in stimuli[:4]) and stimuli[4]["a"][0] == 3.0
    np.testing.assert_array_equal(intervals[4], other)
    hold = intervals[1]  # 2–62 s of each 124-s cycle: three cycles start within 300 s
    np.testing.assert_allclose(
        hold[:3],
        [[102.0, 162.0], [226.0, 286.0], [350.0, 400.0]],  # the last cut at the end
    )
    assert stimuli[1]["capillary_closure"][0] == 1.0 and stimuli[3]["capillary_closure"][0] == 0.0
    covered = sum(float(np.sum(i[:, 1] - i[:, 0])) for i in intervals[:4])
    assert covered == pytest.approx(2 * 300.0)  # the phases tile both sessions


def test_every_cell_reads_the_skin_surface_cell_of_its_column() -> None:
    """Skin columns: a cell reads the skin cell touching the top face above it."""
    centroids = np.array(
        [[0.0, 0.0, 0.9], [1.0, 0.0, 0.9], [0.0, 0.0, 0.5], [1.0, 0.1, 0.1], [0.0, 0.0, 0.7]]
    )
    layer = np.array([0, 0, 1, 2, 0])
    surface = np.array([True, True, False, False, False])
    np.testing.assert_array_equal(skin_column(centroids, layer, surface), [0, 1, 0, 1, 0])
