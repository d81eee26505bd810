"""pyvista 3D scenes: the tissue block cut open at the load, with the hand's contact patch.

Rendering is off-screen by default (EGL, no display needed); every plotter is closed
when its picture is written, so long sweeps do not accumulate render windows.
"""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import numpy as np
import pyvista as pv
from numpy.typing import NDArray

from tissue_sim.errors import InputError
from tissue_sim.io import RunResult
from tissue_sim.viz._grid import CutPlane, interface_points, volume_grid
from tissue_sim.viz._loads import SkinLoads, skin_loads
from tissue_sim.viz.fields import CellField, choose_cut, deformation_scale, peak_frame

__all__ = ["display_available", "render_block", "scene_plotter", "vtk_text"]

FloatArray = NDArray[np.float64]

_FIELD = "field"
_DISPLACEMENT = "displacement"
_PRESSURE = "pressure"
_PATCH_COLOUR = "#C00000"
_SWEPT_COLOUR = "#E66101"


_VTK_TEXT = str.maketrans(
    {"β": "beta", "α": "alpha", "μ": "u", "−": "-", "–": "-", "—": "-", "×": "x", "²": "^2"}
)


def vtk_text(text: str) -> str:
    """Text that VTK's default font can draw (Greek letters and dashes spelled out)."""
    return text.translate(_VTK_TEXT)


def display_available() -> bool:
    """True when an interactive window can open (an X or Wayland display is set)."""
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


if not display_available():
    # off-screen rendering through EGL: no X server needed (and no warning about one)
    os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")


def _clip_behind(grid: pv.UnstructuredGrid, plane: CutPlane) -> pv.UnstructuredGrid:
    """The part of the block behind the cut (the cut face looks at the camera)."""
    normal = [0.0, 0.0, 0.0]
    normal[plane.normal_axis] = 1.0
    origin = [0.0, 0.0, 0.0]
    origin[plane.normal_axis] = plane.offset
    return grid.clip(normal=normal, origin=origin, invert=True)


def _warped(mesh: pv.DataSet, scale: float) -> pv.DataSet:
    if _DISPLACEMENT not in mesh.point_data:
        return mesh
    return mesh.warp_by_vector(_DISPLACEMENT, factor=scale)


def _skin_plane(result: RunResult, top: float, resolution: int = 160) -> pv.PolyData:
    """A fine grid on the skin plane (smooth patch outlines on coarse meshes)."""
    lower = result.mesh.points.min(axis=0)
    upper = result.mesh.points.max(axis=0)
    centre = 0.5 * (lower + upper)
    return pv.Plane(
        center=(centre[0], centre[1], top),
        direction=(0.0, 0.0, 1.0),
        i_size=float(upper[0] - lower[0]),
        j_size=float(upper[1] - lower[1]),
        i_resolution=resolution,
        j_resolution=resolution,
    )


def _patch_outlines(
    result: RunResult, grid: pv.UnstructuredGrid, loads: SkinLoads, frame: int
) -> tuple[pv.PolyData | None, pv.PolyData | None, str]:
    """Outlines on the skin: the contact at ``frame`` and the area swept over its step."""
    skin = _skin_plane(result, loads.top)
    xy = np.asarray(skin.points[:, :2], dtype=float)
    step = int(result.mechanics.frame_step[frame])
    if loads.frames is not None:
        same_step = np.flatnonzero(result.mechanics.frame_step == step)
        per_frame = {
            int(k): np.clip(-loads.traction(int(k), xy)[:, 2], 0.0, None)  # type: ignore[index]
            for k in same_step
        }
        pressure = per_frame[frame]
        swept = np.max(list(per_frame.values()), axis=0)
        label = "hand contact"
        fraction = 0.02
    else:
        # estimate: where the skin sinks by more than half its largest sink
        source = grid.copy(deep=False)
        source.point_data[_DISPLACEMENT] = result.mechanics.displacement[frame]
        inset = skin.copy()
        inset.points[:, 2] -= 1e-5 * float(np.ptp(result.mesh.points[:, 2]))
        sampled = inset.sample(source)
        pressure = np.clip(-np.asarray(sampled.point_data[_DISPLACEMENT])[:, 2], 0.0, None)
        swept = pressure
        label = "loaded area (estimated from the skin's displacement)"
        fraction = 0.5
    outlines: list[pv.PolyData | None] = []
    for values in (pressure, swept):
        peak = float(values.max())
        if peak <= 0.0:
            outlines.append(None)
            continue
        skin.point_data[_PRESSURE] = values
        contour = skin.contour([fraction * peak], scalars=_PRESSURE)
        outlines.append(contour if contour.n_points else None)
    return outlines[0], outlines[1], label


