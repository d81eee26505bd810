"""matplotlib pictures of a run: cuts, per-layer distributions, time courses, final maps.

Every function builds a :class:`matplotlib.figure.Figure` directly (no ``pyplot``: no
global figure registry, so nothing accumulates over many pictures), writes one PNG and
returns its path. Distances are shown in mm, strains in %, pressures in kPa and time in
days; normalised cell-model quantities are relative to healthy tissue (= 1).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyvista as pv
from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection
from matplotlib.colors import Normalize, TwoSlopeNorm
from matplotlib.figure import Figure
from numpy.typing import NDArray

from tissue_sim.io import BiologyOutput, RunResult
from tissue_sim.stimulus import weighted_percentiles
from tissue_sim.viz._grid import (
    CutPlane,
    Section,
    cut_section,
    interface_curves,
    volume_grid,
)
from tissue_sim.viz._loads import SkinLoads, skin_loads
from tissue_sim.viz._style import (
    FIGURE_DPI,
    layer_colours,
    measure_label,
    species_axis_label,
    species_label,
)
from tissue_sim.viz.fields import (
    choose_cut,
    deformation_scale,
    display_unit,
    effective_measure,
    initial_value,
    m2_fraction,
    peak_frame,
)

__all__ = [
    "KEY_SPECIES",
    "draw_section",
    "layer_thicknesses",
    "plot_depth_profiles",
    "plot_final_maps",
    "plot_layer_curves",
    "plot_layer_series",
    "plot_strain_cut",
    "plot_strain_cuts",
    "plot_strain_distributions",
    "plot_time_courses",
    "save_figure",
    "shade_sessions",
]

FloatArray = NDArray[np.float64]

#: Species drawn in the time-course figure, in this order, when the model has them.
KEY_SPECIES = (
    "tgfb1_latent",
    "tgfb1_active",
    "myofibroblast",
    "collagen",
    "il6",
    "il1b",
    "m1",
    "m2",
)

_MM = 1e3
_DAY = 86400.0


def save_figure(figure: Figure, path: Path) -> Path:
    """Write a figure as PNG and release its canvas."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=FIGURE_DPI)
    figure.clear()
    return path


def _grid_figure(
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
    drawing time; the margins leave room for titles, labels and a bottom legend.
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


def _stacked_maps(
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
        [polygon * _MM for polygon in section.polygons],
        array=section.cell_values(values),
        cmap=cmap,
        norm=norm,
        edgecolors="face",
        linewidths=0.3,
    )
    ax.add_collection(collection)
    return collection


def _draw_interfaces(
    ax: Axes, curves: Sequence[FloatArray], *, colour: str = "black", alpha: float = 0.9
) -> None:
    for index, curve in enumerate(curves):
        outer = index in (0, len(curves) - 1)
        ax.plot(
            curve[:, 0] * _MM,
            curve[:, 1] * _MM,
            color=colour,
            linewidth=1.4 if outer else 1.0,
            linestyle="-" if outer else "--",
            alpha=alpha,
        )


def _label_layers(ax: Axes, result: RunResult, left: float) -> None:
    heights = np.asarray(result.mesh.interfaces, dtype=float)[::-1] * _MM  # top first
    thickness = layer_thicknesses(result)
    for index, name in enumerate(result.mesh.layer_names):
        middle = 0.5 * (heights[index] + heights[index + 1])
        ax.text(
            left,
            middle,
            f"{name} {thickness[name] * _MM:.3g} mm",
            fontsize=9,
            va="center",
            ha="left",
            bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "alpha": 0.75, "lw": 0},
        )


def _frame_title(result: RunResult, frame: int) -> str:
    mech = result.mechanics
    technique = mech.step_names[int(mech.frame_step[frame])].replace("_", " ")
    return f"{technique}, frame {frame} (t = {mech.frame_time[frame]:.2f} s into the cycle)"


