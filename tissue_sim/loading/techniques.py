r"""Massage techniques as physical parameter sets, and their quasi-static load frames.

Each technique is a frozen dataclass whose fields are physical parameters in SI units, with
defaults taken from ``FACTS.md`` §3–§4 where the literature gives a number and marked as an
assumption where it does not (``docs/techniques.md`` lists every default with its source).
:func:`technique_frames` turns a technique into :class:`TechniqueFrames`: ``K`` load frames
over one cycle (or one pass of a moving stroke), the time of each frame, the cycle period,
and, where the traction field is a fixed spatial pattern times scalar load curves, the
patterns and curves for linear superposition.

The strain history that the frames produce is read by the stimulus stage as a *periodic,
piecewise-linear* function of time through the frames (see
:func:`tissue_sim.stimulus.compute_features`); the frames are placed so that this reading is
exact for the load curve (breakpoints of ramp–hold–release curves are frames; a moving patch
gets explicit unloaded frames for lifting off and returning to the start of its path).

Techniques
----------
:class:`StaticCompression`
    Static compression / ischemic hold: pressure (optionally with shear) held over a patch.
:class:`SustainedShear`
    Sustained shear / myofascial release: a tangential traction held (60 s by default, as
    in the Standley-lab acyclic long-duration strain protocol), with load and release ramps.
:class:`Kneading`
    Cyclic kneading / petrissage: pressure (and optional shear) oscillating at ``frequency``.
:class:`Effleurage`
    A patch gliding along a straight or polyline path at ``speed``, with shear in the
    direction of motion.
:class:`CrossFibreFriction`
    Small-amplitude oscillating shear across the fibre direction under a constant pressure.
:class:`Roller`
    Instrument / roller: a narrow line contact (rectangle patch) moving along the skin.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar, Final

import numpy as np
from numpy.typing import NDArray

from tissue_sim.loading._path import path_lengths, path_vertices, positions_along_path
from tissue_sim.loading._validation import (
    LoadingParameterError,
    require_non_negative,
    require_positive,
)
from tissue_sim.loading.patch import ContactPatch, LoadFrame, PatchLoad, patch_extent

__all__ = [
    "MIN_CYCLIC_FRAMES",
    "MIN_FRAMES_PER_CROSSING",
    "MOVING_DEFAULT_FRAMES",
    "TECHNIQUES",
    "CrossFibreFriction",
    "Effleurage",
    "Kneading",
    "Roller",
    "StaticCompression",
    "SustainedShear",
    "Technique",
    "TechniqueFrames",
    "check_on_block",
    "default_frames",
    "minimum_frames",
    "technique_footprint",
    "technique_frames",
]

FloatArray = NDArray[np.float64]

#: Fewest frames per cycle of an oscillating technique (kneading, cross-fibre friction).
MIN_CYCLIC_FRAMES: Final[int] = 4
#: A moving patch advances at most 1/this of its length (along the motion) between frames.
MIN_FRAMES_PER_CROSSING: Final[int] = 3
#: Default number of pass frames of a moving patch (raised to the minimum when needed).
MOVING_DEFAULT_FRAMES: Final[int] = 24
#: Default number of frames of an oscillating technique (a multiple of 4 hits both peaks).
CYCLIC_DEFAULT_FRAMES: Final[int] = 8

# Default contact patches: FACTS.md §3 found no hand, thumb or elbow contact areas, so the
# sizes are assumptions of ours.
_THUMB = ContactPatch(centre=(0.0, 0.0), semi_axes=(0.01, 0.01), profile="smooth")
_HAND = ContactPatch(centre=(0.0, 0.0), semi_axes=(0.02, 0.015), profile="smooth")
_FINGERTIP = ContactPatch(centre=(0.0, 0.0), semi_axes=(0.005, 0.005), profile="smooth")
# IASTM tool edge: 4 cm contact length, 4 mm contact width (assumption), axis across the
# motion; Hertzian line contact of a rigid cylinder on soft tissue.
_TOOL_EDGE = ContactPatch(
    centre=(0.0, 0.0),
    semi_axes=(0.02, 0.002),
    orientation=math.pi / 2.0,
    profile="hertzian",
    shape="rectangle",
)
# IASTM mean normal force 6.0 N (J Athl Train 2023;58(1):60) over the tool-edge patch.
_IASTM_MEAN_FORCE = 6.0
_STROKE_PATH = ((-0.02, 0.0), (0.02, 0.0))


# --------------------------------------------------------------------------------------
# Techniques
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Hold:
    """Shared fields and checks of the hold techniques (see the subclasses)."""

    name: ClassVar[str] = "hold"
    cycle_parameter: ClassVar[str] = "hold_time"
    moving: ClassVar[bool] = False

    patch: ContactPatch = _THUMB
    pressure: float = 20.0e3
    shear: tuple[float, float] = (0.0, 0.0)
    hold_time: float = 60.0
    ramp_time: float = 0.0
    release_time: float = 0.0
    rest_time: float = 0.0

    def __post_init__(self) -> None:
        PatchLoad(self.patch, self.pressure, self.shear)
        require_positive("hold_time", self.hold_time)
        require_non_negative("ramp_time", self.ramp_time)
        require_non_negative("release_time", self.release_time)
        require_non_negative("rest_time", self.rest_time)
        if (self.ramp_time > 0.0) != (self.release_time > 0.0):
            raise LoadingParameterError(
                "ramp_time" if self.ramp_time == 0.0 else "release_time",
                "give both ramp_time and release_time (> 0) or neither",
            )
        if self.rest_time > 0.0 and self.ramp_time == 0.0:
            raise LoadingParameterError(
                "rest_time",
                "a rest between holds needs ramp_time and release_time > 0 "
                "(the load must come on and off over a finite time)",
            )

    @property
    def cycle_period(self) -> float:
        """Ramp + hold + release + rest [s]."""
        return self.ramp_time + self.hold_time + self.release_time + self.rest_time

    @property
    def has_ramps(self) -> bool:
        """Whether the load ramps on and off (otherwise a constant hold)."""
        return self.ramp_time > 0.0


@dataclass(frozen=True)
class StaticCompression(_Hold):
    """Static compression / ischemic hold: a pressure held on a patch.

    Parameters
    ----------
    patch
        Contact patch. Default: thumb, circle of radius 1 cm, smooth profile (assumption:
        FACTS §3 found no thumb contact areas).
    pressure
        Mean normal pressure during the hold [Pa]. Default 20 kPa (assumption: the
        "20 kPa thumb" of DESIGN.md; no numeric ischemic-compression pressure in FACTS §3).
    shear
        Mean shear traction :math:`(t_x, t_y)` during the hold [Pa]. Default none.
    hold_time
        Duration of the hold [s]. Default 60 s (assumption, as the 60-s Standley ALDS hold,
        FACTS §4).
    ramp_time, release_time
        Durations of the linear load and unload ramps [s]. Default 0: the frames are ``K``
        identical copies of the held load. Give both or neither.
    rest_time
        Unloaded time after the release before the next hold [s]. Default 0; needs ramps.
    """

    name: ClassVar[str] = "static_compression"


@dataclass(frozen=True)
class SustainedShear(_Hold):
    """Sustained shear / myofascial release (MFR): a tangential traction held on a patch.

    The load ramps on over ``ramp_time``, is held for ``hold_time``, and ramps off over
    ``release_time``. The defaults follow the Standley-lab acyclic long-duration strain
    (ALDS) profile that models MFR (Anloague 2020, FACTS §4): a 60-s stretch to 6% loaded at
    3%/s (2 s) and released at 1.5%/s (4 s).

    Parameters
    ----------
    patch
        Contact patch. Default: hand, ellipse 2 cm × 1.5 cm semi-axes, smooth (assumption).
    pressure
        Mean normal grip pressure [Pa]. Default 5 kPa (assumption).
    shear
        Mean shear traction :math:`(t_x, t_y)` held [Pa]. Default (2 kPa, 0) (assumption).
    hold_time
        Hold [s]. Default 60 s (ALDS, Meltzer & Standley 2007 / Anloague 2020; Cao 2015
        held 0–5 min).
    ramp_time
        Load ramp [s]. Default 2 s (derived: 6% at 3%/s, ALDS).
    release_time
        Release ramp [s]. Default 4 s (derived: 6% at 1.5%/s, ALDS).
    rest_time
        Unloaded time before the next hold [s]. Default 0.
    """

    name: ClassVar[str] = "sustained_shear"

    patch: ContactPatch = _HAND
    pressure: float = 5.0e3
    shear: tuple[float, float] = (2.0e3, 0.0)
    hold_time: float = 60.0
    ramp_time: float = 2.0
    release_time: float = 4.0
    rest_time: float = 0.0


@dataclass(frozen=True)
class Kneading:
    r"""Cyclic kneading / petrissage: pressure and shear oscillating on a fixed patch.

    Load curve over one cycle of period :math:`T = 1/f`:
    :math:`\lambda(t) = \beta + (1-\beta)\,\tfrac12(1 - \cos 2\pi t/T)` with
    :math:`\beta` = ``min_pressure / pressure``; pressure and shear are both
    :math:`\lambda(t)` times their peak values (the grip pushes and drags together).

    Parameters
    ----------
    patch
        Contact patch. Default: hand, ellipse 2 cm × 1.5 cm, smooth (assumption).
    pressure
        Peak mean pressure [Pa]. Default 10 kPa (assumption; intramuscular pressure waves of
        50 mmHg ≈ 6.7 kPa under local cyclic compression, Saitou 2018, FACTS §3).
    min_pressure
        Lowest mean pressure of the cycle [Pa], 0 ≤ ``min_pressure`` ≤ ``pressure``.
        Default 0 (full unloading each cycle; assumption).
    shear
        Peak mean shear traction :math:`(t_x, t_y)` [Pa]. Default none.
    frequency
        Cycle frequency [Hz]. Default 0.5 Hz (massage-like loading, Haas 2013; 0.25–1 Hz in
        the animal studies, FACTS §3).
    """

    name: ClassVar[str] = "kneading"
    cycle_parameter: ClassVar[str] = "frequency"
    moving: ClassVar[bool] = False

    patch: ContactPatch = _HAND
    pressure: float = 10.0e3
    min_pressure: float = 0.0
    shear: tuple[float, float] = (0.0, 0.0)
    frequency: float = 0.5

    def __post_init__(self) -> None:
        PatchLoad(self.patch, self.pressure, self.shear)
        require_non_negative("min_pressure", self.min_pressure)
        if self.min_pressure > self.pressure:
            raise LoadingParameterError(
                "min_pressure",
                f"must not exceed pressure ({self.min_pressure:g} Pa > {self.pressure:g} Pa)",
            )
        require_positive("frequency", self.frequency)

    @property
    def cycle_period(self) -> float:
        """One kneading cycle, :math:`1/f` [s]."""
        return 1.0 / self.frequency


@dataclass(frozen=True)
class CrossFibreFriction:
    r"""Cross-fibre (deep transverse) friction: oscillating shear across the fibres.

    The fingertip does not slide on the skin; it moves the skin over the deeper layers.
    Frames: constant pressure, shear :math:`S \sin(2\pi f t)` along the direction
    ``fibre_direction + 90°``.

    Parameters
    ----------
    patch
        Contact patch. Default: fingertip, circle of radius 5 mm, smooth (assumption).
    pressure
        Mean normal pressure [Pa]. Default 227 kPa (derived from 2.317 kg/cm², mean deep
        friction massage pressure of 40 physiotherapists, Chaves 2020, FACTS §3).
    shear_amplitude
        Amplitude :math:`S` of the mean shear traction [Pa]. Default 0.3 × 227 kPa
        (assumption: friction-coupled with a coefficient of 0.3).
    fibre_direction
        Direction of the fibres in the skin plane, from the x axis [rad]; the shear
        oscillates across it. Default 0 (fibres along x).
    frequency
        Oscillation frequency [Hz]. Default 65 strokes/min ≈ 1.08 Hz (textbook friction rate
        60–70 strokes/min, FACTS §3 [weak]; the issue asks for 1–2 Hz).
    """

    name: ClassVar[str] = "cross_fibre_friction"
    cycle_parameter: ClassVar[str] = "frequency"
    moving: ClassVar[bool] = False
    #: Friction coefficient coupling the default shear amplitude to the pressure (assumption).
    default_friction: ClassVar[float] = 0.3

    patch: ContactPatch = _FINGERTIP
    pressure: float = 227.0e3
    shear_amplitude: float = 0.3 * 227.0e3
    fibre_direction: float = 0.0
    frequency: float = 65.0 / 60.0

    def __post_init__(self) -> None:
        PatchLoad(self.patch, self.pressure)
        require_non_negative("shear_amplitude", self.shear_amplitude)
        if not math.isfinite(self.fibre_direction):
            raise LoadingParameterError("fibre_direction", "expected a finite angle")
        require_positive("frequency", self.frequency)

    @property
    def cycle_period(self) -> float:
        """One oscillation, :math:`1/f` [s]."""
        return 1.0 / self.frequency

    @property
    def shear_direction(self) -> tuple[float, float]:
        """Unit vector of the oscillation, across the fibres [-]."""
        angle = self.fibre_direction + math.pi / 2.0
        return (math.cos(angle), math.sin(angle))


@dataclass(frozen=True)
class _MovingStroke:
    """Shared fields and checks of the moving-patch techniques (see the subclasses)."""

    name: ClassVar[str] = "moving_stroke"
    cycle_parameter: ClassVar[str] = "path"
    moving: ClassVar[bool] = True
    #: Friction coefficient coupling the default shear to the pressure.
    default_friction: ClassVar[float] = 0.2
    #: Normal force that sets the default pressure over the patch [N]; ``None``: use
    #: the ``pressure`` default.
    default_force: ClassVar[float | None] = None

    patch: ContactPatch = _HAND
    pressure: float = 10.0e3
    shear: float = 0.2 * 10.0e3
    speed: float = 0.06
    path: tuple[tuple[float, float], ...] = _STROKE_PATH
    stroke_rate: float | None = None

    def __post_init__(self) -> None:
        PatchLoad(self.patch, self.pressure)
        if not math.isfinite(self.shear):
            raise LoadingParameterError("shear", "expected a finite shear traction")
        require_positive("speed", self.speed)
        vertices = path_vertices(self.path)
        object.__setattr__(self, "path", tuple((float(x), float(y)) for x, y in vertices))
        if self.stroke_rate is not None:
            require_positive("stroke_rate", self.stroke_rate)
            if 1.0 / self.stroke_rate <= self.pass_duration:
                raise LoadingParameterError(
                    "stroke_rate",
                    f"one pass takes {self.pass_duration:.3g} s ({self.path_length * 100:.3g}"
                    f" cm at {self.speed * 100:.3g} cm/s), longer than the stroke period "
                    f"{1.0 / self.stroke_rate:.3g} s: no time is left to return to the start",
                )

    @property
    def path_length(self) -> float:
        """Length of the stroke path [m]."""
        return float(path_lengths(np.asarray(self.path))[-1])

    @property
    def pass_duration(self) -> float:
        """Time of one pass along the path, length / speed [s]."""
        return self.path_length / self.speed

    @property
    def cycle_period(self) -> float:
        """One stroke: ``1/stroke_rate``, or twice the pass when no rate is given [s]."""
        if self.stroke_rate is None:
            return 2.0 * self.pass_duration
        return 1.0 / self.stroke_rate


@dataclass(frozen=True)
class Effleurage(_MovingStroke):
    """Effleurage stroke: a hand patch gliding along a path, then lifted back to the start.

    The patch centre moves along ``path`` at ``speed``; its orientation is measured from the
    direction of motion (``patch.orientation = 0``: the patch's x' axis along the motion),
    and ``patch.centre`` is not used. The shear traction acts in the direction of motion
    (the hand drags the skin along). After the pass the hand lifts off and returns to the
    start unloaded, so that one stroke takes ``1/stroke_rate``.

    Parameters
    ----------
    patch
        Contact patch. Default: hand, ellipse 2 cm × 1.5 cm, smooth (assumption).
    pressure
        Mean normal pressure [Pa]. Default 10 kPa (assumption; FACTS §3 reports effleurage
        has the highest force of the Swedish strokes, no pressure).
    shear
        Mean shear traction along the motion [Pa]. Default 0.2 × 10 kPa (assumption:
        friction coefficient 0.2 of a lubricated hand on skin).
    speed
        Gliding speed [m/s]. Default 6 cm/s (assumption: FACTS §3 found no stroke speeds;
        chosen so that the default 4-cm stroke with its return repeats at 45 strokes/min,
        the textbook effleurage rate of 40–50 strokes/min, FACTS §3 [weak]).
    path
        Polyline of the patch centre, ``((x0, y0), (x1, y1), ...)`` [m]. Default a 4 cm
        straight stroke along x through the origin.
    stroke_rate
        Strokes per second [Hz]; must leave time to return. Default ``None``: the unloaded
        return takes as long as the pass (so a longer path or a slower speed never
        conflicts with a fixed rate).
    """

    name: ClassVar[str] = "effleurage"


@dataclass(frozen=True)
class Roller(_MovingStroke):
    """Instrument / roller: a narrow line contact moving along the skin.

    Same kinematics as :class:`Effleurage`. The default patch is the edge of an
    instrument-assisted soft tissue mobilisation (IASTM) tool: a rectangle of contact
    length 4 cm and width 4 mm (assumption) with the Hertzian line-contact profile, its long
    axis across the motion (``patch.orientation = 90°`` relative to the motion).

    Parameters
    ----------
    patch
        Contact patch (orientation relative to the motion). Default: tool edge, above.
    pressure
        Mean normal pressure [Pa]. Default 6.0 N / 1.6 cm² = 37.5 kPa (derived from the
        IASTM mean normal force 6.0 N, J Athl Train 2023, FACTS §3, over the default patch).
    shear
        Mean shear traction along the motion [Pa]. Default 0 (assumption: a rolling or
        well-lubricated edge).
    speed
        Speed [m/s]. Default 4 cm/s (assumption; with the default 4-cm path and its return
        one stroke takes 2 s, 0.5 Hz, within the IASTM stroke frequencies 0.25–1.0 Hz,
        Everingham 2018, FACTS §3).
    path
        Polyline of the contact centre [m]. Default a 4 cm stroke along x.
    stroke_rate
        Strokes per second [Hz]; must leave time to return. Default ``None``: the return
        takes as long as the pass.
    """

    name: ClassVar[str] = "roller"
    default_friction: ClassVar[float] = 0.0
    default_force: ClassVar[float | None] = _IASTM_MEAN_FORCE

    patch: ContactPatch = _TOOL_EDGE
    pressure: float = _IASTM_MEAN_FORCE / _TOOL_EDGE.area
    shear: float = 0.0
    speed: float = 0.04
    path: tuple[tuple[float, float], ...] = _STROKE_PATH
    stroke_rate: float | None = None


Technique = StaticCompression | SustainedShear | Kneading | Effleurage | CrossFibreFriction | Roller
_HoldTechnique = StaticCompression | SustainedShear
_MovingTechnique = Effleurage | Roller

#: Technique name (the ``loading.technique`` key) → class.
TECHNIQUES: Final[dict[str, type[Technique]]] = {
    cls.name: cls
    for cls in (StaticCompression, SustainedShear, Kneading, Effleurage, CrossFibreFriction, Roller)
}


# --------------------------------------------------------------------------------------
# Frames
# --------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class TechniqueFrames:
    """Quasi-static load frames of one cycle (or pass) of a technique.

    Parameters
    ----------
    technique
        The technique the frames come from.
    frames
        The ``K`` load frames, in time order; ``frames[k].time`` lies in
        ``[0, cycle_period)``. Unloaded frames (empty ``loads``) mark the hand off the skin.
    cycle_period
        Duration of one cycle or stroke [s]. The strain history is periodic with this
        period and piecewise linear in time through the frames.
    loaded_time_per_cycle
        Time per cycle during which the technique is in contact with the skin (any load
        non-zero) [s].
    basis
        For linear superposition: ``B`` reference frames (fixed spatial traction patterns,
        ``time = 0``) such that the traction of frame ``k`` is
        ``sum_b basis_factors[k, b] * traction(basis[b])``; ``None`` for a moving patch.
    basis_factors
        Load curves, shape ``(K, B)`` [-]; ``None`` for a moving patch.
    """

    technique: Technique
    frames: tuple[LoadFrame, ...]
    cycle_period: float
    loaded_time_per_cycle: float
    basis: tuple[LoadFrame, ...] | None = None
    basis_factors: FloatArray | None = None
    frame_times: FloatArray = field(init=False)

    def __post_init__(self) -> None:
        times = np.array([frame.time for frame in self.frames], dtype=float)
        times.setflags(write=False)
        object.__setattr__(self, "frame_times", times)
        if self.basis_factors is not None:
            factors = np.array(self.basis_factors, dtype=float)
            factors.setflags(write=False)
            object.__setattr__(self, "basis_factors", factors)

    @property
    def n_frames(self) -> int:
        """Number of frames ``K``."""
        return len(self.frames)

    @property
    def cycle_frequency(self) -> float:
        """Cycles (strokes) per second, ``1 / cycle_period`` [Hz]."""
        return 1.0 / self.cycle_period

    @property
    def reference_frame(self) -> LoadFrame | None:
        """The single spatial pattern when ``B == 1`` (static, MFR, kneading), else ``None``."""
        if self.basis is None or len(self.basis) != 1:
            return None
        return self.basis[0]

    @property
    def load_factors(self) -> FloatArray | None:
        """Load curve ``(K,)`` [-] scaling :attr:`reference_frame`; ``None`` unless ``B == 1``."""
        if self.basis_factors is None or self.basis_factors.shape[1] != 1:
            return None
        return self.basis_factors[:, 0]

    @property
    def loaded(self) -> NDArray[np.bool_]:
        """Whether each frame carries a non-zero load, shape ``(K,)``."""
        return np.array([frame.is_loaded for frame in self.frames], dtype=bool)

    def cycles_per_session(self, session_duration: float) -> int:
        """Whole cycles that fit in ``session_duration`` [s] (partial cycles dropped) [-]."""
        return math.floor(session_duration / self.cycle_period * (1.0 + 1e-12))

    def time_under_load_per_session(self, session_duration: float) -> float:
        """Contact time in a session of ``session_duration`` [s]: cycles × loaded time [s]."""
        return self.cycles_per_session(session_duration) * self.loaded_time_per_cycle


def minimum_frames(technique: Technique) -> int:
    """Fewest frames :func:`technique_frames` accepts for a technique [-].

    Constant holds need 1; ramp–hold–release curves need one frame per breakpoint (3, or 4
    with a rest); oscillations need :data:`MIN_CYCLIC_FRAMES`; a moving patch needs at least
    2, and enough that the patch advances at most ``1/MIN_FRAMES_PER_CROSSING`` of its
    length between frames, so that every skin point on the path lies under the patch in
    about :data:`MIN_FRAMES_PER_CROSSING` frames or more:
    :math:`K - 1 \\ge 3 L / \\min(2h, L)` with :math:`L` the path length and :math:`h` the
    patch half-extent along the motion.
    """
    if isinstance(technique, _HoldTechnique):
        if not technique.has_ramps:
            return 1
        return 4 if technique.rest_time > 0.0 else 3
    if isinstance(technique, Kneading | CrossFibreFriction):
        return MIN_CYCLIC_FRAMES
    length = technique.path_length
    along, _ = patch_extent(technique.patch, 0.0)
    covered = min(2.0 * along, length)
    intervals = math.ceil(MIN_FRAMES_PER_CROSSING * length / covered * (1.0 - 1e-12))
    return max(2, intervals + 1)


def default_frames(technique: Technique) -> int:
    """Number of frames used when a scenario does not set ``frames`` [-].

    The minimum for holds; :data:`CYCLIC_DEFAULT_FRAMES` for oscillations; for a moving
    patch :data:`MOVING_DEFAULT_FRAMES`, raised to :func:`minimum_frames` when needed.
    """
    if isinstance(technique, _HoldTechnique):
        return minimum_frames(technique)
    if isinstance(technique, Kneading | CrossFibreFriction):
        return CYCLIC_DEFAULT_FRAMES
    return max(MOVING_DEFAULT_FRAMES, minimum_frames(technique))


def technique_frames(technique: Technique, n_frames: int | None = None) -> TechniqueFrames:
    """Quasi-static load frames over one cycle or pass of a technique.

    Parameters
    ----------
    technique
        One of the technique dataclasses.
    n_frames
        Number of frames ``K`` (for a moving patch: frames of the loaded pass; one or two
        unloaded frames for lift-off and return are added). ``None``:
        :func:`default_frames`.

    Returns
    -------
    TechniqueFrames
        Frames, frame times [s], cycle period [s] and superposition basis.

    Raises
    ------
    LoadingParameterError
        With ``parameter="frames"`` when ``n_frames`` is below :func:`minimum_frames`
        (in particular ``K < 2`` for a moving patch).
    """
    count = default_frames(technique) if n_frames is None else int(n_frames)
    if count != n_frames and n_frames is not None:
        raise LoadingParameterError("frames", f"expected a whole number, got {n_frames!r}")
    if count < 1:
        raise LoadingParameterError("frames", f"expected at least 1 frame, got {count}")
    if isinstance(technique, _MovingTechnique) and count < 2:
        raise LoadingParameterError(
            "frames", f"a moving patch needs at least 2 frames per pass, got {count}"
        )
    needed = minimum_frames(technique)
    if count < needed:
        raise LoadingParameterError("frames", _too_few_frames(technique, count, needed))
    if isinstance(technique, _HoldTechnique):
        return _hold_frames(technique, count)
    if isinstance(technique, Kneading):
        return _kneading_frames(technique, count)
    if isinstance(technique, CrossFibreFriction):
        return _friction_frames(technique, count)
    return _moving_frames(technique, count)


def technique_footprint(technique: Technique) -> tuple[float, float, float, float]:
    """Bounding box of the skin area the technique loads over a cycle.

    Useful to refine the mesh under the load.

    Returns
    -------
    tuple of float
        ``(x_min, x_max, y_min, y_max)`` [m].
    """
    boxes = _patch_boxes(technique)
    return (
        float(np.min(boxes[:, 0])),
        float(np.max(boxes[:, 1])),
        float(np.min(boxes[:, 2])),
        float(np.max(boxes[:, 3])),
    )


def check_on_block(technique: Technique, block_size: tuple[float, float]) -> None:
    """Check that the loaded area stays on the skin of a block of lateral size ``block_size``.

    Parameters
    ----------
    technique
        The technique.
    block_size
        Lateral size :math:`(L_x, L_y)` of the block [m]; the skin spans
        :math:`[-L_x/2, L_x/2] \\times [-L_y/2, L_y/2]`.

    Raises
    ------
    LoadingParameterError
        ``patch.semi_axes`` when the patch is larger than the block, ``patch.centre`` when a
        fixed patch reaches beyond the skin, ``path`` when a moving patch leaves it.
    """
    half_x, half_y = 0.5 * block_size[0], 0.5 * block_size[1]
    tolerance = 1e-9 * max(half_x, half_y)
    boxes = _patch_boxes(technique)
    widths = np.column_stack((boxes[:, 1] - boxes[:, 0], boxes[:, 3] - boxes[:, 2]))
    if np.any(widths[:, 0] > 2.0 * half_x + tolerance) or np.any(
        widths[:, 1] > 2.0 * half_y + tolerance
    ):
        raise LoadingParameterError(
            "patch.semi_axes",
            f"the patch ({_cm(np.max(widths[:, 0]))} × {_cm(np.max(widths[:, 1]))} cm) is "
            f"larger than the block ({_cm(block_size[0])} × {_cm(block_size[1])} cm)",
        )
    outside = (
        (boxes[:, 0] < -half_x - tolerance)
        | (boxes[:, 1] > half_x + tolerance)
        | (boxes[:, 2] < -half_y - tolerance)
        | (boxes[:, 3] > half_y + tolerance)
    )
    if not np.any(outside):
        return
    if isinstance(technique, _MovingTechnique):
        row = int(np.argmax(outside))
        point = row // 2 + row % 2
        x, y = technique.path[point]
        raise LoadingParameterError(
            "path",
            f"the path leaves the skin surface: with the patch centred at point {point} "
            f"({_cm(x)}, {_cm(y)}) cm the patch reaches beyond the block "
            f"(x within ±{_cm(half_x)} cm, y within ±{_cm(half_y)} cm)",
        )
    raise LoadingParameterError(
        "patch.centre",
        f"the patch at ({_cm(technique.patch.centre[0])}, {_cm(technique.patch.centre[1])}) cm "
        f"reaches beyond the skin surface (x within ±{_cm(half_x)} cm, "
        f"y within ±{_cm(half_y)} cm)",
    )


# --------------------------------------------------------------------------------------
# Frame builders
# --------------------------------------------------------------------------------------
def _scaled_frame(reference: LoadFrame, time: float, factor: float) -> LoadFrame:
    loads = tuple(
        PatchLoad(
            load.patch, load.pressure * factor, (load.shear[0] * factor, load.shear[1] * factor)
        )
        for load in reference.loads
    )
    return LoadFrame(time, loads)


def _hold_frames(technique: _HoldTechnique, count: int) -> TechniqueFrames:
    reference = LoadFrame(0.0, (PatchLoad(technique.patch, technique.pressure, technique.shear),))
    period = technique.cycle_period
    if not technique.has_ramps:
        times = np.arange(count) * (period / count)
        factors = np.ones(count)
    else:
        ramp, hold, release = technique.ramp_time, technique.hold_time, technique.release_time
        segments = [(0.0, ramp, 0.0, 1.0), (ramp, hold, 1.0, 1.0), (ramp + hold, release, 1.0, 0.0)]
        if technique.rest_time > 0.0:
            segments.append((ramp + hold + release, technique.rest_time, 0.0, 0.0))
        times, factors = _subdivide(segments, count)
    frames = tuple(
        _scaled_frame(reference, float(t), float(f)) for t, f in zip(times, factors, strict=True)
    )
    return TechniqueFrames(
        technique=technique,
        frames=frames,
        cycle_period=period,
        loaded_time_per_cycle=technique.ramp_time + technique.hold_time + technique.release_time,
        basis=(reference,),
        basis_factors=factors[:, None],
    )


def _subdivide(
    segments: Sequence[tuple[float, float, float, float]], count: int
) -> tuple[FloatArray, FloatArray]:
    """Frames at every segment start plus extra frames spread over the ramps.

    ``segments`` are ``(start, duration, start_factor, end_factor)`` covering one cycle.
    Extra frames go to the ramps (changing load) in proportion to their duration (largest
    remainder), evenly spaced inside each ramp.
    """
    extra = count - len(segments)
    ramps = [i for i, seg in enumerate(segments) if seg[2] != seg[3]]
    durations = np.array([segments[i][1] for i in ramps])
    quotas = extra * durations / durations.sum()
    shares = np.floor(quotas).astype(int)
    order = np.argsort(-(quotas - shares), kind="stable")
    shares[order[: extra - int(shares.sum())]] += 1
    per_segment = dict.fromkeys(range(len(segments)), 0)
    for index, share in zip(ramps, shares, strict=True):
        per_segment[index] = int(share)
    times: list[float] = []
    factors: list[float] = []
    for index, (start, duration, first, last) in enumerate(segments):
        pieces = per_segment[index] + 1
        fractions = np.arange(pieces) / pieces
        times.extend(start + duration * fractions)
        factors.extend(first + (last - first) * fractions)
    return np.array(times), np.array(factors)


def _kneading_frames(technique: Kneading, count: int) -> TechniqueFrames:
    period = technique.cycle_period
    times = np.arange(count) * (period / count)
    floor = technique.min_pressure / technique.pressure if technique.pressure > 0.0 else 0.0
    factors = floor + (1.0 - floor) * 0.5 * (1.0 - np.cos(2.0 * math.pi * times / period))
    reference = LoadFrame(0.0, (PatchLoad(technique.patch, technique.pressure, technique.shear),))
    frames = tuple(
        _scaled_frame(reference, float(t), float(f)) for t, f in zip(times, factors, strict=True)
    )
    return TechniqueFrames(
        technique=technique,
        frames=frames,
        cycle_period=period,
        loaded_time_per_cycle=period,
        basis=(reference,),
        basis_factors=factors[:, None],
    )


def _friction_frames(technique: CrossFibreFriction, count: int) -> TechniqueFrames:
    period = technique.cycle_period
    times = np.arange(count) * (period / count)
    oscillation = np.sin(2.0 * math.pi * times / period)
    dx, dy = technique.shear_direction
    amplitude = technique.shear_amplitude
    frames = tuple(
        LoadFrame(
            float(t),
            (
                PatchLoad(
                    technique.patch,
                    technique.pressure,
                    (amplitude * float(s) * dx, amplitude * float(s) * dy),
                ),
            ),
        )
        for t, s in zip(times, oscillation, strict=True)
    )
    basis = (
        LoadFrame(0.0, (PatchLoad(technique.patch, technique.pressure),)),
        LoadFrame(0.0, (PatchLoad(technique.patch, 0.0, (amplitude * dx, amplitude * dy)),)),
    )
    factors = np.column_stack((np.ones(count), oscillation))
    return TechniqueFrames(
        technique=technique,
        frames=frames,
        cycle_period=period,
        loaded_time_per_cycle=period,
        basis=basis,
        basis_factors=factors,
    )


def _moving_frames(technique: _MovingTechnique, count: int) -> TechniqueFrames:
    period = technique.cycle_period
    pass_time = technique.pass_duration
    step = pass_time / (count - 1)
    times = np.arange(count) * step
    times[-1] = pass_time
    vertices = np.asarray(technique.path)
    centres, angles = positions_along_path(vertices, np.asarray(technique.speed * times))
    frames: list[LoadFrame] = []
    for t, (x, y), angle in zip(times, centres, angles, strict=True):
        patch = technique.patch.moved((float(x), float(y)), technique.patch.orientation + angle)
        shear = (technique.shear * math.cos(angle), technique.shear * math.sin(angle))
        frames.append(LoadFrame(float(t), (PatchLoad(patch, technique.pressure, shear),)))
    return_time = period - pass_time
    lift = min(step, 0.5 * return_time)
    frames.append(LoadFrame(pass_time + lift))
    if period - lift > pass_time + lift * (1.0 + 1e-9):
        frames.append(LoadFrame(period - lift))
    return TechniqueFrames(
        technique=technique,
        frames=tuple(frames),
        cycle_period=period,
        loaded_time_per_cycle=pass_time + 2.0 * lift,
    )


# --------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------
def _patch_boxes(technique: Technique) -> FloatArray:
    """Bounding boxes ``(x_min, x_max, y_min, y_max)`` of the patch positions, ``(n, 4)``.

    For a moving patch: two boxes per segment (its end points, with the segment's
    orientation), in the order start/end of segment 0, start/end of segment 1, ...; by
    convexity the patch stays inside the union's hull along each segment.
    """
    if not isinstance(technique, _MovingTechnique):
        centre = technique.patch.centre
        half_x, half_y = patch_extent(technique.patch)
        return np.array(
            [[centre[0] - half_x, centre[0] + half_x, centre[1] - half_y, centre[1] + half_y]]
        )
    vertices = np.asarray(technique.path)
    rows = []
    for index in range(len(vertices) - 1):
        start, end = vertices[index], vertices[index + 1]
        angle = math.atan2(end[1] - start[1], end[0] - start[0])
        oriented = technique.patch.moved((0.0, 0.0), technique.patch.orientation + angle)
        half_x, half_y = patch_extent(oriented)
        for x, y in (start, end):
            rows.append([x - half_x, x + half_x, y - half_y, y + half_y])
    return np.array(rows)


def _too_few_frames(technique: Technique, count: int, needed: int) -> str:
    if isinstance(technique, _MovingTechnique):
        along, _ = patch_extent(technique.patch, 0.0)
        return (
            f"{count} frames are too few for a {_cm(technique.path_length)} cm stroke of a "
            f"patch {_cm(2.0 * along)} cm long in the direction of motion: the patch may "
            f"advance at most 1/{MIN_FRAMES_PER_CROSSING} of its length between frames so "
            f"that every skin point on the path is crossed by several frames; use at least "
            f"{needed} frames"
        )
    if isinstance(technique, _HoldTechnique):
        return (
            f"{count} frames are too few for a ramp-hold-release load curve: it needs one "
            f"frame per breakpoint, at least {needed}"
        )
    return f"an oscillating load needs at least {needed} frames per cycle, got {count}"


def _cm(value: float) -> str:
    return f"{value * 100.0:.3g}"
