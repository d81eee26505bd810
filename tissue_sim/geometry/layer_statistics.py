"""Volume-weighted distributions of a per-point quantity within groups (e.g. tissue layers).

Shared by every stage that summarises a field per layer (mechanics, stimulus, biology).
"""

from __future__ import annotations

from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["STATISTICS", "layer_statistics", "weighted_percentiles"]

#: Names of the statistics :func:`layer_statistics` returns per group.
STATISTICS: Final[tuple[str, ...]] = ("mean", "max", "p10", "p50", "p90")


def weighted_percentiles(
    values: ArrayLike, weights: ArrayLike, percentiles: ArrayLike
) -> NDArray[np.float64]:
    """Weighted percentiles by the inverted weighted CDF.

    The ``q``-th percentile is the smallest value :math:`v` whose cumulative weight
    fraction :math:`\\sum_{v_i \\le v} w_i / \\sum w_i` reaches ``q / 100`` (for equal
    weights, numpy's ``method="inverted_cdf"``). No interpolation: the result is always one
    of the values.

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
    order = np.argsort(data, kind="stable")
    cumulative = np.cumsum(mass[order])
    total = cumulative[-1]
    if total <= 0.0:
        raise ValueError("weights must have a positive sum")
    index = np.searchsorted(cumulative / total, levels * (1.0 - 1e-12), side="left")
    return data[order][np.clip(index, 0, data.size - 1)]


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
