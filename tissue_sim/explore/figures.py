"""The explorer's pictures: the strain section (pyvista) and the effect plot (matplotlib).

* :class:`SectionScene` — an off-screen pyvista plotter (EGL, no display) showing the
  peak effective strain of every cell on the vertical section ``y = 0`` under the hand,
  the layer boundaries as black lines with the layers' names, the loaded stretch of
  skin in red, axes in mm and a colour bar in %; the trame page streams its renders.
* :func:`effect_png` — treated (solid) and untreated control (dashed) layer means of one
  species over the course, and their ratio, as a PNG.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from itertools import pairwise
from typing import Any, cast

import numpy as np
from numpy.typing import NDArray

from tissue_sim.geometry.mesh import Mesh
from tissue_sim.io import BiologyOutput

__all__ = [
    "LAYER_COLOURS",
    "SectionScene",
    "effect_png",
    "layer_colour",
    "section_cells",
    "species_label",
]

FloatArray = NDArray[np.float64]

#: Okabe–Ito colours (readable with colour-vision deficiency), as in the run's figures.
LAYER_COLOURS = {
    "skin": "#E69F00",
    "adipose": "#56B4E9",
    "fascia": "#009E73",
    "fascia_loose": "#0072B2",
    "muscle": "#CC79A7",
}
_SPARE = ("#D55E00", "#999999", "#000000", "#F0E442")


def layer_colour(name: str, index: int) -> str:
    """The colour of a layer (a spare one for layers without their own)."""
    return LAYER_COLOURS.get(name, _SPARE[index % len(_SPARE)])


def species_label(biology: BiologyOutput, species: str) -> str:
    """The model's plain-language label of a species (its name without one)."""
    return biology.species_labels.get(species, species)


def section_cells(mesh: Mesh) -> NDArray[np.int64]:
    """Cells cut by the plane ``y = 0`` (just on its positive side when a cell face lies
    on it) [-]."""
    vertices = mesh.points[mesh.linear_cells()]
    y_min, y_max = vertices[..., 1].min(axis=1), vertices[..., 1].max(axis=1)
    tolerance = 1e-9 * float(np.ptp(mesh.points[:, 1]))
    return np.flatnonzero((y_min <= tolerance) & (y_max > tolerance))


def _spread(heights: Sequence[float], interfaces: Sequence[float]) -> list[float]:
    """Label heights at least 6 % of the stack apart (thin layers' labels do not overlap),
    kept within the stack [mm]."""
    total = interfaces[-1] - interfaces[0]
    gap = 0.06 * total
    placed: list[float] = []
    for height in heights:
        placed.append(max(height, placed[-1] + gap) if placed else height)
    overflow = placed[-1] - interfaces[-1]
    if overflow > 0.0:
        placed = [height - overflow for height in placed]
        for index in range(len(placed) - 2, -1, -1):
            placed[index] = min(placed[index], placed[index + 1] - gap)
    return placed