def _draw_load_arrows(
    ax: Axes, loads: SkinLoads, plane: CutPlane, frame: int, skin_curve: FloatArray, height: float
) -> None:
    """Arrows of the hand's pressure on the skin along the cut, and of its shear."""
    along = np.linspace(skin_curve[0, 0], skin_curve[-1, 0], 49)
    xy = np.zeros((along.size, 2))
    xy[:, plane.along_axis] = along
    xy[:, plane.normal_axis] = plane.offset
    traction = loads.traction(frame, xy)
    if traction is None:
        return
    pressure = np.clip(-traction[:, 2], 0.0, None)
    peak = pressure.max()
    if peak <= 0.0:
        return
    length = 0.16 * height
    surface = np.interp(along, skin_curve[:, 0], skin_curve[:, 1])
    shown = pressure > 0.03 * peak
    for x, z, p in zip(along[shown], surface[shown], pressure[shown], strict=True):
        ax.annotate(
            "",
            xy=(x * _MM, z * _MM),
            xytext=(x * _MM, (z + length * p / peak) * _MM),
            arrowprops={"arrowstyle": "->", "color": "#B2182B", "lw": 1.1},
        )
    centre = along[shown].mean()
    top = (surface[shown].max() + length * 1.12) * _MM
    shear = traction[:, plane.along_axis]
    strongest = int(np.argmax(np.abs(shear)))
    text = f"hand pressure (peak {peak / 1e3:.3g} kPa along the cut)"
    if abs(shear[strongest]) > 1e-6 * peak:
        direction = "→" if shear[strongest] > 0 else "←"
        text += f", shear {abs(shear[strongest]) / 1e3:.2g} kPa {direction}"
    ax.text(centre * _MM, top, text, ha="center", va="bottom", fontsize=9, color="#B2182B")


@dataclass
class _CutPanel:
    frame: int
    plane: CutPlane
    section: Section
    curves: list[FloatArray]
    values: FloatArray
    scale: float


def _cut_panel(result: RunResult, frame: int, measure: str, loads: SkinLoads) -> _CutPanel:
    plane = choose_cut(result, frame, loads)
    grid = volume_grid(result.mesh)
    displacement = result.mechanics.displacement[frame]
    height = float(np.ptp(result.mesh.points[:, 2]))
    scale = deformation_scale(displacement, height)
    section = cut_section(grid, plane, displacement, scale)
    curves = interface_curves(grid, plane, result.mesh.interfaces, displacement, scale)
    factor, _ = display_unit(measure, result.mechanics.units.get(measure, "1"))
    values = factor * result.mechanics.cell_scalars[measure][frame]
    return _CutPanel(frame, plane, section, curves, values, scale)


def plot_strain_cuts(
    result: RunResult,
    path: Path,
    frames: Sequence[int],
    *,
    measure: str | None = None,
    titles: Sequence[str] | None = None,
    loads: SkinLoads | None = None,
) -> Path:
    """Strain on vertical cuts through the load centre of several frames, one colour scale.

    Each panel shows the deformed shape (true scale unless the displacement is tiny;
    the factor is stated), the layer interfaces moved with the tissue, the layer names
    and thicknesses, and arrows of the hand's pressure on the skin along the cut.

    Parameters
    ----------
    result
        The run.
    path
        PNG to write.
    frames
        Load frames, one panel each (stacked).
    measure
        Cell scalar to show (default: the run's effective strain measure).
    titles
        Panel titles (default: the technique and frame).
    loads
        Skin loads (rebuilt from the result when not given).
    """
    measure = measure or effective_measure(result)
    loads = loads or skin_loads(result)
    panels = [_cut_panel(result, frame, measure, loads) for frame in frames]
    shown = np.concatenate([panel.section.cell_values(panel.values) for panel in panels])
    top = float(np.percentile(shown, 99.5)) if shown.size else 1.0
    bottom = min(0.0, float(shown.min())) if shown.size else 0.0
    norm = Normalize(vmin=bottom, vmax=max(top, bottom + 1e-12))
    _, unit = display_unit(measure, result.mechanics.units.get(measure, "1"))
    height = float(np.ptp(result.mesh.points[:, 2]))

    span = float(np.ptp(result.mesh.points[:, panels[0].plane.along_axis]))
    figure, axes, bars = _stacked_maps([1.4 * height / span] * len(panels), bottom=0.3)
    collection = None
    for index, (ax, panel) in enumerate(zip(axes, panels, strict=True)):
        collection = draw_section(ax, panel.section, panel.values, cmap="viridis", norm=norm)
        _draw_interfaces(ax, panel.curves, colour="white")
        _draw_load_arrows(ax, loads, panel.plane, panel.frame, panel.curves[-1], height)
        _label_layers(ax, result, float(panel.curves[0][0, 0] * _MM) + 1.0)
        ax.set_xlim(panel.curves[0][0, 0] * _MM, panel.curves[0][-1, 0] * _MM)
        ax.set_ylim(-0.02 * height * _MM, 1.38 * height * _MM)
        ax.set_xlabel(f"{panel.plane.along_name} [mm] (along the cut)")
        ax.set_ylabel("height above the bone z [mm]")
        deformation = "true scale" if panel.scale == 1.0 else f"displacement drawn ×{panel.scale:g}"
        heading = (
            titles[index]
            if titles
            else f"{measure_label(measure).capitalize()} — {_frame_title(result, panel.frame)}"
        )
        ax.set_title(
            f"{heading}\n{panel.plane.description}; deformed shape, {deformation}", fontsize=11
        )
    assert collection is not None
    extend = "max" if shown.size and shown.max() > top else "neither"
    bar = figure.colorbar(collection, cax=bars[0], orientation="horizontal", extend=extend)
    bar.set_label(f"{measure_label(measure)} [{unit}]")
    return save_figure(figure, path)


