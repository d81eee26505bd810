"""What happens within one session: one technique, or several one after another.

A :class:`LoadingConfig` lists :class:`TechniqueStep` s, each a technique applied for a
``duration`` starting ``start`` seconds into every session. Steps run back to back in
order; together they fit in the session.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from tissue_sim.loading._validation import (
    LoadingParameterError,
    require_non_negative,
    require_positive,
)
from tissue_sim.loading.schedule import Schedule, session_intervals
from tissue_sim.loading.techniques import (
    Technique,
    TechniqueFrames,
    technique_frames,
)

__all__ = ["LoadingConfig", "TechniqueStep", "step_intervals"]


@dataclass(frozen=True)
class TechniqueStep:
    """One technique applied during part of every session.

    Parameters
    ----------
    technique
        The technique.
    n_frames
        Number of quasi-static load frames per cycle or pass ``K`` [-].
    start
        Offset of the step from the start of the session [s].
    duration
        Time the technique is applied in each session [s]; at least one cycle.

    Raises
    ------
    LoadingParameterError
        ``frames`` when ``n_frames`` is below the technique's minimum; the technique's
        cycle parameter (``path``, ``hold_time`` or ``frequency``) when one cycle or stroke
        does not fit in ``duration``.
    """

    technique: Technique
    n_frames: int
    start: float
    duration: float

    def __post_init__(self) -> None:
        require_non_negative("start", self.start)
        require_positive("duration", self.duration)
        if isinstance(self.n_frames, bool) or not isinstance(self.n_frames, int | np.integer):
            raise LoadingParameterError("frames", f"expected a whole number, got {self.n_frames!r}")
        technique_frames(self.technique, int(self.n_frames))
        period = self.technique.cycle_period
        if period > self.duration * (1.0 + 1e-12):
            raise LoadingParameterError(
                self.technique.cycle_parameter,
                f"one {self.technique.cycle_word} takes {_duration(period)}, longer than the "
                f"{_duration(self.duration)} the technique is applied in each session: it "
                "cannot finish within the session",
            )

    def frames(self) -> TechniqueFrames:
        """The technique's load frames, :func:`~tissue_sim.loading.technique_frames`."""
        return technique_frames(self.technique, self.n_frames)

    @property
    def cycles_per_session(self) -> int:
        """Whole cycles of the technique in one session [-]."""
        return int(np.floor(self.duration / self.technique.cycle_period * (1.0 + 1e-12)))

    @property
    def end(self) -> float:
        """Offset of the end of the step from the start of the session [s]."""
        return self.start + self.duration


@dataclass(frozen=True)
class LoadingConfig:
    """The techniques of a session, in order.

    Parameters
    ----------
    steps
        Techniques applied one after another, non-overlapping, in time order.
    session_duration
        Duration of a session [s]; every step ends within it.
    """

    steps: tuple[TechniqueStep, ...]
    session_duration: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "steps", tuple(self.steps))
        require_positive("session_duration", self.session_duration)
        if not self.steps:
            raise LoadingParameterError("techniques", "expected at least one technique")
        tolerance = 1e-9 * self.session_duration
        for index, step in enumerate(self.steps):
            if index and step.start < self.steps[index - 1].end - tolerance:
                raise LoadingParameterError(
                    f"techniques[{index}]", "overlaps the technique before it"
                )
        if self.steps[-1].end > self.session_duration + tolerance:
            raise LoadingParameterError(
                "techniques" if len(self.steps) > 1 else "duration",
                f"the techniques take {_duration(self.steps[-1].end)}, longer than the "
                f"{_duration(self.session_duration)} session",
            )

    @property
    def techniques(self) -> tuple[Technique, ...]:
        """The techniques of the steps, in order."""
        return tuple(step.technique for step in self.steps)


def step_intervals(loading: LoadingConfig, schedule: Schedule) -> tuple[NDArray[np.float64], ...]:
    """When each step of the session is applied over the whole course.

    Parameters
    ----------
    loading
        The session's techniques.
    schedule
        The course schedule (its session duration should match ``loading``'s).

    Returns
    -------
    tuple of ndarray
        One ``(N, 2)`` array per step: ``[start, end]`` of the step in each of the ``N``
        sessions, seconds from midnight of day 0 [s].
    """
    sessions = session_intervals(schedule)
    return tuple(
        np.column_stack((sessions[:, 0] + step.start, sessions[:, 0] + step.end))
        for step in loading.steps
    )


def _duration(seconds: float) -> str:
    if seconds >= 3600.0:
        return f"{seconds / 3600.0:.3g} h"
    if seconds >= 60.0:
        return f"{seconds / 60.0:.3g} min"
    return f"{seconds:.3g} s"
