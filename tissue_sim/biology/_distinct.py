"""Exact deduplication of material points for the batched integrator.

Two points whose initial state and stimulus features are bit-for-bit equal follow the same
ODE, so they are integrated once ("atoms") and the result is scattered back. Per-group
summaries are computed on *stand-ins* instead of the points: for every (atom, group) pair
at most three weighted stand-ins — the pair's first point, its last point and the rest
lumped together — ordered by the index of the point they stand for. The weighted mean is
then the same sum in another order (equal to round-off), and the package's weighted
percentiles (the inverted weighted CDF of :mod:`tissue_sim.geometry.layer_statistics`)
are the same numbers: that estimator depends on a run of tied values only through its
total weight. (Three stand-ins rather than one keep even an estimator that looks at the
first and last member of a tie, such as an interpolated one, unchanged.)

The grouping is exact, never approximate: points whose features differ in the last bit
are integrated apart. (Features that are exactly zero where the strain is negligible —
the stimulus stage's gating — are what lets far-field points share one integration.)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = [
    "Distinct",
    "StandIns",
    "canonical_features",
    "distinct_rows",
    "point_keys",
    "stand_ins",
]

FloatArray = npt.NDArray[np.float64]
IndexArray = npt.NDArray[np.intp]


@dataclass(frozen=True)
class Distinct:
    """Distinct rows of a key matrix.

    Attributes
    ----------
    first
        Index of the first row holding each distinct key, ``(U,)`` (keys sorted).
    inverse
        Distinct key of every row, ``(N,)``.
    """

    first: IndexArray
    inverse: IndexArray

    @property
    def count(self) -> int:
        """Number of distinct rows ``U``."""
        return int(self.first.size)


def point_keys(states: FloatArray, features: Sequence[FloatArray]) -> FloatArray:
    """What determines a point's trajectory: initial state and features, one row per point.

    Parameters
    ----------
    states
        Initial states ``(P, S)``.
    features
        Feature columns ``(P,)`` (every input of every stimulus that is ever switched on).
    """
    return np.ascontiguousarray(np.column_stack([states, *features]), dtype=np.float64)


#: Most zero patterns whose unread inputs :func:`canonical_features` works out (each is a
#: symbolic substitution, ~20 ms on the composed shipped models); points of rarer patterns
#: keep their values (they are then only integrated apart, never wrongly merged).
MAX_ZERO_PATTERNS = 32


def canonical_features(
    read_when_zero: Callable[[frozenset[str]], frozenset[str]],
    features: Mapping[str, FloatArray],
) -> dict[str, FloatArray]:
    """``features`` ``{name: (P,)}`` with the values that have no effect replaced by 0.

    At every point the inputs that are exactly 0 there are substituted into the rates
    (``read_when_zero``, :meth:`~._system.CompiledSystem.inputs_read_when_zero`); an
    input the rates then no longer read (the cycle frequency where the strain is 0, say)
    cannot change the point's course, so it is set to 0 too. The point's key then equals
    that of every other such point, and of the untreated control when all its inputs drop
    out: far-field points are integrated once. The rates are the same numbers (each term
    the value entered is multiplied by an exact 0), so results change by round-off at
    most; values that are small but not 0 are kept (never an approximation).
    """
    names = list(features)
    if not names:
        return dict(features)
    values = np.column_stack([np.asarray(features[name], dtype=np.float64) for name in names])
    zero = values == 0.0
    if len(names) <= 62:  # one integer code per pattern: a 1-D unique (axis=0 sorts rows)
        codes = zero.astype(np.int64) @ (np.int64(1) << np.arange(len(names), dtype=np.int64))
        _, first, inverse, counts = np.unique(
            codes, return_index=True, return_inverse=True, return_counts=True
        )
        patterns = zero[first]
    else:
        patterns, inverse, counts = np.unique(zero, axis=0, return_inverse=True, return_counts=True)
    inverse = inverse.reshape(-1)
    result = values.copy()
    for index in np.argsort(-counts, kind="stable")[:MAX_ZERO_PATTERNS]:
        pattern = patterns[index]
        if pattern.all():
            continue
        zero_names = frozenset(n for n, z in zip(names, pattern, strict=True) if z)
        read = read_when_zero(zero_names)
        unread = [c for c, n in enumerate(names) if not pattern[c] and n not in read]
        if unread:
            rows = np.flatnonzero(inverse == index)
            result[np.ix_(rows, np.array(unread, dtype=np.intp))] = 0.0
    return {name: np.ascontiguousarray(result[:, c]) for c, name in enumerate(names)}


def distinct_rows(keys: FloatArray) -> Distinct:
    """The bit-for-bit distinct rows of ``keys`` ``(N, C)`` (``0.0`` and ``-0.0`` differ).

    The same result as ``np.unique(bits, axis=0, return_index=True, return_inverse=True)``
    on the rows' bit patterns (distinct rows in lexicographic order of their bits, the
    first row of each), found through a 64-bit hash of every row: the rows of one hash are
    checked to be equal, and any collision falls back to the sort of whole rows.
    """
    bits = np.ascontiguousarray(keys, dtype=np.float64).view(np.uint64)
    if bits.shape[0] == 0:
        empty = np.empty(0, dtype=np.intp)
        return Distinct(empty, empty)
    hashes = np.zeros(bits.shape[0], dtype=np.uint64)
    for column in range(bits.shape[1]):
        hashes *= _HASH_MULTIPLIER
        hashes ^= bits[:, column] * _HASH_MULTIPLIERS[column % _HASH_MULTIPLIERS.size]
        hashes ^= hashes >> np.uint64(29)
    _, first, inverse = np.unique(hashes, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    if not np.array_equal(bits, bits[first[inverse]]):  # a hash collision: sort rows
        _, first, inverse = np.unique(bits, axis=0, return_index=True, return_inverse=True)
        return Distinct(first.astype(np.intp), inverse.reshape(-1).astype(np.intp))
    order = np.lexsort(bits[first].T[::-1])  # lexicographic, first column first
    rank = np.empty(order.size, dtype=np.intp)
    rank[order] = np.arange(order.size)
    return Distinct(first[order].astype(np.intp), rank[inverse])


_HASH_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)
_HASH_MULTIPLIERS = np.array(
    [0xBF58476D1CE4E5B9, 0x94D049BB133111EB, 0xD6E8FEB86659FD93, 0xA0761D6478BD642F],
    dtype=np.uint64,
)


def identity_rows(count: int) -> Distinct:
    """Every row distinct (no deduplication)."""
    index = np.arange(count, dtype=np.intp)
    return Distinct(index, index)


@dataclass(frozen=True)
class StandIns:
    """Weighted stand-ins of the points for the per-group summaries.

    Attributes
    ----------
    atom
        Atom whose state each stand-in takes, ``(Q,)``.
    group
        Group label of each stand-in, ``(Q,)``.
    weight
        Weight of each stand-in, ``(Q,)``.
    """

    atom: IndexArray
    group: IndexArray
    weight: FloatArray


def stand_ins(atom_of_point: IndexArray, groups: IndexArray, weights: FloatArray) -> StandIns:
    """At most three stand-ins per (atom, group): first point, last point, the rest lumped.

    Stand-ins are ordered by the index of the point they stand for (the lumped one by its
    pair's second point), which is the order the summariser starts from for the points.
    A group whose points all have zero weight keeps one zero-weight stand-in, so that the
    set of group labels does not change.

    Parameters
    ----------
    atom_of_point
        Atom of every point ``(P,)``.
    groups
        Group label of every point ``(P,)``.
    weights
        Non-negative weight of every point ``(P,)``.
    """
    labels, group_index = np.unique(groups, return_inverse=True)
    positive = np.flatnonzero(weights > 0.0)
    pair = atom_of_point[positive].astype(np.int64) * labels.size + group_index[positive]
    order = np.argsort(pair, kind="stable")  # within a pair: ascending point index
    points = positive[order]
    pairs = pair[order]
    w = weights[points]
    if points.size:
        starts = np.flatnonzero(np.r_[True, pairs[1:] != pairs[:-1]])
        ends = np.r_[starts[1:], points.size]
        totals = np.add.reduceat(w, starts)
    else:
        starts = ends = np.empty(0, dtype=np.intp)
        totals = np.empty(0)
    counts = ends - starts
    several = counts >= 2
    many = counts >= 3
    first_weight = w[starts]
    last_weight = np.where(several, w[ends - 1], 0.0)
    stand_weight = [
        np.where(several, first_weight, totals),
        last_weight[several],
        (totals - first_weight - last_weight)[many],
    ]
    stand_point = [points[starts], points[(ends - 1)[several]], points[(starts + 1)[many]]]
    missing = np.setdiff1d(np.arange(labels.size), group_index[positive])
    if missing.size:  # groups with zero total weight: keep their label
        holder = np.array([np.flatnonzero(group_index == g)[0] for g in missing], dtype=np.intp)
        stand_weight.append(np.zeros(holder.size))
        stand_point.append(holder)
    sequence = np.argsort(np.concatenate(stand_point), kind="stable")
    point = np.concatenate(stand_point)[sequence]
    return StandIns(
        atom=atom_of_point[point].astype(np.intp),
        group=np.asarray(groups)[point].astype(np.intp),
        weight=np.concatenate(stand_weight)[sequence],
    )
