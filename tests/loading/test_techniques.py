"""Techniques → quasi-static load frames: times, load curves, superposition, moving patches."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tissue_sim.loading import (
    MIN_FRAMES_PER_CROSSING,
    TECHNIQUES,
    ContactPatch,
    CrossFibreFriction,
    Effleurage,
    Kneading,
    LoadingParameterError,
    Roller,
    StaticCompression,
    SustainedShear,
    Technique,
    TechniqueFrames,
    check_on_block,
    default_frames,
    minimum_frames,
    patch_extent,
    surface_traction,
    technique_footprint,
    technique_frames,
)

ALL_DEFAULTS = [cls() for cls in TECHNIQUES.values()]
RNG = np.random.default_rng(7)
SKIN_POINTS = np.column_stack(
    (RNG.uniform(-0.05, 0.05, 400), RNG.uniform(-0.03, 0.03, 400), np.full(400, 0.04))
)


@pytest.mark.parametrize("technique", ALL_DEFAULTS, ids=lambda t: t.name)
def test_default_frames_are_time_ordered_within_one_cycle(technique: Technique) -> None:
    frames = technique_frames(technique)
    times = frames.frame_times
    assert frames.n_frames == times.size >= 1
    assert times[0] == 0.0
    assert np.all(np.diff(times) > 0.0)
    assert times[-1] < frames.cycle_period
    assert frames.cycle_frequency == pytest.approx(1.0 / frames.cycle_period)
    assert 0.0 < frames.loaded_time_per_cycle <= frames.cycle_period * (1 + 1e-12)
    assert not frames.frame_times.flags.writeable


@pytest.mark.parametrize("technique", ALL_DEFAULTS, ids=lambda t: t.name)
def test_superposition_basis_reproduces_every_frame(technique: Technique) -> None:
    frames = technique_frames(technique)
    if technique.moving:
        assert frames.basis is None and frames.basis_factors is None
        return
    assert frames.basis is not None and frames.basis_factors is not None
    patterns = np.stack([surface_traction(basis, SKIN_POINTS) for basis in frames.basis])
    for k, frame in enumerate(frames.frames):
        combined = np.einsum("b,bnc->nc", frames.basis_factors[k], patterns)
        np.testing.assert_allclose(surface_traction(frame, SKIN_POINTS), combined, atol=1e-9)


def test_static_frames_are_identical_copies_of_the_hold() -> None:
    technique = StaticCompression(pressure=15e3, shear=(1e3, 0.0), hold_time=90.0)
    frames = technique_frames(technique, 5)
    np.testing.assert_allclose(frames.frame_times, np.arange(5) * 18.0)
    assert frames.load_factors is not None
    np.testing.assert_array_equal(frames.load_factors, 1.0)
    assert frames.reference_frame is not None
    assert all(frame.loads == frames.reference_frame.loads for frame in frames.frames)
    assert frames.cycle_period == 90.0 == frames.loaded_time_per_cycle


def test_sustained_shear_default_follows_the_standley_alds_profile() -> None:
    frames = technique_frames(SustainedShear())
    np.testing.assert_allclose(frames.frame_times, [0.0, 2.0, 62.0])
    assert frames.load_factors is not None
    np.testing.assert_allclose(frames.load_factors, [0.0, 1.0, 1.0])
    assert frames.cycle_period == 66.0


def _ramp_hold_curve(t: np.ndarray, ramp: float, hold: float, release: float) -> np.ndarray:
    return np.interp(t, [0.0, ramp, ramp + hold, ramp + hold + release], [0.0, 1.0, 1.0, 0.0])


def test_extra_frames_of_a_ramp_hold_release_go_to_the_ramps_by_duration() -> None:
    technique = SustainedShear(ramp_time=2.0, hold_time=60.0, release_time=4.0, rest_time=30.0)
    frames = technique_frames(technique, 10)
    # 4 breakpoints + 6 extra frames shared 2 : 4 between the ramps
    np.testing.assert_allclose(
        frames.frame_times, [0.0, 2 / 3, 4 / 3, 2.0, 62.0, 62.8, 63.6, 64.4, 65.2, 66.0]
    )
    assert frames.load_factors is not None
    np.testing.assert_allclose(
        frames.load_factors, _ramp_hold_curve(frames.frame_times, 2.0, 60.0, 4.0)
    )
    assert frames.cycle_period == 96.0
    assert frames.loaded_time_per_cycle == 66.0


def test_kneading_load_curve_is_a_raised_cosine_between_min_and_peak() -> None:
    technique = Kneading(pressure=12e3, min_pressure=3e3, shear=(1e3, 0.0), frequency=0.25)
    frames = technique_frames(technique, 8)
    times = np.arange(8) * 0.5
    np.testing.assert_allclose(frames.frame_times, times)
    expected = 0.25 + 0.75 * 0.5 * (1.0 - np.cos(2.0 * math.pi * times / 4.0))
    assert frames.load_factors is not None
    np.testing.assert_allclose(frames.load_factors, expected)
    pressures = [frame.loads[0].pressure for frame in frames.frames]
    assert min(pressures) == pytest.approx(3e3) and max(pressures) == pytest.approx(12e3)
    assert frames.frames[4].loads[0].shear == pytest.approx((1e3, 0.0))


def test_cross_fibre_friction_oscillates_across_the_fibres_under_constant_pressure() -> None:
    technique = CrossFibreFriction(
        pressure=100e3, shear_amplitude=20e3, fibre_direction=math.pi / 6, frequency=1.5
    )
    frames = technique_frames(technique, 8)
    assert frames.cycle_period == pytest.approx(1 / 1.5)
    across = np.array([-math.sin(math.pi / 6), math.cos(math.pi / 6)])
    for frame in frames.frames:
        load = frame.loads[0]
        assert load.pressure == 100e3
        shear = np.array(load.shear)
        assert abs(shear @ np.array([math.cos(math.pi / 6), math.sin(math.pi / 6)])) < 1e-9
        expected = 20e3 * math.sin(2 * math.pi * frame.time * 1.5)
        assert shear @ across == pytest.approx(expected, abs=1e-9)
    assert frames.basis is not None and len(frames.basis) == 2
    assert frames.reference_frame is None and frames.load_factors is None


def test_effleurage_patch_moves_along_the_path_at_the_speed() -> None:
    technique = Effleurage(
        patch=ContactPatch((0.0, 0.0), (0.02, 0.015), profile="hertzian"),
        pressure=8e3,
        shear=2e3,
        speed=0.04,
        path=((-0.03, 0.01), (0.03, 0.01)),
        stroke_rate=0.5,
    )
    frames = technique_frames(technique, 13)
    assert frames.cycle_period == 2.0
    loaded = [frame for frame in frames.frames if frame.is_loaded]
    assert len(loaded) == 13
    times = np.array([frame.time for frame in loaded])
    np.testing.assert_allclose(times, np.linspace(0.0, 1.5, 13))
    centres = np.array([frame.loads[0].patch.centre for frame in loaded])
    np.testing.assert_allclose(centres[:, 0], -0.03 + 0.04 * times)
    np.testing.assert_allclose(centres[:, 1], 0.01)
    for frame in loaded:
        assert frame.loads[0].shear == pytest.approx((2e3, 0.0))
        assert frame.loads[0].pressure == 8e3
    # lift-off one frame interval after the pass, set-down one interval before the next
    unloaded = frames.frame_times[~frames.loaded]
    np.testing.assert_allclose(unloaded, [1.625, 1.875])
    assert frames.loaded_time_per_cycle == pytest.approx(1.75)


def test_moving_patch_is_oriented_by_the_direction_of_motion_on_a_polyline() -> None:
    technique = Roller(path=((-0.02, -0.02), (0.02, -0.02), (0.02, 0.02)), stroke_rate=None)
    frames = technique_frames(technique, 81)
    loaded = [frame.loads[0] for frame in frames.frames if frame.is_loaded]
    first_leg = [load for load in loaded if load.patch.centre[1] < -0.02 + 1e-12]
    second_leg = [load for load in loaded if load.patch.centre[0] > 0.02 - 1e-12]
    assert first_leg and second_leg
    assert all(load.patch.orientation == pytest.approx(math.pi / 2) for load in first_leg[:-1])
    assert all(load.patch.orientation == pytest.approx(math.pi) for load in second_leg[1:])
    # the roller axis stays across the motion: along-motion extent is the contact width
    assert patch_extent(second_leg[-1].patch, math.pi / 2)[0] == pytest.approx(0.002)
    assert frames.cycle_period == pytest.approx(2 * 0.08 / 0.04)


def test_traction_under_a_point_on_the_path_peaks_when_the_patch_centre_is_nearest() -> None:
    technique = Effleurage(
        patch=ContactPatch((0.0, 0.0), (0.02, 0.015), profile="hertzian"),
        path=((-0.02, 0.0), (0.02, 0.0)),
    )
    frames = technique_frames(technique, 41)
    probes = np.array([[x, 0.0, 0.05] for x in (-0.015, -0.005, 0.0, 0.01, 0.018)])
    history = np.array([surface_traction(frame, probes)[:, 2] for frame in frames.frames])
    peak_frames = np.argmax(-history, axis=0)
    centres = np.array(
        [frames.frames[k].loads[0].patch.centre[0] for k in peak_frames], dtype=float
    )
    np.testing.assert_allclose(centres, probes[:, 0], atol=0.5 * 0.04 / 40 + 1e-12)
    assert np.all(np.diff(peak_frames) > 0)


def test_moving_patch_with_too_few_frames_is_rejected() -> None:
    technique = Effleurage()
    with pytest.raises(LoadingParameterError, match="at least 2 frames") as info:
        technique_frames(technique, 1)
    assert info.value.parameter == "frames"
    roller = Roller()
    needed = minimum_frames(roller)
    # 4 cm path, 4 mm contact width: spacing at most 4 mm / 3
    assert needed == 31
    with pytest.raises(LoadingParameterError, match=f"at least {needed} frames") as info:
        technique_frames(roller, needed - 1)
    assert info.value.parameter == "frames"
    frames = technique_frames(roller, needed)
    centres = np.array([f.loads[0].patch.centre[0] for f in frames.frames if f.is_loaded])
    assert np.max(np.diff(centres)) <= 0.004 / MIN_FRAMES_PER_CROSSING + 1e-12


def test_minimum_and_default_frames() -> None:
    assert minimum_frames(StaticCompression()) == 1
    assert default_frames(StaticCompression()) == 1
    assert minimum_frames(SustainedShear()) == 3
    assert minimum_frames(SustainedShear(rest_time=10.0)) == 4
    assert minimum_frames(Kneading()) == 4
    assert default_frames(Kneading()) == 8
    # path shorter than the patch: 3 intervals suffice
    assert minimum_frames(Effleurage()) == 4
    assert default_frames(Effleurage()) == 24
    assert default_frames(Roller()) == 31
    with pytest.raises(LoadingParameterError, match="breakpoint"):
        technique_frames(SustainedShear(), 2)
    with pytest.raises(LoadingParameterError, match="at least 4"):
        technique_frames(Kneading(), 3)
    with pytest.raises(LoadingParameterError, match="at least 1 frame"):
        technique_frames(StaticCompression(), 0)


@pytest.mark.parametrize(
    ("build", "parameter"),
    [
        (lambda: Kneading(frequency=0.0), "frequency"),
        (lambda: Kneading(frequency=-1.0), "frequency"),
        (lambda: CrossFibreFriction(frequency=0.0), "frequency"),
        (lambda: Kneading(pressure=1e3, min_pressure=2e3), "min_pressure"),
        (lambda: StaticCompression(hold_time=0.0), "hold_time"),
        (lambda: StaticCompression(ramp_time=1.0), "release_time"),
        (lambda: StaticCompression(rest_time=5.0), "rest_time"),
        (lambda: Effleurage(speed=0.0), "speed"),
        (lambda: Effleurage(path=((0.0, 0.0),)), "path"),
        (lambda: Effleurage(path=((0.0, 0.0), (0.0, 0.0))), "path"),
        (lambda: Effleurage(stroke_rate=2.0), "stroke_rate"),
        (lambda: Effleurage(stroke_rate=0.0), "stroke_rate"),
        (lambda: Roller(pressure=-5.0), "pressure"),
    ],
)
def test_invalid_technique_parameters_are_named(build: object, parameter: str) -> None:
    with pytest.raises(LoadingParameterError) as info:
        build()  # type: ignore[operator]
    assert info.value.parameter == parameter


def test_cycles_and_time_under_load_per_session() -> None:
    frames = technique_frames(Kneading(frequency=0.5))
    assert frames.cycles_per_session(900.0) == 450
    assert frames.time_under_load_per_session(900.0) == pytest.approx(900.0)
    stroke = technique_frames(Effleurage(speed=0.05, stroke_rate=0.75), 24)
    assert technique_frames(Effleurage()).cycle_period == pytest.approx(60.0 / 45.0)
    assert technique_frames(Roller()).cycle_period == pytest.approx(2.0)
    assert stroke.cycles_per_session(900.0) == 675
    pass_time = 0.04 / 0.05
    lift = pass_time / 23
    assert stroke.loaded_time_per_cycle == pytest.approx(pass_time + 2 * lift)
    assert stroke.time_under_load_per_session(900.0) == pytest.approx(675 * (pass_time + 2 * lift))
    hold = technique_frames(SustainedShear(rest_time=34.0))
    assert hold.cycles_per_session(15 * 60) == 9
    assert hold.time_under_load_per_session(15 * 60) == pytest.approx(9 * 66.0)


def test_footprint_and_block_checks() -> None:
    static = StaticCompression(patch=ContactPatch((0.02, 0.0), (0.01, 0.01)))
    assert technique_footprint(static) == pytest.approx((0.01, 0.03, -0.01, 0.01))
    check_on_block(static, (0.06, 0.04))
    with pytest.raises(LoadingParameterError) as info:
        check_on_block(static, (0.05, 0.04))
    assert info.value.parameter == "patch.centre"
    with pytest.raises(LoadingParameterError) as info:
        check_on_block(static, (0.1, 0.015))
    assert info.value.parameter == "patch.semi_axes"

    stroke = Effleurage(path=((-0.03, 0.0), (0.03, 0.0), (0.03, 0.02)))
    assert technique_footprint(stroke) == pytest.approx((-0.05, 0.05, -0.02, 0.04))
    check_on_block(stroke, (0.1, 0.08))
    with pytest.raises(LoadingParameterError, match="point 2") as info:
        check_on_block(stroke, (0.1, 0.06))
    assert info.value.parameter == "path"


def test_technique_frames_rejects_non_integral_counts() -> None:
    with pytest.raises(LoadingParameterError):
        technique_frames(Kneading(), 4.5)  # type: ignore[arg-type]


def test_technique_frames_is_a_frozen_value() -> None:
    frames = technique_frames(Kneading())
    assert isinstance(frames, TechniqueFrames)
    with pytest.raises(AttributeError):
        frames.cycle_period = 3.0  # type: ignore[misc]
