"""Where the hand touched: the skin load of each frame, rebuilt from the run's scenario.

A result stores the scenario it ran; re-validating it gives the techniques' load frames
(cheap: no mechanics), in the same order as ``result.mechanics`` frames. When that is not
possible (a result written by another version, a missing tissue preset), the loaded area
is estimated from the skin's downward displacement instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import yaml
from numpy.typing import NDArray

from tissue_sim.errors import TissueSimError
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
        The load frames in ``result.mechanics`` order, or ``None`` when only the estimate
        from the displacement is available.
    top
        Height of the skin ``z`` [m].
    estimated
        True when the loaded area comes from the displacement, not from the load frames.
    """

    frames: list[LoadFrame] | None
    top: float
    estimated: bool

    def traction(self, frame: int, xy: FloatArray) -> FloatArray | None:
        """Skin traction ``(n, 3)`` [Pa] of a frame at skin points ``(n, 2)`` [m]."""
        if self.frames is None:
            return None
        points = np.column_stack([np.asarray(xy, dtype=float), np.full(len(xy), self.top)])
        return surface_traction(self.frames[frame], points)

    def peak_pressure(self, frame: int) -> float | None:
        """Largest normal pressure of a frame's patches [Pa] (profile peak), if known."""
        if self.frames is None:
            return None
        return max(
            (load.pressure * load.patch.peak_weight for load in self.frames[frame].loads),
            default=0.0,
        )

    def mean_pressure(self, frame: int) -> float | None:
        """Mean normal pressure of a frame's patches [Pa] (the technique's ``pressure``)."""
        if self.frames is None:
            return None
        return max((load.pressure for load in self.frames[frame].loads), default=0.0)


def skin_loads(result: RunResult) -> SkinLoads:
    """The skin load of every frame of a result (see the module docstring)."""
    top = float(np.max(result.mesh.points[:, 2]))
    frames = _rebuild_frames(result)
    return SkinLoads(frames, top, frames is None)


def _rebuild_frames(result: RunResult) -> list[LoadFrame] | None:
    from tissue_sim.config import scenario_from_mapping

    try:
        data = yaml.safe_load(result.config_source)
        if not isinstance(data, dict):
            return None
        scenario = scenario_from_mapping(data)
        frames = [frame for step in scenario.loading.steps for frame in step.frames().frames]
    except (TissueSimError, yaml.YAMLError, ValueError, TypeError, KeyError, OSError):
        return None
    expected = result.mechanics.frame_time
    times = np.array([frame.time for frame in frames])
    if times.shape != expected.shape or not np.allclose(times, expected, atol=1e-9):
        return None
    return frames