def _displace_points(
    points: FloatArray, grid: pv.UnstructuredGrid, displacement: FloatArray | None, scale: float
) -> FloatArray:
    if displacement is None or not len(points):
        return points
    source = grid.copy(deep=False)
    source.point_data[_DISPLACEMENT] = displacement
    inset = points.copy()
    top = grid.bounds[5]
    inset[:, 2] = np.minimum(inset[:, 2], top - 1e-5 * (top - grid.bounds[4]))
    sampled = pv.PolyData(inset).sample(source)
    return points + scale * np.asarray(sampled.point_data[_DISPLACEMENT], dtype=float)


def scene_plotter(
    result: RunResult,
    field: CellField,
    *,
    loads: SkinLoads | None = None,
    off_screen: bool = True,
    window_size: tuple[int, int] = (1400, 900),
    clim: tuple[float, float] | None = None,
    cmap: str | None = None,
) -> pv.Plotter:
    """A plotter showing ``field`` on the block cut open at the load (not yet rendered).

    The half of the block in front of the vertical cut through the load centre is drawn
    as a faint ghost; the other half is coloured by the field, so its cut face shows the
    inside. Layer interfaces are drawn on the cut face, the hand's contact patch on the
    skin (red; orange: the area it sweeps over a stroke). Mechanics fields are drawn on
    the deformed shape.

    Parameters
    ----------
    result
        The run.
    field
        From :func:`tissue_sim.viz.fields.resolve_field`.
    loads
        Skin loads (rebuilt from the result when not given).
    off_screen
        Render without a window.
    window_size
        Picture size [pixels].
    clim
        Colour range in the field's display unit (default: its range, or symmetric for
        changes).
    cmap
        Colour map (default ``viridis``, ``RdBu_r`` for changes).
    """
    loads = loads or skin_loads(result)
    frame = field.frame if field.frame is not None else peak_frame(result)
    plane = choose_cut(result, frame, loads)
    grid = volume_grid(result.mesh)
    grid.cell_data[_FIELD] = np.asarray(field.values, dtype=float)
    height = float(np.ptp(result.mesh.points[:, 2]))
    displacement = None
    scale = 1.0
    if field.frame is not None:
        displacement = np.asarray(result.mechanics.displacement[field.frame], dtype=float)
        grid.point_data[_DISPLACEMENT] = displacement
        scale = deformation_scale(displacement, height)
    if clim is None:
        values = np.asarray(field.values, dtype=float)
        if field.diverging:
            reach = float(np.percentile(np.abs(values), 99.5)) or 1e-9
            clim = (-reach, reach)
        else:
            low, high = float(values.min()), float(np.percentile(values, 99.5))
            clim = (low, high if high > low else low + 1e-9)
    cmap = cmap or ("RdBu_r" if field.diverging else "viridis")

    plotter = pv.Plotter(off_screen=off_screen, window_size=list(window_size))
    plotter.background_color = pv.Color("white")
    kept = _warped(_clip_behind(grid, plane), scale)
    ghost = _warped(grid, scale)
    plotter.add_mesh(ghost, color="#BBBBBB", opacity=0.1, show_scalar_bar=False)
    plotter.add_mesh(
        kept,
        scalars=_FIELD,
        cmap=matplotlib.colormaps[cmap],
        clim=clim,
        show_edges=False,
        ambient=0.45,
        diffuse=0.6,
        specular=0.0,
        scalar_bar_args={
            "title": vtk_text(field.title),
            "vertical": False,
            "title_font_size": 22,
            "label_font_size": 20,
            "n_labels": 5,
            "fmt": "%.3g",
            "position_x": 0.47,
            "position_y": 0.03,
            "height": 0.07,
            "width": 0.48,
            "color": "black",
        },
    )
    for index, line in enumerate(
        interface_points(grid, plane, result.mesh.interfaces, displacement, scale)
    ):
        outer = index in (0, len(result.mesh.interfaces) - 1)
        plotter.add_mesh(pv.lines_from_points(line), color="black", line_width=4 if outer else 3)
    now, swept, label = _patch_outlines(result, grid, loads, frame)
    legend: list[tuple[str, str]] = []
    if swept is not None and now is not None and swept.n_points != now.n_points:
        swept.points = _displace_points(np.asarray(swept.points), grid, displacement, scale)
        plotter.add_mesh(swept, color=_SWEPT_COLOUR, line_width=4)
        legend.append((vtk_text(f"{label}: area swept over the stroke"), _SWEPT_COLOUR))
    if now is not None:
        now.points = _displace_points(np.asarray(now.points), grid, displacement, scale)
        plotter.add_mesh(now, color=_PATCH_COLOUR, line_width=6)
        legend.append((vtk_text(f"{label} at the frame shown"), _PATCH_COLOUR))
    for row, (text, colour) in enumerate(reversed(legend)):
        plotter.add_text(
            text, position=(12, 12 + 30 * row), font_size=13, color=colour, shadow=False
        )
    _label_layers(plotter, result, plane)
    deformation = ""
    if field.frame is not None:
        deformation = "; deformed, true scale" if scale == 1.0 else f"; deformed ×{scale:g}"
    plotter.add_text(
        vtk_text(
            f"{field.label} - {field.when}{deformation}\nblock cut open at the load: "
            f"{plane.description}"
        ),
        position="upper_left",
        font_size=12,
        color="black",
    )
    _place_camera(plotter, result, plane)
    return plotter