def plot_strain_cut(
    result: RunResult,
    path: Path,
    *,
    frame: int | None = None,
    measure: str | None = None,
    loads: SkinLoads | None = None,
) -> Path:
    """Strain on the vertical cut through the load centre, on the deformed shape.

    Parameters
    ----------
    result
        The run.
    path
        PNG to write.
    frame
        Load frame (default: the one with the largest strain).
    measure
        Cell scalar to show (default: the run's effective strain measure).
    loads
        Skin loads (rebuilt from the result when not given).
    """
    measure = measure or effective_measure(result)
    frame = peak_frame(result, measure) if frame is None else frame
    return plot_strain_cuts(result, path, [frame], measure=measure, loads=loads)


def plot_depth_profiles(
    result: RunResult,
    path: Path,
    frames: Sequence[int],
    labels: Sequence[str],
    *,
    measures: Sequence[str] = ("max_principal_strain", "max_shear_strain"),
    loads: SkinLoads | None = None,
) -> Path:
    """Strain against depth below the skin, under the centre of the load.

    One panel per measure, one line per frame; the layers are shaded and named.

    Parameters
    ----------
    result
        The run.
    path
        PNG to write.
    frames, labels
        Load frames and their legend labels.
    measures
        Cell scalars, one panel each (log scale, %).
    loads
        Skin loads (rebuilt from the result when not given).
    """
    loads = loads or skin_loads(result)
    grid = volume_grid(result.mesh)
    top = float(result.mesh.points[:, 2].max())
    bottom = float(result.mesh.points[:, 2].min())
    span = top - bottom
    line_colours = ("#1B4F72", "#C0392B", "#117A65", "#7D3C98")
    figure = Figure(figsize=(5.4 * len(measures), 6.0), layout="constrained")
    axes = figure.subplots(1, len(measures), squeeze=False, sharey=True)[0]
    heights = np.asarray(result.mesh.interfaces, dtype=float)[::-1]
    colours = layer_colours(result.mesh.layer_names)
    for ax, measure in zip(axes, measures, strict=True):
        factor, unit = display_unit(measure, result.mechanics.units.get(measure, "1"))
        for index, name in enumerate(result.mesh.layer_names):
            upper, lower = (top - heights[index]) * _MM, (top - heights[index + 1]) * _MM
            ax.axhspan(upper, lower, color=colours[name], alpha=0.18, lw=0)
        for number, (frame, label) in enumerate(zip(frames, labels, strict=True)):
            centre = choose_cut(result, frame, loads).centre
            line = pv.Line(
                (centre[0], centre[1], bottom + 1e-5 * span),
                (centre[0], centre[1], top - 1e-5 * span),
                resolution=400,
            )
            grid.cell_data["profile"] = result.mechanics.cell_scalars[measure][frame]
            sampled = line.sample(grid)
            depth = (top - np.asarray(sampled.points[:, 2])) * _MM
            values = np.maximum(factor * np.asarray(sampled.point_data["profile"]), 1e-4)
            ax.plot(values, depth, color=line_colours[number % 4], lw=2.0, label=label)
        ax.set_xscale("log")
        ax.set_xlabel(f"{measure_label(measure)} [{unit}] (log scale)")
        ax.set_title(measure_label(measure).capitalize(), fontsize=11)
        ax.grid(True, which="major", alpha=0.3)
    axes[0].set_ylim(span * _MM, 0.0)
    axes[0].set_ylabel("depth below the skin [mm]")
    for index, name in enumerate(result.mesh.layer_names):
        middle = (top - 0.5 * (heights[index] + heights[index + 1])) * _MM
        axes[-1].text(
            1.02, middle, name, transform=axes[-1].get_yaxis_transform(), va="center", fontsize=10
        )
    axes[0].legend(fontsize=9, loc="lower left")
    figure.suptitle(
        "How deep the load travels: strain straight under the centre of the hand", fontsize=12
    )
    return save_figure(figure, path)


