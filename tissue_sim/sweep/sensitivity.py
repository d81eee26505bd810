r"""Global sensitivity of sweep outputs: Sobol indices and Morris screening, through SALib.

**Sobol indices** (variance-based). For a model :math:`Y = f(X_1, …, X_k)` with independent
inputs, the first-order index :math:`S_i = V[E(Y|X_i)] / V(Y)` is the share of the output
variance due to :math:`X_i` alone, and the total index
:math:`S_{Ti} = E[V(Y|X_{\sim i})] / V(Y)` its share including all interactions. From the
base matrices A, B and the mixed matrices :math:`A_B^{(i)}` (A with column i from B) of N
base samples (the sweep's ``sobol`` design, :mod:`tissue_sim.sweep.designs`),

.. math::

    S_i \approx \frac{\tfrac1N \sum_j f(B)_j\,[f(A_B^{(i)})_j - f(A)_j]}{V},
    \qquad
    S_{Ti} \approx \frac{\tfrac1{2N} \sum_j [f(A)_j - f(A_B^{(i)})_j]^2}{V},

with :math:`V` the variance of :math:`f(A)` and :math:`f(B)` together (Saltelli et al. 2010,
*Comput. Phys. Commun.* 181:259, Table 2 (b) and (f); the total index is Jansen's
estimator). SALib (``SALib.analyze.sobol``) evaluates them on the standardised outputs
(which keeps the first-order estimator's variance from growing with the squared output
mean) with bootstrap confidence intervals over the base samples (normal approximation:
half-width :math:`z_{(1+c)/2}` times the bootstrap standard deviation).

**Morris screening** (elementary effects; Morris 1991, *Technometrics* 33:161; Campolongo
et al. 2007, *Environ. Model. Softw.* 22:1509). ``r`` trajectories of ``k + 1`` points on a
``p``-level grid of the unit hypercube change one parameter at a time by
:math:`\Delta = p / (2(p - 1))`; the elementary effect of parameter i along a trajectory is
:math:`EE_i = [f(x + \Delta e_i) - f(x)] / \Delta`. Per parameter: :math:`\mu^*`, the mean
of :math:`|EE_i|` (the ranking measure: overall influence), :math:`\mu`, the mean of
:math:`EE_i` (its sign), and :math:`\sigma`, their standard deviation (non-linearity or
interactions), each with a bootstrap interval over the trajectories (SALib's for
:math:`\mu^*`; ours, the same normal approximation, for :math:`\mu` and :math:`\sigma`).
Parameters are measured in units
of their range (the unit cube is mapped onto each axis's range, linear, log or whole
numbers, as the sweep's other sampled designs are), so :math:`\mu^*` is the output change
per full range: comparable across parameters. ``k + 1`` runs per trajectory: the screening
for expensive models, before a Sobol design (the sweep's ``morris`` design,
:mod:`tissue_sim.sweep.designs`).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from SALib.analyze import morris as morris_analysis
from SALib.analyze import sobol as sobol_analysis
from scipy.stats import norm

from tissue_sim.sweep.designs import DesignPoint, morris_unit_samples
from tissue_sim.sweep.spec import MORRIS_LEVELS

__all__ = [
    "MORRIS_LEVELS",
    "MorrisIndices",
    "SobolIndices",
    "elementary_effects",
    "morris_indices",
    "morris_unit_samples",
    "saltelli_blocks",
    "sobol_indices",
]

FloatArray = NDArray[np.float64]

#: Most bootstrap values held at once (resamples x trajectories x parameters).
_BOOTSTRAP_CHUNK = 1_000_000


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


@dataclass(frozen=True)
class MorrisIndices:
    """Morris elementary-effect statistics of one output.

    Attributes
    ----------
    mu_star
        ``(k,)`` mean absolute elementary effect [output unit per parameter range].
    mu
        ``(k,)`` mean elementary effect (sign of the influence) [same unit].
    sigma
        ``(k,)`` standard deviation of the elementary effects [same unit].
    mu_star_conf, mu_conf, sigma_conf
        ``(k,)`` half-widths of the bootstrap intervals of ``mu_star``, ``mu`` and
        ``sigma`` (estimate ± half-width) [same unit].
    confidence
        Confidence level of the intervals.
    trajectories
        Trajectories the statistics used (those with a failed run are left out).
    """

    mu_star: FloatArray
    mu: FloatArray
    sigma: FloatArray
    mu_star_conf: FloatArray
    mu_conf: FloatArray
    sigma_conf: FloatArray
    confidence: float
    trajectories: int

    def ranking(self) -> NDArray[np.intp]:
        """Parameter indices from the most to the least influential (by ``mu_star``)."""
        return np.argsort(-self.mu_star, kind="stable")


def _problem(k: int) -> dict[str, Any]:
    return {"num_vars": k, "names": [f"x{i}" for i in range(k)], "bounds": [[0.0, 1.0]] * k}


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
    outputs = np.column_stack([a, ab, b])  # SALib's order: A, AB_1 … AB_k, B per sample
    if n < 2 or not np.ptp(outputs) > 0.0:
        nan = np.full(k, np.nan)
        return SobolIndices(nan, nan.copy(), nan.copy(), nan.copy(), confidence, n)
    result = sobol_analysis.analyze(
        _problem(k),
        outputs.ravel(),
        calc_second_order=False,
        num_resamples=resamples,
        conf_level=confidence,
        seed=np.random.default_rng(seed),
    )
    return SobolIndices(
        np.asarray(result["S1"], dtype=float),
        np.asarray(result["ST"], dtype=float),
        np.asarray(result["S1_conf"], dtype=float),
        np.asarray(result["ST_conf"], dtype=float),
        confidence,
        n,
    )


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


def elementary_effects(unit_points: ArrayLike, values: ArrayLike) -> FloatArray:
    r"""Elementary effects of a Morris design: ``(r, k)``, row t for trajectory t.

    :math:`EE_i = [f(x^{(s+1)}) - f(x^{(s)})] / (x^{(s+1)}_i - x^{(s)}_i)` for the step s
    of the trajectory that changes parameter i (by ±Δ in the unit hypercube).

    Parameters
    ----------
    unit_points
        ``(r (k + 1), k)`` points of whole trajectories in the unit hypercube.
    values
        ``(r (k + 1),)`` outputs at those points.

    Raises
    ------
    ValueError
        If a trajectory does not change every parameter exactly once.
    """
    points = np.asarray(unit_points, dtype=float)
    outputs = np.asarray(values, dtype=float)
    k = points.shape[1]
    r = points.shape[0] // (k + 1)
    steps = np.diff(points.reshape(r, k + 1, k), axis=1)  # (r, k steps, k coordinates)
    changed = np.argmax(np.abs(steps), axis=2)
    if not np.array_equal(np.sort(changed, axis=1), np.broadcast_to(np.arange(k), (r, k))):
        raise ValueError("every step of a Morris trajectory changes one parameter, each once")
    step = np.take_along_axis(steps, changed[:, :, None], axis=2)[:, :, 0]
    effects = np.empty((r, k))
    effects[np.arange(r)[:, None], changed] = np.diff(outputs.reshape(r, k + 1), axis=1) / step
    return effects


def _bootstrap_half_widths(
    effects: FloatArray, confidence: float, resamples: int, seed: int
) -> tuple[FloatArray, FloatArray]:
    """Half-widths of the bootstrap intervals of the mean and the standard deviation of
    the elementary effects, resampling whole trajectories (normal approximation)."""
    r, k = effects.shape
    rng = np.random.default_rng(seed)
    chunk = max(1, _BOOTSTRAP_CHUNK // (r * k))
    means, deviations = [], []
    for start in range(0, resamples, chunk):
        draws = effects[rng.integers(r, size=(min(chunk, resamples - start), r))]
        means.append(draws.mean(axis=1))
        deviations.append(draws.std(axis=1, ddof=1))
    z = float(norm.ppf(0.5 + confidence / 2.0))
    return (
        z * np.concatenate(means).std(axis=0, ddof=1),
        z * np.concatenate(deviations).std(axis=0, ddof=1),
    )


def morris_indices(
    unit_points: ArrayLike,
    values: ArrayLike,
    *,
    levels: int = MORRIS_LEVELS,
    confidence: float = 0.95,
    resamples: int = 1000,
    seed: int = 0,
) -> MorrisIndices:
    """Morris statistics of one output from a design of :func:`morris_unit_samples`.

    Parameters
    ----------
    unit_points
        The design's points in the unit hypercube, ``(r (k + 1), k)``.
    values
        One output value per point, in the same order; a trajectory with a non-finite
        value (a failed run) is left out.
    levels
        The design's grid levels.
    confidence
        Confidence level of the intervals, in (0, 1).
    resamples
        Bootstrap resamples of the trajectories.
    seed
        Seed of the bootstrap (the intervals are reproducible).

    Returns
    -------
    MorrisIndices
        Statistics in output units per parameter range; NaN with fewer than two complete
        trajectories.
    """
    points = np.asarray(unit_points, dtype=float)
    outputs = np.asarray(values, dtype=float)
    if points.ndim != 2 or outputs.shape != (points.shape[0],):
        raise ValueError(
            f"expected points (n, k) and values (n,); got {points.shape}, {outputs.shape}"
        )
    k = points.shape[1]
    size = k + 1
    if points.shape[0] % size:
        raise ValueError(f"{points.shape[0]} points are not whole trajectories of {size} points")
    complete = np.all(np.isfinite(outputs.reshape(-1, size)), axis=1)
    kept = int(np.count_nonzero(complete))
    if kept < 2:
        nan = np.full(k, np.nan)
        nan.flags.writeable = False  # shared by the six statistics
        return MorrisIndices(nan, nan, nan, nan, nan, nan, confidence, kept)
    rows = np.repeat(complete, size)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # constant outputs: zero effects
        result = morris_analysis.analyze(
            _problem(k),
            points[rows],
            outputs[rows],
            num_resamples=resamples,
            conf_level=confidence,
            num_levels=levels,
            seed=seed,
        )
    mu_conf, sigma_conf = _bootstrap_half_widths(
        elementary_effects(points[rows], outputs[rows]), confidence, resamples, seed
    )
    return MorrisIndices(
        np.asarray(result["mu_star"], dtype=float),
        np.asarray(result["mu"], dtype=float),
        np.asarray(result["sigma"], dtype=float),
        np.asarray(result["mu_star_conf"], dtype=float),
        mu_conf,
        sigma_conf,
        confidence,
        kept,
    )
