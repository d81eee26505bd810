"""Where the hand touched: the skin load of each frame, as the result stores it.

``result.loading`` (``/loading`` in ``result.h5``, format version 3) holds every patch load of
every mechanics frame; the traction anywhere on the skin follows exactly. A result written
before format 3 has no load frames: the loaded area is then estimated from the skin's
downward displacement (and the pictures say so).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from tissue_sim.io import RunResult
from tissue_sim.loading import LoadFrame, surface_traction

__all__ = ["SkinLoads", "skin_loads"]

FloatArray = NDArray[np.float64]


@dataclass
class SkinLoads:
    """The skin load of every mechanics frame.

    Attributes
    ----------
    frames
        The load frames in ``result.mechanics`` order, or ``None`` for a result written
        before format version 3 (only the estimate from the displacement is available).
    top
        Height of the skin ``z`` [m].
    """

    frames: tuple[LoadFrame, ...] | None
    top: float

    @property
    def estimated(self) -> bool:
        """True when the loaded area comes from the displacement, not from load frames."""
        return self.frames is None

    def traction(self, frame: int, xy: FloatArray) -> FloatArray | None:
        """Skin traction ``(n, 3)`` [Pa] of a frame at skin points ``(n, 2)`` [m]."""
        if self.frames is None:
            return None
        points = np.column_stack([np.asarray(xy, dtype=float), np.full(len(xy), self.top)])
        return surface_traction(self.frames[frame], points)

    def mean_pressure(self, frame: int) -> float | None:
        """Mean normal pressure of a frame's patches [Pa] (the technique's ``pressure``)."""
        if self.frames is None:
            return None
        return max((load.pressure for load in self.frames[frame].loads), default=0.0)


def skin_loads(result: RunResult) -> SkinLoads:
    """The skin load of every frame of a result (see the module docstring).

    Raises
    ------
    ValueError
        If the stored load frames do not match the mechanics frames (a damaged file).
    """
    top = float(np.max(result.mesh.points[:, 2]))
    if result.loading is None:
        return SkinLoads(None, top)
    frames = result.loading.frames()
    if len(frames) != result.mechanics.frame_time.size:
        raise ValueError(
            f"the result stores {len(frames)} load frames for "
            f"{result.mechanics.frame_time.size} mechanics frames"
        )
    return SkinLoads(frames, top)
