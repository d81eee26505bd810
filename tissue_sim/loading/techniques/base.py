r"""What every technique provides (:class:`Technique`), its frames, and the functions over it.

A technique is a frozen dataclass of physical parameters (SI units) that knows its own
behaviour: how many frames it needs, how to build them, which skin area it loads and how
fine a detail its load has. The functions here (:func:`technique_frames`,
:func:`technique_footprint`, :func:`check_on_block`, …) are the same for every technique
and only ask it; none of them looks at which technique it is. A new technique is one class
in its family's module (:mod:`~tissue_sim.loading.techniques.hold`,
:mod:`~tissue_sim.loading.techniques.cyclic`, :mod:`~tissue_sim.loading.techniques.moving`,
or a new module), listed in that module's ``FAMILY``, plus its config reader
(``tissue_sim/config/loading.py``) and its entry in ``docs/techniques.md``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import ClassVar, Protocol

import numpy as np
from numpy.typing import NDArray

from tissue_sim.loading._validation import LoadingParameterError
from tissue_sim.loading.patch import ContactPatch, LoadFrame
from tissue_sim.loading.techniques._shared import cm as _cm

__all__ = [
    "Technique",
    "TechniqueFrames",
    "check_on_block",
    "default_frames",
    "minimum_frames",
    "smallest_load_feature",
    "technique_footprint",
    "technique_frames",
]

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


class Technique(Protocol):
    """The behaviour every massage technique provides.

    Class attributes
    ----------------
    name
        The ``loading.technique`` key (``"kneading"``).
    cycle_parameter
        The parameter that sets the cycle, named in errors (``"frequency"``, ``"path"``).
    cycle_word
        What one cycle is called in messages (``"cycle"``, ``"stroke (pass and return)"``).
    moving
        Whether the patch moves over the skin (its ``patch.centre`` is then not used).
    """

    name: ClassVar[str]
    cycle_parameter: ClassVar[str]
    cycle_word: ClassVar[str]
    moving: ClassVar[bool]

    @property
    def patch(self) -> ContactPatch:
        """The contact patch (for a moving technique: its shape, oriented to the motion)."""
        ...

    @property
    def pressure(self) -> float:
        """Mean normal pressure under the patch at full load [Pa]."""
        ...

    @property
    def cycle_period(self) -> float:
        """Duration of one cycle, hold or stroke [s]; the frames repeat with it."""
        ...

    def minimum_frames(self) -> int:
        """Fewest frames per cycle that represent the load curve exactly [-]."""
        ...

    def default_frames(self) -> int:
        """Frames per cycle when a scenario does not set ``frames`` [-]."""
        ...

    def frame_count_problem(self, count: int) -> str | None:
        """Why ``count`` frames (a whole number >= 1) cannot work, or ``None`` if they can."""
        ...

    def build_frames(self, count: int) -> TechniqueFrames:
        """The ``count`` load frames of one cycle (``count`` already checked)."""
        ...

    def patch_boxes(self) -> FloatArray:
        """Bounding boxes ``(x_min, x_max, y_min, y_max)`` of the loaded area, ``(n, 4)`` [m].

        Their union covers every position of the patch over a cycle.
        """
        ...

    def off_block_error(
        self, outside: BoolArray, half_size: tuple[float, float]
    ) -> LoadingParameterError:
        """The error for boxes of :meth:`patch_boxes` (rows flagged in ``outside``) that
        reach beyond the skin of a block of half size ``half_size`` [m].
        """
        ...

    def smallest_load_feature(self) -> float:
        """Smallest length over which the skin load changes [m] (for the skin quadrature)."""
        ...

    def describe(self) -> str:
        """The technique in plain words, as reports print it (stored in ``result.h5``).

        E.g. ``effleurage at 5 kPa mean pressure with 1 kPa of shear over a circle of
        radius 20 mm (smooth pressure profile) gliding at 6 cm/s along a 4 cm path``.
        """
        ...


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
    def loaded(self) -> BoolArray:
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
    with a rest); oscillations need ``MIN_CYCLIC_FRAMES``; a moving patch needs at least
    2, and enough that the patch advances at most ``1/MIN_FRAMES_PER_CROSSING`` of its
    length between frames (see each family's module).
    """
    return technique.minimum_frames()


def default_frames(technique: Technique) -> int:
    """Number of frames used when a scenario does not set ``frames`` [-].

    The minimum for holds; ``CYCLIC_DEFAULT_FRAMES`` for oscillations; for a moving patch
    ``MOVING_DEFAULT_FRAMES``, raised to :func:`minimum_frames` when needed.
    """
    return technique.default_frames()


def technique_frames(technique: Technique, n_frames: int | None = None) -> TechniqueFrames:
    """Quasi-static load frames over one cycle or pass of a technique.

    Parameters
    ----------
    technique
        A technique (any class providing :class:`Technique`).
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
        With ``parameter="frames"`` when ``n_frames`` is not a whole number >= 1 or is below
        :func:`minimum_frames` (in particular ``K < 2`` for a moving patch).
    """
    count = technique.default_frames() if n_frames is None else int(n_frames)
    if count != n_frames and n_frames is not None:
        raise LoadingParameterError("frames", f"expected a whole number, got {n_frames!r}")
    if count < 1:
        raise LoadingParameterError("frames", f"expected at least 1 frame, got {count}")
    problem = technique.frame_count_problem(count)
    if problem is not None:
        raise LoadingParameterError("frames", problem)
    return technique.build_frames(count)


def technique_footprint(technique: Technique) -> tuple[float, float, float, float]:
    """Bounding box of the skin area the technique loads over a cycle.

    Useful to refine the mesh under the load.

    Returns
    -------
    tuple of float
        ``(x_min, x_max, y_min, y_max)`` [m].
    """
    boxes = technique.patch_boxes()
    return (
        float(np.min(boxes[:, 0])),
        float(np.max(boxes[:, 1])),
        float(np.min(boxes[:, 2])),
        float(np.max(boxes[:, 3])),
    )


def smallest_load_feature(techniques: tuple[Technique, ...] | list[Technique]) -> float:
    """Smallest length over which any of the techniques' skin load changes [m].

    The skin quadrature is refined to resolve it. 1 cm when no technique is given.
    """
    return min((technique.smallest_load_feature() for technique in techniques), default=1e-2)


def check_on_block(technique: Technique, block_size: tuple[float, float]) -> None:
    """Check that the loaded area stays on the skin of a block of lateral size ``block_size``.

    Parameters
    ----------
    technique
        The technique.
    block_size
        Lateral size :math:`(L_x, L_y)` of the block [m]; the skin spans
        :math:`[-L_x/2, L_x/2] \times [-L_y/2, L_y/2]`.

    Raises
    ------
    LoadingParameterError
        ``patch.semi_axes`` when the patch is larger than the block, ``patch.centre`` when a
        fixed patch reaches beyond the skin, ``path`` when a moving patch leaves it.
    """
    half_x, half_y = 0.5 * block_size[0], 0.5 * block_size[1]
    tolerance = 1e-9 * max(half_x, half_y)
    boxes = technique.patch_boxes()
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
    if np.any(outside):
        raise technique.off_block_error(outside, (half_x, half_y))