def _label_layers(plotter: pv.Plotter, result: RunResult, plane: CutPlane) -> None:
    points = result.mesh.points
    heights = np.asarray(result.mesh.interfaces, dtype=float)[::-1]
    middles = 0.5 * (heights[:-1] + heights[1:])
    labels = np.zeros((middles.size, 3))
    labels[:, plane.along_axis] = points[:, plane.along_axis].min()
    labels[:, plane.normal_axis] = plane.offset
    labels[:, 2] = middles
    plotter.add_point_labels(
        labels,
        list(result.mesh.layer_names),
        font_size=18,
        point_size=1,
        shape_opacity=0.7,
        always_visible=True,
        show_points=False,
    )


def _place_camera(plotter: pv.Plotter, result: RunResult, plane: CutPlane) -> None:
    lower = result.mesh.points.min(axis=0)
    upper = result.mesh.points.max(axis=0)
    centre = 0.5 * (lower + upper)
    size = float(np.max(upper - lower))
    direction = np.zeros(3)
    direction[plane.normal_axis] = 1.0  # look at the cut face
    direction[plane.along_axis] = -0.4 if plane.normal_axis == 1 else 0.4
    direction[2] = 0.6
    direction /= np.linalg.norm(direction)
    focus = centre.copy()
    focus[2] = 0.4 * (upper[2] - lower[2])
    plotter.camera_position = [tuple(focus + 2.6 * size * direction), tuple(focus), (0, 0, 1)]
    plotter.camera.zoom(1.3)


def render_block(
    result: RunResult,
    field: CellField,
    path: Path | None,
    *,
    loads: SkinLoads | None = None,
    interactive: bool = False,
    window_size: tuple[int, int] = (1400, 900),
) -> Path | None:
    """Render :func:`scene_plotter` to a PNG, or show it in a window.

    Parameters
    ----------
    result, field, loads
        As for :func:`scene_plotter`.
    path
        PNG to write (ignored when ``interactive``).
    interactive
        Open a window instead (needs a display).
    window_size
        Picture size [pixels].

    Returns
    -------
    Path or None
        The PNG written, or ``None`` for an interactive window.

    Raises
    ------
    InputError
        ``interactive`` without a display.
    """
    if interactive and not display_available():
        raise InputError(
            "--interactive needs a display (DISPLAY or WAYLAND_DISPLAY is not set); "
            "leave it out to write a PNG instead"
        )
    plotter = scene_plotter(
        result, field, loads=loads, off_screen=not interactive, window_size=window_size
    )
    try:
        if interactive:
            plotter.show()
            return None
        assert path is not None
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        plotter.screenshot(str(path))
        return path
    finally:
        plotter.close()
        plotter.deep_clean()
