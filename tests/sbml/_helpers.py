"""Shared helpers of the SBML tests (python-libsbml, antimony and libroadrunner: the sbml extra)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt

from tissue_sim.biology import CellModel
from tissue_sim.sbml import ExportedModel, export_sbml
from tissue_sim.stimulus import feature_unit

#: Feature values during a session, by the feature's unit (a stroke-like dose).
SESSION_VALUE_BY_UNIT: dict[str, float] = {"1": 0.2, "1/s": 0.5, "Hz": 0.5, "s": 1.5}


def session_stimulus(inputs: tuple[str, ...]) -> dict[str, float]:
    """A constant in-session value for every input of a model."""
    return {name: SESSION_VALUE_BY_UNIT.get(feature_unit(name), 0.3) for name in inputs}


def random_states(
    model: CellModel, rng: np.random.Generator, n_points: int = 200
) -> tuple[npt.NDArray[np.float64], dict[str, npt.NDArray[np.float64]]]:
    """States around the healthy state (0.2x to 3x, plus small values) and random inputs."""
    healthy = model.initial_state()
    scale = np.where(np.abs(healthy) > 0.0, np.abs(healthy), 0.05)
    states = scale * rng.uniform(0.2, 3.0, (n_points, model.n_species))
    inputs = {
        name: value * rng.uniform(0.0, 2.0, n_points)
        for name, value in session_stimulus(model.inputs).items()
    }
    return states, inputs


def max_relative_difference(
    a: npt.NDArray[np.float64], b: npt.NDArray[np.float64], floor: float = 1e-300
) -> float:
    """max |a − b| / max(|b|, floor)."""
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), floor)))


@lru_cache(maxsize=16)
def exported_model(names: tuple[str, ...]) -> ExportedModel:
    """The export of model files (cached: exporting compiles the composition)."""
    return export_sbml(list(names))


def roadrunner_rates(runner: Any, names: Sequence[str]) -> npt.NDArray[np.float64]:
    """d(value)/dt of the named state variables at libRoadRunner's current state (rate rules
    and reactions alike; for a concentration species the concentration's rate)."""
    rates = runner.getRatesOfChangeNamedArray()
    by_name = dict(zip(rates.colnames, rates[0], strict=True))
    return np.array([by_name[f"{name}'"] for name in names])
