"""Model-independent compiled helpers of the compiled engine (numba; imported only with it).

* :class:`CompiledSummarizer`: the per-group weighted mean and the 10th/90th percentiles of
  :class:`~tissue_sim.biology._summaries.GroupSummarizer`, by the same estimator (the
  inverted weighted CDF of :func:`tissue_sim.geometry.layer_statistics.
  sorted_weighted_percentiles`). Per group and species the permutation of the previous
  output time is re-sorted stably by the new values (an insertion sort, linear for the
  nearly sorted values of successive output times, a merge sort when too much has moved),
  the weights are summed in that order and the first value whose cumulative fraction
  reaches the level is taken: the same permutation, the same sums, the same percentiles,
  bit for bit. The mean is a plain sum in point order (equal to numpy's matrix product to
  round-off).
* :func:`hermite_to_points`: a chunk's state at an output time, written straight from the
  blocked layout into the caller's species-major ``(species, points)`` columns.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numba import njit

__all__ = ["CompiledSummarizer", "hermite_to_points"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

#: Element moves an insertion sort may make per value before a merge sort takes over.
_MOVES_PER_VALUE = 16


@njit(cache=True, nogil=True)
def _resort(values: FloatArray, order: npt.NDArray[np.int64]) -> None:  # pragma: no cover
    """Stable re-sort of ``order`` (indices into ``values``) by ``values``, in place."""
    n = order.size
    budget = _MOVES_PER_VALUE * n
    moves = 0
    for i in range(1, n):
        item = order[i]
        value = values[item]
        j = i - 1
        while j >= 0 and values[order[j]] > value:
            order[j + 1] = order[j]
            j -= 1
            moves += 1
        order[j + 1] = item
        if moves > budget:
            permutation = np.argsort(values[order], kind="mergesort")
            order[:] = order[permutation]
            return


@njit(cache=True, nogil=True)
def _summarize_group(
    states: FloatArray,
    atoms: npt.NDArray[np.int64],
    weights: FloatArray,
    total: float,
    orders: npt.NDArray[np.int64],
    fractions: FloatArray,
    values: FloatArray,
    cumulative: FloatArray,
    out: FloatArray,
) -> bool:  # pragma: no cover
    """One group: ``states`` ``(S, A)`` of the atoms (species-major), ``atoms[i]`` the atom
    of member ``i``. Writes mean and percentiles per species into ``out``
    ``(S, 1 + len(fractions))``; returns False (writing nothing useful) if a value is NaN.
    ``values`` ``(S, n)`` and ``cumulative`` ``(n,)`` are scratch."""
    n = atoms.size
    n_species = states.shape[0]
    for s in range(n_species):
        for i in range(n):
            value = states[s, atoms[i]]
            if value != value:
                return False
            values[s, i] = value
    for s in range(n_species):
        mean = 0.0
        for i in range(n):
            mean += values[s, i] * weights[i]
        out[s, 0] = mean / total
        order = orders[s]
        row_values = values[s]
        _resort(row_values, order)
        running = 0.0
        for i in range(n):
            running += weights[order[i]]
            cumulative[i] = running
        for k in range(fractions.size):
            target = fractions[k]
            low, high = 0, n - 1  # first i with cumulative[i] / running >= target
            while low < high:
                middle = (low + high) // 2
                if cumulative[middle] / running >= target:
                    high = middle
                else:
                    low = middle + 1
            out[s, 1 + k] = row_values[order[low]]
    return True


class CompiledSummarizer:
    """Weighted mean, 10th and 90th percentile per group of the stand-ins of the points.

    Parameters
    ----------
    atoms
        Atom (row of the state array) of each stand-in ``(n,)``.
    groups
        Group label of each stand-in ``(n,)``.
    weights
        Non-negative weight of each stand-in ``(n,)``.
    n_species
        Number of species ``S``.
    """

    quantiles = np.array([0.1, 0.9])

    def __init__(
        self, atoms: IntArray, groups: IntArray, weights: FloatArray, n_species: int
    ) -> None:
        self.labels = np.unique(groups)
        members = [np.flatnonzero((groups == label) & (weights > 0.0)) for label in self.labels]
        self.atoms = [np.ascontiguousarray(atoms[index], dtype=np.int64) for index in members]
        self.weights = [np.ascontiguousarray(weights[index]) for index in members]
        self.totals = [float(w.sum()) for w in self.weights]
        self.orders = [
            np.tile(np.arange(index.size, dtype=np.int64), (n_species, 1)) for index in members
        ]
        size = max((index.size for index in members), default=0)
        self._values = np.empty((n_species, size))
        self._cumulative = np.empty(size)
        self.fractions = self.quantiles * (1.0 - 1e-12)

    @property
    def n_groups(self) -> int:
        """Number of groups ``G``."""
        return len(self.labels)

    def summarize(self, states: FloatArray) -> FloatArray | None:
        """``(G, S, 3)`` summaries from the atom states, species-major ``(S, A)``, or
        ``None`` if a value is NaN (the caller then uses the numpy summariser, which
        orders NaN last)."""
        states = np.ascontiguousarray(states)
        n_species = states.shape[0]
        result = np.full((self.n_groups, n_species, 3), np.nan)
        for g in range(self.n_groups):
            if self.totals[g] <= 0.0 or self.atoms[g].size == 0:
                continue
            if not _summarize_group(
                states,
                self.atoms[g],
                self.weights[g],
                self.totals[g],
                self.orders[g],
                self.fractions,
                self._values[:, : self.atoms[g].size],
                self._cumulative,
                result[g],
            ):
                return None
        return result


@njit(cache=True, nogil=True)
def _combine(
    coefficients: FloatArray,
    y0: FloatArray,
    f0: FloatArray,
    y1: FloatArray,
    f1: FloatArray,
    out: FloatArray,
) -> None:  # pragma: no cover
    n_blocks, n_species, lanes = y0.shape
    n_points = out.shape[1]
    c0, c1, c2, c3 = coefficients[0], coefficients[1], coefficients[2], coefficients[3]
    for b in range(n_blocks):
        width = min(lanes, n_points - b * lanes)
        start = b * lanes
        for s in range(n_species):
            for lane in range(width):
                out[s, start + lane] = (
                    (c0 * y0[b, s, lane] + c1 * f0[b, s, lane]) + c2 * y1[b, s, lane]
                ) + c3 * f1[b, s, lane]


def hermite_to_points(
    coefficients: tuple[float, float, float, float],
    y0: FloatArray,
    f0: FloatArray,
    y1: FloatArray,
    f1: FloatArray,
    out: FloatArray,
) -> None:
    """``out[s, p] = ((c₀·y₀ + c₁·f₀) + c₂·y₁) + c₃·f₁`` for blocked ``(B, S, LANES)``
    inputs and species-major ``(S, P)`` output (the order of operations of the numpy
    path's Hermite interpolation)."""
    _combine(np.asarray(coefficients, dtype=np.float64), y0, f0, y1, f1, out)
