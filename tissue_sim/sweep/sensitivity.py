r"""Sobol sensitivity indices from a Saltelli design, with bootstrap confidence intervals.

For a model :math:`Y = f(X_1, …, X_k)` with independent inputs, the first-order index
:math:`S_i = V[E(Y|X_i)] / V(Y)` is the share of the output variance due to :math:`X_i`
alone, and the total index :math:`S_{Ti} = E[V(Y|X_{\sim i})] / V(Y)` its share including
all interactions. From the base matrices A, B and the mixed matrices
:math:`A_B^{(i)}` (A with column i from B) of N base samples:

.. math::

    S_i \approx \frac{\tfrac1N \sum_j f(B)_j\,[f(A_B^{(i)})_j - f(A)_j]}{V},
    \qquad
    S_{Ti} \approx \frac{\tfrac1{2N} \sum_j [f(A)_j - f(A_B^{(i)})_j]^2}{V},

with :math:`V` the variance of :math:`f(A)` and :math:`f(B)` together (Saltelli et al.
2010, *Comput. Phys. Commun.* 181:259, Table 2 (b) and (f); the total index is Jansen's
estimator). The outputs are first centred on the mean of f(A) and f(B): this leaves the
estimators' expectations unchanged and keeps the first-order estimator's variance from
growing with the squared output mean (outputs that sit far from zero, such as a
concentration near its healthy value, would otherwise need many more samples).

Confidence intervals: bootstrap over base samples, normal approximation
(half-width :math:`z_{(1+c)/2}` times the bootstrap standard deviation), as in SALib.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.stats import norm

from tissue_sim.sweep.designs import DesignPoint

__all__ = ["SobolIndices", "saltelli_blocks", "sobol_indices"]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class SobolIndices:
    """First-order and total Sobol indices of one output.

    Attributes
    ----------
    first_order, total
        ``(k,)`` estimates of :math:`S_i` and :math:`S_{Ti}` [-].
    first_order_conf, total_conf
        ``(k,)`` half-widths of the confidence intervals (estimate ± half-width) [-].
    confidence
        Confidence level of the intervals.
    samples
        Base samples the estimates used (groups with a failed run are left out).
    """

    first_order: FloatArray
    total: FloatArray
    first_order_conf: FloatArray
    total_conf: FloatArray
    confidence: float
    samples: int


def _estimates(f_a: FloatArray, f_b: FloatArray, f_ab: FloatArray) -> tuple[FloatArray, FloatArray]:
    """S1 and ST along the last-but-one axis: f_a, f_b ``(..., N)``, f_ab ``(..., N, k)``."""
    variance = np.var(np.concatenate([f_a, f_b], axis=-1), axis=-1)[..., None]
    difference = f_ab - f_a[..., None]
    first = np.mean(f_b[..., None] * difference, axis=-2)
    total = 0.5 * np.mean(difference**2, axis=-2)
    with np.errstate(divide="ignore", invalid="ignore"):
        return first / variance, total / variance


def sobol_indices(
    f_a: ArrayLike,
    f_b: ArrayLike,
    f_ab: ArrayLike,
    *,
    confidence: float = 0.95,
    resamples: int = 1000,
    seed: int = 0,
) -> SobolIndices:
    """Estimate first-order and total Sobol indices with bootstrap confidence intervals.

    Parameters
    ----------
    f_a, f_b
        ``(N,)`` model outputs at the rows of the base matrices A and B.
    f_ab
        ``(N, k)`` outputs at the rows of :math:`A_B^{(i)}`, column i for parameter i.
    confidence
        Confidence level of the intervals, in (0, 1).
    resamples
        Bootstrap resamples (of the N base samples, with replacement).
    seed
        Seed of the bootstrap (the intervals are reproducible).

    Returns
    -------
    SobolIndices
        Estimates and interval half-widths; NaN where the output variance is zero.
    """
    a = np.asarray(f_a, dtype=float)
    b = np.asarray(f_b, dtype=float)
    ab = np.asarray(f_ab, dtype=float)
    if a.ndim != 1 or b.shape != a.shape or ab.ndim != 2 or ab.shape[0] != a.shape[0]:
        raise ValueError(
            f"expected f_a, f_b (N,) and f_ab (N, k); got {a.shape}, {b.shape}, {ab.shape}"
        )
    n, k = ab.shape
    # Centre the outputs: the estimators are shift-invariant in expectation, but the
    # first-order one has a variance that grows with the output mean squared; outputs
    # such as a concentration near its healthy value have a mean far above their spread.
    centre = np.mean(np.concatenate([a, b])) if n else 0.0
    a, b, ab = a - centre, b - centre, ab - centre
    first, total = _estimates(a, b, ab)
    rng = np.random.default_rng(seed)
    first_boot = np.empty((resamples, k))
    total_boot = np.empty((resamples, k))
    chunk = max(1, 2_000_000 // max(1, n * k))  # bound the memory of one batch
    for start in range(0, resamples, chunk):
        stop = min(resamples, start + chunk)
        rows = rng.integers(0, n, size=(stop - start, n))
        first_boot[start:stop], total_boot[start:stop] = _estimates(a[rows], b[rows], ab[rows])
    z = float(norm.ppf(0.5 + confidence / 2.0))
    with np.errstate(invalid="ignore"):
        first_conf = z * np.std(first_boot, axis=0, ddof=1)
        total_conf = z * np.std(total_boot, axis=0, ddof=1)
    return SobolIndices(first, total, first_conf, total_conf, confidence, n)


def saltelli_blocks(
    points: Sequence[DesignPoint], values: ArrayLike, axes: int
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Arrange outputs of a Sobol design into f(A), f(B) and f(A_B).

    Base samples whose group (A, B and every AB point) has a non-finite output — a failed
    or missing run — are left out.

    Parameters
    ----------
    points
        The design's points (blocks ``A``, ``B``, ``AB``).
    values
        One output value per point, in the same order.
    axes
        Number of parameters k.

    Returns
    -------
    f_a, f_b, f_ab
        ``(N',)``, ``(N',)`` and ``(N', k)`` for the N' complete base samples.
    """
    outputs = np.asarray(values, dtype=float)
    samples = 1 + max((point.sample for point in points), default=-1)
    a = np.full(samples, np.nan)
    b = np.full(samples, np.nan)
    ab = np.full((samples, axes), np.nan)
    for point, value in zip(points, outputs, strict=True):
        if point.block == "A":
            a[point.sample] = value
        elif point.block == "B":
            b[point.sample] = value
        elif point.block == "AB":
            ab[point.sample, point.axis] = value
    complete = np.isfinite(a) & np.isfinite(b) & np.all(np.isfinite(ab), axis=1)
    return a[complete], b[complete], ab[complete]
