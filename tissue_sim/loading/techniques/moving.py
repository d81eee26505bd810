r"""Moving techniques: a patch gliding along a path over the skin, then lifted back.

:class:`Effleurage`
    A hand patch gliding along a straight or polyline path at ``speed``, with shear in the
    direction of motion.
:class:`Roller`
    Instrument / roller: a narrow line contact (rectangle patch) moving along the skin.

The frames of the loaded pass are evenly spaced in time along the path; explicit unloaded
frames mark the lift-off and the return to the start, so the piecewise-linear reading of
the frames by the stimulus stage drops to zero load between passes. The traction is not a
fixed pattern, so there is no superposition basis.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar, Final

import numpy as np
from numpy.typing import NDArray

from tissue_sim.loading._path import path_lengths, path_vertices, positions_along_path
from tissue_sim.loading._validation import LoadingParameterError, require_positive
from tissue_sim.loading.patch import ContactPatch, LoadFrame, PatchLoad, patch_extent
from tissue_sim.loading.techniques._shared import HAND, cm, describe_load, patch_load_feature
from tissue_sim.loading.techniques.base import TechniqueFrames

__all__ = [
    "FAMILY",
    "MIN_FRAMES_PER_CROSSING",
    "MOVING_DEFAULT_FRAMES",
    "Effleurage",
    "Roller",
]

FloatArray = NDArray[np.float64]

#: A moving patch advances at most 1/this of its length (along the motion) between frames.
MIN_FRAMES_PER_CROSSING: Final[int] = 3
#: Default number of pass frames of a moving patch (raised to the minimum when needed).
MOVING_DEFAULT_FRAMES: Final[int] = 24

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


@dataclass(frozen=True)
class _MovingStroke:
    """Shared fields and behaviour of the moving-patch techniques (see the subclasses)."""

    name: ClassVar[str] = "moving_stroke"
    cycle_parameter: ClassVar[str] = "path"
    cycle_word: ClassVar[str] = "stroke (pass and return)"
    moving: ClassVar[bool] = True
    #: Friction coefficient coupling the default shear to the pressure.
    default_friction: ClassVar[float] = 0.2
    #: Normal force that sets the default pressure over the patch [N]; ``None``: use
    #: the ``pressure`` default.
    default_force: ClassVar[float | None] = None

    patch: ContactPatch = HAND
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

    def minimum_frames(self) -> int:
        r"""At least 2, and enough that every skin point on the path is crossed often.

        The patch advances at most ``1/MIN_FRAMES_PER_CROSSING`` of its length between
        frames, so that every skin point on the path lies under the patch in about
        :data:`MIN_FRAMES_PER_CROSSING` frames or more:
        :math:`K - 1 \ge 3 L / \min(2h, L)` with :math:`L` the path length and :math:`h`
        the patch half-extent along the motion.
        """
        length = self.path_length
        along, _ = patch_extent(self.patch, 0.0)
        covered = min(2.0 * along, length)
        intervals = math.ceil(MIN_FRAMES_PER_CROSSING * length / covered * (1.0 - 1e-12))
        return max(2, intervals + 1)

    def default_frames(self) -> int:
        """:data:`MOVING_DEFAULT_FRAMES`, raised to :meth:`minimum_frames` when needed."""
        return max(MOVING_DEFAULT_FRAMES, self.minimum_frames())

    def frame_count_problem(self, count: int) -> str | None:
        """Fewer than 2 frames, or too few for the patch to cross every point often."""
        if count < 2:
            return f"a moving patch needs at least 2 frames per pass, got {count}"
        needed = self.minimum_frames()
        if count >= needed:
            return None
        along, _ = patch_extent(self.patch, 0.0)
        return (
            f"{count} frames are too few for a {cm(self.path_length)} cm stroke of a "
            f"patch {cm(2.0 * along)} cm long in the direction of motion: the patch may "
            f"advance at most 1/{MIN_FRAMES_PER_CROSSING} of its length between frames so "
            f"that every skin point on the path is crossed by several frames; use at least "
            f"{needed} frames"
        )

    def build_frames(self, count: int) -> TechniqueFrames:
        """``count`` frames of the pass, then one or two unloaded frames (lift, return)."""
        period = self.cycle_period
        pass_time = self.pass_duration
        step = pass_time / (count - 1)
        times = np.arange(count) * step
        times[-1] = pass_time
        vertices = np.asarray(self.path)
        centres, angles = positions_along_path(vertices, np.asarray(self.speed * times))
        frames: list[LoadFrame] = []
        for t, (x, y), angle in zip(times, centres, angles, strict=True):
            patch = self.patch.moved((float(x), float(y)), self.patch.orientation + angle)
            shear = (self.shear * math.cos(angle), self.shear * math.sin(angle))
            frames.append(LoadFrame(float(t), (PatchLoad(patch, self.pressure, shear),)))
        return_time = period - pass_time
        lift = min(step, 0.5 * return_time)
        frames.append(LoadFrame(pass_time + lift))
        if period - lift > pass_time + lift * (1.0 + 1e-9):
            frames.append(LoadFrame(period - lift))
        return TechniqueFrames(
            technique=self,
            frames=tuple(frames),
            cycle_period=period,
            loaded_time_per_cycle=pass_time + 2.0 * lift,
        )

    def patch_boxes(self) -> FloatArray:
        """Two boxes per path segment (its end points, with the segment's orientation).

        In the order start/end of segment 0, start/end of segment 1, ...; by convexity the
        patch stays inside the union's hull along each segment.
        """
        vertices = np.asarray(self.path)
        rows = []
        for index in range(len(vertices) - 1):
            start, end = vertices[index], vertices[index + 1]
            angle = math.atan2(end[1] - start[1], end[0] - start[0])
            oriented = self.patch.moved((0.0, 0.0), self.patch.orientation + angle)
            half_x, half_y = patch_extent(oriented)
            for x, y in (start, end):
                rows.append([x - half_x, x + half_x, y - half_y, y + half_y])
        return np.array(rows)

    def off_block_error(
        self, outside: NDArray[np.bool_], half_size: tuple[float, float]
    ) -> LoadingParameterError:
        """``path``: the first path point where the patch reaches beyond the skin."""
        half_x, half_y = half_size
        row = int(np.argmax(outside))
        point = row // 2 + row % 2
        x, y = self.path[point]
        return LoadingParameterError(
            "path",
            f"the path leaves the skin surface: with the patch centred at point {point} "
            f"({cm(x)}, {cm(y)}) cm the patch reaches beyond the block "
            f"(x within ±{cm(half_x)} cm, y within ±{cm(half_y)} cm)",
        )

    def smallest_load_feature(self) -> float:
        """The patch's smallest load feature [m] (the patch turns, it does not shrink)."""
        return patch_load_feature(self.patch)

    def describe(self) -> str:
        """Pressure, shear, patch, speed, path length and stroke rate in words."""
        words = describe_load(self.name, self.pressure, self.shear, self.patch)
        words += (
            f" gliding at {self.speed * 100:.3g} cm/s along a {self.path_length * 100:.3g} cm path"
        )
        if self.stroke_rate is not None:
            words += f", {self.stroke_rate * 60:.3g} strokes per minute"
        return words


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


#: The moving techniques, in the order ``TECHNIQUES`` lists them.
FAMILY: Final = (Effleurage, Roller)
