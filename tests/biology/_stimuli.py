"""Stimuli for the biology tests: consistent dose features from simple strain cycles."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from tissue_sim.biology import CellModel
from tissue_sim.stimulus import compute_features


def triangle_stimulus(
    model: CellModel,
    peak: ArrayLike,
    rate: ArrayLike,
    *,
    period: float = 2.0,
    session: float = 900.0,
) -> dict[str, np.ndarray]:
    """Every feature ``model`` reads, for triangle strain cycles 0 → ``peak`` → 0.

    Each point rises at ``rate`` [1/s] (capped so that the triangle fits the cycle) and falls
    back symmetrically, within cycles of ``period`` [s], repeated for ``session`` [s]; the
    features come from the stimulus stage, so they are consistent with each other.
    """
    peaks = np.atleast_1d(np.asarray(peak, dtype=float))
    rates = np.broadcast_to(np.asarray(rate, dtype=float), peaks.shape)
    rise = np.minimum(np.where(rates > 0, peaks / np.maximum(rates, 1e-300), np.inf), period / 2)
    shapes, which = np.unique(np.column_stack([peaks, rise]), axis=0, return_inverse=True)
    per_shape: dict[str, list[float]] = {name: [] for name in model.inputs}
    for value, up in shapes:  # one cycle shape at a time (its frame times differ)
        times = np.array([0.0, up, 2 * up]) if up > 0 else np.array([0.0])
        strains = np.array([0.0, value, 0.0]) if up > 0 else np.array([0.0])
        tensors = np.zeros((times.size, 1, 3, 3))
        tensors[:, 0, 0, 0] = strains
        features = compute_features(
            tensors,
            times,
            cycle_period=period,
            threshold=0.01,
            session_duration=session,
            level_features=list(model.inputs),
        )
        for name in model.inputs:
            per_shape[name].append(float(features[name][0]))
    return {name: np.array(values)[which.ravel()] for name, values in per_shape.items()}
