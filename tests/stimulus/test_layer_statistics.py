"""Volume-weighted per-layer distributions of a feature."""

from __future__ import annotations

import numpy as np
import pytest

from tissue_sim.stimulus import STATISTICS, layer_statistics, weighted_percentiles


def test_weighted_percentiles_follow_the_inverted_weighted_cdf() -> None:
    values = np.array([4.0, 1.0, 3.0, 2.0])
    weights = np.array([7.0, 1.0, 1.0, 1.0])
    # cumulative weight fractions of the sorted values 1, 2, 3, 4: 0.1, 0.2, 0.3, 1.0
    np.testing.assert_array_equal(
        weighted_percentiles(values, weights, [0, 10, 15, 20, 30, 31, 50, 100]),
        [1.0, 1.0, 2.0, 2.0, 3.0, 4.0, 4.0, 4.0],
    )


def test_weighted_percentiles_match_numpy_inverted_cdf() -> None:
    rng = np.random.default_rng(11)
    values = rng.normal(size=301)
    weights = rng.uniform(0.1, 2.0, size=301)
    levels = np.array([10.0, 50.0, 90.0])
    np.testing.assert_array_equal(
        weighted_percentiles(values, np.ones_like(values), levels),
        np.percentile(values, levels, method="inverted_cdf"),
    )
    np.testing.assert_array_equal(
        weighted_percentiles(values, weights, levels),
        np.percentile(values, levels, weights=weights, method="inverted_cdf"),
    )


def test_layer_statistics_per_group() -> None:
    values = np.array([1.0, 2.0, 3.0, 10.0, 20.0, 5.0])
    groups = np.array([0, 0, 0, 1, 1, 2])
    weights = np.array([1.0, 1.0, 2.0, 3.0, 1.0, 4.0])
    stats = layer_statistics(values, groups, weights)
    assert list(stats) == [0, 1, 2]
    assert all(type(key) is int for key in stats)
    assert tuple(stats[0]) == STATISTICS
    assert stats[0]["mean"] == pytest.approx((1 + 2 + 6) / 4)
    assert stats[0]["max"] == 3.0
    assert (stats[0]["p10"], stats[0]["p50"], stats[0]["p90"]) == (1.0, 2.0, 3.0)
    assert stats[1]["mean"] == pytest.approx(50.0 / 4)
    assert (stats[1]["p10"], stats[1]["p50"], stats[1]["p90"]) == (10.0, 10.0, 20.0)
    assert stats[2] == {"mean": 5.0, "max": 5.0, "p10": 5.0, "p50": 5.0, "p90": 5.0}


def test_layer_statistics_with_layer_names() -> None:
    stats = layer_statistics([1.0, 3.0], ["skin", "fascia"], [1.0, 1.0])
    assert set(stats) == {"skin", "fascia"}
    assert all(type(key) is str for key in stats)
    assert stats["fascia"]["max"] == 3.0


@pytest.mark.parametrize(
    ("values", "weights", "message"),
    [
        ([1.0, 2.0], [1.0], "shape"),
        ([1.0, 2.0], [1.0, -1.0], "non-negative"),
        ([1.0, 2.0], [0.0, 0.0], "positive sum"),
        ([], [], "no values"),
    ],
)
def test_bad_weights_raise(values: list[float], weights: list[float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        weighted_percentiles(values, weights, [50.0])


def test_bad_percentile_and_group_shapes_raise() -> None:
    with pytest.raises(ValueError, match=r"\[0, 100\]"):
        weighted_percentiles([1.0], [1.0], [101.0])
    with pytest.raises(ValueError, match="differ"):
        layer_statistics([1.0, 2.0], [0], [1.0, 1.0])
