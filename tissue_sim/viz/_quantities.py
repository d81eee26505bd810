"""Cell-model quantities by name: species and the model's derived quantities, with labels.

Which quantities a picture or a table shows, what they are called and what 1 means all come
from the model files' ``report`` sections, stored in ``result.h5``
(:class:`~tissue_sim.io.BiologyOutput` ``report_species``, ``species_labels``,
``report_scales``, ``derived``): nothing here knows a species of the shipped models, so a
user's own model is shown the same way.

A *derived* quantity (``m2 / (m1 + m2)``) is evaluated from the stored species with the
cell models' safe expression evaluator: on the layer means for per-layer curves (for a
ratio of amounts this is the ratio of the layer's amounts) and per cell for maps. It has no
10th–90th percentile band.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from tissue_sim.biology.model import evaluate_expression
from tissue_sim.biology.simulate import SUMMARY_STATISTICS
from tissue_sim.geometry.layer_statistics import stat
from tissue_sim.io import BiologyOutput

__all__ = [
    "available_quantities",
    "cell_values",
    "initial_value",
    "layer_band",
    "layer_mean",
    "mean_ratio",
    "quantity_axis_label",
    "quantity_label",
    "quantity_unit",
]

FloatArray = NDArray[np.float64]


def available_quantities(biology: BiologyOutput) -> tuple[str, ...]:
    """Every species and derived quantity of the run, species first."""
    return (*biology.species, *(name for name in biology.derived if name not in biology.species))


def quantity_label(biology: BiologyOutput, name: str) -> str:
    """The model's plain-language label of a quantity, else its name with spaces."""
    return biology.species_labels.get(name) or name.replace("_", " ")


def _dimensionless(biology: BiologyOutput, name: str) -> bool:
    return biology.units.get(name, "1") in ("1", "", "dimensionless")


def _scale(biology: BiologyOutput, name: str) -> str:
    """What 1 is for a dimensionless quantity (``""`` for a derived one without a scale)."""
    declared = biology.report_scales.get(name, "")
    if declared or name in biology.derived:
        return declared
    return "healthy level"


def quantity_unit(biology: BiologyOutput, name: str) -> str:
    """Display unit: ``× healthy latent pool`` (what 1 is), ``–``, or the SI unit."""
    if not _dimensionless(biology, name):
        return biology.units[name]
    scale = _scale(biology, name)
    return f"× {scale}" if scale else "–"


def quantity_axis_label(biology: BiologyOutput, name: str) -> str:
    """Axis label: ``× healthy latent pool [–]``, ``[–]`` or ``[unit]``."""
    if not _dimensionless(biology, name):
        return f"[{biology.units[name]}]"
    scale = _scale(biology, name)
    return f"× {scale} [–]" if scale else "[–]"


def _summaries(biology: BiologyOutput, control: bool) -> dict[str, dict[str, FloatArray]]:
    if not control:
        return biology.layers
    if biology.control is None:
        raise ValueError("this result has no untreated control")
    return biology.control


def layer_mean(
    biology: BiologyOutput, layer: str, name: str, *, control: bool = False
) -> FloatArray:
    """Volume-weighted layer mean of a quantity over time ``(T,)``, treated or untreated."""
    layers = _summaries(biology, control)[layer]
    if name in layers:
        return np.asarray(stat(layers[name], "mean", SUMMARY_STATISTICS))
    expression = biology.derived[name]
    means = {
        species: stat(values, "mean", SUMMARY_STATISTICS) for species, values in layers.items()
    }
    return evaluate_expression(expression, means)


def layer_band(
    biology: BiologyOutput, layer: str, name: str
) -> tuple[FloatArray, FloatArray] | None:
    """10th and 90th percentile over the layer ``(T,)`` each; ``None`` for derived quantities."""
    series = biology.layers[layer].get(name)
    if series is None:
        return None
    return stat(series, "p10", SUMMARY_STATISTICS), stat(series, "p90", SUMMARY_STATISTICS)


def mean_ratio(biology: BiologyOutput, layer: str, name: str) -> FloatArray:
    """Treated ÷ untreated layer mean over time ``(T,)`` (NaN where the untreated is 0)."""
    treated = layer_mean(biology, layer, name)
    untreated = layer_mean(biology, layer, name, control=True)
    out = np.full(treated.shape, np.nan)
    np.divide(treated, untreated, out=out, where=untreated != 0.0)
    return out


def cell_values(
    biology: BiologyOutput, name: str, index: int, *, control: bool = False
) -> FloatArray:
    """A quantity per cell ``(m,)`` at field time ``index``, treated or untreated."""
    fields = biology.control_fields if control else biology.fields
    if name in fields:
        return np.asarray(fields[name][index])
    expression = biology.derived[name]
    return evaluate_expression(expression, {species: f[index] for species, f in fields.items()})


def initial_value(biology: BiologyOutput, name: str) -> float:
    """A quantity's layer mean at the start of the course (the initial state is uniform)."""
    first = next(iter(biology.layers))
    return float(layer_mean(biology, first, name)[0])