def _weighted_box(values: FloatArray, weights: FloatArray, label: str) -> dict[str, object]:
    p5, q1, median, q3, p95 = weighted_percentiles(values, weights, [5, 25, 50, 75, 95])
    mean = float(np.sum(values * weights) / np.sum(weights))
    return {
        "label": label,
        "whislo": p5,
        "q1": q1,
        "med": median,
        "q3": q3,
        "whishi": p95,
        "mean": mean,
        "fliers": [float(values.max())],
    }


def plot_strain_distributions(
    result: RunResult,
    path: Path,
    *,
    measures: Sequence[str] = ("max_principal_strain", "max_shear_strain"),
) -> Path:
    """Volume-weighted distributions per layer of the peak strains over the loading cycle.

    Each cell contributes its largest value over all load frames, weighted by its volume:
    boxes span the 25th–75th percentiles with the median, whiskers the 5th–95th, a
    diamond marks the mean and a dot the maximum.

    Parameters
    ----------
    result
        The run.
    path
        PNG to write.
    measures
        Cell scalars, one panel each.
    """
    mech = result.mechanics
    layers = result.mesh.layer_names
    colours = layer_colours(layers)
    volume = result.mesh.cell_volume
    shown = [m for m in measures if m in mech.cell_scalars]
    figure = _grid_figure(1, len(shown), panel_size=(4.4, 3.9), top=0.85, bottom=0.6)
    axes = figure.subplots(1, len(shown), squeeze=False)[0]
    floor = 1e-4  # % — smaller strains are drawn at the bottom edge of the log axis
    for ax, measure in zip(axes, shown, strict=True):
        factor, unit = display_unit(measure, mech.units.get(measure, "1"))
        peak = factor * np.max(np.abs(mech.cell_scalars[measure]), axis=0)
        stats = []
        for index, name in enumerate(layers):
            members = result.mesh.cell_layer == index
            stats.append(_weighted_box(np.maximum(peak[members], floor), volume[members], name))
        boxes = ax.bxp(
            stats,
            showmeans=True,
            showfliers=True,
            patch_artist=True,
            widths=0.6,
            medianprops={"color": "black", "lw": 1.6},
            meanprops={"marker": "D", "markerfacecolor": "white", "markeredgecolor": "black"},
            flierprops={"marker": "o", "markerfacecolor": "black", "markersize": 5},
        )
        for patch, name in zip(boxes["boxes"], layers, strict=True):
            patch.set_facecolor(colours[name])
            patch.set_alpha(0.8)
        ax.set_yscale("log")
        ax.set_ylabel(f"largest value in the cycle, per cell [{unit}]")
        ax.set_title(measure_label(measure).capitalize(), fontsize=11)
        ax.grid(True, axis="y", which="major", alpha=0.3)
        ax.set_xlabel("layer (top to bottom)")
    figure.suptitle(
        "How much each layer is strained (volume-weighted over the whole layer)\n"
        "box: 25–75 %, line: median, whiskers: 5–95 %, ◇ mean, ● maximum",
        fontsize=11,
    )
    return save_figure(figure, path)


