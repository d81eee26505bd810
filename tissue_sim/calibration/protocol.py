"""Laboratory and treatment protocols for the cell models, driven through the stimulus stage.

A protocol is what an experiment does to one well-mixed piece of tissue: an initial state,
and sessions of a strain *waveform* (one cycle of effective strain, piecewise linear in
time and periodic, e.g. the Standley-lab RMS bout 0 → 10 % → 0 in 0.6 s every 1.6 s)
repeated for a duration. The dose features the cell models read are computed from the
waveform by :func:`tissue_sim.stimulus.compute_features`, exactly as the pipeline computes
them from a finite-element strain history, so a calibration target exercises the same
code path as a run.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from tissue_sim.biology import BiologyResult, CellModel, simulate
from tissue_sim.stimulus import compute_features

__all__ = ["DAY", "Protocol", "SessionBlock", "Waveform", "run_protocol", "waveform_features"]

FloatArray = NDArray[np.float64]

#: One day [s].
DAY = 86400.0


@dataclass(frozen=True)
class Waveform:
    """One cycle of effective strain, linear between the given points and periodic.

    Attributes
    ----------
    times
        Times within the cycle, strictly increasing from 0 [s].
    strains
        Effective strain at those times [-].
    period
        Cycle period [s], at least the last time.
    source
        Where the waveform comes from.
    """

    times: tuple[float, ...]
    strains: tuple[float, ...]
    period: float
    source: str = ""

    def __post_init__(self) -> None:
        times = np.asarray(self.times, dtype=float)
        if times.size == 0 or times.size != len(self.strains):
            raise ValueError("a waveform needs as many strains as times (at least one)")
        if times[0] != 0.0 or np.any(np.diff(times) <= 0.0):
            raise ValueError("waveform times must start at 0 and increase strictly")
        if not (math.isfinite(self.period) and self.period >= times[-1] and self.period > 0.0):
            raise ValueError("the waveform period must be positive and cover its times")
        if not np.all(np.isfinite(np.asarray(self.strains, dtype=float))):
            raise ValueError("waveform strains must be finite")


@dataclass(frozen=True)
class SessionBlock:
    """Sessions of one waveform: ``count`` sessions ``every`` seconds from ``start``.

    Attributes
    ----------
    waveform
        Name of the waveform applied during the sessions.
    duration
        Length of one session [s].
    start
        Start of the first session [s].
    every
        Time from one session start to the next [s] (``count > 1`` needs it).
    count
        Number of sessions.
    weekdays
        If given, only sessions that start on these days of the week (day index of the
        start time modulo 7; day 0 is the first day of the protocol) are kept.
    """

    waveform: str
    duration: float
    start: float = 0.0
    every: float = DAY
    count: int = 1
    weekdays: tuple[int, ...] | None = None

    def intervals(self) -> FloatArray:
        """Start and end of every session, shape ``(N, 2)`` [s]."""
        starts = self.start + self.every * np.arange(self.count)
        if self.weekdays is not None:
            day = np.floor(starts / DAY).astype(int) % 7
            starts = starts[np.isin(day, self.weekdays)]
        return np.column_stack([starts, starts + self.duration])


@dataclass(frozen=True)
class Protocol:
    """An experiment on one piece of tissue.

    Attributes
    ----------
    end
        Duration of the protocol [s].
    initial_state
        Initial-state preset of the cell models.
    sessions
        Blocks of sessions (their sessions must not overlap).
    """

    end: float
    initial_state: str = "healthy"
    sessions: tuple[SessionBlock, ...] = field(default_factory=tuple)


def waveform_features(
    waveform: Waveform, session_duration: float, names: Sequence[str], *, threshold: float = 0.01
) -> dict[str, float]:
    """Dose features of a waveform repeated for ``session_duration`` [s].

    Parameters
    ----------
    waveform
        The cycle of effective strain.
    session_duration
        Length of the session [s].
    names
        Features the cell models read (fixed and level features).
    threshold
        Threshold of ``time_above_threshold`` [-] (the scenario default).

    Returns
    -------
    dict
        Feature name → value, for every name of ``names``.
    """
    strains = np.asarray(waveform.strains, dtype=float)
    tensors = np.zeros((strains.size, 1, 3, 3))
    tensors[:, 0, 0, 0] = strains  # uniaxial: the max principal strain is the waveform
    features = compute_features(
        tensors,
        np.asarray(waveform.times, dtype=float),
        cycle_period=waveform.period,
        threshold=threshold,
        session_duration=session_duration,
        level_features=list(names),
    )
    return {name: float(features[name][0]) for name in names}


def run_protocol(
    model: CellModel,
    protocol: Protocol,
    waveforms: Mapping[str, Waveform],
    times: Sequence[float] | FloatArray,
    *,
    rtol: float = 1e-6,
    atol: float = 1e-10,
) -> BiologyResult:
    """Integrate the cell model through a protocol (one point).

    Parameters
    ----------
    model
        The composed cell model.
    protocol
        The protocol.
    waveforms
        Waveforms by name (every block's waveform must be here).
    times
        Output times [s] within ``[0, protocol.end]``, increasing.
    rtol, atol
        Integrator tolerances.

    Returns
    -------
    BiologyResult
        ``summaries[species][:, 0, 0]`` is the species at ``times``.
    """
    stimuli = []
    intervals = []
    for block in protocol.sessions:
        stimuli.append(waveform_features(waveforms[block.waveform], block.duration, model.inputs))
        intervals.append(block.intervals())
    if not stimuli:
        stimuli = [{name: 0.0 for name in model.inputs}]
        intervals = [np.empty((0, 2))]
    return simulate(
        model,
        stimuli if len(stimuli) > 1 else stimuli[0],
        intervals if len(intervals) > 1 else intervals[0],
        protocol.end,
        initial_state=protocol.initial_state,
        summary_times=np.asarray(times, dtype=float),
        rtol=rtol,
        atol=atol,
    )
