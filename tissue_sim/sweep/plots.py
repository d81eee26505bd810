"""Plots of a sweep summary (matplotlib, no display needed).

* ``dose_response_<parameter>.png`` — every output against one parameter; for grid and
  zip designs one line per combination of the other parameters (colours), for sampled
  designs a scatter coloured by the next parameter.
* ``heatmap.png`` — for two-parameter grids, every output over the grid.
* ``sobol_indices.png`` — for Sobol designs, first-order and total indices with their
  confidence intervals, one panel per output.
* ``morris.png`` — for Morris designs, μ* and σ of every parameter as bars with their
  confidence intervals, most influential first, one panel per output.

Runs that did not finish are left out of the curves and shown grey in the heat map. The
panels and the PNG settings are the run figures' own (:mod:`tissue_sim.viz.figure_helpers`).
The plots read a summary table (:class:`SummaryTable`, e.g.
:class:`tissue_sim.sweep.summary.SweepSummary`); they do not import the summary module.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure
from numpy.typing import NDArray

from tissue_sim.viz.figure_helpers import panel_grid, save_figure

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from tissue_sim.sweep.sensitivity import MorrisIndices, SobolIndices

__all__ = ["SummaryTable", "plot_summary"]

_MAX_LEGEND = 8


class SummaryTable(Protocol):
    """What the plots read of a sweep summary (:class:`~tissue_sim.sweep.summary.SweepSummary`).

    Attributes
    ----------
    name, design
        Sweep name and design type.
    axes
        Axis records (``path``, ``kind``, ``label``).
    parameters
        ``(n_points, n_axes)`` values in the axis units.
    values
        ``(n_points, n_outputs)`` outputs; NaN where a run did not finish.
    outputs
        Output records (``name``, ``unit``).
    output_labels
        ``name [unit]`` of every output.
    sensitivity
        Output name → Sobol indices (Sobol designs).
    morris
        Output name → Morris statistics (Morris designs).
    """

    @property
    def name(self) -> str: ...

    @property
    def design(self) -> str: ...

    @property
    def axes(self) -> list[dict[str, Any]]: ...

    @property
    def parameters(self) -> list[list[Any]]: ...

    @property
    def values(self) -> NDArray[np.float64]: ...

    @property
    def outputs(self) -> list[dict[str, Any]]: ...

    @property
    def output_labels(self) -> list[str]: ...

    @property
    def sensitivity(self) -> Mapping[str, SobolIndices]: ...

    @property
    def morris(self) -> Mapping[str, MorrisIndices]: ...


def plot_summary(summary: SummaryTable, folder: str | Path) -> list[Path]:
    """Draw the plots of a summary into ``folder``; return the files written."""
    folder = Path(folder)
    labels = summary.output_labels
    written = []
    for index, axis in enumerate(summary.axes):
        path = folder / f"dose_response_{axis['path']}.png"
        written.append(save_figure(_dose_response(summary, index, labels), path))
    if summary.design == "grid" and len(summary.axes) == 2:
        written.append(save_figure(_heat_map(summary, labels), folder / "heatmap.png"))
    if summary.sensitivity:
        written.append(save_figure(_sobol(summary), folder / "sobol_indices.png"))
    if summary.morris:
        written.append(save_figure(_morris(summary, labels), folder / "morris.png"))
    return written


def _positions(column: Sequence[Any], numeric: bool) -> tuple[np.ndarray, list[str]]:
    """x positions of a parameter column; categories get 0, 1, … in order of appearance."""
    if numeric:
        return np.asarray(column, dtype=float), []
    categories = list(dict.fromkeys(str(value) for value in column))
    return np.array([categories.index(str(value)) for value in column], dtype=float), categories


def _format(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _dose_response(summary: SummaryTable, index: int, labels: list[str]) -> Figure:
    axis = summary.axes[index]
    column = [row[index] for row in summary.parameters]
    x, categories = _positions(column, axis["kind"] != "category")
    others = [i for i in range(len(summary.axes)) if i != index]
    figure, panels = panel_grid(len(labels), title=f"{summary.name}: response to {axis['path']}")
    sampled = summary.design in ("latin_hypercube", "sobol", "morris")
    for output, panel in enumerate(panels):
        y = summary.values[:, output]
        if sampled:
            _scatter(summary, panel, x, y, others, figure)
        else:
            _lines(summary, panel, x, y, others)
        panel.set_xlabel(axis["label"])
        panel.set_ylabel(labels[output])
        if categories:
            panel.set_xticks(range(len(categories)), categories, rotation=30, ha="right")
        panel.grid(alpha=0.3)
    return figure


def _lines(
    summary: SummaryTable, panel: Axes, x: np.ndarray, y: np.ndarray, others: list[int]
) -> None:
    groups: dict[tuple[Any, ...], list[int]] = {}
    for row, values in enumerate(summary.parameters):
        groups.setdefault(tuple(values[i] for i in others), []).append(row)
    colours = colormaps["viridis"](np.linspace(0.0, 0.9, max(1, len(groups))))
    for colour, (key, rows) in zip(colours, groups.items(), strict=False):
        members = np.array(rows)
        order = members[np.argsort(x[members], kind="stable")]
        finite = np.isfinite(y[order])
        label = ", ".join(
            f"{summary.axes[i]['label']}={_format(v)}" for i, v in zip(others, key, strict=True)
        )
        panel.plot(x[order][finite], y[order][finite], "o-", color=colour, label=label or None)
    if others and len(groups) <= _MAX_LEGEND:
        panel.legend(fontsize="x-small")


def _scatter(
    summary: SummaryTable,
    panel: Axes,
    x: np.ndarray,
    y: np.ndarray,
    others: list[int],
    figure: Figure,
) -> None:
    finite = np.isfinite(y)
    numeric = [i for i in others if summary.axes[i]["kind"] != "category"]
    if not numeric:
        panel.scatter(x[finite], y[finite], s=14)
        return
    colour_axis = numeric[0]
    colour = np.array([row[colour_axis] for row in summary.parameters], dtype=float)
    points = panel.scatter(x[finite], y[finite], c=colour[finite], s=14, cmap="viridis")
    figure.colorbar(points, ax=panel, label=summary.axes[colour_axis]["label"])


def _heat_map(summary: SummaryTable, labels: list[str]) -> Figure:
    first = list(dict.fromkeys(row[0] for row in summary.parameters))
    second = list(dict.fromkeys(row[1] for row in summary.parameters))
    figure, panels = panel_grid(len(labels), title=f"{summary.name}: outputs over the grid")
    for output, panel in enumerate(panels):
        grid = np.full((len(first), len(second)), np.nan)
        for row, values in enumerate(summary.parameters):
            grid[first.index(values[0]), second.index(values[1])] = summary.values[row, output]
        panel.set_facecolor("0.85")  # cells of runs that did not finish
        image = panel.pcolormesh(np.ma.masked_invalid(grid), cmap="viridis")
        figure.colorbar(image, ax=panel, label=labels[output])
        panel.set_xticks(np.arange(len(second)) + 0.5, [_format(v) for v in second])
        panel.set_yticks(np.arange(len(first)) + 0.5, [_format(v) for v in first])
        panel.set_xlabel(summary.axes[1]["label"])
        panel.set_ylabel(summary.axes[0]["label"])
        if grid.size <= 64:
            _annotate(panel, grid)
    return figure


def _annotate(panel: Axes, grid: np.ndarray) -> None:
    """Write each cell's value, dark on the bright end of the colour map."""
    finite = grid[np.isfinite(grid)]
    if finite.size == 0:
        return
    low, high = float(finite.min()), float(finite.max())
    for (i, j), value in np.ndenumerate(grid):
        if np.isfinite(value):
            bright = high > low and (value - low) / (high - low) > 0.6
            panel.text(
                j + 0.5,
                i + 0.5,
                f"{value:.3g}",
                ha="center",
                va="center",
                fontsize="x-small",
                color="black" if bright else "white",
            )


