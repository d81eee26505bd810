r"""Time-course features: tissue pressure, capillary closure and skin strain, per phase.

The dose features of :mod:`tissue_sim.stimulus.features` describe a whole cycle. Perfusion
and skin afferents answer within seconds, so a slow technique (a hold with its ramps,
release and rest) must show them *when* the pressure is on and when it is released. These
features are therefore computed **per phase**: a phase is one linear piece of the cycle
between two consecutive frames (the wrap-around piece from the last frame back to the first
one period later included). For every phase the feature is the exact time mean over that
piece of a quantity that is piecewise linear in time between frames (as everywhere in the
stimulus stage). A cycle of a fast technique (a stroke, kneading: period below
:data:`MIN_RESOLVED_PERIOD`) is not split: its single phase is the whole cycle, and the
feature is the cycle mean.

Quantities at a frame (Cauchy stress :math:`\sigma` from the mechanics, which exports it
per cell and frame; nothing is recomputed from the material law):

``tissue_pressure``
    :math:`p = -\operatorname{tr}\sigma/3` [Pa], the hydrostatic (mean compressive) stress.
    In a single-phase, nearly incompressible solid this is the interstitial pressure the
    vessels feel (assumption: no biphasic fluid/solid split; the fluid pressure of a
    biphasic tissue under a fast load approaches it).
``compressive_stress``
    :math:`\max(-\sigma_3, 0)` [Pa], the most compressive principal stress.
``capillary_closure``
    :math:`c(p) = \operatorname{clip}((p - P_v)/(P_a - P_v), 0, 1)` [-]: a capillary
    bed as a collapsible (Starling-resistor) conduit between its venular-end pressure
    :math:`P_v` = 12 mmHg and its arteriolar-end pressure :math:`P_a` = 32 mmHg (Landis
    1930, human skin capillary loops, by micropipette: 32 mmHg arteriolar limb, 12 mmHg
    venous limb; docs/biology.md "Perfusion"). Flow through a collapsible segment falls
    with :math:`P_a - \max(p, P_v)`: fully open for :math:`p \le P_v`, closed for
    :math:`p \ge P_a`. Its exact mean over a linear piece is
    :math:`(E(P_v) - E(P_a))/(P_a - P_v)` with :math:`E(L)` the mean of :math:`(p - L)^+`.
``skin_strain``
    :math:`\max(\varepsilon_1, -\varepsilon_3)` [-] (largest principal strain magnitude,
    small strain or Green–Lagrange) of the **skin surface cell above the point** (same
    column of the layered block; :func:`skin_column`): where the skin's mechanoreceptors
    are. Every point of a column reads the same skin.
``skin_strain_rate``
    :math:`|d\,\mathrm{skin\_strain}/dt|` [1/s], its mean over the phase (the total
    variation of the piece over its duration).
``pressure_peak``
    :math:`\max_k p(t_k)` [Pa] over the cycle (the same in every phase).

The pipeline splits each slow step's part of every session into its phases
(:func:`expand_phases`) so that the cell models see these features change within the
session; every other feature keeps its cycle value in every phase.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

import numpy as np
from numpy.typing import NDArray

from tissue_sim.mechanics.strain_measures import principal_strains

if TYPE_CHECKING:
    from tissue_sim.geometry.mesh import Mesh
    from tissue_sim.loading import TechniqueStep
    from tissue_sim.mechanics.frames import FrameSolution

__all__ = [
    "COURSE_FEATURE_DESCRIPTIONS",
    "COURSE_FEATURE_NAMES",
    "COURSE_FEATURE_UNITS",
    "MAX_RESOLVED_PHASES",
    "MIN_RESOLVED_PERIOD",
    "MMHG",
    "P_ARTERIOLAR",
    "P_VENULAR",
    "PhaseCourse",
    "course_features",
    "expand_phases",
    "piece_excess_mean",
    "skin_column",
    "step_courses",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: One millimetre of mercury [Pa].
MMHG: Final[float] = 133.322387415
#: Arteriolar-end capillary pressure: 32 mmHg (Landis 1930, human skin, 125 observations).
P_ARTERIOLAR: Final[float] = 32.0 * MMHG
#: Venous-end capillary pressure: 12 mmHg (Landis 1930, human skin, 99 observations).
P_VENULAR: Final[float] = 12.0 * MMHG
#: Cycles shorter than this [s] are read as one phase (assumption: strokes and kneading
#: cycles of ≤ 2 s are faster than perfusion and afferent adaptation; holds, ramps and
#: rests last seconds to minutes).
MIN_RESOLVED_PERIOD: Final[float] = 10.0
#: Most phase intervals per step and session; beyond, the cycle is read as one phase.
MAX_RESOLVED_PHASES: Final[int] = 2000

#: Names of the time-course features, in a stable order.
COURSE_FEATURE_NAMES: Final[tuple[str, ...]] = (
    "tissue_pressure",
    "compressive_stress",
    "capillary_closure",
    "pressure_peak",
    "skin_strain",
    "skin_strain_rate",
)

#: Feature name → unit.
COURSE_FEATURE_UNITS: Final[dict[str, str]] = {
    "tissue_pressure": "Pa",
    "compressive_stress": "Pa",
    "capillary_closure": "1",
    "pressure_peak": "Pa",
    "skin_strain": "1",
    "skin_strain_rate": "1/s",
}

#: Feature name → formula.
COURSE_FEATURE_DESCRIPTIONS: Final[dict[str, str]] = {
    "tissue_pressure": (
        "time mean over the phase (slow techniques) or the cycle of p = -tr(sigma)/3, the "
        "hydrostatic pressure from the Cauchy stress"
    ),
    "compressive_stress": (
        "time mean over the phase or cycle of max(-sigma_3, 0), the most compressive "
        "principal stress"
    ),
    "capillary_closure": (
        "time mean over the phase or cycle of clip((p - 12 mmHg)/(32 mmHg - 12 mmHg), 0, 1): "
        "share of the capillary bed closed by tissue pressure (Landis 1930 end pressures)"
    ),
    "pressure_peak": "max_k p(t_k): peak hydrostatic pressure of the cycle",
    "skin_strain": (
        "time mean over the phase or cycle of max(eps_1, -eps_3) of the skin surface cell "
        "above the point"
    ),
    "skin_strain_rate": (
        "time mean over the phase or cycle of |d skin_strain / dt| (total variation per second)"
    ),
}


@dataclass(frozen=True)
class PhaseCourse:
    """The time-course features of one technique step, phase by phase.

    Attributes
    ----------
    starts, ends
        Start and end of each phase within the cycle ``(J,)`` [s] (``J = 1``: the whole
        cycle, ``[0, period]``).
    period
        Cycle period [s].
    values
        Feature name → per-phase values ``(J, P)``.
    cycle
        Feature name → cycle means ``(P,)`` (``pressure_peak``: the cycle peak).
    """

    starts: FloatArray
    ends: FloatArray
    period: float
    values: dict[str, FloatArray] = field(default_factory=dict)
    cycle: dict[str, FloatArray] = field(default_factory=dict)

    @property
    def resolved(self) -> bool:
        """Whether the cycle is split into more than one phase."""
        return self.starts.size > 1


def skin_column(
    centroids: FloatArray, cell_layer: NDArray[np.integer], surface: NDArray[np.bool_]
) -> IntArray:
    """For every cell, the skin surface cell of its column (nearest in x, y).

    Parameters
    ----------
    centroids
        Cell centroids ``(m, 3)`` [m] (z up).
    cell_layer
        Layer index of every cell ``(m,)``; layer 0 is the skin (the top layer).
    surface
        Whether each cell touches the top face ``(m,)``.

    Returns
    -------
    ndarray
        Index of the skin surface cell above every cell ``(m,)``.
    """
    from scipy.spatial import cKDTree

    top = np.flatnonzero(surface & (np.asarray(cell_layer) == 0))
    if top.size == 0:
        raise ValueError("no skin cell touches the top face")
    _, nearest = cKDTree(centroids[top, :2]).query(centroids[:, :2])
    return top[np.asarray(nearest, dtype=np.int64)]


def piece_excess_mean(start: FloatArray, end: FloatArray, level: float) -> FloatArray:
    r"""Exact time mean of :math:`(v - L)^+` over a linear piece from ``start`` to ``end``.

    .. math:: \frac{1}{b - a}\int_a^b (x - L)^+\,dx
              = \frac{[(b - L)^+]^2 - [(a - L)^+]^2}{2 (b - a)},

    and :math:`(a - L)^+` when :math:`a = b` (to round-off: within 1e-9 of the scale).
    """
    a = np.asarray(start, dtype=float)
    b = np.asarray(end, dtype=float)
    span = b - a
    scale = np.maximum(np.abs(a), np.abs(b)) + abs(level) + 1e-300
    flat = np.abs(span) <= 1e-9 * scale
    safe = np.where(flat, 1.0, span)
    sloped = (np.maximum(b - level, 0.0) ** 2 - np.maximum(a - level, 0.0) ** 2) / (2.0 * safe)
    return np.where(flat, np.maximum(0.5 * (a + b) - level, 0.0), sloped)


def course_features(
    stress: FloatArray,
    strain: FloatArray,
    frame_times: FloatArray,
    *,
    cycle_period: float,
    session_duration: float,
    column: IntArray | None = None,
    resolve: bool = True,
    names: Sequence[str] = COURSE_FEATURE_NAMES,
) -> PhaseCourse:
    """Time-course features of every cell over one cycle, per phase.

    Parameters
    ----------
    stress
        Cauchy stress per frame and cell ``(K, P, 3, 3)`` [Pa].
    strain
        Strain per frame and cell ``(K, P, 3, 3)`` [-] (small strain or Green–Lagrange).
    frame_times
        Frame times within the cycle, strictly increasing ``(K,)`` [s].
    cycle_period
        Cycle period T [s] (the history is periodic).
    session_duration
        Time the technique is applied per session [s] (bounds the number of phases).
    column
        Skin surface cell above every cell ``(P,)`` (:func:`skin_column`); ``None``: every
        cell reads its own strain.
    resolve
        Split a slow cycle (T ≥ :data:`MIN_RESOLVED_PERIOD`) into its phases; ``False``
        (e.g. a moving stroke): one phase, the whole cycle.
    names
        Features to compute (of :data:`COURSE_FEATURE_NAMES`).

    Returns
    -------
    PhaseCourse
        Per-phase values and cycle means. Identical frames (a constant hold) give one
        phase.
    """
    unknown = sorted(set(names) - set(COURSE_FEATURE_NAMES))
    if unknown:
        raise ValueError(f"unknown time-course features: {', '.join(unknown)}")
    times = np.asarray(frame_times, dtype=float)
    sigma = np.asarray(stress, dtype=float)
    n_frames = times.size
    if sigma.shape[0] != n_frames or sigma.shape[2:] != (3, 3):
        raise ValueError(f"stress must have shape ({n_frames}, P, 3, 3), got {sigma.shape}")
    if cycle_period <= 0.0 or (n_frames > 1 and np.any(np.diff(times) <= 0.0)):
        raise ValueError("frame times must increase within a positive cycle period")
    principal_stress = principal_strains(sigma)  # the same closed form for any symmetric tensor
    frame_values = {
        "tissue_pressure": -np.trace(sigma, axis1=-2, axis2=-1) / 3.0,
        "compressive_stress": np.maximum(-principal_stress[..., 2], 0.0),
    }
    if {"skin_strain", "skin_strain_rate"} & set(names):
        principal = principal_strains(np.asarray(strain, dtype=float))
        magnitude = np.maximum(principal[..., 0], -principal[..., 2])
        frame_values["skin_strain"] = magnitude if column is None else magnitude[:, column]
    # the linear pieces of the periodic cycle: frame k → frame k+1, last → first + T
    starts = times
    ends = np.append(times[1:], times[0] + cycle_period)
    nxt = np.append(np.arange(1, n_frames), 0)
    cycles = max(1, int(np.floor(session_duration / cycle_period * (1.0 + 1e-12))))
    constant = all(
        np.array_equal(frame_values[key], frame_values[key][:1].repeat(n_frames, axis=0))
        for key in frame_values
    )
    split = (
        resolve
        and n_frames > 1
        and cycle_period >= MIN_RESOLVED_PERIOD
        and not constant
        and cycles * n_frames <= MAX_RESOLVED_PHASES
    )
    durations = (ends - starts)[:, None]
    pieces: dict[str, FloatArray] = {}
    pressure = frame_values["tissue_pressure"]
    for name in names:
        if name == "pressure_peak":
            continue
        if name == "capillary_closure":
            a, b = pressure, pressure[nxt]
            excess = piece_excess_mean(a, b, P_VENULAR) - piece_excess_mean(a, b, P_ARTERIOLAR)
            pieces[name] = excess / (P_ARTERIOLAR - P_VENULAR)
        elif name == "skin_strain_rate":
            skin = frame_values["skin_strain"]
            pieces[name] = np.abs(skin[nxt] - skin) / durations
        else:
            values = frame_values[name]
            pieces[name] = 0.5 * (values + values[nxt])
    weights = (ends - starts) / cycle_period
    cycle = {name: np.tensordot(weights, piece, axes=1) for name, piece in pieces.items()}
    if "pressure_peak" in names:
        cycle["pressure_peak"] = pressure.max(axis=0)
        pieces["pressure_peak"] = np.broadcast_to(cycle["pressure_peak"], pressure.shape)
    if not split:
        one = {name: value[None, :] for name, value in cycle.items()}
        return PhaseCourse(np.array([0.0]), np.array([cycle_period]), cycle_period, one, cycle)
    offset = times[0]
    return PhaseCourse(
        starts - offset,
        ends - offset,
        cycle_period,
        {name: np.ascontiguousarray(piece) for name, piece in pieces.items()},
        cycle,
    )


def expand_phases(
    stimuli: Sequence[dict[str, FloatArray]],
    intervals: Sequence[FloatArray],
    courses: Sequence[PhaseCourse | None],
) -> tuple[list[dict[str, FloatArray]], list[FloatArray]]:
    """Split every resolved step into its phases: one stimulus and interval set per phase.

    Parameters
    ----------
    stimuli
        Features per step (name → ``(P,)``), as the biology reads them.
    intervals
        ``[start, end]`` of each step in every session, ``(N, 2)`` per step [s].
    courses
        The time-course features of each step (``None``: the step has none).

    Returns
    -------
    stimuli, intervals
        A step without a resolved course is kept as it is (its time-course features set
        to their cycle means); a resolved step becomes ``J`` stimuli (every other feature
        unchanged, the time-course features at their phase value) with the intervals of
        that phase in every cycle of every session, cut at the step's end.
    """
    out_stimuli: list[dict[str, FloatArray]] = []
    out_intervals: list[FloatArray] = []
    for features, spans, course in zip(stimuli, intervals, courses, strict=True):
        spans = np.asarray(spans, dtype=float).reshape(-1, 2)
        if course is None or not course.resolved:
            extra = {} if course is None else course.cycle
            out_stimuli.append({**features, **extra})
            out_intervals.append(spans)
            continue
        period = course.period
        length = float(np.max(spans[:, 1] - spans[:, 0])) if spans.size else 0.0
        cycles = np.arange(int(np.ceil(length / period * (1.0 - 1e-12))) or 1)
        for phase, (begin, finish) in enumerate(zip(course.starts, course.ends, strict=True)):
            lo = spans[:, :1] + cycles[None, :] * period + begin
            hi = np.minimum(spans[:, :1] + cycles[None, :] * period + finish, spans[:, 1:])
            keep = hi > lo
            if not np.any(keep):
                continue
            phase_features = dict(features)
            phase_features.update({name: value[phase] for name, value in course.values.items()})
            out_stimuli.append(phase_features)
            out_intervals.append(np.column_stack((lo[keep], hi[keep])))
    return out_stimuli, out_intervals


def step_courses(
    mesh: Mesh,
    solutions: Sequence[FrameSolution],
    steps: Sequence[TechniqueStep],
    names: Sequence[str],
    per_step: Sequence[dict[str, FloatArray]] | None = None,
) -> list[PhaseCourse | None]:
    """The time-course features ``names`` of every technique step of a run.

    Parameters
    ----------
    mesh
        The mesh (skin columns: layer 0 is the skin, the top face is the skin surface).
    solutions
        The mechanics of each step (cell stress and strain per frame).
    steps
        The technique steps (frame times, cycle period, duration, moving or not).
    names
        The time-course features the cell models read (others are ignored); none: every
        entry is ``None``.
    per_step
        The dose features of each step; the cycle means are added to them (so that the
        stimulus output lists them).

    Returns
    -------
    list
        One :class:`PhaseCourse` per step (``None`` when no time-course feature is read).
        Moving techniques are read as one phase.
    """
    wanted = [name for name in COURSE_FEATURE_NAMES if name in set(names)]
    if not wanted:
        return [None] * len(steps)
    column = None
    if {"skin_strain", "skin_strain_rate"} & set(wanted):
        vertices = mesh.linear_cells()
        centroids = mesh.points[vertices].mean(axis=1)
        surface = np.asarray(np.isin(vertices, mesh.nodes_on_face("top")).any(axis=1))
        column = skin_column(centroids, mesh.cell_layer, surface)
    courses: list[PhaseCourse | None] = []
    for index, (step, solution) in enumerate(zip(steps, solutions, strict=True)):
        frames = step.frames()
        course = course_features(
            solution.cell_stress,
            solution.cell_strain,
            frames.frame_times,
            cycle_period=frames.cycle_period,
            session_duration=step.duration,
            column=column,
            resolve=not bool(getattr(step.technique, "moving", False)),
            names=wanted,
        )
        if per_step is not None:
            per_step[index].update(course.cycle)
        courses.append(course)
    return courses
