"""Volume-weighted per-layer distributions: one estimator (inverted weighted CDF) everywhere."""

from __future__ import annotations

import numpy as np
import pytest

from tissue_sim.biology import SUMMARY_STATISTICS
from tissue_sim.biology._summaries import GroupSummarizer
from tissue_sim.geometry.layer_statistics import layer_tables, sorted_weighted_percentiles, stat
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


def test_sorted_rows_match_numpy_weighted_inverted_cdf() -> None:
    rng = np.random.default_rng(5)
    values = np.round(rng.normal(size=(4, 257)), 1)  # ties
    weights = rng.uniform(0.05, 3.0, size=(4, 257))
    order = np.argsort(values, axis=1, kind="stable")
    ordered = np.take_along_axis(values, order, axis=1)
    cumulative = np.cumsum(np.take_along_axis(weights, order, axis=1), axis=1)
    levels = np.array([0.0, 0.1, 0.5, 0.9, 1.0])
    rows = sorted_weighted_percentiles(ordered, cumulative, levels)
    assert rows.shape == (4, 5)
    for row in range(4):
        np.testing.assert_array_equal(
            rows[row],
            np.percentile(values[row], 100 * levels, weights=weights[row], method="inverted_cdf"),
        )


def test_a_mechanics_p90_and_a_biology_p90_of_the_same_values_agree() -> None:
    rng = np.random.default_rng(3)
    points, species = 600, 3
    groups = rng.integers(0, 4, size=points)
    volumes = rng.uniform(0.2, 5.0, size=points)
    states = np.round(rng.lognormal(size=(points, species)), 2)
    biology = GroupSummarizer(groups, volumes, species).summarize(states)  # (G, S, 3)
    for s in range(species):
        mechanics = layer_statistics(states[:, s], groups, volumes)
        for g, group in enumerate(sorted(mechanics)):
            table = biology[g, s]
            for name in ("mean", "p10", "p90"):
                assert stat(table, name, SUMMARY_STATISTICS) == pytest.approx(
                    mechanics[group][name], rel=1e-13, abs=0.0
                )
            assert stat(table, "p90", SUMMARY_STATISTICS) == mechanics[group]["p90"]


def test_merging_identical_points_keeps_every_percentile() -> None:
    values = np.array([0.3, 0.1, 0.3, 0.2, 0.3, 0.1, 0.4])
    weights = np.array([1.0, 2.0, 0.5, 1.5, 2.5, 1.0, 0.25])
    merged_values = np.array([0.1, 0.2, 0.3, 0.4])
    merged_weights = np.array([3.0, 1.5, 4.0, 0.25])
    levels = np.linspace(0.0, 100.0, 41)
    np.testing.assert_array_equal(
        weighted_percentiles(values, weights, levels),
        weighted_percentiles(merged_values, merged_weights, levels),
    )


def test_zero_weight_points_are_never_chosen() -> None:
    assert weighted_percentiles(
        [-5.0, 1.0, 2.0, 9.0], [0.0, 1.0, 1.0, 0.0], [0.0, 100.0]
    ).tolist() == [
        1.0,
        2.0,
    ]


def test_stat_reads_a_column_by_name() -> None:
    table = np.arange(10.0).reshape(2, 5)  # two frames of (mean, max, p10, p50, p90)
    np.testing.assert_array_equal(stat(table, "p90"), [4.0, 9.0])
    np.testing.assert_array_equal(stat(table, "max"), [1.0, 6.0])
    assert stat(table[0], "mean") == 0.0
    series = np.array([[1.0, 0.5, 2.0], [3.0, 2.5, 4.0]])  # biology (T, 3): mean, p10, p90
    np.testing.assert_array_equal(stat(series, "p90", SUMMARY_STATISTICS), [2.0, 4.0])
    with pytest.raises(ValueError, match="no statistic 'p95'"):
        stat(table, "p95")
    with pytest.raises(ValueError, match="3 columns"):
        stat(table, "p90", SUMMARY_STATISTICS)
    with pytest.raises(ValueError, match="5 columns"):
        stat(series, "mean")


def test_layer_tables_are_the_statistics_per_frame_and_layer() -> None:
    rng = np.random.default_rng(7)
    cell_layer = np.array([0, 0, 0, 2, 2, 2, 2])  # layer 1 has no cells
    volume = rng.uniform(0.5, 2.0, cell_layer.size)
    frames = rng.normal(size=(3, cell_layer.size))
    tables = layer_tables(
        {"strain": frames, "energy": frames[0]}, cell_layer, volume, ("a", "b", "c")
    )
    assert set(tables) == {"a", "b", "c"} and set(tables["a"]) == {"strain", "energy"}
    for k in range(3):
        expected = layer_statistics(frames[k], cell_layer, volume)
        for index, name in ((0, "a"), (2, "c")):
            row = [expected[index][column] for column in STATISTICS]
            np.testing.assert_array_equal(tables[name]["strain"][k], row)
    assert tables["a"]["energy"].shape == (len(STATISTICS),)  # a (m,) field: one row
    np.testing.assert_array_equal(tables["a"]["energy"], tables["a"]["strain"][0])
    assert np.all(np.isnan(tables["b"]["strain"]))  # no cells: NaN, not a made-up number
