"""Per-group weighted mean and percentiles of point values, computed on the fly.

Weighted percentiles are the package's one estimator, the inverted weighted CDF of
:mod:`tissue_sim.geometry.layer_statistics` (so a biology p90 and a mechanics p90 of the
same values are the same number). Successive output times change the order of the values
only a little, so the previous permutation is kept and re-sorted with the stable (adaptive
merge) sort, which is close to linear on nearly sorted data.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from tissue_sim.geometry.layer_statistics import sorted_weighted_percentiles

__all__ = ["GroupSummarizer"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]


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
        # Per group: flat indices into the (S, n) species-major group values, sorted per row.
        self.orders: list[npt.NDArray[np.intp]] = [
            np.arange(n_species * index.size).reshape(n_species, index.size)
            for index in self.members
        ]
        self.tiled_weights: list[FloatArray] = [np.tile(w, n_species) for w in self.weights]

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
        species_major = values.T
        for g, (index, weights, total) in enumerate(
            zip(self.members, self.weights, self.totals, strict=True)
        ):
            if total <= 0.0 or index.size == 0:
                continue
            count = index.size
            group_values = species_major[:, index]
            result[g, :, 0] = group_values @ weights / total
            offsets = np.arange(n_species)[:, None] * count
            order = self.orders[g]
            ordered = np.take(group_values, order)
            resort = np.argsort(ordered, axis=1, kind="stable")
            resort += offsets
            order = np.take(order, resort)
            self.orders[g] = order
            ordered = np.take(ordered, resort)
            ordered_weights = np.take(self.tiled_weights[g], order)
            cumulative = np.cumsum(ordered_weights, axis=1)
            result[g, :, 1:] = sorted_weighted_percentiles(ordered, cumulative, self.quantiles)
        return result
