"""The treatment schedule: when massage sessions happen over a course of days.

Time origin: ``t = 0`` is midnight at the start of day 0 of the course. Sessions happen on
every day ``0 .. days - 1`` or only on the listed ``treatment_days``; on a treatment day the
first session starts at ``start_time`` and the following ones every ``session_interval``.
Every session must end by midnight of its day.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray

from tissue_sim.loading._validation import (
    LoadingParameterError,
    require_finite,
    require_positive,
)

__all__ = [
    "SECONDS_PER_DAY",
    "Schedule",
    "course_duration",
    "session_intervals",
    "weekly_treatment_days",
]

#: Length of a day [s].
SECONDS_PER_DAY: Final[float] = 86400.0


@dataclass(frozen=True)
class Schedule:
    """Sessions of a treatment course.

    Parameters
    ----------
    session_duration
        Duration of one session [s]. Default 15 min (massage-like loading, Haas 2013,
        FACTS §3; Waters-Banker 2014 used 30 min).
    sessions_per_day
        Sessions on each treatment day [-]. Default 1 (all studies in FACTS §3).
    days
        Length of the course in days [-]; day indices run from 0 to ``days - 1``. Default 4
        (Haas 2013 and Waters-Banker 2014, 4 consecutive days).
    start_time
        Start of the first session of a treatment day, from midnight [s]. Default 9 h
        (assumption).
    session_interval
        Time between the starts of consecutive sessions of a day [s]; used when
        ``sessions_per_day > 1``. Default 4 h (assumption).
    treatment_days
        Day indices with sessions, strictly increasing, each below ``days``; ``None``: every
        day. E.g. 3×/week for 3 weeks (Bove 2019): ``(0, 2, 4, 7, 9, 11, 14, 16, 18)``.

    Raises
    ------
    LoadingParameterError
        Named after the offending field: a session longer than a day, overlapping sessions,
        sessions running past midnight, bad day indices.
    """

    session_duration: float = 15.0 * 60.0
    sessions_per_day: int = 1
    days: int = 4
    start_time: float = 9.0 * 3600.0
    session_interval: float = 4.0 * 3600.0
    treatment_days: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        require_positive("session_duration", self.session_duration)
        if self.session_duration > SECONDS_PER_DAY:
            raise LoadingParameterError(
                "session_duration",
                f"a session of {self.session_duration / 3600.0:.3g} h is longer than a day",
            )
        _require_count("sessions_per_day", self.sessions_per_day)
        _require_count("days", self.days)
        require_finite("start_time", self.start_time)
        if not 0.0 <= self.start_time < SECONDS_PER_DAY:
            raise LoadingParameterError(
                "start_time", f"expected a time of day in [0 h, 24 h), got {self.start_time} s"
            )
        if self.sessions_per_day > 1:
            require_positive("session_interval", self.session_interval)
            if self.session_interval < self.session_duration:
                raise LoadingParameterError(
                    "session_interval",
                    f"sessions overlap: they start every {self.session_interval / 60.0:.4g} "
                    f"min but last {self.session_duration / 60.0:.4g} min",
                )
        day_end = self.session_offsets[-1] + self.session_duration
        if day_end > SECONDS_PER_DAY * (1.0 + 1e-12):
            raise LoadingParameterError(
                "sessions_per_day" if self.sessions_per_day > 1 else "start_time",
                f"the last session of a day ends at {day_end / 3600.0:.4g} h, after midnight; "
                "start earlier, shorten the sessions or the interval, or hold fewer per day",
            )
        if self.treatment_days is not None:
            listed = tuple(self.treatment_days)
            object.__setattr__(self, "treatment_days", listed)
            if not listed:
                raise LoadingParameterError("treatment_days", "expected at least one day")
            for day in listed:
                if isinstance(day, bool) or not isinstance(day, int | np.integer):
                    raise LoadingParameterError(
                        "treatment_days", f"expected whole day numbers, got {day!r}"
                    )
            if listed[0] < 0:
                raise LoadingParameterError(
                    "treatment_days", f"day numbers start at 0, got {listed[0]}"
                )
            if any(later <= earlier for earlier, later in itertools.pairwise(listed)):
                raise LoadingParameterError(
                    "treatment_days", "expected strictly increasing day numbers"
                )
            if listed[-1] >= self.days:
                raise LoadingParameterError(
                    "treatment_days",
                    f"day {listed[-1]} is beyond the course of {self.days} days "
                    f"(0..{self.days - 1})",
                )

    @property
    def session_offsets(self) -> NDArray[np.float64]:
        """Start times of the sessions of a treatment day, from midnight, ``(n,)`` [s]."""
        return np.asarray(
            self.start_time + np.arange(self.sessions_per_day) * self.session_interval,
            dtype=np.float64,
        )

    @property
    def session_days(self) -> NDArray[np.int64]:
        """Day indices with sessions, ``(d,)`` [-]."""
        if self.treatment_days is None:
            return np.arange(self.days, dtype=np.int64)
        return np.asarray(self.treatment_days, dtype=np.int64)

    @property
    def n_sessions(self) -> int:
        """Total number of sessions in the course [-]."""
        return int(self.session_days.size * self.sessions_per_day)


def session_intervals(schedule: Schedule) -> NDArray[np.float64]:
    """Start and end of every session of the course.

    Parameters
    ----------
    schedule
        The schedule.

    Returns
    -------
    ndarray
        Shape ``(N, 2)``: ``[start, end]`` of each session in time order, in seconds from
        midnight of day 0 [s].
    """
    starts = (
        schedule.session_days[:, None] * SECONDS_PER_DAY + schedule.session_offsets[None, :]
    ).ravel()
    return np.column_stack((starts, starts + schedule.session_duration))


def course_duration(schedule: Schedule) -> float:
    """Length of the course, ``days`` × 24 h [s] (from t = 0 to midnight after the last day)."""
    return schedule.days * SECONDS_PER_DAY


def weekly_treatment_days(weekdays: Iterable[int], weeks: int) -> tuple[int, ...]:
    """Treatment day indices for a weekly pattern.

    Parameters
    ----------
    weekdays
        Days within a week with sessions, each in 0..6 (0 = the first day of the course).
    weeks
        Number of weeks [-].

    Returns
    -------
    tuple of int
        Sorted day indices, e.g. ``weekly_treatment_days([0, 2, 4], 3)`` →
        ``(0, 2, 4, 7, 9, 11, 14, 16, 18)`` (3×/week for 3 weeks).
    """
    pattern = sorted(set(weekdays))
    if not pattern or pattern[0] < 0 or pattern[-1] > 6:
        raise LoadingParameterError(
            "treatment_days.weekdays", f"expected days of the week in 0..6, got {pattern}"
        )
    _require_count("treatment_days.weeks", weeks)
    return tuple(7 * week + day for week in range(weeks) for day in pattern)


def _require_count(parameter: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise LoadingParameterError(parameter, f"expected a whole number >= 1, got {value!r}")
