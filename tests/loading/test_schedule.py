"""Session schedule: intervals over the course, explicit treatment days, validation."""

from __future__ import annotations

import numpy as np
import pytest

from tissue_sim.loading import (
    SECONDS_PER_DAY,
    Kneading,
    LoadingConfig,
    LoadingParameterError,
    Schedule,
    SustainedShear,
    TechniqueStep,
    course_duration,
    session_intervals,
    step_intervals,
    weekly_treatment_days,
)

HOUR = 3600.0


def test_default_schedule_is_one_15_minute_session_a_day_for_four_days() -> None:
    schedule = Schedule()
    intervals = session_intervals(schedule)
    expected_starts = np.arange(4) * SECONDS_PER_DAY + 9 * HOUR
    np.testing.assert_allclose(intervals[:, 0], expected_starts)
    np.testing.assert_allclose(intervals[:, 1] - intervals[:, 0], 900.0)
    assert schedule.n_sessions == 4
    assert course_duration(schedule) == 4 * SECONDS_PER_DAY


def test_several_sessions_a_day() -> None:
    schedule = Schedule(
        session_duration=1800.0, sessions_per_day=3, days=2, start_time=8 * HOUR,
        session_interval=5 * HOUR,
    )  # fmt: skip
    intervals = session_intervals(schedule)
    day_starts = np.array([8, 13, 18]) * HOUR
    np.testing.assert_allclose(
        intervals[:, 0], np.concatenate((day_starts, day_starts + SECONDS_PER_DAY))
    )
    np.testing.assert_allclose(intervals[:, 1], intervals[:, 0] + 1800.0)
    assert np.all(np.diff(intervals[:, 0]) > 0.0)


def test_three_times_a_week_for_three_weeks() -> None:
    days = weekly_treatment_days([0, 2, 4], 3)
    assert days == (0, 2, 4, 7, 9, 11, 14, 16, 18)
    schedule = Schedule(days=21, treatment_days=days)
    intervals = session_intervals(schedule)
    np.testing.assert_allclose(intervals[:, 0], np.array(days) * SECONDS_PER_DAY + 9 * HOUR)
    assert schedule.n_sessions == 9
    assert course_duration(schedule) == 21 * SECONDS_PER_DAY


def test_step_intervals_place_each_technique_within_every_session() -> None:
    schedule = Schedule(session_duration=600.0, days=2)
    loading = LoadingConfig(
        (
            TechniqueStep(SustainedShear(), 3, 0.0, 200.0),
            TechniqueStep(Kneading(), 8, 200.0, 400.0),
        ),
        600.0,
    )
    first, second = step_intervals(loading, schedule)
    sessions = session_intervals(schedule)
    np.testing.assert_allclose(first, np.column_stack((sessions[:, 0], sessions[:, 0] + 200.0)))
    np.testing.assert_allclose(second, np.column_stack((sessions[:, 0] + 200.0, sessions[:, 1])))
    assert loading.steps[1].cycles_per_session == 200
    assert loading.techniques[0] == SustainedShear()


@pytest.mark.parametrize(
    ("kwargs", "parameter", "message"),
    [
        ({"session_duration": 0.0}, "session_duration", "positive"),
        ({"session_duration": 25 * HOUR}, "session_duration", "longer than a day"),
        (
            {"sessions_per_day": 2, "session_interval": 600.0},
            "session_interval",
            "overlap",
        ),
        ({"sessions_per_day": 4, "session_interval": 5 * HOUR}, "sessions_per_day", "midnight"),
        ({"start_time": 23.9 * HOUR}, "start_time", "midnight"),
        ({"start_time": -1.0}, "start_time", "time of day"),
        ({"days": 0}, "days", ">= 1"),
        ({"sessions_per_day": 0}, "sessions_per_day", ">= 1"),
        ({"treatment_days": (0, 2, 2)}, "treatment_days", "increasing"),
        ({"treatment_days": (-1, 2)}, "treatment_days", "start at 0"),
        ({"treatment_days": (0, 4)}, "treatment_days", "beyond the course"),
        ({"treatment_days": ()}, "treatment_days", "at least one"),
    ],
)
def test_invalid_schedules_are_named(
    kwargs: dict[str, object], parameter: str, message: str
) -> None:
    with pytest.raises(LoadingParameterError, match=message) as info:
        Schedule(**kwargs)  # type: ignore[arg-type]
    assert info.value.parameter == parameter


def test_weekly_days_must_be_days_of_the_week() -> None:
    with pytest.raises(LoadingParameterError):
        weekly_treatment_days([0, 7], 2)


def test_steps_must_fit_the_session_and_not_overlap() -> None:
    with pytest.raises(LoadingParameterError, match="longer than the"):
        LoadingConfig((TechniqueStep(Kneading(), 8, 0.0, 700.0),), 600.0)
    with pytest.raises(LoadingParameterError, match="overlaps"):
        LoadingConfig(
            (
                TechniqueStep(Kneading(), 8, 0.0, 300.0),
                TechniqueStep(Kneading(), 8, 200.0, 300.0),
            ),
            600.0,
        )
    with pytest.raises(LoadingParameterError, match="cannot finish") as info:
        TechniqueStep(SustainedShear(), 3, 0.0, 60.0)
    assert info.value.parameter == "hold_time"
