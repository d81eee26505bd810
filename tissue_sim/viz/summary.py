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
from tissue_sim.viz.fields import effective_measure, m2_fraction

__all__ = ["LayerNumbers", "describe_scenario", "key_numbers", "resolved_config"]


@dataclass(frozen=True)
class LayerNumbers:
    """What one layer felt and how its cells answered.

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
    tgfb1_change
        Change of the layer-mean active TGF-β1 from start to end [%] (``None`` without
        biology; likewise the following).
    tgfb1_latent_change
        Change of the layer-mean latent TGF-β1 from start to end [%].
    m2_fraction_start, m2_fraction_end
        M2/(M1+M2) of the layer means at the start and the end [-].
    il6_end
        Layer-mean IL-6 at the end [× healthy].
    il6_peak
        Largest layer-mean IL-6 over the course [× healthy].
    """

    layer: str
    thickness: float
    strain_p90: float
    strain_max: float
    tgfb1_change: float | None = None
    tgfb1_latent_change: float | None = None
    m2_fraction_start: float | None = None
    m2_fraction_end: float | None = None
    il6_end: float | None = None
    il6_peak: float | None = None


def _percent_change(series: np.ndarray) -> float | None:
    start, end = float(series[0, 0]), float(series[-1, 0])
    return None if start == 0.0 else 100.0 * (end - start) / start


def key_numbers(result: RunResult) -> list[LayerNumbers]:
    """Per layer (top first): peak strain, TGF-β1 change, M2 share and IL-6.

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
        values: dict[str, Any] = {
            "layer": layer,
            "thickness": float(thickness[index]) if index < thickness.size else float("nan"),
            "strain_p90": float(np.nanmax(stat(table, "p90"))),
            "strain_max": float(np.nanmax(stat(table, "max"))),
        }
        biology = result.biology
        if biology is not None and layer in biology.layers:
            species = biology.layers[layer]
            if "tgfb1_active" in species:
                values["tgfb1_change"] = _percent_change(species["tgfb1_active"])
            if "tgfb1_latent" in species:
                values["tgfb1_latent_change"] = _percent_change(species["tgfb1_latent"])
            if "m1" in species and "m2" in species:
                share = m2_fraction(species["m1"][:, 0], species["m2"][:, 0])
                values["m2_fraction_start"] = float(share[0])
                values["m2_fraction_end"] = float(share[-1])
            if "il6" in species:
                values["il6_end"] = float(species["il6"][-1, 0])
                values["il6_peak"] = float(np.max(species["il6"][:, 0]))
        numbers.append(LayerNumbers(**values))
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


def _patch_words(patch: dict[str, Any]) -> str:
    axes = patch.get("semi_axes") or []
    shape = patch.get("shape", "ellipse")
    profile = patch.get("profile", "")
    if len(axes) == 2 and shape == "ellipse":
        if abs(axes[0] - axes[1]) < 1e-12:
            size = f"a circle of radius {_mm(axes[0])}"
        else:
            size = f"an ellipse of {_mm(2 * axes[0])} × {_mm(2 * axes[1])}"
    elif len(axes) == 2:
        size = f"a strip of {_mm(2 * axes[0])} × {_mm(2 * axes[1])}"
    else:
        size = "a contact patch"
    return f"{size} ({profile} pressure profile)" if profile else size


def _technique_words(name: str, technique: dict[str, Any], duration: float | None) -> str:
    parts = [f"{name.replace('_', ' ')}"]
    if "pressure" in technique and technique["pressure"] is not None:
        parts.append(f"at {float(technique['pressure']) / 1e3:.3g} kPa mean pressure")
    shear = technique.get("shear")
    if shear:
        amount = float(np.max(np.abs(np.atleast_1d(shear))))
        parts.append(f"with {amount / 1e3:.3g} kPa of shear")
    if isinstance(technique.get("patch"), dict):
        parts.append(f"over {_patch_words(technique['patch'])}")
    if technique.get("speed"):
        parts.append(f"gliding at {float(technique['speed']) * 100:.3g} cm/s")
    path = technique.get("path")
    if isinstance(path, list) and len(path) >= 2:
        length = float(
            np.sum(np.linalg.norm(np.diff(np.asarray(path, dtype=float), axis=0), axis=1))
        )
        parts.append(f"along a {length * 100:.3g} cm path")
    if technique.get("frequency"):
        parts.append(f"at {float(technique['frequency']):.3g} Hz")
    if technique.get("hold_time"):
        parts.append(f"held {float(technique['hold_time']):.3g} s")
    if duration:
        parts.append(f"for {duration / 60:.3g} min of each session")
    return " ".join(parts)


def describe_scenario(result: RunResult) -> list[str]:
    """The scenario in plain sentences: tissue, technique(s), schedule, cells.

    Parameters
    ----------
    result
        The run (its resolved config is read).
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
    steps = (config.get("loading", {}) or {}).get("steps") or []
    names = result.mechanics.step_names
    if steps:
        words = [
            _technique_words(
                names[i] if i < len(names) else str(step.get("technique", {}).get("type", "")),
                step.get("technique", {}) or {},
                step.get("duration"),
            )
            for i, step in enumerate(steps)
        ]
        label = "Technique" if len(words) == 1 else "Techniques, one after another"
        sentences.append(f"{label}: " + "; then ".join(words) + ".")
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
