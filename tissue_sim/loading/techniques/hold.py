"""Hold techniques: a load brought onto a fixed patch, held, and released.

:class:`StaticCompression`
    Static compression / ischemic hold: pressure (optionally with shear) held over a patch.
:class:`SustainedShear`
    Sustained shear / myofascial release: a tangential traction held (60 s by default, as
    in the Standley-lab acyclic long-duration strain protocol), with load and release ramps.

The load curve is ramp–hold–release(–rest), piecewise linear; every breakpoint is a frame,
so the stimulus stage's piecewise-linear reading of the frames is exact. Extra frames go to
the ramps. Without ramps the frames are ``K`` identical copies of the held load.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Final

import numpy as np
from numpy.typing import NDArray

from tissue_sim.loading._validation import (
    LoadingParameterError,
    require_non_negative,
    require_positive,
)
from tissue_sim.loading.patch import ContactPatch, LoadFrame, PatchLoad
from tissue_sim.loading.techniques._scaled import scaled_frames
from tissue_sim.loading.techniques._shared import (
    HAND,
    THUMB,
    FixedPatch,
    describe_load,
)
from tissue_sim.loading.techniques.base import TechniqueFrames

__all__ = ["FAMILY", "StaticCompression", "SustainedShear"]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class _Hold(FixedPatch):
    """Shared fields and behaviour of the hold techniques (see the subclasses)."""

    name: ClassVar[str] = "hold"
    cycle_parameter: ClassVar[str] = "hold_time"
    cycle_word: ClassVar[str] = "hold (with ramps and rest)"
    moving: ClassVar[bool] = False

    patch: ContactPatch = THUMB
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

    def minimum_frames(self) -> int:
        """1 for a constant hold; one per breakpoint of the curve (3, or 4 with a rest)."""
        if not self.has_ramps:
            return 1
        return 4 if self.rest_time > 0.0 else 3

    def default_frames(self) -> int:
        """The minimum: the breakpoints represent the curve exactly."""
        return self.minimum_frames()

    def frame_count_problem(self, count: int) -> str | None:
        """Too few frames for the breakpoints of the curve, or ``None``."""
        needed = self.minimum_frames()
        if count >= needed:
            return None
        return (
            f"{count} frames are too few for a ramp-hold-release load curve: it needs one "
            f"frame per breakpoint, at least {needed}"
        )

    def build_frames(self, count: int) -> TechniqueFrames:
        """Frames at the breakpoints plus ``count - breakpoints`` more on the ramps."""
        reference = LoadFrame(0.0, (PatchLoad(self.patch, self.pressure, self.shear),))
        period = self.cycle_period
        if not self.has_ramps:
            times = np.arange(count) * (period / count)
            factors = np.ones(count)
        else:
            ramp, hold, release = self.ramp_time, self.hold_time, self.release_time
            segments = [
                (0.0, ramp, 0.0, 1.0),
                (ramp, hold, 1.0, 1.0),
                (ramp + hold, release, 1.0, 0.0),
            ]
            if self.rest_time > 0.0:
                segments.append((ramp + hold + release, self.rest_time, 0.0, 0.0))
            times, factors = _subdivide(segments, count)
        loaded = self.ramp_time + self.hold_time + self.release_time
        return scaled_frames(self, reference, times, factors, loaded)

    def describe(self) -> str:
        """Pressure, shear, patch, hold time and ramps in words."""
        words = describe_load(self.name, self.pressure, float(np.hypot(*self.shear)), self.patch)
        words += f" held {self.hold_time:.3g} s"
        if self.has_ramps:
            words += (
                f" (loaded over {self.ramp_time:.3g} s, released over {self.release_time:.3g} s"
                + (f", then {self.rest_time:.3g} s of rest)" if self.rest_time else ")")
            )
        return words


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

    patch: ContactPatch = HAND
    pressure: float = 5.0e3
    shear: tuple[float, float] = (2.0e3, 0.0)
    hold_time: float = 60.0
    ramp_time: float = 2.0
    release_time: float = 4.0
    rest_time: float = 0.0


#: The hold techniques, in the order ``TECHNIQUES`` lists them.
FAMILY: Final = (StaticCompression, SustainedShear)


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
