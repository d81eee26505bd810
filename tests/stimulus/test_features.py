"""Dose features on analytic strain histories (exact under the piecewise-linear reading)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from tissue_sim.errors import InputError
from tissue_sim.loading import SustainedShear, technique_frames
from tissue_sim.mechanics.strain_measures import EFFECTIVE_STRAIN_MEASURES
from tissue_sim.stimulus import (
    FEATURE_DESCRIPTIONS,
    FEATURE_NAMES,
    FEATURE_UNITS,
    compute_features,
    feature_description,
    feature_unit,
    is_feature,
    level_feature_name,
    parse_level_feature,
    require_feature,
)


def _uniaxial(history: np.ndarray) -> np.ndarray:
    """Strain tensors ``diag(e, 0, 0)`` for a history ``(K, P)``: max principal = max(e, 0)."""
    tensors = np.zeros((*history.shape, 3, 3))
    tensors[..., 0, 0] = history
    return tensors


def _features(values: np.ndarray, times: np.ndarray, **kwargs: object) -> dict[str, np.ndarray]:
    arguments: dict[str, object] = {"threshold": 0.0, "session_duration": 900.0}
    arguments.update(kwargs)
    return compute_features(_uniaxial(values[:, None]), times, **arguments)  # type: ignore[arg-type]


def _scalar(features: dict[str, np.ndarray]) -> dict[str, float]:
    return {name: float(value[0]) for name, value in features.items()}


def _hold(
    session_duration: float,
    level_features: tuple[str, ...] = ("longest_time_above_10pct",),
    **kwargs: object,
) -> dict[str, float]:
    """Features of one frame at 30 % strain read as a 60-s cycle (a constant hold)."""
    return _scalar(
        _features(
            np.array([0.3]),
            np.array([0.0]),
            cycle_period=60.0,
            session_duration=session_duration,
            level_features=level_features,
            **kwargs,
        )
    )


def test_feature_tables_cover_exactly_the_features() -> None:
    assert set(FEATURE_UNITS) == set(FEATURE_NAMES) == set(FEATURE_DESCRIPTIONS)
    features = _features(np.array([0.01, 0.02]), np.array([0.0, 1.0]), cycle_period=2.0)
    assert tuple(features) == FEATURE_NAMES
    assert all(value.shape == (1,) for value in features.values())
    assert FEATURE_UNITS["strain_rate_peak"] == "1/s"
    assert FEATURE_UNITS["time_above_threshold"] == "s"


def test_standley_alds_ramp_hold_release() -> None:
    # Acyclic long-duration strain (Anloague 2020): to 6% at 3%/s, hold 60 s, release at 1.5%/s
    times = np.array([0.0, 2.0, 62.0])
    strain = np.array([0.0, 0.06, 0.06])
    result = _scalar(
        _features(strain, times, cycle_period=66.0, threshold=0.03, session_duration=900.0)
    )
    assert result["effective_strain_peak"] == pytest.approx(0.06)
    assert result["effective_strain_amplitude"] == pytest.approx(0.03)
    assert result["effective_strain_mean"] == pytest.approx(0.06 * (1.0 + 60.0 + 2.0) / 66.0)
    assert result["strain_rate_peak"] == pytest.approx(0.03)
    # above 3%: last half of the load ramp (1 s), the hold (60 s), first half of release (2 s)
    assert result["time_above_threshold"] == pytest.approx(63.0)
    assert result["cycles_per_session"] == 13
    assert result["session_time_under_load"] == pytest.approx(13 * 63.0)
    assert result["cycle_frequency"] == pytest.approx(1 / 66.0)
    assert result["volumetric_strain_peak"] == pytest.approx(0.06)
    assert result["min_principal_strain"] == pytest.approx(0.0)


def test_alds_after_a_rest_keeps_rate_and_time_above_threshold() -> None:
    times = np.array([0.0, 2.0, 62.0, 66.0])
    strain = np.array([0.0, 0.06, 0.06, 0.0])
    period = 66.0 + 3 * 3600.0
    result = _scalar(_features(strain, times, cycle_period=period, threshold=0.03))
    assert result["strain_rate_peak"] == pytest.approx(0.03)
    assert result["time_above_threshold"] == pytest.approx(63.0)
    assert result["effective_strain_mean"] == pytest.approx(0.06 * 63.0 / period)
    # the release is the steeper piece when the history is read without wrap-around
    release_only = _scalar(
        _features(strain, times, cycle_period=period, threshold=0.03, periodic=False)
    )
    assert release_only["effective_strain_mean"] == pytest.approx(0.06 * 63.0 / 66.0)
    assert release_only["time_above_threshold"] == pytest.approx(63.0)


def test_standley_csds_repetitive_strain() -> None:
    # Cyclic short-duration strain: 0 → 10% at 33.3%/s and back, in 1.6-s bouts, for 8 h
    rate = 1.0 / 3.0
    up = 0.1 / rate
    times = np.array([0.0, up, 2 * up])
    strain = np.array([0.0, 0.1, 0.0])
    result = _scalar(
        _features(strain, times, cycle_period=1.6, threshold=0.05, session_duration=8 * 3600.0)
    )
    assert result["effective_strain_peak"] == pytest.approx(0.1)
    assert result["effective_strain_amplitude"] == pytest.approx(0.05)
    assert result["strain_rate_peak"] == pytest.approx(rate)
    assert result["effective_strain_mean"] == pytest.approx(0.5 * 0.1 * 2 * up / 1.6)
    assert result["time_above_threshold"] == pytest.approx(up)
    assert result["cycles_per_session"] == 18000
    assert result["session_time_under_load"] == pytest.approx(18000 * up)


@pytest.mark.parametrize(
    ("threshold", "expected"), [(0.01, 0.3), (0.005, 0.305), (0.02, 0.0), (0.05, 0.0)]
)
def test_square_pulse_train(threshold: float, expected: float) -> None:
    # pulses of 2% lasting 0.3 s with 10-ms edges, every second
    edge = 0.01
    times = np.array([0.0, edge, 0.3, 0.3 + edge])
    strain = np.array([0.0, 0.02, 0.02, 0.0])
    result = _scalar(_features(strain, times, cycle_period=1.0, threshold=threshold))
    assert result["effective_strain_peak"] == pytest.approx(0.02)
    assert result["effective_strain_amplitude"] == pytest.approx(0.01)
    assert result["effective_strain_mean"] == pytest.approx(0.02 * 0.3)
    assert result["strain_rate_peak"] == pytest.approx(0.02 / edge)
    # a plateau exactly at the threshold is not above it
    assert result["time_above_threshold"] == pytest.approx(expected, abs=1e-12)


def test_sinusoid_peak_amplitude_mean_and_symmetric_threshold_are_exact() -> None:
    mean, amplitude, period, count = 0.05, 0.02, 2.0, 16
    times = np.arange(count) * period / count
    strain = mean + amplitude * np.sin(2 * math.pi * times / period)
    result = _scalar(_features(strain, times, cycle_period=period, threshold=mean))
    assert result["effective_strain_peak"] == pytest.approx(mean + amplitude)
    assert result["effective_strain_amplitude"] == pytest.approx(amplitude)
    assert result["effective_strain_mean"] == pytest.approx(mean)
    assert result["time_above_threshold"] == pytest.approx(period / 2)
    # steepest chord: through the zero crossing, one frame interval long
    chord = amplitude * math.sin(2 * math.pi / count) / (period / count)
    assert result["strain_rate_peak"] == pytest.approx(chord)


def test_sinusoid_rate_and_time_above_converge_at_second_order() -> None:
    mean, amplitude, period = 0.05, 0.02, 2.0
    exact_rate = 2 * math.pi * amplitude / period
    time_errors = []
    for count in (16, 32, 64):
        times = np.arange(count) * period / count
        strain = mean + amplitude * np.sin(2 * math.pi * times / period + 0.3)
        result = _scalar(
            _features(strain, times, cycle_period=period, threshold=mean + amplitude / 2)
        )
        # a chord one interval h long, centred within h/2 of the steepest point:
        # slope = exact * cos(w d) * sinc(w h / 2), relative error <= (2/3) (pi / K)^2
        rate_error = (exact_rate - result["strain_rate_peak"]) / exact_rate
        assert 0.0 <= rate_error <= (2 / 3) * (math.pi / count) ** 2
        time_errors.append(abs(result["time_above_threshold"] - period / 3))
    assert time_errors[2] < 2e-3 * period
    assert time_errors[0] / time_errors[2] > 9.0


def test_single_frame_is_constant_over_the_cycle() -> None:
    above = _scalar(_features(np.array([0.04]), np.array([0.0]), cycle_period=60.0, threshold=0.01))
    assert above["time_above_threshold"] == 60.0
    assert above["strain_rate_peak"] == 0.0
    assert above["effective_strain_amplitude"] == 0.0
    assert above["effective_strain_mean"] == pytest.approx(0.04)
    below = _scalar(_features(np.array([0.04]), np.array([0.0]), cycle_period=60.0, threshold=0.1))
    assert below["time_above_threshold"] == 0.0


def test_effective_measures_min_principal_and_volumetric() -> None:
    shear = 0.01
    tensors = np.zeros((3, 1, 3, 3))
    tensors[1, 0, 0, 1] = tensors[1, 0, 1, 0] = shear  # simple shear: principal ±shear
    tensors[2, 0] = np.diag([-0.03, 0.005, 0.005])  # compaction: tr = -0.02
    times = np.array([0.0, 1.0, 2.0])
    common: dict[str, Any] = {"cycle_period": 3.0, "threshold": 0.0, "session_duration": 60.0}
    expected_peak = {
        "max_principal_strain": 0.01,
        "max_shear_strain": 0.035,
        "octahedral_shear_strain": (2 / 3) * math.sqrt(0.035**2 + 0.035**2),
    }
    for measure, peak in expected_peak.items():
        result = compute_features(tensors, times, effective_measure=measure, **common)
        assert result["effective_strain_peak"][0] == pytest.approx(peak), measure
    result = compute_features(tensors, times, **common)
    assert result["min_principal_strain"][0] == pytest.approx(-0.03)
    assert result["volumetric_strain_peak"][0] == pytest.approx(-0.02)
    assert set(expected_peak) == set(EFFECTIVE_STRAIN_MEASURES)


def test_fibre_stretch_small_strain_green_lagrange_and_no_fibre() -> None:
    tensors = np.zeros((2, 3, 3, 3))
    tensors[1, :, 0, 0] = 0.1
    directions = np.array([[2.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 0.0]])
    common: dict[str, Any] = {"cycle_period": 2.0, "threshold": 0.0, "session_duration": 60.0}
    times = np.array([0.0, 1.0])
    small = compute_features(tensors, times, fibre_directions=directions, **common)
    np.testing.assert_allclose(small["fibre_stretch_peak"], [1.1, 1.0, 1.0])
    exact = compute_features(
        tensors, times, fibre_directions=directions, green_lagrange=True, **common
    )
    np.testing.assert_allclose(exact["fibre_stretch_peak"], [math.sqrt(1.2), 1.0, 1.0])
    none = compute_features(tensors, times, **common)
    np.testing.assert_array_equal(none["fibre_stretch_peak"], 1.0)


def test_chunking_does_not_change_the_result() -> None:
    rng = np.random.default_rng(3)
    raw = rng.normal(scale=0.02, size=(7, 53, 3, 3))
    tensors = 0.5 * (raw + np.swapaxes(raw, -1, -2))
    directions = rng.normal(size=(53, 3))
    times = np.sort(rng.uniform(0.0, 2.0, 7))
    common: dict[str, Any] = {
        "cycle_period": 2.5,
        "threshold": 0.01,
        "session_duration": 600.0,
        "fibre_directions": directions,
    }
    whole = compute_features(tensors, times, **common)
    chunked = compute_features(tensors, times, chunk_size=5, **common)
    for name in FEATURE_NAMES:
        np.testing.assert_allclose(chunked[name], whole[name], err_msg=name)


def test_ramp_hold_release_frames_of_sustained_shear_give_alds_features() -> None:
    frames = technique_frames(SustainedShear())
    assert frames.load_factors is not None
    reference = np.diag([0.06, -0.03, -0.03])
    tensors = frames.load_factors[:, None, None, None] * reference[None, None]
    result = compute_features(
        tensors,
        frames.frame_times,
        cycle_period=frames.cycle_period,
        threshold=0.03,
        session_duration=900.0,
    )
    assert result["strain_rate_peak"][0] == pytest.approx(0.03)
    assert result["time_above_threshold"][0] == pytest.approx(63.0)
    assert result["cycles_per_session"][0] == frames.cycles_per_session(900.0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"frame_times": np.array([0.0, 1.0, 1.0])}, "strictly increasing"),
        ({"frame_times": np.array([0.0, 1.0])}, "shape"),
        ({"frame_times": np.array([0.0, 1.0, 5.0])}, "longer than the cycle period"),
        ({"cycle_period": 0.0}, "cycle_period"),
        ({"effective_measure": "von_mises"}, "unknown effective strain measure"),
        ({"fibre_directions": np.zeros((2, 3))}, "fibre_directions"),
        ({"session_duration": -1.0}, "session_duration"),
        ({"chunk_size": 0}, "chunk_size"),
    ],
)
def test_invalid_arguments_raise(kwargs: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {
        "frame_times": np.array([0.0, 1.0, 2.0]),
        "cycle_period": 3.0,
        "threshold": 0.0,
        "session_duration": 10.0,
    }
    arguments.update(kwargs)
    times = arguments.pop("frame_times")
    with pytest.raises(ValueError, match=message):
        compute_features(np.zeros((3, 4, 3, 3)), times, **arguments)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="shape"):
        compute_features(
            np.zeros((3, 4, 3)),
            np.array([0.0, 1.0, 2.0]),
            cycle_period=3.0,
            threshold=0.0,
            session_duration=1.0,
        )


def test_require_feature() -> None:
    assert require_feature("strain_rate_peak") == "strain_rate_peak"
    with pytest.raises(InputError, match="did you mean 'strain_rate_peak'") as info:
        require_feature("strain_rate_pk", file="fibroblast.yaml", key="inputs.rate")
    assert info.value.key == "inputs.rate"
    assert info.value.file == "fibroblast.yaml"


# -- dose features that know time (issue 10; FACTS §9: a 1-s pass is not a 15-min hold) --------


def _stroke(peak: float = 0.3) -> tuple[np.ndarray, np.ndarray, float]:
    """A moving stroke at one point: 0 → peak in 0.5 s, back to 0 at 1 s, unloaded until 4/3 s."""
    return np.array([0.0, 0.5, 1.0]), np.array([0.0, peak, 0.0]), 4.0 / 3.0


LEVELS = (
    "time_above_10pct",
    "session_time_above_10pct",
    "longest_time_above_10pct",
    "strain_time_above_10pct",
)


def test_a_stroke_and_a_static_hold_at_the_same_peak_are_different_doses() -> None:
    times, strain, period = _stroke()
    stroke = _scalar(
        _features(strain, times, cycle_period=period, session_duration=900.0, level_features=LEVELS)
    )
    # above 10 % while the triangle exceeds a third of its height: 2/3 of the 1-s pass
    assert stroke["time_above_10pct"] == pytest.approx(2.0 / 3.0)
    assert stroke["longest_time_above_10pct"] == pytest.approx(2.0 / 3.0)
    assert stroke["cycles_per_session"] == 675
    assert stroke["session_time_above_10pct"] == pytest.approx(675 * 2.0 / 3.0)
    # triangle of height 0.2 over a base of 2/3 s
    assert stroke["strain_time_above_10pct"] == pytest.approx(0.5 * 0.2 * 2.0 / 3.0)
    assert stroke["strain_time_integral"] == pytest.approx(0.5 * 0.3 * 1.0)
    assert stroke["session_strain_time_integral"] == pytest.approx(675 * 0.15)
    assert stroke["strain_rate_mean"] == pytest.approx(0.6 / period)
    assert stroke["strain_rate_peak"] == pytest.approx(0.6)
    hold = _hold(900.0, LEVELS)
    assert hold["effective_strain_peak"] == stroke["effective_strain_peak"]
    assert hold["time_above_10pct"] == pytest.approx(60.0)
    assert hold["longest_time_above_10pct"] == pytest.approx(900.0)  # the whole hold
    assert hold["session_time_above_10pct"] == pytest.approx(900.0)
    assert hold["strain_time_above_10pct"] == pytest.approx(0.2 * 60.0)
    assert hold["strain_rate_mean"] == 0.0


def test_a_run_across_the_end_of_the_cycle_joins_the_run_at_its_start() -> None:
    times = np.array([0.0, 1.0, 2.0, 3.0])
    strain = np.array([0.2, 0.0, 0.0, 0.2])
    names = ("time_above_10pct", "longest_time_above_10pct")
    periodic = _scalar(_features(strain, times, cycle_period=4.0, level_features=names))
    # above on [0, 0.5) and (2.5, 4]: one run of 1.5 + 0.5 s across the cycle boundary
    assert periodic["time_above_10pct"] == pytest.approx(2.0)
    assert periodic["longest_time_above_10pct"] == pytest.approx(2.0)
    # above 0 (the default threshold) on [0, 1) and (2, 4]: one run of 3 s
    assert periodic["longest_time_above_threshold"] == pytest.approx(3.0)
    once = _scalar(_features(strain, times, cycle_period=4.0, level_features=names, periodic=False))
    assert once["time_above_10pct"] == pytest.approx(1.0)
    assert once["longest_time_above_10pct"] == pytest.approx(0.5)


def test_longest_run_picks_the_longer_of_two_pulses() -> None:
    # pulses of 10 % lasting 2 s and 5 s (1-s edges) within a 20-s cycle; level 5 %
    times = np.array([0.0, 1.0, 3.0, 4.0, 8.0, 9.0, 14.0, 15.0])
    strain = np.array([0.0, 0.1, 0.1, 0.0, 0.0, 0.1, 0.1, 0.0])
    names = ("time_above_5pct", "longest_time_above_5pct", "longest_time_above_10pct")
    result = _scalar(_features(strain, times, cycle_period=20.0, level_features=names))
    assert result["time_above_5pct"] == pytest.approx(3.0 + 6.0)
    assert result["longest_time_above_5pct"] == pytest.approx(6.0)
    assert result["longest_time_above_10pct"] == 0.0  # the plateaus sit exactly at 10 %


def test_standley_rms_and_mfr_differ_in_sustained_time_above_3_percent() -> None:
    """Anloague et al. 2020 (FACTS §4): RMS bouts of 1.6 s vs one 60-s hold at 6 %."""
    names = ("longest_time_above_3pct", "session_time_above_3pct")
    rms = _scalar(
        _features(
            np.array([0.0, 0.1, 0.0]),
            np.array([0.0, 0.3, 0.6]),
            cycle_period=1.6,
            session_duration=8 * 3600.0,
            level_features=names,
        )
    )
    mfr = _scalar(
        _features(
            np.array([0.0, 0.06, 0.06]),
            np.array([0.0, 2.0, 62.0]),
            cycle_period=66.0,
            session_duration=66.0,
            level_features=names,
        )
    )
    assert rms["longest_time_above_3pct"] == pytest.approx(0.6 * 0.7)
    assert rms["session_time_above_3pct"] == pytest.approx(18000 * 0.42)
    assert rms["cycles_per_session"] == 18000
    assert mfr["longest_time_above_3pct"] == pytest.approx(1.0 + 60.0 + 2.0)
    assert mfr["session_time_above_3pct"] == pytest.approx(63.0)


def test_session_features_count_whole_cycles() -> None:
    hold = _hold(150.0)
    assert hold["cycles_per_session"] == 2
    assert hold["longest_time_above_10pct"] == pytest.approx(120.0)
    assert hold["longest_time_above_threshold"] == pytest.approx(120.0)
    short = _hold(30.0)
    assert short["longest_time_above_10pct"] == 0.0
    assert short["session_time_under_load"] == 0.0


def test_single_frame_read_once_is_above_for_the_whole_cycle_only() -> None:
    once = _hold(600.0, periodic=False)
    assert once["longest_time_above_10pct"] == pytest.approx(60.0)


def test_strain_time_integrals_of_a_sinusoid_are_exact_in_the_limit() -> None:
    mean, amplitude, period = 0.05, 0.02, 2.0
    for count in (16, 256):
        times = np.arange(count) * period / count
        strain = mean + amplitude * np.sin(2 * math.pi * times / period)
        result = _scalar(
            _features(
                strain, times, cycle_period=period, level_features=("strain_time_above_5pct",)
            )
        )
        # trapezoids of a sine over whole periods are exact; the excess over the mean is
        # amplitude * T / pi, reached at second order in 1/K
        assert result["strain_time_integral"] == pytest.approx(mean * period)
        excess = result["strain_time_above_5pct"]
        assert excess == pytest.approx(amplitude * period / math.pi, rel=(2 / count) ** 2 * 2)
        # frames at the extremes (K a multiple of 4): total variation 4 A per period, exactly
        assert result["strain_rate_mean"] == pytest.approx(4 * amplitude / period, rel=1e-12)


@pytest.mark.parametrize(
    ("name", "parsed"),
    [
        ("longest_time_above_40pct", ("longest_time_above", 0.40)),
        ("time_above_2p5pct", ("time_above", 0.025)),
        ("session_time_above_100pct", ("session_time_above", 1.0)),
        ("strain_time_above_0p25pct", ("strain_time_above", 0.0025)),
        ("time_above_threshold", None),
        ("time_above_40", None),
        ("longest_above_40pct", None),
        ("time_above_-4pct", None),
    ],
)
def test_level_feature_names(name: str, parsed: tuple[str, float] | None) -> None:
    result = parse_level_feature(name)
    if parsed is None:
        assert result is None
        return
    assert result is not None
    assert result[0] == parsed[0] and result[1] == pytest.approx(parsed[1])
    assert level_feature_name(*result) == name
    assert is_feature(name) and require_feature(name) == name
    assert feature_unit(name) == "s"
    assert f"{100 * parsed[1]:g} %" in feature_description(name)


def test_unknown_level_feature_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown stimulus feature"):
        _features(
            np.array([0.0, 0.1]),
            np.array([0.0, 1.0]),
            cycle_period=2.0,
            level_features=("time_above_10",),
        )
    with pytest.raises(InputError, match="level feature such as longest_time_above_40pct"):
        require_feature("longest_above_40pct")
    assert not is_feature("longest_above_40pct")
    with pytest.raises(ValueError, match="unknown"):
        feature_unit("longest_above_40pct")


def test_level_features_are_vectorised_over_points_and_chunks() -> None:
    rng = np.random.default_rng(5)
    history = rng.uniform(-0.05, 0.3, size=(9, 41))
    times = np.sort(rng.uniform(0.0, 3.0, 9))
    names = LEVELS
    settings: dict[str, Any] = {
        "cycle_period": 3.5,
        "threshold": 0.02,
        "session_duration": 100.0,
        "level_features": names,
    }
    whole = compute_features(_uniaxial(history), times, **settings)
    chunked = compute_features(_uniaxial(history), times, chunk_size=4, **settings)
    for name in (*FEATURE_NAMES, *names):
        np.testing.assert_allclose(chunked[name], whole[name], err_msg=name)
    # each point alone gives the same values (no coupling between points)
    for point in (0, 17, 40):
        alone = compute_features(_uniaxial(history[:, point : point + 1]), times, **settings)
        for name in names:
            assert alone[name][0] == pytest.approx(whole[name][point]), name
    # a run never exceeds the time above, which never exceeds the cycle
    assert np.all(whole["longest_time_above_10pct"] <= 28 * 3.5 + 1e-9)
    assert np.all(whole["time_above_10pct"] <= 3.5 + 1e-12)