class SectionScene:
    """The strain on the vertical section under the hand, rendered off-screen.

    Parameters
    ----------
    window_size
        Render size in pixels ``(width, height)``.
    """

    def __init__(self, window_size: tuple[int, int] = (760, 460)) -> None:
        import pyvista as pv

        # typed loosely: pyvista's decorated methods confuse mypy
        self.plotter: Any = cast(Any, pv.Plotter(off_screen=True, window_size=list(window_size)))
        self.plotter.set_background("white")

    def update(
        self,
        mesh: Mesh,
        dose: FloatArray,
        *,
        clim: float,
        loaded_x: tuple[float, float] | None,
        title: str,
    ) -> None:
        """Draw the section of ``mesh`` coloured by ``dose`` (fraction, shown in %).

        Parameters
        ----------
        mesh
            The mesh.
        dose
            ``(m,)`` peak effective strain per cell [-].
        clim
            Top of the colour scale [%].
        loaded_x
            x range of the loaded skin [m] (the patch, or the stroke's sweep), or ``None``.
        title
            Line drawn above the section.
        """
        import pyvista as pv

        plotter = self.plotter
        plotter.clear_actors()
        for name in list(plotter.scalar_bars.keys()):
            plotter.remove_scalar_bar(name)
        cells = section_cells(mesh)
        vertices = mesh.points[mesh.linear_cells()[cells]] * 1000.0  # mm
        x0, x1 = vertices[..., 0].min(axis=1), vertices[..., 0].max(axis=1)
        z0, z1 = vertices[..., 2].min(axis=1), vertices[..., 2].max(axis=1)
        zero = np.zeros_like(x0)
        # one rectangle per cut cell (the cells are boxes): corners anticlockwise in x-z
        points = np.stack(
            [
                np.column_stack([x0, zero, z0]),
                np.column_stack([x1, zero, z0]),
                np.column_stack([x1, zero, z1]),
                np.column_stack([x0, zero, z1]),
            ],
            axis=1,
        ).reshape(-1, 3)
        faces = np.column_stack(
            [np.full(cells.size, 4), np.arange(4 * cells.size).reshape(-1, 4)]
        ).ravel()
        surface = pv.PolyData(points, faces=faces)
        label = "peak effective strain over a cycle [%]"
        surface.cell_data[label] = 100.0 * dose[cells]
        plotter.add_mesh(
            surface,
            scalars=label,
            cmap="viridis",
            clim=(0.0, clim),
            show_edges=False,
            scalar_bar_args={
                "title": label,
                "vertical": False,
                "position_x": 0.18,
                "position_y": 0.84,
                "width": 0.64,
                "height": 0.08,
                "color": "black",
                "title_font_size": 14,
                "label_font_size": 12,
                "n_labels": 5,
                "fmt": "%.0f",
            },
        )
        x_min, x_max = float(points[:, 0].min()), float(points[:, 0].max())
        interfaces = [1000.0 * z for z in mesh.interfaces]
        for z in interfaces:
            plotter.add_mesh(
                pv.Line((x_min, -0.5, z), (x_max, -0.5, z)), color="black", line_width=2
            )
        names = list(mesh.layer_names[::-1])  # interfaces run bottom → top
        label_heights = _spread([0.5 * (a + b) for a, b in pairwise(interfaces)], interfaces)
        plotter.add_point_labels(
            np.array([[x_max + 2.0, -1.0, z] for z in label_heights]),
            [
                f"{name} ({b - a:.2g} mm)"
                for name, (a, b) in zip(names, pairwise(interfaces), strict=True)
            ],
            font_size=12,
            point_size=1,
            shape=None,
            show_points=False,
            justification_horizontal="left",
            text_color="black",
            always_visible=True,
        )
        top = interfaces[-1]
        if loaded_x is not None:
            a, b = 1000.0 * loaded_x[0], 1000.0 * loaded_x[1]
            plotter.add_mesh(pv.Line((a, -1.0, top), (b, -1.0, top)), color="red", line_width=6)
        plotter.show_bounds(
            bounds=(x_min, x_max, 0.0, 0.0, 0.0, top),
            xtitle="x [mm]",
            ytitle="",
            ztitle="height above bone z [mm]",
            color="black",
            font_size=10,
            location="outer",
            ticks="outside",
            show_yaxis=False,
            show_ylabels=False,
        )
        plotter.add_text(title, position="upper_left", font_size=9, color="black")
        plotter.view_xz()
        plotter.camera.zoom(1.3)

    def screenshot(self) -> NDArray[np.uint8]:
        """The current picture ``(height, width, 3)``."""
        return np.asarray(self.plotter.screenshot(return_img=True))

    def close(self) -> None:
        """Release the render window."""
        self.plotter.close()


def effect_png(
    biology: BiologyOutput,
    species: str,
    *,
    title: str,
    size: tuple[float, float] = (7.6, 4.6),
    dpi: int = 100,
) -> bytes:
    """Treated vs untreated control per layer over the course, and their ratio, as PNG.

    Parameters
    ----------
    biology
        Treated course and control (layer summaries).
    species
        The species shown.
    title
        Figure title.
    size, dpi
        Figure size [in] and resolution [dots per inch].
    """
    from matplotlib.figure import Figure

    figure = Figure(figsize=size, dpi=dpi, layout="constrained")
    treated_axes, ratio_axes = figure.subplots(1, 2)
    day = biology.time / 86400.0
    unit = biology.units.get(species, "1")
    label = species_label(biology, species)
    ratio = biology.effect_ratio
    layers: Sequence[str] = list(biology.layers)
    for index, layer in enumerate(layers):
        colour = layer_colour(layer, index)
        treated = biology.layers[layer][species][:, 0]
        treated_axes.plot(day, treated, color=colour, lw=1.6, label=layer)
        if biology.control is not None and layer in biology.control:
            control = biology.control[layer][species][:, 0]
            treated_axes.plot(day, control, color=colour, lw=1.0, ls="--")
        if layer in ratio:
            ratio_axes.plot(day, ratio[layer][species][:, 0], color=colour, lw=1.6, label=layer)
    for start, _ in biology.session_intervals:
        for axes in (treated_axes, ratio_axes):
            axes.axvline(start / 86400.0, color="0.85", lw=0.6, zorder=0)
    treated_axes.set_xlabel("time [days]")
    treated_axes.set_ylabel(f"{label} [{unit}]")
    treated_axes.set_title("layer mean: treated (solid), untreated (dashed)", fontsize=9)
    ratio_axes.axhline(1.0, color="black", lw=0.8)
    ratio_axes.set_xlabel("time [days]")
    ratio_axes.set_ylabel("treated ÷ untreated [-]")
    ratio_axes.set_title("treatment effect (1 = none; grey: sessions)", fontsize=9)
    handles, labels = ratio_axes.get_legend_handles_labels()
    figure.legend(handles, labels, loc="outside lower center", ncols=len(labels), fontsize=8)
    figure.suptitle(title, fontsize=10)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
