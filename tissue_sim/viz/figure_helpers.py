"""Shared figure helpers: panel grids, saving, session bands, the shared legend, cuts.

Used by the mechanics and biology figures of a run (:mod:`tissue_sim.viz.mechanics_figures`,
:mod:`tissue_sim.viz.biology_figures`, :mod:`tissue_sim.viz.effect_figures`) and by the
sweep plots (:mod:`tissue_sim.sweep.plots`). Every figure is a
:class:`matplotlib.figure.Figure` built directly (no ``pyplot``: no global figure registry,
so nothing accumulates over many pictures); importing this module does not import pyvista.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from numpy.typing import NDArray

from tissue_sim.io import RunResult
from tissue_sim.viz._style import FIGURE_DPI

if TYPE_CHECKING:
    from tissue_sim.viz._grid import Section

__all__ = [
    "DAY",
    "MM",
    "course_grid",
    "draw_interfaces",
    "draw_section",
    "grid_figure",
    "hide_unused_and_share_legend",
    "label_layers",
    "label_time_axis",
    "layer_thicknesses",
    "panel_grid",
    "save_figure",
    "shade_sessions",
    "stacked_maps",
]

FloatArray = NDArray[np.float64]

#: Millimetres per metre (pictures show lengths in mm).
MM = 1e3
#: Seconds per day (pictures show the course in days).
DAY = 86400.0


def save_figure(figure: Figure, path: Path | str) -> Path:
    """Write a figure as PNG (:data:`~tissue_sim.viz._style.FIGURE_DPI`), release its canvas.

    Parameters
    ----------
    figure
        The figure.
    path
        PNG to write (folders are created).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=FIGURE_DPI)
    figure.clear()
    return path


def grid_figure(
    rows: int,
    columns: int,
    *,
    panel_size: tuple[float, float],
    top: float,
    bottom: float,
    left: float = 0.85,
    right: float = 0.3,
    gap: tuple[float, float] = (0.75, 0.6),
) -> Figure:
    """A figure of ``rows`` × ``columns`` equal panels with fixed margins [inches].

    Regular grids of plots do not need matplotlib's layout engines, which double the
    drawing time; the margins leave room for titles, labels and a bottom legend. Add the
    panels with ``figure.subplots(rows, columns)``.
    """
    width = left + right + columns * panel_size[0] + (columns - 1) * gap[0]
    height = top + bottom + rows * panel_size[1] + (rows - 1) * gap[1]
    figure = Figure(figsize=(width, height))
    figure.subplots_adjust(
        left=left / width,
        right=1.0 - right / width,
        bottom=bottom / height,
        top=1.0 - top / height,
        wspace=gap[0] / panel_size[0],
        hspace=gap[1] / panel_size[1],
    )
    return figure


