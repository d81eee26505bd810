"""Exact features of periodic, piecewise-linear scalar histories, vectorised over points."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["HistoryFeatures", "history_features", "segments"]

FloatArray = NDArray[np.float64]
IndexArray = NDArray[np.intp]


@dataclass(frozen=True)
class HistoryFeatures:
    """Features of a scalar history per point, each of shape ``(p,)``."""

    peak: FloatArray
    mean: FloatArray
    amplitude: FloatArray
    rate_peak: FloatArray
    time_above: FloatArray


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


def history_features(
    values: FloatArray,
    times: FloatArray,
    *,
    cycle_period: float,
    threshold: float,
    periodic: bool,
) -> HistoryFeatures:
    """Peak, mean, amplitude, peak rate and time above a threshold of piecewise-linear histories.

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
        time integral (trapezoids) over the covered time; the rate is the largest slope of
        a piece; the time strictly above ``threshold`` interpolates crossings linearly.
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
            time_above=constant_above,
        )
    first = values[start]
    last = values[end]
    weights = durations[:, None]
    mean = np.sum(0.5 * (first + last) * weights, axis=0) / total_time
    rate_peak = np.max(np.abs(last - first) / weights, axis=0)
    high = np.maximum(first, last)
    low = np.minimum(first, last)
    spread = np.where(high > low, high - low, 1.0)
    fraction = np.where(
        low > threshold, 1.0, np.where(high <= threshold, 0.0, (high - threshold) / spread)
    )
    time_above = np.sum(fraction * weights, axis=0)
    return HistoryFeatures(
        peak=peak,
        mean=mean,
        amplitude=0.5 * (peak - trough),
        rate_peak=rate_peak,
        time_above=time_above,
    )
