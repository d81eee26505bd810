r"""A technique's load history in real time, for the viscoelastic solve.

A technique's frames (:class:`~tissue_sim.loading.TechniqueFrames`) carry their real
times within one cycle of period :math:`T` (a hold: ramp, hold and release frames; a
kneading cycle: eight frames over 2 s). :func:`technique_history` repeats the cycle
``cycles`` times and, between two frames, interpolates each load pattern's factor
linearly in time (the load histories of the techniques are piecewise linear between
their frames; the last frame of a cycle connects to the first of the next), with
sub-steps of at most ``max_step``. It returns the times and the pattern factors; the
patterns themselves are the dead skin tractions of
:meth:`~tissue_sim.mechanics.frames.FrameLoads.from_technique` (small strain: no
follower load).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from tissue_sim.fem.surface import FacetQuadrature
from tissue_sim.loading import TechniqueFrames
from tissue_sim.mechanics.frames import FrameLoads

__all__ = ["LoadHistory", "technique_history"]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class LoadHistory:
    """Load patterns and their factors over real time.

    Attributes
    ----------
    times
        ``(K,)`` [s], from 0.
    factors
        ``(K, B)`` factor of every pattern at every time [-].
    patterns
        ``(B, n, 3)`` nodal forces of the patterns [N].
    frame_index
        ``(K,)`` the technique frame a time is (−1 for a sub-step between frames).
    """

    times: FloatArray
    factors: FloatArray
    patterns: FloatArray
    frame_index: NDArray[np.int64]

    def loads(self) -> FloatArray:
        """Nodal loads at every time ``(K, n, 3)`` [N]."""
        return np.asarray(np.einsum("kb,bni->kni", self.factors, self.patterns))


def technique_history(
    frames: TechniqueFrames,
    quadrature: FacetQuadrature,
    num_points: int,
    *,
    cycles: int = 1,
    max_step: float | None = None,
) -> LoadHistory:
    """The load history of ``cycles`` cycles of a technique, in real time.

    Parameters
    ----------
    frames
        The technique's frames (``step.frames()``).
    quadrature
        Skin quadrature (:func:`~tissue_sim.mechanics.frames.skin_quadrature`).
    num_points
        Number of mesh nodes.
    cycles
        Number of cycles (a session holds ``frames.cycles_per_session()``).
    max_step
        Largest time step between two history times [s] (default: the frames only).

    Returns
    -------
    LoadHistory
    """
    if cycles < 1:
        raise ValueError("cycles must be at least 1")
    loads = FrameLoads.from_technique(frames, quadrature, follower=False)
    patterns = loads.dead_patterns(num_points)
    period = float(frames.cycle_period)
    frame_times = np.asarray(frames.frame_times, dtype=float)
    knots = np.concatenate([frame_times + c * period for c in range(cycles)])
    knot_factors = np.tile(loads.factors, (cycles, 1))
    # the cycle closes on the next cycle's first frame
    end = cycles * period
    knots = np.append(knots, end)
    knot_factors = np.vstack([knot_factors, loads.factors[:1]])
    indices = np.append(np.tile(np.arange(frame_times.size), cycles), -1)
    times = [knots[:1]]
    which = [indices[:1]]
    for k in range(knots.size - 1):
        span = knots[k + 1] - knots[k]
        pieces = 1 if max_step is None or span <= 0.0 else max(1, int(np.ceil(span / max_step)))
        inner = knots[k] + span * np.arange(1, pieces + 1) / pieces
        times.append(inner)
        which.append(np.concatenate([np.full(pieces - 1, -1), indices[k + 1 : k + 2]]))
    t = np.concatenate(times)
    frame_index = np.concatenate(which).astype(np.int64)
    factors = np.stack(
        [np.interp(t, knots, knot_factors[:, b]) for b in range(knot_factors.shape[1])], axis=1
    )
    return LoadHistory(t, factors, patterns, frame_index)