def course_grid(count: int, columns: int) -> tuple[Figure, NDArray[Any], int]:
    """A :func:`grid_figure` of ``count`` time-course panels (3.6 × 2.3 in) sharing the time axis.

    Parameters
    ----------
    count
        Panels wanted.
    columns
        Most panels per row.

    Returns
    -------
    figure, axes, columns
        The figure, its ``(rows, columns)`` panels and the columns used (1..``count``).
    """
    columns = max(1, min(columns, count))
    rows = -(-count // columns)
    figure = grid_figure(rows, columns, panel_size=(3.6, 2.3), top=0.8, bottom=0.95)
    axes = figure.subplots(rows, columns, squeeze=False, sharex=True)
    return figure, axes, columns


def panel_grid(
    count: int,
    *,
    title: str,
    columns: int = 3,
    panel_size: tuple[float, float] = (4.4, 3.4),
) -> tuple[Figure, list[Axes]]:
    """``count`` panels in rows of ``columns`` under a title; the unused panels hidden.

    The layout is matplotlib's constrained layout, which makes room for colour bars and
    rotated tick labels (the sweep plots have both).

    Parameters
    ----------
    count
        Panels wanted.
    title
        Figure title.
    columns
        Most panels per row.
    panel_size
        Width and height of one panel [inches].

    Returns
    -------
    figure, axes
        The figure and its first ``count`` panels, row by row.
    """
    columns = max(1, min(columns, count))
    rows = -(-count // columns)
    figure = Figure(figsize=(panel_size[0] * columns, panel_size[1] * rows), layout="constrained")
    grid = figure.subplots(rows, columns, squeeze=False)
    panels = list(grid.ravel())
    for extra in panels[count:]:
        extra.set_visible(False)
    figure.suptitle(title)
    return figure, panels[:count]


def stacked_maps(
    aspects: Sequence[float],
    *,
    width: float = 8.8,
    title_space: float = 0.55,
    top: float = 0.1,
    bottom: float = 0.55,
    left: float = 0.9,
    right: float = 0.3,
    gap: float = 0.75,
    bar: str = "bottom",
) -> tuple[Figure, list[Axes], list[Axes]]:
    """Map panels stacked vertically at equal scale, each with room for a 2-line title.

    Parameters
    ----------
    aspects
        Height / width of each panel's data range (equal axes).
    width
        Width of the panels [inches].
    title_space, top, bottom, left, right, gap
        Space above each panel, above the figure, below it (x label), left, right and
        between panels [inches].
    bar
        ``bottom``: one horizontal colour bar under all panels; ``right``: one vertical
        colour bar beside each panel.

    Returns
    -------
    figure, axes, colour-bar axes
    """
    heights = [width * aspect for aspect in aspects]
    bar_space = 0.95 if bar == "bottom" else 0.0
    side = 1.25 if bar == "right" else 0.0
    total_width = left + width + side + right
    total_height = (
        top
        + sum(heights)
        + title_space * len(heights)
        + gap * (len(heights) - 1)
        + bottom
        + bar_space
    )
    figure = Figure(figsize=(total_width, total_height))

    def box(x: float, y: float, w: float, h: float) -> Axes:  # inches → figure fractions
        return figure.add_axes(
            (x / total_width, y / total_height, w / total_width, h / total_height)
        )

    axes: list[Axes] = []
    bars: list[Axes] = []
    y = total_height - top
    for height in heights:
        y -= title_space + height
        axes.append(box(left, y, width, height))
        if bar == "right":
            bars.append(box(left + width + 0.15, y, 0.18, height))
        y -= gap
    if bar == "bottom":
        bars.append(box(left + 0.15 * width, 0.45, 0.7 * width, 0.2))
    return figure, axes, bars


def shade_sessions(ax: Axes, intervals: FloatArray, course: float, *, label: bool) -> bool:
    """Grey bands at the massage sessions (x axis in days).

    Bands narrower than 0.4 % of the course are widened to that so they stay visible.

    Parameters
    ----------
    ax
        The panel.
    intervals
        ``(N, 2)`` session start and end times [s].
    course
        Length of the course [s].
    label
        Give the first band the legend label ``massage session``.

    Returns
    -------
    bool
        True when the bands were widened.
    """
    minimum = 0.004 * course
    widened = False
    for index, (start, end) in enumerate(np.asarray(intervals, dtype=float).reshape(-1, 2)):
        width = end - start
        if width < minimum:
            widened = True
            middle = 0.5 * (start + end)
            start, end = middle - minimum / 2, middle + minimum / 2
        ax.axvspan(
            start / DAY,
            end / DAY,
            color="0.6",
            alpha=0.35,
            lw=0,
            label="massage session" if label and index == 0 else None,
        )
    return widened


def label_time_axis(ax: Axes, index: int, count: int, columns: int) -> None:
    """Label the time axis of the panels in the bottom row of a grid of ``count`` panels."""
    if index >= count - columns:
        ax.set_xlabel("time [days]")
        ax.xaxis.set_tick_params(labelbottom=True)


def hide_unused_and_share_legend(figure: Figure, axes: NDArray[Any], used: int) -> None:
    """Hide the grid's panels past ``used`` and put the first panel's legend below the grid."""
    for ax in axes.flat[used:]:
        ax.set_visible(False)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="lower center", ncols=max(1, len(labels)), fontsize=10)


def layer_thicknesses(result: RunResult) -> dict[str, float]:
    """Layer name → thickness [m], top first, from the interface heights."""
    heights = np.asarray(result.mesh.interfaces, dtype=float)
    thickness = np.diff(heights)[::-1]
    return dict(zip(result.mesh.layer_names, (float(t) for t in thickness), strict=False))


def draw_section(
    ax: Axes,
    section: Section,
    values: FloatArray,
    *,
    cmap: str,
    norm: Normalize,
) -> PolyCollection:
    """Fill the polygons of a cut with a per-cell field ``(m,)`` (coordinates in mm)."""
    collection = PolyCollection(
        [polygon * MM for polygon in section.polygons],
        array=section.cell_values(values),
        cmap=cmap,
        norm=norm,
        edgecolors="face",
        linewidths=0.3,
    )
    ax.add_collection(collection)
    return collection


def draw_interfaces(
    ax: Axes, curves: Sequence[FloatArray], *, colour: str = "black", alpha: float = 0.9
) -> None:
    """The layer interfaces on a cut (from :func:`~tissue_sim.viz._grid.interface_curves`):
    solid for the skin and the base, dashed between layers (coordinates in mm)."""
    for index, curve in enumerate(curves):
        outer = index in (0, len(curves) - 1)
        ax.plot(
            curve[:, 0] * MM,
            curve[:, 1] * MM,
            color=colour,
            linewidth=1.4 if outer else 1.0,
            linestyle="-" if outer else "--",
            alpha=alpha,
        )


def label_layers(ax: Axes, result: RunResult, left: float) -> None:
    """Name and thickness of every layer at its middle height, from ``left`` [mm]."""
    heights = np.asarray(result.mesh.interfaces, dtype=float)[::-1] * MM  # top first
    thickness = layer_thicknesses(result)
    for index, name in enumerate(result.mesh.layer_names):
        middle = 0.5 * (heights[index] + heights[index + 1])
        ax.text(
            left,
            middle,
            f"{name} {thickness[name] * MM:.3g} mm",
            fontsize=9,
            va="center",
            ha="left",
            bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "alpha": 0.75, "lw": 0},
        )
