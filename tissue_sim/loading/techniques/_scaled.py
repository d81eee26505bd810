"""Frames of a technique whose load is one fixed pattern times a load curve."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from tissue_sim.loading.patch import LoadFrame
from tissue_sim.loading.techniques._shared import scaled_frame
from tissue_sim.loading.techniques.base import Technique, TechniqueFrames

__all__ = ["scaled_frames"]


def scaled_frames(
    technique: Technique,
    reference: LoadFrame,
    times: NDArray[np.floating[Any]],
    factors: NDArray[np.floating[Any]],
    loaded_time_per_cycle: float,
) -> TechniqueFrames:
    """``reference`` scaled by ``factors[k]`` at ``times[k]``, with that one-pattern basis.

    Parameters
    ----------
    technique
        The technique (its ``cycle_period`` is the frames' period) [s].
    reference
        The full load (factor 1).
    times
        ``(K,)`` frame times within the cycle [s].
    factors
        ``(K,)`` load factors [-].
    loaded_time_per_cycle
        Time under load per cycle [s].
    """
    frames = tuple(
        scaled_frame(reference, float(t), float(f)) for t, f in zip(times, factors, strict=True)
    )
    return TechniqueFrames(
        technique=technique,
        frames=frames,
        cycle_period=technique.cycle_period,
        loaded_time_per_cycle=loaded_time_per_cycle,
        basis=(reference,),
        basis_factors=np.asarray(factors[:, None], dtype=np.float64),
    )