def _sobol(summary: SummaryTable) -> Figure:
    names = list(summary.sensitivity)
    figure, panels = panel_grid(len(names), title=f"{summary.name}: Sobol indices")
    positions = np.arange(len(summary.axes))
    ticks = [axis["path"] for axis in summary.axes]
    for name, panel in zip(names, panels, strict=True):
        indices = summary.sensitivity[name]
        panel.bar(
            positions - 0.2,
            indices.first_order,
            0.4,
            yerr=indices.first_order_conf,
            capsize=3,
            label="first order $S_i$",
        )
        panel.bar(
            positions + 0.2,
            indices.total,
            0.4,
            yerr=indices.total_conf,
            capsize=3,
            label="total $S_{Ti}$",
        )
        panel.axhline(0.0, color="0.3", linewidth=0.8)
        panel.set_xticks(positions, ticks, rotation=30, ha="right", fontsize="small")
        confidence = round(100 * indices.confidence)
        panel.set_title(f"{name} ({indices.samples} samples, {confidence}% CI)", fontsize="small")
        panel.set_ylabel("index [-]")
        tops = np.concatenate(
            [indices.first_order + indices.first_order_conf, indices.total + indices.total_conf]
        )
        finite = tops[np.isfinite(tops)]
        panel.set_ylim(top=1.3 * max(1.0, float(finite.max()) if finite.size else 1.0))
        panel.legend(fontsize="x-small", loc="upper right", ncols=2)
    return figure


def _morris(summary: SummaryTable, labels: list[str]) -> Figure:
    """μ* and σ per parameter with their intervals as error bars, most influential first."""
    names = list(summary.morris)
    label_of = dict(zip((output["name"] for output in summary.outputs), labels, strict=True))
    unit_of = {output["name"]: output["unit"] for output in summary.outputs}
    figure, panels = panel_grid(len(names), title=f"{summary.name}: Morris screening")
    for name, panel in zip(names, panels, strict=True):
        statistics = summary.morris[name]
        order = statistics.ranking()
        positions = np.arange(order.size)
        panel.bar(
            positions - 0.2,
            statistics.mu_star[order],
            0.4,
            yerr=statistics.mu_star_conf[order],
            capsize=3,
            label=r"$\mu^*$: mean |elementary effect|",
        )
        panel.bar(
            positions + 0.2,
            statistics.sigma[order],
            0.4,
            yerr=statistics.sigma_conf[order],
            capsize=3,
            label=r"$\sigma$: non-linearity, interactions",
        )
        panel.axhline(0.0, color="0.3", linewidth=0.8)
        ticks = [summary.axes[i]["path"] for i in order]
        panel.set_xticks(positions, ticks, rotation=30, ha="right", fontsize="small")
        confidence = round(100 * statistics.confidence)
        panel.set_title(
            f"{label_of[name]} ({statistics.trajectories} trajectories, {confidence}% CI)",
            fontsize="small",
        )
        unit = unit_of[name]
        panel.set_ylabel(
            f"effect [{unit} per range]" if unit and unit != "1" else "effect per range"
        )
        panel.legend(fontsize="x-small", loc="upper right")
    return figure
