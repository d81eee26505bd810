"""Mechanics figures of a run: strain on cuts through the load, depth profiles, distributions.

* :func:`plot_strain_cut` / :func:`plot_strain_cuts` — the effective strain on the vertical
  cut through the load centre, on the deformed shape, with the layer interfaces and the
  hand's pressure;
* :func:`plot_depth_profiles` — strain against depth under the load centre;
* :func:`plot_strain_distributions` — per-layer, volume-weighted distributions of the peak
  strains over the cycle.

Distances are shown in mm, strains in %, pressures in kPa. Each function writes one PNG
and returns its path.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyvista as pv
from matplotlib.axes import Axes
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from numpy.typing import NDArray

from tissue_sim.geometry.layer_statistics import weighted_percentiles
from tissue_sim.io import RunResult
from tissue_sim.viz._grid import CutPlane, Section, cut_section, interface_curves, volume_grid
from tissue_sim.viz._loads import SkinLoads, skin_loads
from tissue_sim.viz._style import layer_colours, measure_label
from tissue_sim.viz.fields import (
    choose_cut,
    deformation_scale,
    display_unit,
    effective_measure,
    peak_frame,
)
from tissue_sim.viz.figure_helpers import (
    MM,
    draw_interfaces,
    draw_section,
    grid_figure,
    label_layers,
    save_figure,
    stacked_maps,
)

__all__ = [
    "plot_depth_profiles",
    "plot_strain_cut",
    "plot_strain_cuts",
    "plot_strain_distributions",
]

FloatArray = NDArray[np.float64]


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
            xy=(x * MM, z * MM),
            xytext=(x * MM, (z + length * p / peak) * MM),
            arrowprops={"arrowstyle": "->", "color": "#B2182B", "lw": 1.1},
        )
    centre = along[shown].mean()
    top = (surface[shown].max() + length * 1.12) * MM
    shear = traction[:, plane.along_axis]
    strongest = int(np.argmax(np.abs(shear)))
    text = f"hand pressure (peak {peak / 1e3:.3g} kPa along the cut)"
    if abs(shear[strongest]) > 1e-6 * peak:
        direction = "→" if shear[strongest] > 0 else "←"
        text += f", shear {abs(shear[strongest]) / 1e3:.2g} kPa {direction}"
    ax.text(centre * MM, top, text, ha="center", va="bottom", fontsize=9, color="#B2182B")


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
    figure, axes, bars = stacked_maps([1.4 * height / span] * len(panels), bottom=0.3)
    collection = None
    for index, (ax, panel) in enumerate(zip(axes, panels, strict=True)):
        collection = draw_section(ax, panel.section, panel.values, cmap="viridis", norm=norm)
        draw_interfaces(ax, panel.curves, colour="white")
        _draw_load_arrows(ax, loads, panel.plane, panel.frame, panel.curves[-1], height)
        label_layers(ax, result, float(panel.curves[0][0, 0] * MM) + 1.0)
        ax.set_xlim(panel.curves[0][0, 0] * MM, panel.curves[0][-1, 0] * MM)
        ax.set_ylim(-0.02 * height * MM, 1.38 * height * MM)
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
            upper, lower = (top - heights[index]) * MM, (top - heights[index + 1]) * MM
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
            depth = (top - np.asarray(sampled.points[:, 2])) * MM
            values = np.maximum(factor * np.asarray(sampled.point_data["profile"]), 1e-4)
            ax.plot(values, depth, color=line_colours[number % 4], lw=2.0, label=label)
        ax.set_xscale("log")
        ax.set_xlabel(f"{measure_label(measure)} [{unit}] (log scale)")
        ax.set_title(measure_label(measure).capitalize(), fontsize=11)
        ax.grid(True, which="major", alpha=0.3)
    axes[0].set_ylim(span * MM, 0.0)
    axes[0].set_ylabel("depth below the skin [mm]")
    for index, name in enumerate(result.mesh.layer_names):
        middle = (top - 0.5 * (heights[index] + heights[index + 1])) * MM
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
    figure = grid_figure(1, len(shown), panel_size=(4.4, 3.9), top=0.85, bottom=0.6)
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
