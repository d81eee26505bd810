"""Contact patches: profile normalisation, shapes, rotation, surface traction."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tissue_sim.loading import (
    PATCH_SHAPES,
    PROFILES,
    ContactPatch,
    LoadFrame,
    LoadingParameterError,
    PatchLoad,
    frame_resultant,
    patch_extent,
    profile_weight,
    surface_traction,
)


def _grid(patch: ContactPatch, n: int = 1201) -> tuple[np.ndarray, float]:
    """Midpoint grid over a box 5% larger than the patch's bounding box."""
    half_x, half_y = patch_extent(patch)
    half_x, half_y = 1.05 * half_x, 1.05 * half_y
    dx, dy = 2 * half_x / n, 2 * half_y / n
    xs = patch.centre[0] - half_x + dx * (np.arange(n) + 0.5)
    ys = patch.centre[1] - half_y + dy * (np.arange(n) + 0.5)
    grid_x, grid_y = np.meshgrid(xs, ys)
    return np.column_stack((grid_x.ravel(), grid_y.ravel())), dx * dy


@pytest.mark.parametrize("shape", PATCH_SHAPES)
@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("orientation", [0.0, 0.7])
def test_profile_integrates_to_patch_area(shape: str, profile: str, orientation: float) -> None:
    patch = ContactPatch(
        centre=(0.012, -0.004),
        semi_axes=(0.03, 0.012),
        orientation=orientation,
        profile=profile,
        shape=shape,
        edge_width=0.3,
    )
    points, cell_area = _grid(patch)
    weight = profile_weight(patch, points)
    assert np.all(weight >= 0.0)
    assert weight.sum() * cell_area == pytest.approx(patch.area, rel=2e-3)
    assert weight.max() == pytest.approx(patch.peak_weight, rel=1e-3)


@pytest.mark.parametrize("edge_width", [0.05, 0.2, 0.5, 1.0])
def test_smooth_profile_normalised_for_every_edge_width(edge_width: float) -> None:
    patch = ContactPatch((0.0, 0.0), (0.01, 0.01), profile="smooth", edge_width=edge_width)
    points, cell_area = _grid(patch, n=1601)
    assert profile_weight(patch, points).sum() * cell_area == pytest.approx(patch.area, rel=1e-3)


def test_hertzian_peak_is_one_and_a_half_times_the_mean() -> None:
    patch = ContactPatch((0.0, 0.0), (0.02, 0.01), profile="hertzian")
    centre_weight = profile_weight(patch, np.array([[0.0, 0.0]]))[0]
    assert centre_weight == pytest.approx(1.5)
    # p ∝ sqrt(1 - r²): at r = 0.6 along the minor axis the weight is 1.5 * 0.8
    assert profile_weight(patch, np.array([[0.0, 0.006]]))[0] == pytest.approx(1.2)


def test_rectangle_hertzian_is_a_line_contact_across_the_width() -> None:
    patch = ContactPatch((0.0, 0.0), (0.02, 0.002), profile="hertzian", shape="rectangle")
    along = profile_weight(patch, np.array([[-0.019, 0.0], [0.0, 0.0], [0.019, 0.0]]))
    np.testing.assert_allclose(along, 4.0 / math.pi)
    across = profile_weight(patch, np.array([[0.0, 0.0012]]))[0]
    assert across == pytest.approx(4.0 / math.pi * 0.8)


@pytest.mark.parametrize("shape", PATCH_SHAPES)
@pytest.mark.parametrize("profile", PROFILES)
def test_weight_is_zero_outside_the_patch(shape: str, profile: str) -> None:
    patch = ContactPatch((0.01, 0.02), (0.02, 0.01), orientation=0.3, profile=profile, shape=shape)
    cos_t, sin_t = math.cos(0.3), math.sin(0.3)
    outside = np.array(
        [
            [0.01 + 0.0201 * cos_t, 0.02 + 0.0201 * sin_t],
            [0.01 - 0.0101 * sin_t, 0.02 + 0.0101 * cos_t],
            [0.1, 0.1],
        ]
    )
    np.testing.assert_array_equal(profile_weight(patch, outside), 0.0)


def test_smooth_profile_is_flat_inside_and_tapers_to_zero_at_the_edge() -> None:
    patch = ContactPatch((0.0, 0.0), (0.01, 0.01), profile="smooth", edge_width=0.25)
    radii = np.array([0.0, 0.5, 0.75, 0.8, 0.9, 0.99, 1.0]) * 0.01
    weight = profile_weight(patch, np.column_stack((radii, np.zeros_like(radii))))
    np.testing.assert_allclose(weight[:3], patch.peak_weight)
    assert np.all(np.diff(weight[2:]) < 0.0)
    assert weight[-1] == pytest.approx(0.0, abs=1e-12)


