"""Key numbers of a run per layer, and the scenario in plain words.

Shared by the HTML report and the demonstrations.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import yaml

from tissue_sim.geometry.layer_statistics import stat
from tissue_sim.io import RunResult
from tissue_sim.viz.fields import effective_measure

__all__ = ["LayerNumbers", "describe_scenario", "key_numbers", "resolved_config"]


@dataclass(frozen=True)
class LayerNumbers:
    """What one layer felt.

    Attributes
    ----------
    layer
        Layer name.
    thickness
        Layer thickness [m].
    strain_p90
        Largest (over load frames) volume-weighted 90th percentile of the effective
        strain in the layer [-].
    strain_max
        Largest effective strain anywhere in the layer [-].
    """

    layer: str
    thickness: float
    strain_p90: float
    strain_max: float


def key_numbers(result: RunResult) -> list[LayerNumbers]:
    """Per layer (top first): thickness and peak effective strain.

    What the cells did is the treatment effect (:func:`tissue_sim.viz.effect.treatment_effects`).

    Parameters
    ----------
    result
        The run.
    """
    measure = effective_measure(result)
    heights = np.asarray(result.mesh.interfaces, dtype=float)
    thickness = np.diff(heights)[::-1]
    numbers = []
    for index, layer in enumerate(result.mesh.layer_names):
        table = result.mechanics.layer_stats[layer][measure]
        numbers.append(
            LayerNumbers(
                layer=layer,
                thickness=float(thickness[index]) if index < thickness.size else float("nan"),
                strain_p90=float(np.nanmax(stat(table, "p90"))),
                strain_max=float(np.nanmax(stat(table, "max"))),
            )
        )
    return numbers


def resolved_config(result: RunResult) -> dict[str, Any]:
    """The run's resolved scenario (SI units) as a mapping (empty if unreadable)."""
    try:
        data = yaml.safe_load(result.config)
    except yaml.YAMLError:
        return {}
    return data if isinstance(data, dict) else {}


def _mm(value: Any) -> str:
    return f"{float(value) * 1e3:.3g} mm"


def _technique_sentence(result: RunResult) -> str:
    """The session's techniques in words, as ``result.loading`` stores them."""
    loading = result.loading
    if loading is None:  # written before format version 3
        names = ", then ".join(name.replace("_", " ") for name in result.mechanics.step_names)
        return (
            f"Technique(s): {names} (this result was written before the techniques' "
            "parameters were stored with it)."
        )
    words = [
        f"{text} for {duration / 60:.3g} min of each session"
        for text, duration in zip(loading.step_descriptions, loading.step_durations, strict=True)
    ]
    label = "Technique" if len(words) == 1 else "Techniques, one after another"
    return f"{label}: " + "; then ".join(words) + "."


def describe_scenario(result: RunResult) -> list[str]:
    """The scenario in plain sentences: tissue, technique(s), schedule, cells.

    The techniques come from ``result.loading`` (their own words,
    :meth:`tissue_sim.loading.Technique.describe`); the tissue stack and the schedule from
    the resolved scenario stored with the result (a plain mapping: nothing is re-validated).

    Parameters
    ----------
    result
        The run.
    """
    config = resolved_config(result)
    sentences = []
    tissue = config.get("tissue", {}) or {}
    layers = tissue.get("layers") or []
    preset = tissue.get("preset")
    if layers:
        stack = ", ".join(
            f"{layer.get('name')} {_mm(layer.get('thickness', 0.0))} "
            f"(E = {_modulus(layer.get('youngs_modulus'))})"
            for layer in layers
        )
        where = f"the {preset} preset" if preset else "a custom stack"
        sentences.append(f"Tissue: {where}, layers from the skin down: {stack}.")
    else:
        sentences.append(f"Tissue layers from the skin down: {', '.join(result.mesh.layer_names)}.")
    if tissue.get("description"):
        sentences.append(str(tissue["description"]).strip())
    size = tissue.get("size")
    height = float(np.ptp(result.mesh.points[:, 2]))
    if isinstance(size, list) and len(size) == 2:
        sentences.append(
            f"Modelled block: {_mm(size[0])} × {_mm(size[1])} of skin, {_mm(height)} deep, "
            "on a fixed base (bone)."
        )
    sentences.append(_technique_sentence(result))
    schedule = config.get("schedule", {}) or {}
    if schedule:
        per_day = schedule.get("sessions_per_day", 1)
        minutes = float(schedule.get("session_duration", 0.0)) / 60
        days = schedule.get("days")
        treatment_days = schedule.get("treatment_days")
        when = (
            f"on days {', '.join(str(d) for d in treatment_days)}"
            if treatment_days
            else "every day"
        )
        sentences.append(
            f"Schedule: {per_day} session(s) of {minutes:.3g} min per day {when}, "
            f"over a course of {days} day(s)."
        )
    if result.biology is not None:
        models = ", ".join(m.replace("_", " ") for m in result.biology.models)
        sentences.append(
            f"Cells: {models}; starting from the "
            f"'{result.biology.initial_state.replace('_', ' ')}' state."
        )
    mesh = result.mesh
    sentences.append(
        f"Computation: {mesh.element} finite elements, {mesh.linear_cells.shape[0]} cells, "
        f"{3 * mesh.points.shape[0]} unknowns, {result.mechanics.model} mechanics, "
        f"{result.mechanics.frame_time.size} load frames."
    )
    return sentences


def _modulus(value: Any) -> str:
    if value is None:
        return "?"
    pascal = float(value)
    if pascal >= 1e6:
        return f"{pascal / 1e6:.3g} MPa"
    return f"{pascal / 1e3:.3g} kPa"
