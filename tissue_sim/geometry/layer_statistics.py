r"""Volume-weighted distributions of a per-point quantity within groups (e.g. tissue layers).

The one estimator of the package: every stage that summarises a field per layer (mechanics,
stimulus, biology, the figures) takes its weighted percentiles from here. The ``q``-th
percentile is the *inverted weighted CDF*: the smallest value :math:`v` such that the points
with values :math:`\le v` carry at least the fraction ``q / 100`` of the weight,

.. math::

    P_q = \min\{\, v_{(i)} : \textstyle\sum_{j \le i} w_{(j)} \ge (q/100) \sum_j w_j \,\}

(values sorted :math:`v_{(1)} \le \dots \le v_{(n)}`; numpy's
``np.percentile(..., weights=w, method="inverted_cdf")``). For a field that is constant on
each cell (or quadrature point) with its volume as weight, this is the exact quantile of the
field over the layer's volume: "90 % of the fascia by volume strains at most ``p90``". It is
one of the values (never interpolated) and does not change when identical points are merged
into one point of their summed weight.

Tables of statistics have their columns in the order :data:`STATISTICS`; read a column by
name with :func:`stat`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "STATISTICS",
    "layer_statistics",
    "layer_tables",
    "sorted_weighted_percentiles",
    "stat",
    "weighted_percentiles",
]

FloatArray = NDArray[np.float64]

#: Names of the statistics :func:`layer_statistics` returns per group, in the column order
#: of every per-layer statistics table (mechanics frames, stimulus features).
STATISTICS: Final[tuple[str, ...]] = ("mean", "max", "p10", "p50", "p90")


def stat(table: ArrayLike, name: str, columns: Sequence[str] = STATISTICS) -> FloatArray:
    """One statistic of a table whose last axis holds statistics, by name.

    Parameters
    ----------
    table
        Shape ``(..., len(columns))`` [unit of the summarised quantity], e.g. a mechanics
        per-layer table ``(K, 5)`` or a biology summary ``(T, 3)``.
    name
        Column name, e.g. ``"p90"``.
    columns
        The table's column names: :data:`STATISTICS` (default) or, for biology summaries,
        :data:`tissue_sim.biology.SUMMARY_STATISTICS`.

    Returns
    -------
    ndarray
        Shape ``(...)`` [unit of the table].

    Raises
    ------
    ValueError
        Unknown name, or a table whose last axis does not match ``columns``.
    """
    values = np.asarray(table, dtype=float)
    if name not in columns:
        raise ValueError(f"no statistic {name!r}; expected one of {', '.join(columns)}")
    if values.ndim == 0 or values.shape[-1] != len(columns):
        raise ValueError(
            f"a table of statistics {tuple(columns)} has {len(columns)} columns in its last "
            f"axis, got shape {values.shape}"
        )
    return np.asarray(values[..., list(columns).index(name)])


def sorted_weighted_percentiles(
    sorted_values: ArrayLike, cumulative_weights: ArrayLike, levels: ArrayLike
) -> FloatArray:
    """Inverted-CDF percentiles of rows of values already sorted ascending.

    Parameters
    ----------
    sorted_values
        Shape ``(..., n)``, ascending along the last axis [any unit].
    cumulative_weights
        Running sums of the values' positive weights in the same order, shape ``(..., n)``
        (the last entry of a row is its total weight) [unit of the weights].
    levels
        Percentile levels as fractions in [0, 1], shape ``(m,)``.

    Returns
    -------
    ndarray
        Shape ``(..., m)`` [unit of ``sorted_values``]: per row, the first value whose
        cumulative weight fraction reaches the level (a relative tolerance of 1e-12 keeps
        round-off of the running sum from skipping a value that reaches it exactly).
    """
    values = np.asarray(sorted_values, dtype=float)
    cumulative = np.asarray(cumulative_weights, dtype=float)
    fractions = np.asarray(levels, dtype=float).ravel() * (1.0 - 1e-12)
    rows_values = values.reshape(-1, values.shape[-1])
    rows_cumulative = cumulative.reshape(-1, cumulative.shape[-1])
    last = values.shape[-1] - 1
    result = np.empty((rows_values.shape[0], fractions.size))
    for row, (row_values, row_cumulative) in enumerate(
        zip(rows_values, rows_cumulative, strict=True)
    ):
        index = np.searchsorted(row_cumulative / row_cumulative[-1], fractions, side="left")
        result[row] = row_values[np.clip(index, 0, last)]
    return result.reshape((*values.shape[:-1], fractions.size))


def weighted_percentiles(
    values: ArrayLike, weights: ArrayLike, percentiles: ArrayLike
) -> NDArray[np.float64]:
    """Weighted percentiles by the inverted weighted CDF (see the module docstring).

    The ``q``-th percentile is the smallest value :math:`v` whose cumulative weight
    fraction :math:`\\sum_{v_i \\le v} w_i / \\sum w_i` reaches ``q / 100``: numpy's
    ``np.percentile(values, q, weights=weights, method="inverted_cdf")``. Points of zero
    weight are never chosen.

    Parameters
    ----------
    values
        Values, shape ``(n,)`` [any unit].
    weights
        Non-negative weights (e.g. volumes [m³]), shape ``(n,)``, with a positive sum.
    percentiles
        Percentiles in [0, 100], shape ``(m,)``.

    Returns
    -------
    ndarray
        Shape ``(m,)`` [unit of ``values``].
    """
    data = np.asarray(values, dtype=float).ravel()
    mass = np.asarray(weights, dtype=float).ravel()
    levels = np.asarray(percentiles, dtype=float).ravel() / 100.0
    if data.shape != mass.shape:
        raise ValueError(f"values {data.shape} and weights {mass.shape} differ in shape")
    if data.size == 0:
        raise ValueError("no values")
    if np.any(mass < 0.0) or not np.all(np.isfinite(mass)):
        raise ValueError("weights must be finite and non-negative")
    if np.any(levels < 0.0) or np.any(levels > 1.0):
        raise ValueError("percentiles must lie in [0, 100]")
    if not np.sum(mass) > 0.0:
        raise ValueError("weights must have a positive sum")
    weighted = mass > 0.0
    data, mass = data[weighted], mass[weighted]
    order = np.argsort(data, kind="stable")
    return sorted_weighted_percentiles(data[order], np.cumsum(mass[order]), levels)


def layer_statistics(
    values: ArrayLike, groups: ArrayLike, weights: ArrayLike
) -> dict[int | str, dict[str, float]]:
    """Weighted mean, maximum and 10th/50th/90th percentiles of a quantity per group.

    Parameters
    ----------
    values
        Quantity per point (e.g. a stimulus feature), shape ``(P,)`` [any unit].
    groups
        Group of each point (e.g. layer tag or name), shape ``(P,)``.
    weights
        Weight of each point (e.g. quadrature volume [m³]), shape ``(P,)``, >= 0.

    Returns
    -------
    dict
        ``{group: {"mean", "max", "p10", "p50", "p90"}}`` [unit of ``values``]; the mean is
        :math:`\\sum w v / \\sum w`, percentiles as in :func:`weighted_percentiles`. Groups
        in sorted order, keys as Python scalars.
    """
    data = np.asarray(values, dtype=float).ravel()
    labels = np.asarray(groups).ravel()
    mass = np.asarray(weights, dtype=float).ravel()
    if not data.shape == labels.shape == mass.shape:
        raise ValueError(
            f"values {data.shape}, groups {labels.shape} and weights {mass.shape} differ"
        )
    result: dict[int | str, dict[str, float]] = {}
    for group in np.unique(labels):
        members = labels == group
        subset, subset_mass = data[members], mass[members]
        p10, p50, p90 = weighted_percentiles(subset, subset_mass, [10.0, 50.0, 90.0])
        key = group.item() if isinstance(group, np.generic) else group
        result[key] = {
            "mean": float(np.sum(subset * subset_mass) / np.sum(subset_mass)),
            "max": float(np.max(subset)),
            "p10": float(p10),
            "p50": float(p50),
            "p90": float(p90),
        }
    return result


def layer_tables(
    fields: Mapping[str, ArrayLike],
    cell_layer: ArrayLike,
    weights: ArrayLike,
    layer_names: Sequence[str],
) -> dict[str, dict[str, FloatArray]]:
    """Per layer and quantity, the table of :data:`STATISTICS` of per-cell fields.

    Parameters
    ----------
    fields
        Quantity name → values per cell, ``(K, m)`` (one row per frame) or ``(m,)``
        [unit of the quantity].
    cell_layer
        Layer index of every cell ``(m,)`` (an index into ``layer_names``).
    weights
        Cell volumes ``(m,)`` [m³].
    layer_names
        Layer names, top first.

    Returns
    -------
    dict
        ``layer → quantity → (K, 5)`` (or ``(5,)`` for an ``(m,)`` field), columns
        :data:`STATISTICS`; NaN rows for a layer without cells.
    """
    layers = np.asarray(cell_layer)
    out: dict[str, dict[str, FloatArray]] = {name: {} for name in layer_names}
    for quantity, values in fields.items():
        frames = np.atleast_2d(np.asarray(values, dtype=float))
        tables = {name: np.empty((frames.shape[0], len(STATISTICS))) for name in layer_names}
        for k, row in enumerate(frames):
            stats = layer_statistics(row, layers, weights)
            for index, name in enumerate(layer_names):
                if index in stats:
                    tables[name][k] = [stats[index][column] for column in STATISTICS]
                else:
                    tables[name][k] = np.nan
        for name, table in tables.items():
            out[name][quantity] = table[0] if np.ndim(values) == 1 else table
    return out
