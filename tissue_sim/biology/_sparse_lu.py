"""Batched sparse LU factorisation of many small matrices with one sparsity pattern.

Every material point has its own ``S × S`` Newton matrix ``I − hγJ`` but all share the
pattern of the Jacobian. The elimination order (greedy minimum fill) and the fill-in are
computed once; factorisation and solves are then a short list of vectorised numpy
operations over all points (``values`` has shape ``(nnz, P)``). No pivoting: the Newton
matrices of reaction systems have dominant positive diagonals; a pivot that is not
clearly non-zero is reported so the caller can fall back to dense solves.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

__all__ = ["SparseLU"]

FloatArray = npt.NDArray[np.float64]
IndexArray = npt.NDArray[np.intp]


class SparseLU:
    """Symbolic LU structure for a sparsity pattern (diagonal always included).

    Parameters
    ----------
    n
        Matrix size ``S``.
    entries
        ``(row, col)`` pairs of the structurally non-zero entries.
    """

    def __init__(self, n: int, entries: Iterable[tuple[int, int]]) -> None:
        self.n = n
        pattern = {(int(i), int(j)) for i, j in entries} | {(k, k) for k in range(n)}
        self.order = _minimum_fill_order(n, pattern)
        filled = set(pattern)
        remaining = set(range(n))
        for k in self.order:
            remaining.discard(k)
            rows = [i for i in remaining if (i, k) in filled]
            cols = [j for j in remaining if (k, j) in filled]
            filled.update((i, j) for i in rows for j in cols)
        self.entries: list[tuple[int, int]] = sorted(filled)
        self.position = {entry: index for index, entry in enumerate(self.entries)}
        self.diagonal = np.array([self.position[(k, k)] for k in range(n)], dtype=np.intp)
        self._steps: list[tuple[int, IndexArray, IndexArray, IndexArray, IndexArray, IndexArray]]
        self._steps = []
        remaining = set(range(n))
        for k in self.order:
            remaining.discard(k)
            rows = sorted(i for i in remaining if (i, k) in filled)
            cols = sorted(j for j in remaining if (k, j) in filled)
            lower = np.array([self.position[(i, k)] for i in rows], dtype=np.intp)
            upper = np.array([self.position[(k, j)] for j in cols], dtype=np.intp)
            targets = np.array([self.position[(i, j)] for i in rows for j in cols], dtype=np.intp)
            target_lower = np.repeat(lower, len(cols))
            target_upper = np.tile(upper, len(rows))
            self._steps.append(
                (
                    k,
                    lower,
                    targets,
                    target_lower,
                    target_upper,
                    np.array(rows, dtype=np.intp),
                )
            )
        self._eliminations: list[tuple[int, list[int], list[tuple[int, int, int]]]] = [
            (
                k,
                [int(p) for p in lower],
                [
                    (int(t), int(a), int(b))
                    for t, a, b in zip(targets, target_lower, target_upper, strict=True)
                ],
            )
            for k, lower, targets, target_lower, target_upper, _ in self._steps
        ]
        rank = {node: index for index, node in enumerate(self.order)}
        self._forward: list[tuple[int, list[tuple[int, int]]]] = [
            (k, [(int(i), self.position[(int(i), k)]) for i in rows_])
            for k, _, _, _, _, rows_ in self._steps
            if len(rows_)
        ]
        self._backward: list[tuple[int, list[tuple[int, int]]]] = [
            (
                k,
                [
                    (j, self.position[(k, j)])
                    for j in range(n)
                    if j != k and (k, j) in filled and rank[j] > rank[k]
                ],
            )
            for k in reversed(self.order)
        ]

    @property
    def nnz(self) -> int:
        """Number of stored entries (pattern plus fill-in)."""
        return len(self.entries)

    @property
    def eliminations(self) -> list[tuple[int, list[int], list[tuple[int, int, int]]]]:
        """Elimination steps in order: pivot ``k``, the positions of its column below the
        pivot, and the updates ``(target, left, right)``: ``v[target] -= v[left]·v[right]``."""
        return self._eliminations

    @property
    def forward(self) -> list[tuple[int, list[tuple[int, int]]]]:
        """Forward substitution: for pivot ``k``, ``(row, position)`` with
        ``r[row] -= v[position]·r[k]``."""
        return self._forward

    @property
    def backward(self) -> list[tuple[int, list[tuple[int, int]]]]:
        """Back substitution: for ``k`` (reverse order), ``(col, position)`` with
        ``r[k] -= v[position]·r[col]``, then ``r[k]`` times the reciprocal pivot."""
        return self._backward

    def factor(self, values: FloatArray) -> tuple[FloatArray, bool]:
        """Factorise in place.

        Parameters
        ----------
        values
            Shape ``(nnz, P)`` in the order of :attr:`entries`; overwritten by L and U.

        Returns
        -------
        tuple
            Reciprocal pivots ``(S, P)`` and whether every pivot was safely non-zero.
        """
        inverse_pivots = np.empty((self.n, values.shape[1]))
        scratch = np.empty(values.shape[1])
        ok = True
        for k, lower, updates in self._eliminations:
            pivot = values[self.diagonal[k]]
            if not np.all(np.isfinite(pivot)) or np.abs(pivot).min() < 1e-12:
                ok = False
                pivot = np.where(np.abs(pivot) < 1e-300, 1.0, pivot)
            inverse = inverse_pivots[k]
            np.divide(1.0, pivot, out=inverse)
            for position in lower:
                np.multiply(values[position], inverse, out=values[position])
            for target, left, right in updates:
                np.multiply(values[left], values[right], out=scratch)
                np.subtract(values[target], scratch, out=values[target])
        return inverse_pivots, ok

    def solve(
        self,
        values: FloatArray,
        inverse_pivots: FloatArray,
        rhs: FloatArray,
        work: FloatArray | None = None,
    ) -> FloatArray:
        """Solve ``A x = rhs`` in place (``rhs`` of shape ``(S, P)``) and return it.

        ``work`` is an optional scratch vector of shape ``(P,)``.
        """
        scratch = np.empty(rhs.shape[1]) if work is None else work
        for k, pairs in self._forward:
            pivot_row = rhs[k]
            for row, position in pairs:
                target = rhs[row]
                np.multiply(values[position], pivot_row, out=scratch)
                np.subtract(target, scratch, out=target)
        for k, pairs in self._backward:
            target = rhs[k]
            for col, position in pairs:
                np.multiply(values[position], rhs[col], out=scratch)
                np.subtract(target, scratch, out=target)
            np.multiply(target, inverse_pivots[k], out=target)
        return rhs


def _minimum_fill_order(n: int, pattern: set[tuple[int, int]]) -> list[int]:
    """Greedy elimination order that picks, at each step, the node creating least fill."""
    neighbours: dict[int, set[int]] = {k: set() for k in range(n)}
    for i, j in pattern:
        if i != j:
            neighbours[i].add(j)
            neighbours[j].add(i)
    order: list[int] = []
    remaining = set(range(n))
    while remaining:

        def fill(node: int) -> tuple[int, int, int]:
            adjacent = neighbours[node] & remaining
            missing = sum(1 for a in adjacent for b in adjacent if a < b and b not in neighbours[a])
            return missing, len(adjacent), node

        best = min(remaining, key=fill)
        adjacent = neighbours[best] & remaining
        for a in adjacent:
            neighbours[a].update(adjacent - {a})
        order.append(best)
        remaining.discard(best)
    return order