def shade_sessions(ax: Axes, intervals: FloatArray, course: float, *, label: bool) -> bool:
    """Grey bands at the massage sessions (x axis in days).

    Bands narrower than 0.4 % of the course are widened to that so they stay visible.

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
            start / _DAY,
            end / _DAY,
            color="0.6",
            alpha=0.35,
            lw=0,
            label="massage session" if label and index == 0 else None,
        )
    return widened


def _species_series(biology: BiologyOutput, layer: str, name: str) -> FloatArray:
    data = biology.layers[layer]
    if name == "m2_fraction":
        return m2_fraction(data["m1"][:, 0], data["m2"][:, 0])[:, None].repeat(3, axis=1)
    return np.asarray(data[name])


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
    """Per-layer time courses of the key species over the course, sessions shaded.

    Lines are volume-weighted layer means, bands the 10th–90th percentiles.

    Parameters
    ----------
    result
        The run (must have biology).
    path
        PNG to write.
    species
        Species to draw (default: :data:`KEY_SPECIES` present in the model, and the M2
        share when M1 and M2 are modelled).
    columns
        Panels per row.
    reference
        Optional species → values at ``result.biology.time`` drawn as a dashed black line
        in every panel (e.g. the same course without massage).
    reference_label
        Legend label of the reference line.
    title
        Figure title (default: a description of the lines and bands).
    """
    biology = result.biology
    if biology is None:
        raise ValueError("this result has no biology")
    if species is None:
        names = [s for s in KEY_SPECIES if s in biology.species] or list(biology.species[:8])
        if "m1" in biology.species and "m2" in biology.species:
            names.append("m2_fraction")
    else:
        names = list(species)
    columns = max(1, min(columns, len(names)))
    rows = -(-len(names) // columns)
    figure = _grid_figure(rows, columns, panel_size=(3.6, 2.3), top=0.8, bottom=0.95)
    axes = figure.subplots(rows, columns, squeeze=False, sharex=True)
    colours = layer_colours(result.mesh.layer_names)
    days = biology.time / _DAY
    course = float(biology.time[-1]) if biology.time.size else 1.0
    widened = False
    for index, name in enumerate(names):
        ax = axes.flat[index]
        widened |= shade_sessions(ax, biology.session_intervals, course, label=index == 0)
        for layer in result.mesh.layer_names:
            if layer not in biology.layers:
                continue
            series = _species_series(biology, layer, name)
            colour = colours[layer]
            ax.fill_between(days, series[:, 1], series[:, 2], color=colour, alpha=0.18, lw=0)
            ax.plot(days, series[:, 0], color=colour, lw=1.6, label=layer)
        if reference is not None and name in reference:
            ax.plot(days, reference[name], color="black", lw=1.4, ls="--", label=reference_label)
        ax.set_title(species_label(name), fontsize=11)
        ax.set_ylabel(species_axis_label(name, biology.units.get(name, "1")), fontsize=9)
        ax.grid(True, alpha=0.3)
        _label_time_axis(ax, index, len(names), columns)
    _hide_unused_and_share_legend(figure, axes, len(names))
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
    columns = max(1, min(columns, len(panels)))
    rows = -(-len(panels) // columns)
    figure = _grid_figure(rows, columns, panel_size=(3.6, 2.3), top=0.8, bottom=0.95)
    axes = figure.subplots(rows, columns, squeeze=False, sharex=True)
    days = np.asarray(time, dtype=float) / _DAY
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
        _label_time_axis(ax, index, len(panels), columns)
    _hide_unused_and_share_legend(figure, axes, len(panels))
    figure.suptitle(title, fontsize=11)
    return save_figure(figure, path)


def plot_final_maps(result: RunResult, path: Path, *, loads: SkinLoads | None = None) -> Path:
    """Maps on the vertical cut at the final time, per cell against the untreated control.

    With a control (every run since format version 2): treated ÷ untreated − 1 [%] of the
    three shown species the massage changed most. Without one: the change of TGF-β1 from
    the start, the M2 share and IL-6.

    Parameters
    ----------
    result
        The run (must have biology with stored fields).
    path
        PNG to write.
    loads
        Skin loads, to place the cut as in :func:`plot_strain_cut`.
    """
    biology = result.biology
    if biology is None or biology.field_times.size == 0:
        raise ValueError("this result has no biology fields")
    loads = loads or skin_loads(result)
    plane = choose_cut(result, peak_frame(result), loads)
    grid = volume_grid(result.mesh)
    section = cut_section(grid, plane)
    curves = interface_curves(grid, plane, result.mesh.interfaces)
    panels = _final_panels(biology)
    width = float(np.ptp(result.mesh.points[:, plane.along_axis]))
    height = float(np.ptp(result.mesh.points[:, 2]))
    figure, axes, bars = _stacked_maps(
        [height / width] * len(panels), title_space=0.4, top=0.55, gap=0.2, bar="right"
    )
    for ax, cax, (title, unit, values, diverging) in zip(axes, bars, panels, strict=True):
        shown = section.cell_values(values)
        if diverging:
            reach = float(np.percentile(np.abs(shown), 99.5)) if shown.size else 1.0
            reach = max(reach, 1e-9)
            norm: Normalize = TwoSlopeNorm(vcenter=0.0, vmin=-reach, vmax=reach)
            cmap = "RdBu_r"
        else:
            low, high = (float(shown.min()), float(shown.max())) if shown.size else (0, 1)
            norm = Normalize(vmin=low, vmax=high if high > low else low + 1e-9)
            cmap = "viridis"
        collection = draw_section(ax, section, values, cmap=cmap, norm=norm)
        _draw_interfaces(ax, curves, colour="black" if diverging else "white")
        _label_layers(ax, result, float(curves[0][0, 0] * _MM) + 1.0)
        ax.set_xlim(curves[0][0, 0] * _MM, curves[0][-1, 0] * _MM)
        ax.set_ylim(curves[0][0, 1] * _MM, curves[-1][0, 1] * _MM)
        ax.set_ylabel("z [mm]")
        ax.set_title(title, fontsize=11)
        if ax is not axes[-1]:
            ax.xaxis.set_tick_params(labelbottom=False)
        bar = figure.colorbar(collection, cax=cax)
        bar.set_label(unit)
    axes[-1].set_xlabel(f"{plane.along_name} [mm] (along the cut)")
    day = biology.field_times[-1] / _DAY
    figure.suptitle(
        f"Cells at the end of the course (day {day:g}), {plane.description} through the "
        "treated area",
        fontsize=12,
        y=1.0 - 0.12 / figure.get_figheight(),
        va="top",
    )
    return save_figure(figure, path)


def _final_panels(biology: BiologyOutput) -> list[tuple[str, str, FloatArray, bool]]:
    if biology.control_fields:
        against_control = _effect_panels(biology)
        if against_control:
            return against_control
    fields = biology.fields
    panels: list[tuple[str, str, FloatArray, bool]] = []
    for name in ("tgfb1_active", "tgfb1_latent"):
        if name in fields:
            start = initial_value(biology, name)
            if start != 0.0:
                change = 100.0 * (fields[name][-1] - start) / start
                title = f"Change of {species_label(name)} from the start of the course"
                panels.append((title, "change [%]", change, True))
                break
    if "m1" in fields and "m2" in fields:
        share = m2_fraction(fields["m1"][-1], fields["m2"][-1])
        title = "Share of repair-type macrophages M2/(M1+M2)"
        panels.append((title, "M2/(M1+M2) [–]", share, False))
    if "il6" in fields:
        unit = species_axis_label("il6", biology.units.get("il6", "1"))
        panels.append(("IL-6 (an inflammatory messenger)", unit, fields["il6"][-1], False))
    if not panels:
        name = biology.species[0]
        unit = species_axis_label(name, biology.units.get(name, "1"))
        panels.append((species_label(name), unit, fields[name][-1], False))
    return panels


def _effect_panels(
    biology: BiologyOutput, count: int = 3
) -> list[tuple[str, str, FloatArray, bool]]:
    """Per cell at the end: treated ÷ untreated − 1 [%] of the shown species the massage
    changed most (largest unweighted mean of |change| over the cells)."""
    candidates = []
    for name in biology.shown_species():
        treated = biology.fields.get(name)
        untreated = biology.control_fields.get(name)
        if treated is None or untreated is None or not np.all(untreated[-1] != 0.0):
            continue
        change = 100.0 * (treated[-1] / untreated[-1] - 1.0)
        candidates.append((float(np.mean(np.abs(change))), name, change))
    candidates.sort(key=lambda item: -item[0])
    label = biology.species_labels.get
    return [
        (
            f"{label(name) or species_label(name)}: treated vs untreated",
            "treated ÷ untreated − 1 [%]",
            change,
            True,
        )
        for _, name, change in candidates[:count]
    ]


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
    figure = _grid_figure(rows, columns, panel_size=(4.4, 3.3), top=0.7, bottom=0.65)
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


def _label_time_axis(ax: Axes, index: int, count: int, columns: int) -> None:
    """Label the time axis of the panels in the bottom row of a grid of ``count`` panels."""
    if index >= count - columns:
        ax.set_xlabel("time [days]")
        ax.xaxis.set_tick_params(labelbottom=True)


def _hide_unused_and_share_legend(figure: Figure, axes: NDArray[Any], used: int) -> None:
    """Hide the grid's panels past ``used`` and put the first panel's legend below the grid."""
    for ax in axes.flat[used:]:
        ax.set_visible(False)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="lower center", ncols=len(labels), fontsize=10)
