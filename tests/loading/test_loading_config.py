"""Reading the ``loading:`` and ``schedule:`` YAML sections."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import yaml

from tissue_sim.config.loading import read_loading, read_loading_and_schedule, read_schedule
from tissue_sim.config.reader import MappingReader
from tissue_sim.errors import InputError
from tissue_sim.loading import (
    CrossFibreFriction,
    Effleurage,
    Kneading,
    Roller,
    StaticCompression,
    SustainedShear,
    technique_frames,
)

BLOCK = (0.12, 0.08)
SESSION = 900.0

EXAMPLE = """
loading:
  technique: effleurage
  pressure: "10 kPa"
  patch: {shape: ellipse, semi_axes: ["3 cm", "2 cm"], centre: ["0 cm", "0 cm"],
          orientation: "0 deg", profile: hertzian}
  friction: 0.3
  speed: "5 cm/s"
  path: [["-3 cm", "0 cm"], ["3 cm", "0 cm"]]
  frames: 24
schedule: {session_duration: "15 min", sessions_per_day: 1, days: 14, start_time: "9 h"}
"""


def _loading(text: str, *, block: tuple[float, float] = BLOCK, session: float = SESSION) -> Any:
    data = yaml.safe_load(text)
    reader = MappingReader(data, file="scenario.yaml", path="loading")
    return read_loading(reader, block_size=block, session_duration=session)


def _error(text: str, **kwargs: Any) -> InputError:
    with pytest.raises(InputError) as info:
        _loading(text, **kwargs)
    assert info.value.file == "scenario.yaml"
    return info.value


def test_contract_example_centre_is_rejected_for_a_moving_patch() -> None:
    data = yaml.safe_load(EXAMPLE)
    with pytest.raises(InputError) as info:
        read_loading_and_schedule(MappingReader(data, file="s.yaml"), block_size=BLOCK)
    assert info.value.key == "loading.patch.centre"
    assert "path sets where the patch is" in str(info.value)


def test_contract_example_without_centre_reads_in_si_units() -> None:
    data = yaml.safe_load(EXAMPLE)
    del data["loading"]["patch"]["centre"]
    loading, schedule = read_loading_and_schedule(
        MappingReader(data, file="s.yaml"), block_size=BLOCK
    )
    (step,) = loading.steps
    technique = step.technique
    assert isinstance(technique, Effleurage)
    assert technique.pressure == pytest.approx(10e3)
    assert technique.shear == pytest.approx(3e3)
    assert technique.speed == pytest.approx(0.05)
    np.testing.assert_allclose(technique.path, [[-0.03, 0.0], [0.03, 0.0]])
    assert technique.patch.semi_axes == pytest.approx((0.03, 0.02))
    assert technique.patch.profile == "hertzian"
    assert step.n_frames == 24 and step.start == 0.0 and step.duration == 900.0
    assert schedule.days == 14 and schedule.start_time == 9 * 3600.0
    assert schedule.session_duration == 900.0
    assert technique_frames(technique, step.n_frames).n_frames == 26


def test_empty_loading_is_a_default_static_compression() -> None:
    loading = _loading("{}")
    (step,) = loading.steps
    assert step.technique == StaticCompression()
    assert step.n_frames == 1


def test_single_technique_keys_work_as_dotted_overrides() -> None:
    loading = _loading('{pressure: "20 kPa", patch: {radius: "8 mm", profile: uniform}}')
    technique = loading.steps[0].technique
    assert isinstance(technique, StaticCompression)
    assert technique.pressure == pytest.approx(20e3)
    assert technique.patch.semi_axes == pytest.approx((0.008, 0.008))


def test_every_technique_reads_with_defaults() -> None:
    for name, cls in (
        ("static_compression", StaticCompression),
        ("sustained_shear", SustainedShear),
        ("kneading", Kneading),
        ("effleurage", Effleurage),
        ("cross_fibre_friction", CrossFibreFriction),
        ("roller", Roller),
    ):
        technique = _loading(f"{{technique: {name}}}").steps[0].technique
        assert technique == cls(), name


def test_force_sets_pressure_over_the_patch_area() -> None:
    loading = _loading('{force: "10 N", patch: {radius: "1 cm"}}')
    assert loading.steps[0].technique.pressure == pytest.approx(10.0 / (math.pi * 1e-4))


def test_roller_default_force_follows_the_patch_size() -> None:
    roller = _loading('{technique: roller, patch: {semi_axes: ["2 cm", "1 mm"]}}')
    technique = roller.steps[0].technique
    assert technique.pressure == pytest.approx(6.0 / (0.04 * 0.002))
    assert technique.patch.shape == "rectangle" and technique.patch.profile == "hertzian"


def test_friction_couples_shear_to_pressure() -> None:
    kneading = (
        _loading(
            '{technique: kneading, pressure: "8 kPa", friction: 0.5, shear_direction: "90 deg",'
            ' frequency: "0.25 Hz"}'
        )
        .steps[0]
        .technique
    )
    assert kneading.shear == pytest.approx((0.0, 4e3), abs=1e-9)
    assert kneading.frequency == 0.25
    friction = _loading('{technique: cross_fibre_friction, pressure: "100 kPa"}').steps[0]
    assert friction.technique.shear_amplitude == pytest.approx(30e3)
    direct = _loading('{technique: cross_fibre_friction, shear: "5 kPa", frequency: "90 spm"}')
    assert direct.steps[0].technique.shear_amplitude == pytest.approx(5e3)
    assert direct.steps[0].technique.frequency == pytest.approx(1.5)


def test_sustained_shear_hold_with_rest() -> None:
    technique = (
        _loading(
            '{technique: sustained_shear, shear: "3 kPa", shear_direction: "180 deg",'
            ' hold_time: "90 s", ramp_time: "3 s", release_time: "3 s", rest_time: "1 min"}'
        )
        .steps[0]
        .technique
    )
    assert technique.shear == pytest.approx((-3e3, 0.0), abs=1e-9)
    assert technique.cycle_period == pytest.approx(156.0)


def test_stroke_rate_can_be_given_or_null() -> None:
    given = _loading('{technique: effleurage, stroke_rate: "40 spm"}').steps[0].technique
    assert given.stroke_rate == pytest.approx(40 / 60)
    none = _loading("{technique: roller, stroke_rate: null}").steps[0].technique
    assert none.stroke_rate is None


def test_a_sequence_of_techniques_shares_the_session() -> None:
    loading = _loading(
        """
        techniques:
          - {technique: sustained_shear, duration: "5 min"}
          - {technique: effleurage, pressure: "8 kPa"}
          - kneading
        """
    )
    assert loading.steps[2].technique == Kneading()
    starts = [step.start for step in loading.steps]
    durations = [step.duration for step in loading.steps]
    assert starts == pytest.approx([0.0, 300.0, 600.0])
    assert durations == pytest.approx([300.0, 300.0, 300.0])
    assert loading.steps[1].technique.pressure == pytest.approx(8e3)


@pytest.mark.parametrize(
    ("text", "key", "message"),
    [
        ("{technique: kneading, frequency: '0 Hz'}", "loading.frequency", "positive"),
        ("{technique: kneading, frequency: '-1 Hz'}", "loading.frequency", "positive"),
        ("{technique: cross_fibre_friction, frequency: '0 Hz'}", "loading.frequency", "positive"),
        (
            "{technique: effleurage, path: [['-5 cm', '0 cm'], ['3 cm', '0 cm']]}",
            "loading.path",
            "leaves the skin surface",
        ),
        (
            "{technique: roller, path: [['0 cm', '0 cm'], ['0 cm', '5 cm']]}",
            "loading.path",
            "leaves the skin surface",
        ),
        ("{patch: {radius: '7 cm'}}", "loading.patch.radius", "larger than the block"),
        (
            "{patch: {semi_axes: ['2 cm', '5 cm']}}",
            "loading.patch.semi_axes",
            "larger than the block",
        ),
        ("{patch: {centre: ['5.5 cm', '0 cm']}}", "loading.patch.centre", "beyond the skin"),
        (
            "{technique: effleurage, speed: '0.05 mm/s'}",
            "loading.path",
            "cannot finish within the session",
        ),
        ("{technique: effleurage, frames: 1}", "loading.frames", "at least 2 frames"),
        ("{technique: roller, frames: 10}", "loading.frames", "at least 31 frames"),
        ("{technique: kneading, frames: 2}", "loading.frames", "at least 4"),
        ("{technique: static_compression, frames: 0}", "loading.frames", ">= 1"),
        ("{technique: massage}", "loading.technique", "expected one of"),
        ("{presure: '3 kPa'}", "loading.presure", "unknown key"),
        ("{technique: kneading, speed: '1 cm/s'}", "loading.speed", "unknown key"),
        ("{technique: effleurage, shear_direction: '0 deg'}", "loading.shear_direction", "unknown"),
        ("{pressure: '2 mm'}", "loading.pressure", "expected a pressure"),
        ("{pressure: 20000}", "loading.pressure", "add a unit"),
        ("{pressure: '1 kPa', force: '1 N'}", "loading.force", "not both"),
        ("{shear: '1 kPa', friction: 0.2}", "loading.friction", "not both"),
        ("{shear_direction: '10 deg'}", "loading.shear_direction", "give shear or friction"),
        ("{patch: {radius: '1 cm', semi_axes: ['1 cm', '1 cm']}}", "loading.patch.radius", "not"),
        ("{patch: {profile: gaussian}}", "loading.patch.profile", "expected one of"),
        ("{patch: {edge_width: 1.5}}", "loading.patch.edge_width", "<= 1"),
        ("{patch: {semi_axes: ['0 cm', '1 cm']}}", "loading.patch.semi_axes", "positive"),
        ("{technique: kneading, min_pressure: '20 kPa'}", "loading.min_pressure", "exceed"),
        ("{technique: effleurage, stroke_rate: '3 Hz'}", "loading.stroke_rate", "return"),
        ("{technique: effleurage, path: [['1 cm', '0 cm']]}", "loading.path", "two points"),
        ("{technique: effleurage, path: [['1 cm']]}", "loading.path[0]", "expected a point"),
        ("{technique: effleurage, path: [['1 cm', '1 s'], ['0 cm', '0 cm']]}",
         "loading.path[0][1]", "expected a length"),
        ("{technique: sustained_shear, hold_time: '20 min'}", "loading.hold_time", "cannot"),
        ("{technique: static_compression, ramp_time: '2 s'}", "loading.release_time", "both"),
        ("{duration: '20 min'}", "loading.duration", "more than the 15 min session"),
        ("{technique: kneading, force: '-1 N'}", "loading.force", "non-negative"),
    ],
)  # fmt: skip
def test_bad_input_names_the_key(text: str, key: str, message: str) -> None:
    error = _error(text)
    assert error.key == key
    assert message in error.message


def test_errors_inside_a_technique_list_name_the_entry() -> None:
    error = _error(
        """
        techniques:
          - {technique: sustained_shear}
          - {technique: kneading, frequency: "0 Hz"}
        """
    )
    assert error.key == "loading.techniques[1].frequency"
    error = _error("{techniques: [{technique: kneading}], pressure: '3 kPa'}")
    assert error.key == "loading.pressure" and "inside the list" in error.message
    error = _error(
        """
        techniques:
          - {technique: kneading, duration: "15 min"}
          - {technique: effleurage}
        """
    )
    assert error.key == "loading.techniques[1].duration"
    assert "no time is left" in error.message
    error = _error("{techniques: []}")
    assert error.key == "loading.techniques"


def test_read_schedule_with_clock_time_and_weekly_days() -> None:
    data = yaml.safe_load(
        """
        session_duration: "30 min"
        sessions_per_day: 2
        session_interval: "6 h"
        start_time: "08:30"
        treatment_days: {weekdays: [0, 2, 4], weeks: 3}
        """
    )
    schedule = read_schedule(MappingReader(data, file="s.yaml", path="schedule"))
    assert schedule.start_time == 8.5 * 3600
    assert schedule.treatment_days == (0, 2, 4, 7, 9, 11, 14, 16, 18)
    assert schedule.days == 19
    assert schedule.n_sessions == 18
    assert schedule.session_interval == 6 * 3600


def test_read_schedule_defaults() -> None:
    assert read_schedule(MappingReader(None, path="schedule")) == read_schedule(
        MappingReader({}, path="schedule")
    )


@pytest.mark.parametrize(
    ("text", "key", "message"),
    [
        ("{session_duration: '25 h'}", "schedule.session_duration", "longer than a day"),
        (
            "{sessions_per_day: 2, session_interval: '10 min', session_duration: '15 min'}",
            "schedule.session_interval",
            "overlap",
        ),
        ("{start_time: '25:00'}", "schedule.start_time", "time of day"),
        ("{start_time: '23 h', session_duration: '2 h'}", "schedule.start_time", "midnight"),
        ("{treatment_days: [0, 3, 2]}", "schedule.treatment_days", "increasing"),
        ("{treatment_days: [0, -2]}", "schedule.treatment_days[1]", "day number 0.."),
        ("{treatment_days: [0, 10], days: 5}", "schedule.treatment_days", "beyond"),
        ("{treatment_days: {weekdays: [0, 9], weeks: 2}}", "schedule.treatment_days.weekdays[1]",
         "0..6"),
        ("{days: 0}", "schedule.days", ">= 1"),
        ("{session_length: '10 min'}", "schedule.session_length", "unknown key"),
        ("{session_duration: '10 kPa'}", "schedule.session_duration", "expected a time"),
    ],
)  # fmt: skip
def test_bad_schedule_names_the_key(text: str, key: str, message: str) -> None:
    reader = MappingReader(yaml.safe_load(text), file="s.yaml", path="schedule")
    with pytest.raises(InputError) as info:
        read_schedule(reader)
    assert info.value.key == key
    assert message in info.value.message
