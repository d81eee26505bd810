"""The mesh as a pyvista grid, and vertical cuts through it.

A *cut* is the vertical plane through the centre of the load: ``x``–``z`` (normal ``y``)
for loads that push along ``x`` or straight down, ``y``–``z`` when the shear is mainly
along ``y``. Its polygons carry the index of the cell they cut, so that any per-cell field
is drawn on the cut by indexing, without cutting again.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyvista as pv
from numpy.typing import NDArray

from tissue_sim.io import MeshOutput

__all__ = [
    "CutPlane",
    "Section",
    "cut_section",
    "interface_curves",
    "interface_points",
    "snap_offset",
    "volume_grid",
]

FloatArray = NDArray[np.float64]

_CELL_ID = "cell_id"
_DISPLACEMENT = "displacement"


def volume_grid(mesh: MeshOutput) -> pv.UnstructuredGrid:
    """The mesh's cells as linear VTK cells (hexahedra or tetrahedra), with ``cell_id``.

    Parameters
    ----------
    mesh
        The run's mesh; ``linear_cells`` are in VTK vertex order.
    """
    vertices = mesh.linear_cells.shape[1]
    cell_type = pv.CellType.HEXAHEDRON if vertices == 8 else pv.CellType.TETRA
    grid = pv.UnstructuredGrid({cell_type: np.asarray(mesh.linear_cells)}, mesh.points)
    grid.cell_data[_CELL_ID] = np.arange(grid.n_cells, dtype=np.int64)
    return grid


@dataclass(frozen=True)
class CutPlane:
    """A vertical cut.

    Attributes
    ----------
    normal_axis
        0: the plane ``x = offset`` (a ``y``–``z`` picture); 1: ``y = offset`` (``x``–``z``).
    offset
        Position of the plane along its normal [m].
    centre
        Centre of the load on the skin ``(x, y)`` [m].
    """

    normal_axis: int
    offset: float
    centre: tuple[float, float]

    @property
    def along_axis(self) -> int:
        """The horizontal axis of the picture (0: x, 1: y)."""
        return 1 - self.normal_axis

    @property
    def along_name(self) -> str:
        """``x`` or ``y``."""
        return "xy"[self.along_axis]

    @property
    def description(self) -> str:
        """E.g. ``vertical cut at y = 0.0 mm``."""
        return f"vertical cut at {'xy'[self.normal_axis]} = {self.offset * 1e3:.1f} mm"


def _with_displacement(
    grid: pv.UnstructuredGrid, displacement: FloatArray | None
) -> pv.UnstructuredGrid:
    """A shallow copy of ``grid`` carrying the node displacements ``(n, 3)`` [m] (if any)."""
    source = grid.copy(deep=False)
    if displacement is not None:
        source.point_data[_DISPLACEMENT] = np.asarray(displacement, dtype=float)
    return source


def snap_offset(coordinates: FloatArray, target: float) -> float:
    """A plane position near ``target`` that passes between two node planes.

    A plane through a node plane would cut cells along their faces (zero-area pieces);
    halfway between the two node coordinates that bracket ``target`` it cuts the cells of
    one column through their middle.

    Parameters
    ----------
    coordinates
        Node coordinates along the plane's normal [m].
    target
        Wanted position [m].
    """
    levels = np.unique(np.round(np.asarray(coordinates, dtype=float), 12))
    if levels.size < 2:
        return float(target)
    index = int(np.clip(np.searchsorted(levels, target), 1, levels.size - 1))
    if index < levels.size - 1 and target - levels[index] >= 0.0:
        index += 1
    return float(0.5 * (levels[index - 1] + levels[index]))


@dataclass
class Section:
    """The polygons of a vertical cut, in picture coordinates.

    Attributes
    ----------
    polygons
        One ``(k, 2)`` array per polygon: horizontal coordinate and height ``z`` [m].
    cell_ids
        Index of the mesh cell each polygon cuts, ``(P,)``.
    """

    polygons: list[FloatArray]
    cell_ids: NDArray[np.int64]

    def cell_values(self, values: FloatArray) -> FloatArray:
        """A per-cell field ``(m,)`` on the polygons ``(P,)``."""
        return np.asarray(values)[self.cell_ids]


def cut_section(
    grid: pv.UnstructuredGrid,
    plane: CutPlane,
    displacement: FloatArray | None = None,
    scale: float = 1.0,
) -> Section:
    """Cut the grid with a vertical plane; optionally move the cut by ``scale`` × displacement.

    Parameters
    ----------
    grid
        From :func:`volume_grid`.
    plane
        The cut.
    displacement
        Node displacements ``(n, 3)`` [m], or ``None`` for the undeformed cut.
    scale
        Factor on the displacement for drawing [-].
    """
    source = _with_displacement(grid, displacement)
    origin = [0.0, 0.0, 0.0]
    origin[plane.normal_axis] = plane.offset
    normal = [0.0, 0.0, 0.0]
    normal[plane.normal_axis] = 1.0
    cut = source.slice(normal=normal, origin=origin)
    points = np.asarray(cut.points, dtype=float)
    if displacement is not None and cut.n_points:
        points = points + scale * np.asarray(cut.point_data[_DISPLACEMENT], dtype=float)
    picture = points[:, [plane.along_axis, 2]]
    polygons = [picture[np.asarray(face)] for face in cut.irregular_faces] if cut.n_cells else []
    cell_ids = np.asarray(cut.cell_data[_CELL_ID], dtype=np.int64) if cut.n_cells else np.array([])
    return Section(polygons, cell_ids.astype(np.int64))


def interface_points(
    grid: pv.UnstructuredGrid,
    plane: CutPlane,
    heights: tuple[float, ...],
    displacement: FloatArray | None = None,
    scale: float = 1.0,
    resolution: int = 240,
) -> list[FloatArray]:
    """Layer interfaces (and the skin and base) on the cut as 3D lines, moved with the tissue.

    Parameters
    ----------
    grid
        From :func:`volume_grid`.
    plane
        The cut.
    heights
        Interface heights ``z`` [m], bottom to top.
    displacement
        Node displacements ``(n, 3)`` [m] or ``None``.
    scale
        Factor on the displacement [-].
    resolution
        Segments per line.

    Returns
    -------
    list of ndarray
        One ``(resolution + 1, 3)`` polyline per height [m].
    """
    bounds = np.asarray(grid.bounds, dtype=float).reshape(3, 2)
    # stay slightly inside the block so that the skin and base lines find their cells
    inset = 1e-5 * (bounds[:, 1] - bounds[:, 0])
    low = bounds[plane.along_axis, 0] + inset[plane.along_axis]
    high = bounds[plane.along_axis, 1] - inset[plane.along_axis]
    source = _with_displacement(grid, displacement)
    lines = []
    for height in heights:
        z = float(np.clip(height, bounds[2, 0] + inset[2], bounds[2, 1] - inset[2]))
        start = [0.0, 0.0, z]
        end = [0.0, 0.0, z]
        start[plane.normal_axis] = end[plane.normal_axis] = plane.offset
        start[plane.along_axis], end[plane.along_axis] = low, high
        line = pv.Line(start, end, resolution=resolution)
        points = np.asarray(line.points, dtype=float)
        if displacement is not None:
            sampled = line.sample(source)
            points = points + scale * np.asarray(sampled.point_data[_DISPLACEMENT], dtype=float)
        lines.append(points)
    return lines


def interface_curves(
    grid: pv.UnstructuredGrid,
    plane: CutPlane,
    heights: tuple[float, ...],
    displacement: FloatArray | None = None,
    scale: float = 1.0,
    resolution: int = 240,
) -> list[FloatArray]:
    """:func:`interface_points` in picture coordinates: ``(N, 2)`` horizontal, ``z`` [m]."""
    lines = interface_points(grid, plane, heights, displacement, scale, resolution)
    return [points[:, [plane.along_axis, 2]] for points in lines]
