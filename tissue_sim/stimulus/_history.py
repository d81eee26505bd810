"""Exact features of periodic, piecewise-linear scalar histories, vectorised over points.

A history is known at ``K`` frame times and taken as linear between them; a periodic history
is closed by a piece from the last frame back to the first one period later. Every quantity
below is exact for that function: extremes lie at frames, crossings of a level are
interpolated linearly within a piece, and integrals are those of the linear pieces.

Loops run over the ``S`` pieces of one cycle (a few tens), never over points.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "HistoryFeatures",
    "LevelStatistics",
    "history_features",
    "level_statistics",
    "segments",
]

FloatArray = NDArray[np.float64]
IndexArray = NDArray[np.intp]


@dataclass(frozen=True)
class HistoryFeatures:
    """Features of a scalar history per point, each of shape ``(p,)``.

    Attributes
    ----------
    peak, mean, amplitude
        Largest value, time mean over the covered time, half the peak-to-trough range.
    rate_peak
        Largest ``|slope|`` of a piece [unit/s].
    rate_mean
        Total variation over the covered time divided by that time [unit/s].
    time_above
        Time strictly above the threshold [s].
    positive_integral
        :math:`\\int \\max(x, 0)\\,dt` over the covered time [unit·s].
    """

    peak: FloatArray
    mean: FloatArray
    amplitude: FloatArray
    rate_peak: FloatArray
    rate_mean: FloatArray
    time_above: FloatArray
    positive_integral: FloatArray


@dataclass(frozen=True)
class LevelStatistics:
    """Time spent above levels, per level and point, each of shape ``(J, p)``.

    Attributes
    ----------
    time_above
        Time strictly above the level within the covered time [s].
    longest_run
        Longest continuous time above the level [s]; ``inf`` where a *periodic* history
        stays above it for the whole cycle (the run never ends). A run that crosses the
        end of a periodic cycle joins the one at its start.
    excess_integral
        :math:`\\int (x - L)^+\\,dt`, the integral of the excess over the level [unit·s].
    """

    time_above: FloatArray
    longest_run: FloatArray
    excess_integral: FloatArray


def segments(
    times: FloatArray, cycle_period: float, *, periodic: bool
) -> tuple[IndexArray, IndexArray, FloatArray, float]:
    """Linear pieces of the history through the frames.

    Returns
    -------
    start_index, end_index : ndarray of int
        Frame index at the start and end of every piece, shape ``(S,)``.
    durations : ndarray
        Duration of every piece, shape ``(S,)`` [s]; all > 0.
    total_time : float
        Time the history covers [s]: the cycle period for a periodic history (and for a
        single frame), else the span of the frames.
    """
    count = times.size
    start = np.arange(count - 1, dtype=np.intp)
    end = np.arange(1, count, dtype=np.intp)
    durations = np.diff(times)
    span = float(times[-1] - times[0])
    if count == 1:
        return start, end, durations, cycle_period
    if not periodic:
        return start, end, durations, span
    wrap = cycle_period - span
    if wrap > 1e-12 * cycle_period:
        start = np.append(start, np.intp(count - 1))
        end = np.append(end, np.intp(0))
        durations = np.append(durations, wrap)
    return start, end, durations, cycle_period


def _fraction_above(first: FloatArray, last: FloatArray, level: FloatArray) -> FloatArray:
    """Fraction of a linear piece from ``first`` to ``last`` strictly above ``level``."""
    high = np.maximum(first, last)
    low = np.minimum(first, last)
    spread = np.where(high > low, high - low, 1.0)
    return np.where(low > level, 1.0, np.where(high <= level, 0.0, (high - level) / spread))


def _excess_integral(
    first: FloatArray, last: FloatArray, level: FloatArray, duration: FloatArray
) -> FloatArray:
    r"""Exact :math:`\int (x - L)^+ dt` over linear pieces (trapezoid or triangle)."""
    high = np.maximum(first, last) - level
    low = np.minimum(first, last) - level
    spread = np.where(high > low, high - low, 1.0)
    both = 0.5 * (high + low) * duration
    crossing = 0.5 * high * high / spread * duration
    return np.where(low >= 0.0, both, np.where(high <= 0.0, 0.0, crossing))


def history_features(
    values: FloatArray,
    times: FloatArray,
    *,
    cycle_period: float,
    threshold: float,
    periodic: bool,
) -> HistoryFeatures:
    """Peak, mean, amplitude, rates, time above a threshold and positive integral.

    Parameters
    ----------
    values
        History at the frames, shape ``(K, p)`` [unit of the quantity].
    times
        Frame times, strictly increasing, shape ``(K,)`` [s].
    cycle_period
        Period of the history [s].
    threshold
        Threshold for the time above it [unit of the quantity].
    periodic
        Close the history with a linear piece from the last frame to the first frame one
        period later.

    Returns
    -------
    HistoryFeatures
        Exact for the piecewise-linear history: extremes are at frames; the mean is the
        time integral (trapezoids) over the covered time; ``rate_peak`` is the largest slope
        of a piece and ``rate_mean`` the summed ``|rise|`` of the pieces over the covered
        time; the time strictly above ``threshold`` interpolates crossings linearly.
    """
    peak = values.max(axis=0)
    trough = values.min(axis=0)
    start, end, durations, total_time = segments(times, cycle_period, periodic=periodic)
    if durations.size == 0:
        constant_above = np.where(values[0] > threshold, total_time, 0.0)
        return HistoryFeatures(
            peak=peak,
            mean=values[0].copy(),
            amplitude=np.zeros_like(peak),
            rate_peak=np.zeros_like(peak),
            rate_mean=np.zeros_like(peak),
            time_above=constant_above,
            positive_integral=np.maximum(values[0], 0.0) * total_time,
        )
    first = values[start]
    last = values[end]
    weights = durations[:, None]
    mean = np.sum(0.5 * (first + last) * weights, axis=0) / total_time
    rise = np.abs(last - first)
    rate_peak = np.max(rise / weights, axis=0)
    zero = np.zeros(1)
    time_above = np.sum(_fraction_above(first, last, np.asarray(threshold)) * weights, axis=0)
    return HistoryFeatures(
        peak=peak,
        mean=mean,
        amplitude=0.5 * (peak - trough),
        rate_peak=rate_peak,
        rate_mean=np.sum(rise, axis=0) / total_time,
        time_above=time_above,
        positive_integral=np.sum(_excess_integral(first, last, zero, weights), axis=0),
    )


def level_statistics(
    values: FloatArray,
    times: FloatArray,
    levels: FloatArray,
    *,
    cycle_period: float,
    periodic: bool,
) -> LevelStatistics:
    """Time above, longest continuous run above and excess integral, for several levels.

    Parameters
    ----------
    values
        History at the frames, shape ``(K, p)``.
    times
        Frame times, strictly increasing, shape ``(K,)`` [s].
    levels
        Levels, shape ``(J,)`` [unit of the quantity].
    cycle_period
        Period of the history [s].
    periodic
        Whether the history is periodic (see :func:`segments`).

    Returns
    -------
    LevelStatistics
        Arrays of shape ``(J, p)``. A run is a maximal time interval on which the history
        is strictly above the level; consecutive pieces join when the shared frame value is
        above the level. In a periodic history the run that reaches the end of the cycle
        continues into the run that starts at its beginning; a history above the level over
        the whole cycle has an infinite run. A single frame is a constant history.
    """
    level = np.asarray(levels, dtype=float)[:, None]
    n_points = values.shape[1]
    start, end, durations, total_time = segments(times, cycle_period, periodic=periodic)
    shape = (level.shape[0], n_points)
    if durations.size == 0:
        above = np.broadcast_to(values[0][None, :] > level, shape)
        run = np.inf if periodic else total_time
        return LevelStatistics(
            time_above=np.where(above, total_time, 0.0),
            longest_run=np.where(above, run, 0.0),
            excess_integral=np.maximum(values[0][None, :] - level, 0.0) * total_time,
        )
    time_above = np.zeros(shape)
    excess = np.zeros(shape)
    best = np.zeros(shape)
    current = np.zeros(shape)
    head = np.zeros(shape)
    head_open = values[start[0]][None, :] > level
    everywhere = np.ones(shape, dtype=bool)
    for first_index, last_index, duration in zip(start, end, durations, strict=True):
        first = values[first_index][None, :]
        last = values[last_index][None, :]
        above_time = _fraction_above(first, last, level) * duration
        time_above += above_time
        excess += _excess_integral(first, last, level, np.asarray(duration))
        starts_above = first > level
        ends_above = last > level
        everywhere &= starts_above & ends_above
        run = np.where(starts_above, current + above_time, above_time)
        best = np.maximum(best, run)
        current = np.where(ends_above, run, 0.0)
        head = np.where(head_open, head + above_time, head)
        head_open &= ends_above
    if periodic:
        tail_joins = (values[start[0]][None, :] > level) & (current > 0.0)
        best = np.maximum(best, np.where(tail_joins, current + head, 0.0))
        best = np.where(everywhere, np.inf, best)
    return LevelStatistics(time_above=time_above, longest_run=best, excess_integral=excess)
