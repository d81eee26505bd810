"""Biology figures of a run: time courses per layer, final maps, per-layer series and curves.

* :func:`plot_time_courses` — per-layer time courses (layer mean and 10–90 % band) of the
  quantities the model declares for reports, sessions shaded;
* :func:`plot_final_maps` — per cell on the cut at the end of the course, treated ÷
  untreated − 1 of the quantities the massage changed most;
* :func:`plot_layer_series` — panels of per-layer time series (the effect figures and the
  demonstrations use it);
* :func:`plot_layer_curves` — panels of per-layer curves against a parameter (a
  dose–response).

Which quantities are drawn and what they are called come from the model files
(:mod:`tissue_sim.viz._quantities`). Time is shown in days; dimensionless cell quantities
are relative to what the model says 1 is (healthy tissue). Each function writes one PNG
and returns its path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from matplotlib.colors import Normalize, TwoSlopeNorm
from numpy.typing import NDArray

from tissue_sim.io import BiologyOutput, RunResult
from tissue_sim.viz._grid import cut_section, interface_curves, volume_grid
from tissue_sim.viz._loads import SkinLoads, skin_loads
from tissue_sim.viz._quantities import (
    available_quantities,
    cell_values,
    initial_value,
    layer_band,
    layer_mean,
    quantity_axis_label,
    quantity_label,
    quantity_unit,
)
from tissue_sim.viz._style import layer_colours
from tissue_sim.viz.fields import choose_cut, peak_frame
from tissue_sim.viz.figure_helpers import (
    DAY,
    MM,
    course_grid,
    draw_interfaces,
    draw_section,
    grid_figure,
    hide_unused_and_share_legend,
    label_layers,
    label_time_axis,
    save_figure,
    shade_sessions,
    stacked_maps,
)

__all__ = [
    "plot_final_maps",
    "plot_layer_curves",
    "plot_layer_series",
    "plot_time_courses",
]

FloatArray = NDArray[np.float64]


def plot_time_courses(
    result: RunResult,
    path: Path,
    *,
    species: Sequence[str] | None = None,
    columns: int = 3,
    reference: Mapping[str, FloatArray] | None = None,
    reference_label: str = "reference",
    title: str | None = None,
) -> Path:
    """Per-layer time courses of the shown quantities over the course, sessions shaded.

    Lines are volume-weighted layer means, bands the 10th–90th percentiles (derived
    quantities have no band).

    Parameters
    ----------
    result
        The run (must have biology).
    path
        PNG to write.
    species
        Species or derived quantities to draw (default: those the model declares for
        reports, :meth:`~tissue_sim.io.BiologyOutput.shown_species`).
    columns
        Panels per row.
    reference
        Optional quantity → values at ``result.biology.time`` drawn as a dashed black line
        in its panel (e.g. the same course without massage).
    reference_label
        Legend label of the reference line.
    title
        Figure title (default: a description of the lines and bands).
    """
    biology = result.biology
    if biology is None:
        raise ValueError("this result has no biology")
    names = list(species) if species is not None else list(biology.shown_species())
    figure, axes, columns = course_grid(len(names), columns)
    colours = layer_colours(result.mesh.layer_names)
    days = biology.time / DAY
    course = float(biology.time[-1]) if biology.time.size else 1.0
    widened = False
    for index, name in enumerate(names):
        ax = axes.flat[index]
        widened |= shade_sessions(ax, biology.session_intervals, course, label=index == 0)
        for layer in result.mesh.layer_names:
            if layer not in biology.layers:
                continue
            colour = colours[layer]
            band = layer_band(biology, layer, name)
            if band is not None:
                ax.fill_between(days, band[0], band[1], color=colour, alpha=0.18, lw=0)
            ax.plot(days, layer_mean(biology, layer, name), color=colour, lw=1.6, label=layer)
        if reference is not None and name in reference:
            ax.plot(days, reference[name], color="black", lw=1.4, ls="--", label=reference_label)
        ax.set_title(quantity_label(biology, name), fontsize=11)
        ax.set_ylabel(quantity_axis_label(biology, name), fontsize=9)
        ax.grid(True, alpha=0.3)
        label_time_axis(ax, index, len(names), columns)
    hide_unused_and_share_legend(figure, axes, len(names))
    note = " (drawn wider than they are, to stay visible)" if widened else ""
    start = biology.initial_state.replace("_", " ")
    figure.suptitle(
        title
        or f"Cell response per layer over the course ({start} start)\n"
        f"lines = layer mean, bands = 10–90 % of the layer; grey = sessions{note}",
        fontsize=11,
    )
    return save_figure(figure, path)


def plot_layer_series(
    path: Path,
    time: FloatArray,
    panels: Sequence[tuple[str, str, Mapping[str, FloatArray]]],
    *,
    colours: Mapping[str, str],
    session_intervals: FloatArray,
    title: str,
    columns: int = 3,
    zero_line: bool = True,
) -> Path:
    """Panels of per-layer time series over a course (x in days), sessions shaded.

    Parameters
    ----------
    path
        PNG to write.
    time
        Times ``(T,)`` [s].
    panels
        Per panel: ``(title, y label, {layer: values (T,)})``.
    colours
        Layer → colour.
    session_intervals
        ``(N, 2)`` session start and end times [s].
    title
        Figure title.
    columns
        Panels per row.
    zero_line
        Draw y = 0.
    """
    figure, axes, columns = course_grid(len(panels), columns)
    days = np.asarray(time, dtype=float) / DAY
    course = float(time[-1]) if len(time) else 1.0
    for index, (heading, ylabel, series) in enumerate(panels):
        ax = axes.flat[index]
        shade_sessions(ax, session_intervals, course, label=index == 0)
        for layer, values in series.items():
            ax.plot(days, values, color=colours.get(layer), lw=1.6, label=layer)
        if zero_line:
            ax.axhline(0.0, color="0.3", lw=0.8)
        ax.set_title(heading, fontsize=11)
        ax.set_ylabel(ylabel, fontsize=9)
        ax.grid(True, alpha=0.3)
        label_time_axis(ax, index, len(panels), columns)
    hide_unused_and_share_legend(figure, axes, len(panels))
    figure.suptitle(title, fontsize=11)
    return save_figure(figure, path)


def plot_final_maps(result: RunResult, path: Path, *, loads: SkinLoads | None = None) -> Path:
    """Maps on the vertical cut at the final time, per cell against the untreated control.

    With a control (every run since format version 2): treated ÷ untreated − 1 [%] of the
    three shown quantities the massage changed most. Without one: the change from the
    start of the course of the three shown quantities that changed most.

    Parameters
    ----------
    result
        The run (must have biology with stored fields).
    path
        PNG to write.
    loads
        Skin loads, to place the cut as in
        :func:`~tissue_sim.viz.mechanics_figures.plot_strain_cut`.
    """
    biology = result.biology
    if biology is None or biology.field_times.size == 0:
        raise ValueError("this result has no biology fields")
    loads = loads or skin_loads(result)
    plane = choose_cut(result, peak_frame(result), loads)
    grid = volume_grid(result.mesh)
    section = cut_section(grid, plane)
    curves = interface_curves(grid, plane, result.mesh.interfaces)
    panels = final_panels(biology)
    width = float(np.ptp(result.mesh.points[:, plane.along_axis]))
    height = float(np.ptp(result.mesh.points[:, 2]))
    figure, axes, bars = stacked_maps(
        [height / width] * len(panels), title_space=0.4, top=0.55, gap=0.2, bar="right"
    )
    for ax, cax, (title, unit, values, diverging) in zip(axes, bars, panels, strict=True):
        shown = section.cell_values(values)
        if diverging:
            reach = float(np.nanpercentile(np.abs(shown), 99.5)) if shown.size else 1.0
            reach = max(reach, 1e-9) if np.isfinite(reach) else 1.0
            norm: Normalize = TwoSlopeNorm(vcenter=0.0, vmin=-reach, vmax=reach)
            cmap = "RdBu_r"
        else:
            low, high = (float(np.nanmin(shown)), float(np.nanmax(shown))) if shown.size else (0, 1)
            norm = Normalize(vmin=low, vmax=high if high > low else low + 1e-9)
            cmap = "viridis"
        collection = draw_section(ax, section, values, cmap=cmap, norm=norm)
        draw_interfaces(ax, curves, colour="black" if diverging else "white")
        label_layers(ax, result, float(curves[0][0, 0] * MM) + 1.0)
        ax.set_xlim(curves[0][0, 0] * MM, curves[0][-1, 0] * MM)
        ax.set_ylim(curves[0][0, 1] * MM, curves[-1][0, 1] * MM)
        ax.set_ylabel("z [mm]")
        ax.set_title(title, fontsize=11)
        if ax is not axes[-1]:
            ax.xaxis.set_tick_params(labelbottom=False)
        bar = figure.colorbar(collection, cax=cax)
        bar.set_label(unit)
    axes[-1].set_xlabel(f"{plane.along_name} [mm] (along the cut)")
    day = biology.field_times[-1] / DAY
    figure.suptitle(
        f"Cells at the end of the course (day {day:g}), {plane.description} through the "
        "treated area",
        fontsize=12,
        y=1.0 - 0.12 / figure.get_figheight(),
        va="top",
    )
    return save_figure(figure, path)


def final_panels(biology: BiologyOutput, count: int = 3) -> list[tuple[str, str, FloatArray, bool]]:
    """The maps of :func:`plot_final_maps`: ``(title, colour-bar label, values (m,), diverging)``.

    Per cell at the last field time: treated ÷ untreated − 1 [%] of the shown quantities
    the massage changed most (largest unweighted mean of |change| over the cells); without
    a control, the change from the start [%] of those that changed most; the first shown
    quantity itself when nothing can be compared.
    """
    last = biology.field_times.size - 1
    candidates: list[tuple[float, str, str, FloatArray]] = []
    for name in biology.shown_species():
        label = quantity_label(biology, name)
        treated = cell_values(biology, name, last)
        if biology.control_fields:
            untreated = cell_values(biology, name, last, control=True)
            if not np.all(untreated != 0.0) or not np.all(np.isfinite(untreated)):
                continue
            change = 100.0 * (treated / untreated - 1.0)
            title = f"{label}: treated vs untreated"
            unit = "treated ÷ untreated − 1 [%]"
        else:
            start = initial_value(biology, name)
            if start == 0.0 or not np.isfinite(start):
                continue
            change = 100.0 * (treated - start) / start
            title = f"Change of {label} from the start of the course"
            unit = "change [%]"
        if np.all(np.isfinite(change)):
            candidates.append((float(np.mean(np.abs(change))), title, unit, change))
    candidates.sort(key=lambda item: -item[0])
    panels = [(title, unit, change, True) for _, title, unit, change in candidates[:count]]
    if not panels:
        name = (biology.shown_species() or available_quantities(biology))[0]
        unit = quantity_unit(biology, name)
        values = cell_values(biology, name, last)
        panels.append((quantity_label(biology, name), unit, values, False))
    return panels


def plot_layer_curves(
    path: Path,
    x: FloatArray,
    curves: Sequence[tuple[str, Sequence[tuple[str, FloatArray]]]],
    *,
    xlabel: str,
    colours: dict[str, str],
    title: str,
    columns: int | None = None,
    xlog: bool = False,
    ylog: Sequence[bool] | None = None,
    zero_line: bool = False,
    references: Sequence[float | None] | None = None,
    reference_label: str = "reference",
    panel_titles: Sequence[str] | None = None,
) -> Path:
    """Panels of one curve per layer against a common x (e.g. a dose–response).

    Parameters
    ----------
    path
        PNG to write.
    x
        Common abscissa ``(n,)``.
    curves
        Per panel: ``(y label, [(layer, y (n,)), …])``.
    xlabel, title
        Axis label of x and figure title.
    colours
        Layer → colour.
    columns
        Panels per row (default: all in one row).
    xlog
        Logarithmic x axis.
    ylog
        Per panel: logarithmic y axis.
    zero_line
        Draw y = 0 on linear panels.
    references, reference_label
        Per panel: a value drawn as a dashed black line (``None``: none), and its label.
    panel_titles
        Title of each panel.
    """
    columns = columns or len(curves)
    rows = -(-len(curves) // columns)
    figure = grid_figure(rows, columns, panel_size=(4.4, 3.3), top=0.7, bottom=0.65)
    axes = figure.subplots(rows, columns, squeeze=False)
    for index, (ylabel, series) in enumerate(curves):
        ax = axes.flat[index]
        for layer, values in series:
            ax.plot(x, values, marker="o", lw=1.8, color=colours.get(layer), label=layer)
        reference = references[index] if references is not None else None
        if reference is not None:
            ax.axhline(reference, color="black", lw=1.3, ls="--", label=reference_label)
            ax.legend(fontsize=9)
        logarithmic = bool(ylog[index]) if ylog is not None else False
        if logarithmic:
            ax.set_yscale("log")
        elif zero_line:
            ax.axhline(0.0, color="0.3", lw=0.8)
        if xlog:
            ax.set_xscale("log")
            ax.set_xticks(x, [f"{value:g}" for value in x])
            ax.minorticks_off()
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        if panel_titles is not None:
            ax.set_title(panel_titles[index], fontsize=11)
        ax.grid(True, alpha=0.3)
    for ax in axes.flat[len(curves) :]:
        ax.set_visible(False)
    axes.flat[0].legend(fontsize=9)
    figure.suptitle(title, fontsize=12)
    return save_figure(figure, path)
