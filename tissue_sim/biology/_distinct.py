"""Exact deduplication of material points for the batched integrator.

Two points whose initial state and stimulus features are bit-for-bit equal follow the same
ODE, so they are integrated once ("atoms") and the result is scattered back. Per-group
summaries are computed on *stand-ins* instead of the points: for every (atom, group) pair
at most three weighted stand-ins — the pair's first point, its last point and the rest
lumped together — ordered by the index of the point they stand for. The weighted mean is
then the same sum in another order (equal to round-off), and so is any weighted
percentile that, like the interpolated (Hazen) estimator of
:class:`~tissue_sim.biology._summaries.GroupSummarizer`, depends on a run of tied values
only through its total weight and the weights of its first and last member in index
order; tie-invariant estimators (inverted CDF) are equal in any case.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["Distinct", "StandIns", "distinct_rows", "point_keys", "stand_ins"]

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


def distinct_rows(keys: FloatArray) -> Distinct:
    """The bit-for-bit distinct rows of ``keys`` ``(N, C)`` (``0.0`` and ``-0.0`` differ)."""
    bits = np.ascontiguousarray(keys, dtype=np.float64).view(np.uint64)
    if bits.shape[0] == 0:
        empty = np.empty(0, dtype=np.intp)
        return Distinct(empty, empty)
    _, first, inverse = np.unique(bits, axis=0, return_index=True, return_inverse=True)
    return Distinct(first.astype(np.intp), inverse.reshape(-1).astype(np.intp))


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
