"""Integrate an exported model with libRoadRunner over a session schedule (a cross-check).

tissue_sim's integrator switches every stimulus input to its feature value inside a
session and to 0 outside. An exported SBML model carries the inputs as parameters (value
0); :func:`simulate_with_roadrunner` drives them the same way: it integrates with CVODE
from one switching or output time to the next, setting the input parameters at every
session start and end. ``tests/sbml`` compares it with
:func:`tissue_sim.biology.simulate` at one material point.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from tissue_sim.errors import InputError

__all__ = ["simulate_with_roadrunner"]

FloatArray = npt.NDArray[np.float64]


def _roadrunner() -> Any:
    try:
        import roadrunner
    except ImportError:
        raise InputError(
            "integrating with libRoadRunner needs libroadrunner; install the sbml extra: "
            "pip install 'tissue-sim[sbml]'"
        ) from None
    roadrunner.Logger.setLevel(roadrunner.Logger.LOG_ERROR)
    return roadrunner


def simulate_with_roadrunner(
    sbml: str,
    stimulus: Mapping[str, float],
    session_intervals: npt.ArrayLike,
    times: npt.ArrayLike,
    *,
    initial_state: Mapping[str, float] | None = None,
    rtol: float = 1e-12,
    atol: float = 1e-16,
) -> dict[str, FloatArray]:
    """Species values of an SBML model at ``times`` under a session schedule.

    Parameters
    ----------
    sbml
        SBML text (e.g. :attr:`tissue_sim.sbml.ExportedModel.sbml`).
    stimulus
        Input parameter id → value during sessions (0 outside).
    session_intervals
        ``(N, 2)`` session start and end times [s], sorted, not overlapping.
    times
        Increasing output times [s] from 0.
    initial_state
        Species id → initial value (the SBML initial values otherwise).
    rtol, atol
        CVODE's relative and absolute tolerances.

    Returns
    -------
    dict
        Species id → values at ``times``.
    """
    roadrunner = _roadrunner()
    runner = roadrunner.RoadRunner(sbml)
    runner.integrator.relative_tolerance = rtol
    runner.integrator.absolute_tolerance = atol
    runner.integrator.maximum_num_steps = 10**7
    for name, value in (initial_state or {}).items():
        runner.setValue(name, float(value))
    intervals = np.asarray(session_intervals, dtype=np.float64).reshape(-1, 2)
    output = np.asarray(times, dtype=np.float64)
    if output.ndim != 1 or output.size == 0 or output[0] != 0.0 or np.any(np.diff(output) <= 0):
        raise InputError("times must start at 0 and increase")
    identifiers = list(runner.model.getFloatingSpeciesIds())
    values = np.empty((output.size, len(identifiers)))
    values[0] = runner.model.getFloatingSpeciesAmounts()
    switches = np.unique(intervals)
    for index in range(1, output.size):
        start, end = output[index - 1], output[index]
        cuts = np.union1d([start, end], switches[(switches > start) & (switches < end)])
        for left, right in itertools.pairwise(cuts):
            middle = 0.5 * (left + right)
            on = bool(np.any((intervals[:, 0] <= middle) & (middle <= intervals[:, 1])))
            for name, value in stimulus.items():
                runner.setValue(name, float(value) if on else 0.0)
            runner.simulate(float(left), float(right), 2)
        values[index] = runner.model.getFloatingSpeciesAmounts()
    return {name: values[:, column].copy() for column, name in enumerate(identifiers)}
