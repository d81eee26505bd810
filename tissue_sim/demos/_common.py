"""Helpers shared by the demonstrations: their scenario files, an untreated course."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from tissue_sim.config import Scenario, load_config
from tissue_sim.errors import InputError
from tissue_sim.resources import demo_configs_directory

__all__ = ["demo_scenario", "demos_directory", "untreated_course", "wrap"]

FloatArray = NDArray[np.float64]


def demos_directory() -> Path:
    """The demonstrations' scenario files, ``configs/demos`` (shipped with the package)."""
    return demo_configs_directory()


def demo_scenario(file_name: str, overrides: Sequence[str] = ()) -> Scenario:
    """Load a demonstration's scenario file with ``--set``-style overrides.

    Raises
    ------
    InputError
        The file is missing (a broken installation: the wheel ships ``configs/demos``).
    """
    path = demos_directory() / file_name
    if not path.is_file():
        raise InputError(f"demonstration scenario {path} not found: reinstall tissue_sim")
    return load_config(path, overrides)


def untreated_course(scenario: Scenario, times: FloatArray) -> dict[str, FloatArray]:
    """The scenario's cell models over its course with no massage at all.

    Without a stimulus every point of the tissue follows the same course, so one point
    is integrated.

    Parameters
    ----------
    scenario
        The scenario (its biology section: models, parameters, initial state).
    times
        Output times [s].

    Returns
    -------
    dict
        Species → values at ``times``.
    """
    from tissue_sim.biology import load_model, simulate

    biology = scenario.biology
    model = load_model(list(biology.models), dict(biology.parameters))
    times = np.asarray(times, dtype=float)
    result = simulate(
        model,
        {name: np.zeros(1) for name in model.inputs},
        np.empty((0, 2)),
        float(times[-1]),
        initial_state=biology.initial_state,
        summary_times=times,
        rtol=biology.rtol,
    )
    return {name: np.asarray(values[:, 0, 0]) for name, values in result.summaries.items()}


def wrap(paragraphs: Sequence[str], width: int = 88) -> str:
    """Paragraphs wrapped for a terminal, separated by blank lines."""
    import textwrap

    return "\n\n".join(textwrap.fill(paragraph, width=width) for paragraph in paragraphs)
