"""The treatment effect of a run: the treated course against its untreated control.

Every run integrates the same course without sessions beside the treated one (the
untreated control, ``result.biology.control``). What the massage did is the one against
the other, per layer and over time; these are the numbers and words the summary, the
report and its figures lead with.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tissue_sim.io import BiologyOutput, RunResult
from tissue_sim.viz._quantities import layer_mean, mean_ratio, quantity_label

__all__ = [
    "SpeciesEffect",
    "effect_sentences",
    "effect_table",
    "has_control",
    "shown_species",
    "species_name",
    "treatment_effects",
]

_DAY = 86400.0


@dataclass(frozen=True)
class SpeciesEffect:
    """What the treatment did to one species in one layer (volume-weighted layer means).

    Attributes
    ----------
    layer, species
        Layer and species (or derived quantity) names.
    label
        Plain-language name of the species, as the model file declares it.
    unit
        Unit of the species (``1``: normalised to healthy tissue).
    day
        Day of the end of the course.
    treated, untreated
        Layer mean at the end of the course, treated and untreated.
    difference
        ``treated − untreated`` at the end [unit of the species].
    ratio
        ``treated ÷ untreated`` at the end (``None`` when the untreated value is 0).
    largest_ratio, largest_day
        The ratio of the layer means farthest from 1 over the course, and its day
        (``None`` when the ratio is undefined throughout).
    """

    layer: str
    species: str
    label: str
    unit: str
    day: float
    treated: float
    untreated: float
    difference: float
    ratio: float | None
    largest_ratio: float | None
    largest_day: float | None

    @property
    def percent(self) -> float | None:
        """``100 · (ratio − 1)``: the change against the untreated course [%]."""
        return None if self.ratio is None else 100.0 * (self.ratio - 1.0)


def has_control(result: RunResult) -> bool:
    """Whether the run has biology with an untreated control (format version ≥ 2)."""
    return result.biology is not None and result.biology.control is not None


def shown_species(biology: BiologyOutput) -> list[str]:
    """Species (and derived quantities) to show first: those the model declares for reports
    (see :meth:`~tissue_sim.io.BiologyOutput.shown_species`)."""
    return list(biology.shown_species())


def species_name(biology: BiologyOutput, name: str) -> str:
    """The plain-language name of a species: the model's label, else its name."""
    return quantity_label(biology, name)


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def treatment_effects(result: RunResult, species: list[str] | None = None) -> list[SpeciesEffect]:
    """Per layer (top first) and species: treated vs untreated layer mean.

    Parameters
    ----------
    result
        A run with biology and its control.
    species
        Species to report (default :func:`shown_species`).

    Raises
    ------
    ValueError
        If the run has no untreated control.
    """
    biology = result.biology
    if biology is None or biology.control is None:
        raise ValueError("this result has no untreated control (written before format 2)")
    names = species if species is not None else shown_species(biology)
    day = float(biology.time[-1] / _DAY) if biology.time.size else 0.0
    effects = []
    for layer in result.mesh.layer_names:
        if layer not in biology.layers or layer not in biology.control:
            continue
        for name in names:
            stored = name in biology.layers[layer] and name in biology.control[layer]
            if not stored and name not in biology.derived:
                continue
            treated = layer_mean(biology, layer, name)
            untreated = layer_mean(biology, layer, name, control=True)
            series = mean_ratio(biology, layer, name)
            defined = np.flatnonzero(np.isfinite(series))
            largest = largest_day = None
            if defined.size:
                index = defined[np.argmax(np.abs(series[defined] - 1.0))]
                largest, largest_day = float(series[index]), float(biology.time[index] / _DAY)
            effects.append(
                SpeciesEffect(
                    layer=layer,
                    species=name,
                    label=quantity_label(biology, name),
                    unit=biology.units.get(name, "1"),
                    day=day,
                    treated=float(treated[-1]),
                    untreated=float(untreated[-1]),
                    difference=float(treated[-1] - untreated[-1]),
                    ratio=_finite(series[-1]),
                    largest_ratio=largest,
                    largest_day=largest_day,
                )
            )
    return effects


def effect_sentences(effects: list[SpeciesEffect], *, limit: int = 3) -> list[str]:
    """Plain sentences: where the treatment lowered and raised the shown species most.

    Parameters
    ----------
    effects
        From :func:`treatment_effects`.
    limit
        Largest falls and rises named.
    """
    measured = [(item, item.percent) for item in effects if item.percent is not None]
    if not measured:
        return ["No shown species has a defined ratio to its untreated course."]
    day = measured[0][0].day
    falls = sorted((pair for pair in measured if pair[1] < 0.0), key=lambda pair: pair[1])
    rises = sorted((pair for pair in measured if pair[1] > 0.0), key=lambda pair: -pair[1])

    def words(pairs: list[tuple[SpeciesEffect, float]]) -> str:
        return "; ".join(
            f"{item.label} in the {item.layer} ({percent:+.3g} %)"
            for item, percent in pairs[:limit]
        )

    sentences = []
    if falls:
        sentences.append(f"By day {day:g} the massage lowered most: {words(falls)}.")
    if rises:
        sentences.append(f"It raised most: {words(rises)}.")
    if all(abs(percent) < 0.1 for _, percent in measured):
        sentences.append("Every shown species stays within 0.1 % of its untreated course.")
    return sentences


def effect_table(result: RunResult) -> list[str]:
    """The treatment effect as plain-text lines (``tissue-sim run`` prints them).

    One row per shown quantity (the model's label), one column per layer: treated ÷
    untreated (treated − untreated) of the layer mean at the end of the course. A result
    without a control gets the treated layer means at the end instead.

    Parameters
    ----------
    result
        A run with biology.
    """
    biology = result.biology
    if biology is None:
        return []
    names = shown_species(biology)
    layers = [layer for layer in result.mesh.layer_names if layer in biology.layers]
    day = biology.time[-1] / _DAY if biology.time.size else 0.0
    labels = {name: quantity_label(biology, name) for name in names}
    first = max((len(label) for label in labels.values()), default=8) + 2
    width = 18
    if biology.control is None:  # a result written before controls existed
        lines = [f"biology at day {day:g} (volume-weighted layer mean; no untreated control):"]
        for name in names:
            row = "".join(f"{layer_mean(biology, layer, name)[-1]:<{width}.3g}" for layer in layers)
            lines.append((f"  {labels[name]:<{first}}" + row).rstrip())
        return lines
    start = biology.initial_state.replace("_", " ")
    lines = [
        f"treatment effect at day {day:g}, per layer: treated ÷ untreated layer mean "
        f"(treated − untreated);",
        f"  untreated = the same course from the '{start}' state without sessions",
        ("  " + f"{'':<{first}}" + "".join(f"{layer:<{width}}" for layer in layers)).rstrip(),
    ]
    by_key = {(item.layer, item.species): item for item in treatment_effects(result, names)}
    for name in names:
        cells = []
        for layer in layers:
            item = by_key.get((layer, name))
            if item is None:
                cells.append(f"{'–':<{width}}")
                continue
            shown = "×n/a" if item.ratio is None else f"×{item.ratio:.3f}"
            cells.append(f"{shown + f' ({item.difference:+.2g})':<{width}}")
        lines.append((f"  {labels[name]:<{first}}" + "".join(cells)).rstrip())
    return lines
