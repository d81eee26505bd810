"""Figures of the treatment effect: the treated course against its untreated control.

* :func:`plot_treated_vs_untreated` — per species, every layer's treated layer mean (solid)
  beside its untreated control (dashed), sessions shaded;
* :func:`plot_effect_over_time` — per species, treated ÷ untreated − 1 [%] per layer over
  the course (0 = no effect).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from tissue_sim.io import BiologyOutput, RunResult
from tissue_sim.viz._quantities import layer_mean, mean_ratio, quantity_axis_label, quantity_label
from tissue_sim.viz._style import layer_colours
from tissue_sim.viz.biology_figures import plot_layer_series
from tissue_sim.viz.effect import shown_species
from tissue_sim.viz.figure_helpers import (
    DAY,
    course_grid,
    hide_unused_and_share_legend,
    label_time_axis,
    save_figure,
    shade_sessions,
)

__all__ = ["plot_effect_over_time", "plot_treated_vs_untreated"]

FloatArray = NDArray[np.float64]


def _checked(
    result: RunResult, species: Sequence[str] | None
) -> tuple[list[str], BiologyOutput, dict[str, dict[str, FloatArray]]]:
    """The shown quantities the run has, its biology and its untreated control (per layer)."""
    biology = result.biology
    if biology is None or biology.control is None:
        raise ValueError("this result has no untreated control")
    names = list(species) if species is not None else shown_species(biology)
    shown = [name for name in names if name in biology.species or name in biology.derived]
    return shown, biology, biology.control


def plot_treated_vs_untreated(
    result: RunResult,
    path: Path,
    *,
    species: Sequence[str] | None = None,
    columns: int = 3,
) -> Path:
    """Treated (solid) and untreated (dashed) layer means of the key species over the course.

    When every layer's untreated course is the same (one initial state), it is drawn once,
    in black.

    Parameters
    ----------
    result
        A run with biology and its untreated control.
    path
        PNG to write.
    species
        Species, one panel each (default: the ones the model declares for reports).
    columns
        Panels per row.
    """
    names, biology, _ = _checked(result, species)
    figure, axes, columns = course_grid(len(names), columns)
    colours = layer_colours(result.mesh.layer_names)
    days = biology.time / DAY
    course = float(biology.time[-1]) if biology.time.size else 1.0
    layers = [layer for layer in result.mesh.layer_names if layer in biology.layers]
    for index, name in enumerate(names):
        ax = axes.flat[index]
        shade_sessions(ax, biology.session_intervals, course, label=index == 0)
        untreated = [layer_mean(biology, layer, name, control=True) for layer in layers]
        shared = all(np.array_equal(series, untreated[0], equal_nan=True) for series in untreated)
        for layer, reference in zip(layers, untreated, strict=True):
            colour = colours[layer]
            treated = layer_mean(biology, layer, name)
            ax.plot(days, treated, color=colour, lw=1.6, label=layer)
            if not shared:
                ax.plot(days, reference, color=colour, lw=1.2, ls="--")
        if shared and untreated:
            ax.plot(days, untreated[0], color="black", lw=1.4, ls="--", label="untreated")
        ax.set_title(quantity_label(biology, name), fontsize=11)
        ax.set_ylabel(quantity_axis_label(biology, name), fontsize=9)
        ax.grid(True, alpha=0.3)
        label_time_axis(ax, index, len(names), columns)
    hide_unused_and_share_legend(figure, axes, len(names))
    start = biology.initial_state.replace("_", " ")
    figure.suptitle(
        "What the massage did: treated layer means (solid) against the untreated control "
        f"(dashed):\nthe same course from the '{start}' state without sessions; "
        "grey = sessions",
        fontsize=11,
    )
    return save_figure(figure, path)


def plot_effect_over_time(
    result: RunResult,
    path: Path,
    *,
    species: Sequence[str] | None = None,
    columns: int = 3,
) -> Path:
    """The treatment effect over the course: treated ÷ untreated − 1 per layer [%].

    Parameters
    ----------
    result
        A run with biology and its untreated control.
    path
        PNG to write.
    species
        Species, one panel each (default: the ones the model declares for reports).
    columns
        Panels per row.
    """
    names, biology, control = _checked(result, species)
    layers = [
        layer for layer in result.mesh.layer_names if layer in biology.layers and layer in control
    ]
    panels = []
    for name in names:
        series = {layer: 100.0 * (mean_ratio(biology, layer, name) - 1.0) for layer in layers}
        panels.append((quantity_label(biology, name), "treated vs untreated [%]", series))
    return plot_layer_series(
        path,
        biology.time,
        panels,
        colours=layer_colours(result.mesh.layer_names),
        session_intervals=biology.session_intervals,
        title="The treatment effect over the course: layer mean, treated ÷ untreated − 1 "
        "[%]\n0 = the same as without massage; below 0 = the massage lowered it; "
        "grey = sessions",
        columns=columns,
    )