def test_rotation_by_a_right_angle_swaps_the_semi_axes() -> None:
    rng = np.random.default_rng(1)
    points = rng.uniform(-0.03, 0.03, size=(500, 2))
    for profile in PROFILES:
        turned = ContactPatch((0.0, 0.0), (0.02, 0.01), math.pi / 2, profile)
        swapped = ContactPatch((0.0, 0.0), (0.01, 0.02), 0.0, profile)
        np.testing.assert_allclose(
            profile_weight(turned, points), profile_weight(swapped, points), atol=1e-12
        )


def test_patch_extent_of_a_rotated_ellipse_and_rectangle() -> None:
    ellipse = ContactPatch((0.0, 0.0), (0.03, 0.01), orientation=math.pi / 4)
    half = math.sqrt((0.03**2 + 0.01**2) / 2)
    assert patch_extent(ellipse) == pytest.approx((half, half))
    assert patch_extent(ellipse, math.pi / 4) == pytest.approx((0.03, 0.01))
    rectangle = ContactPatch((0.0, 0.0), (0.03, 0.01), orientation=math.pi / 2, shape="rectangle")
    assert patch_extent(rectangle) == pytest.approx((0.01, 0.03))


def test_area() -> None:
    assert ContactPatch((0.0, 0.0), (0.02, 0.01)).area == pytest.approx(math.pi * 2e-4)
    rectangle = ContactPatch((0.0, 0.0), (0.02, 0.01), shape="rectangle")
    assert rectangle.area == pytest.approx(8e-4)


def test_surface_traction_sums_patches_and_integrates_to_the_resultant() -> None:
    first = PatchLoad(
        ContactPatch((-0.01, 0.0), (0.01, 0.008), profile="hertzian"), 10e3, (2e3, -1e3)
    )
    second = PatchLoad(
        ContactPatch((0.015, 0.005), (0.006, 0.006), profile="smooth"), 4e3, (0.0, 500.0)
    )
    frame = LoadFrame(0.5, (first, second))
    n = 1500
    xs = np.linspace(-0.03, 0.03, n, endpoint=False) + 0.03 / n
    ys = np.linspace(-0.02, 0.02, n, endpoint=False) + 0.02 / n
    grid_x, grid_y = np.meshgrid(xs, ys)
    points = np.column_stack((grid_x.ravel(), grid_y.ravel(), np.full(grid_x.size, 0.05)))
    traction = surface_traction(frame, points)
    total = traction.sum(axis=0) * (0.06 / n) * (0.04 / n)
    expected = frame_resultant(frame)
    assert expected[2] == pytest.approx(-(10e3 * first.patch.area + 4e3 * second.patch.area))
    np.testing.assert_allclose(total, expected, rtol=2e-3)
    # pressure pushes into the tissue (−z), shear follows the given vector
    centre = surface_traction(frame, np.array([[-0.01, 0.0, 0.05]]))[0]
    np.testing.assert_allclose(centre, 1.5 * np.array([2e3, -1e3, -10e3]))


def test_empty_frame_gives_zero_traction() -> None:
    frame = LoadFrame(0.0)
    assert not frame.is_loaded
    np.testing.assert_array_equal(surface_traction(frame, np.zeros((4, 3))), 0.0)


def test_bad_shapes_of_points_raise() -> None:
    patch = ContactPatch((0.0, 0.0), (0.01, 0.01))
    with pytest.raises(ValueError, match=r"\(n, 2\)"):
        profile_weight(patch, np.zeros((3, 3)))
    with pytest.raises(ValueError, match=r"\(n, 3\)"):
        surface_traction(LoadFrame(0.0, (PatchLoad(patch, 1.0),)), np.zeros((3, 2)))


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"semi_axes": (0.0, 0.01)}, "patch.semi_axes"),
        ({"semi_axes": (0.01, -0.01)}, "patch.semi_axes"),
        ({"profile": "gaussian"}, "patch.profile"),
        ({"shape": "triangle"}, "patch.shape"),
        ({"edge_width": 0.0}, "patch.edge_width"),
        ({"edge_width": 1.5}, "patch.edge_width"),
        ({"centre": (math.nan, 0.0)}, "patch.centre"),
    ],
)
def test_invalid_patch_parameters_are_named(kwargs: dict[str, object], parameter: str) -> None:
    arguments: dict[str, object] = {"centre": (0.0, 0.0), "semi_axes": (0.01, 0.01)}
    arguments.update(kwargs)
    with pytest.raises(LoadingParameterError) as info:
        ContactPatch(**arguments)  # type: ignore[arg-type]
    assert info.value.parameter == parameter


def test_negative_pressure_is_rejected() -> None:
    with pytest.raises(LoadingParameterError) as info:
        PatchLoad(ContactPatch((0.0, 0.0), (0.01, 0.01)), -1.0)
    assert info.value.parameter == "pressure"
