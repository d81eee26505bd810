"""Per-group weighted mean and percentiles of point values, computed on the fly.

Weighted percentile (``q`` in [0, 1]): sort the values ``v₁ ≤ … ≤ vₙ`` of a group with
weights ``wᵢ``, place value ``i`` at the cumulative position ``cᵢ = (Σ_{j<i} wⱼ + wᵢ/2)/W``
and interpolate linearly in ``c`` (constant beyond the ends). With equal weights this is
numpy's ``method="hazen"``. Successive output times change the order of the values only a
little, so the previous permutation is kept and re-sorted with the stable (adaptive merge)
sort, which is close to linear on nearly sorted data.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["GroupSummarizer", "weighted_percentiles"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]


def weighted_percentiles(
    sorted_values: FloatArray, sorted_weights: FloatArray, quantiles: FloatArray
) -> FloatArray:
    """Weighted percentiles of one sorted sample (see module docstring).

    Parameters
    ----------
    sorted_values, sorted_weights
        Shape ``(n,)``, values ascending; weights non-negative with a positive sum.
    quantiles
        Quantiles in [0, 1].
    """
    cumulative = np.cumsum(sorted_weights) - 0.5 * sorted_weights
    return np.interp(quantiles * float(sorted_weights.sum()), cumulative, sorted_values)


class GroupSummarizer:
    """Weighted mean, 10th and 90th percentile of every species per group.

    Parameters
    ----------
    groups
        Group label per point, shape ``(P,)`` (e.g. the layer index).
    weights
        Non-negative weight per point (e.g. the volume it represents), shape ``(P,)``.
    n_species
        Number of species ``S``.
    """

    quantiles = np.array([0.1, 0.9])

    def __init__(self, groups: IntArray, weights: FloatArray, n_species: int) -> None:
        self.labels = np.unique(groups)
        self.members: list[IntArray] = [
            np.flatnonzero((groups == label) & (weights > 0.0)) for label in self.labels
        ]
        self.weights: list[FloatArray] = [weights[index] for index in self.members]
        self.totals = [float(w.sum()) for w in self.weights]
        self.orders: list[npt.NDArray[np.intp]] = [
            np.tile(np.arange(index.size), (n_species, 1)) for index in self.members
        ]

    @property
    def n_groups(self) -> int:
        """Number of groups ``G``."""
        return len(self.labels)

    def summarize(self, values: FloatArray) -> FloatArray:
        """Summary of one time point.

        Parameters
        ----------
        values
            States, shape ``(P, S)``.

        Returns
        -------
        numpy.ndarray
            Shape ``(G, S, 3)``: weighted mean, 10th and 90th weighted percentile (NaN for a
            group with zero total weight).
        """
        n_species = values.shape[1]
        result = np.full((self.n_groups, n_species, 3), np.nan)
        for g, (index, weights, total) in enumerate(
            zip(self.members, self.weights, self.totals, strict=True)
        ):
            if total <= 0.0 or index.size == 0:
                continue
            group_values = np.ascontiguousarray(values[index].T)
            result[g, :, 0] = group_values @ weights / total
            order = self.orders[g]
            ordered = np.take_along_axis(group_values, order, axis=1)
            resort = np.argsort(ordered, axis=1, kind="stable")
            order = np.take_along_axis(order, resort, axis=1)
            self.orders[g] = order
            ordered = np.take_along_axis(ordered, resort, axis=1)
            ordered_weights = weights[order]
            cumulative = np.cumsum(ordered_weights, axis=1)
            cumulative -= 0.5 * ordered_weights
            for column, quantile in enumerate(self.quantiles, start=1):
                result[g, :, column] = _interpolate_rows(quantile * total, cumulative, ordered)
        return result


def _interpolate_rows(position: float, cumulative: FloatArray, ordered: FloatArray) -> FloatArray:
    """Row-wise ``np.interp(position, cumulative[s], ordered[s])`` for every row ``s``."""
    count = cumulative.shape[1]
    upper = np.minimum((cumulative < position).sum(axis=1), count - 1)
    lower = np.maximum(upper - 1, 0)
    rows = np.arange(cumulative.shape[0])
    c_low = cumulative[rows, lower]
    c_high = cumulative[rows, upper]
    v_low = ordered[rows, lower]
    v_high = ordered[rows, upper]
    span = c_high - c_low
    fraction = np.where(span > 0.0, (position - c_low) / np.where(span > 0.0, span, 1.0), 1.0)
    fraction = np.clip(fraction, 0.0, 1.0)
    return v_low + fraction * (v_high - v_low)
