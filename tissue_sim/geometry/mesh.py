"""Structured meshes of a layered block: hexahedra (Q1, Q2) and tetrahedra (P1, P2).

The block is the tensor product of three graded node axes. Every layer interface is
a grid plane, so cells never straddle two layers. Node numbering puts the cell
vertices first (``0 .. num_vertices-1``), then higher-order nodes, so the linear
sub-mesh of a P2/Q2 mesh is ``cells[:, :vertices_per_cell]`` over the first
``num_vertices`` points.

Local node order inside a cell is basix's (the element's ``points``), so basix
tabulations apply directly. Tetrahedra come from the Kuhn split of each grid box into
six tetrahedra around its main diagonal; the split is conforming across boxes.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from functools import lru_cache

import basix
import numpy as np
from numpy.typing import NDArray

from tissue_sim.errors import RunError

__all__ = [
    "ELEMENT_TYPES",
    "InvertedElementError",
    "Mesh",
    "cell_volumes_linear",
    "check_orientation",
    "structured_block_mesh",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Element name → (basix cell type, degree).
ELEMENT_TYPES: dict[str, tuple[basix.CellType, int]] = {
    "P1": (basix.CellType.tetrahedron, 1),
    "P2": (basix.CellType.tetrahedron, 2),
    "Q1": (basix.CellType.hexahedron, 1),
    "Q2": (basix.CellType.hexahedron, 2),
}

#: Facet-set name → (axis, side) of the block face it lies on (side 0 = lower end).
BLOCK_FACES: dict[str, tuple[int, int]] = {
    "bottom": (2, 0),
    "top": (2, 1),
    "x_min": (0, 0),
    "x_max": (0, 1),
    "y_min": (1, 0),
    "y_max": (1, 1),
}


class InvertedElementError(RunError):
    """A cell has a non-positive Jacobian determinant."""


@dataclass(frozen=True)
class Mesh:
    """A mesh of the layered block.

    Attributes
    ----------
    points
        Node coordinates, shape ``(n_points, 3)`` [m]; vertices first.
    cells
        Node indices per cell in basix local order, shape ``(n_cells, nodes_per_cell)``.
    element
        ``"P1"``, ``"P2"``, ``"Q1"`` or ``"Q2"``.
    cell_layer
        Layer index of each cell, shape ``(n_cells,)``; indexes ``layer_names``.
    layer_names
        Layer names, top (skin) first.
    num_vertices
        Number of vertex nodes (they are ``points[:num_vertices]``).
    facets
        Named boundary facet sets: name → ``(n_facets, 2)`` array of
        (cell index, local facet index in basix numbering). Names: ``top`` (skin),
        ``bottom`` (bone), ``x_min``, ``x_max``, ``y_min``, ``y_max``; ``sides`` is the
        union of the four lateral faces.
    interfaces
        z coordinates of the layer interfaces from bottom to top, including 0 and the
        skin surface [m].
    """

    points: FloatArray
    cells: IntArray
    element: str
    cell_layer: NDArray[np.int32]
    layer_names: tuple[str, ...]
    num_vertices: int
    facets: dict[str, IntArray] = field(default_factory=dict)
    interfaces: tuple[float, ...] = ()

    @property
    def cell_type(self) -> basix.CellType:
        """The basix cell type."""
        return ELEMENT_TYPES[self.element][0]

    @property
    def degree(self) -> int:
        """Polynomial degree of the displacement element."""
        return ELEMENT_TYPES[self.element][1]

    @property
    def vertices_per_cell(self) -> int:
        """4 for tetrahedra, 8 for hexahedra."""
        return 4 if self.cell_type == basix.CellType.tetrahedron else 8

    @property
    def num_points(self) -> int:
        """Number of nodes."""
        return int(self.points.shape[0])

    @property
    def num_cells(self) -> int:
        """Number of cells."""
        return int(self.cells.shape[0])

    @property
    def bounds(self) -> tuple[tuple[float, float], tuple[float, float], tuple[float, float]]:
        """((x_min, x_max), (y_min, y_max), (z_min, z_max)) [m]."""
        lo = self.points.min(axis=0)
        hi = self.points.max(axis=0)
        return ((lo[0], hi[0]), (lo[1], hi[1]), (lo[2], hi[2]))

    def linear_cells(self) -> IntArray:
        """Vertex-only connectivity (the P1/Q1 sub-mesh), shape ``(n_cells, 4 or 8)``."""
        return self.cells[:, : self.vertices_per_cell]

    def nodes_on_face(self, name: str, *, atol: float | None = None) -> IntArray:
        """Indices of the nodes lying on a block face (``top``, ``bottom``, ``x_min`` …).

        ``sides`` gives the union of the four lateral faces.
        """
        if name == "sides":
            parts = [self.nodes_on_face(n) for n in ("x_min", "x_max", "y_min", "y_max")]
            return np.unique(np.concatenate(parts))
        if name not in BLOCK_FACES:
            raise KeyError(f"unknown face {name!r}; known: {', '.join(BLOCK_FACES)}, sides")
        axis, side = BLOCK_FACES[name]
        coordinate = self.points[:, axis]
        target = coordinate.max() if side else coordinate.min()
        span = float(np.ptp(self.points, axis=0).max())
        tolerance = 1e-9 * span if atol is None else atol
        return np.flatnonzero(np.abs(coordinate - target) <= tolerance)


# --------------------------------------------------------------------------------------
# templates: the sub-cells of one grid box in box-local integer coordinates
# --------------------------------------------------------------------------------------
def _kuhn_tetrahedra() -> list[NDArray[np.float64]]:
    """The six Kuhn tetrahedra of the unit cube, each with positive orientation."""
    tets = []
    for perm in itertools.permutations(range(3)):
        v = [np.zeros(3)]
        for axis in perm:
            nxt = v[-1].copy()
            nxt[axis] = 1.0
            v.append(nxt)
        verts = np.array(v)
        if np.linalg.det(verts[1:] - verts[0]) < 0:
            verts[[1, 2]] = verts[[2, 1]]
        tets.append(verts)
    return tets


@lru_cache(maxsize=8)
def _template(element: str) -> tuple[IntArray, list[list[tuple[int, int, int]]]]:
    """Box-local node offsets of every sub-cell, and which facets lie on which box face.

    Returns
    -------
    offsets
        ``(n_sub, nodes_per_cell, 3)`` integer offsets in the degree-refined grid.
    face_facets
        For each of the six box faces (order of :data:`BLOCK_FACES`), the list of
        ``(sub_cell, local_facet, _)`` pairs lying on it.
    """
    cell_type, degree = ELEMENT_TYPES[element]
    basix_element = basix.create_element(
        basix.ElementFamily.P, cell_type, degree, basix.LagrangeVariant.gll_warped
    )
    reference_points = np.asarray(basix_element.points, dtype=float)
    facet_vertices = basix.topology(cell_type)[2]
    if cell_type == basix.CellType.hexahedron:
        sub_vertices = [np.asarray(basix.geometry(cell_type), dtype=float)]
    else:
        sub_vertices = _kuhn_tetrahedra()
    offsets = []
    for verts in sub_vertices:
        if cell_type == basix.CellType.hexahedron:
            local = reference_points
        else:
            local = verts[0] + reference_points @ (verts[1:] - verts[0])
        offsets.append(np.rint(local * degree).astype(np.int64))
    face_facets: list[list[tuple[int, int, int]]] = []
    for axis, side in BLOCK_FACES.values():
        on_face = []
        for sub, verts in enumerate(sub_vertices):
            for facet, vertex_ids in enumerate(facet_vertices):
                if np.all(verts[vertex_ids, axis] == float(side)):
                    on_face.append((sub, facet, 0))
        face_facets.append(on_face)
    return np.asarray(offsets), face_facets


def structured_block_mesh(
    x_nodes: FloatArray,
    y_nodes: FloatArray,
    z_nodes: FloatArray,
    cell_layer_by_z: NDArray[np.int32],
    layer_names: tuple[str, ...],
    *,
    element: str = "Q1",
    interfaces: tuple[float, ...] = (),
) -> Mesh:
    """Mesh the box spanned by three node axes.

    Parameters
    ----------
    x_nodes, y_nodes, z_nodes
        Increasing grid coordinates along each axis [m].
    cell_layer_by_z
        Layer index of each grid slab between consecutive ``z_nodes``, shape
        ``(len(z_nodes) - 1,)``.
    layer_names
        Names indexed by the layer indices (top layer first).
    element
        ``"P1"``, ``"P2"``, ``"Q1"`` or ``"Q2"``.
    interfaces
        Layer interface heights to record on the mesh [m].

    Returns
    -------
    Mesh
        The mesh, with vertices numbered first and positive cell orientation checked.
    """
    if element not in ELEMENT_TYPES:
        raise ValueError(f"unknown element {element!r}; expected one of {', '.join(ELEMENT_TYPES)}")
    degree = ELEMENT_TYPES[element][1]
    axes = [np.asarray(a, dtype=float) for a in (x_nodes, y_nodes, z_nodes)]
    for a in axes:
        if a.ndim != 1 or a.size < 2 or np.any(np.diff(a) <= 0):
            raise ValueError("grid axes must be strictly increasing with at least 2 nodes")
    n_boxes = [a.size - 1 for a in axes]
    refined = []
    for a in axes:
        if degree == 1:
            refined.append(a)
        else:
            mid = 0.5 * (a[:-1] + a[1:])
            full = np.empty(2 * a.size - 1)
            full[0::2] = a
            full[1::2] = mid
            refined.append(full)
    shape = tuple(r.size for r in refined)
    # Number vertices (even refined indices) first, then the other grid nodes.
    grid_index = np.indices(shape).reshape(3, -1).T  # lexicographic, x slowest
    is_vertex = np.all(grid_index % degree == 0, axis=1)
    order = np.concatenate([np.flatnonzero(is_vertex), np.flatnonzero(~is_vertex)])
    node_number = np.empty(order.size, dtype=np.int64)
    node_number[order] = np.arange(order.size)
    offsets, face_facets = _template(element)
    box = np.indices(n_boxes).reshape(3, -1).T  # (n_box, 3)
    sub_count, nodes_per_cell = offsets.shape[:2]
    # grid index of node (box, sub, local) = degree * box + offset
    gi = degree * box[:, None, None, :] + offsets[None, :, :, :]
    flat = np.ravel_multi_index((gi[..., 0], gi[..., 1], gi[..., 2]), shape)
    cells = node_number[flat].reshape(-1, nodes_per_cell)
    # Every node of the (refined) grid belongs to some cell for all four templates:
    # Kuhn tetrahedra have face diagonals and the box diagonal as edges, so P2 uses the
    # face and body centres of the refined grid too.
    num_vertices = int(np.count_nonzero(is_vertex))
    points_order = order
    gxyz = grid_index[points_order]
    points = np.column_stack([refined[d][gxyz[:, d]] for d in range(3)])
    box_z = np.repeat(box[:, 2], sub_count)
    cell_layer = np.asarray(cell_layer_by_z, dtype=np.int32)[box_z]
    facets: dict[str, IntArray] = {}
    box_ids = np.arange(box.shape[0])
    for (name, (axis, side)), on_face in zip(BLOCK_FACES.items(), face_facets, strict=True):
        boundary_boxes = box_ids[box[:, axis] == (n_boxes[axis] - 1 if side else 0)]
        parts = [
            np.column_stack([boundary_boxes * sub_count + sub, np.full(boundary_boxes.size, facet)])
            for sub, facet, _ in on_face
        ]
        facets[name] = np.concatenate(parts).astype(np.int64)
    facets["sides"] = np.concatenate([facets[n] for n in ("x_min", "x_max", "y_min", "y_max")])
    mesh = Mesh(
        points=points,
        cells=cells,
        element=element,
        cell_layer=cell_layer,
        layer_names=tuple(layer_names),
        num_vertices=num_vertices,
        facets=facets,
        interfaces=tuple(interfaces),
    )
    check_orientation(mesh)
    return mesh


def cell_volumes_linear(mesh: Mesh) -> FloatArray:
    """Volume of every cell from its vertices (exact for boxes and tetrahedra) [m³]."""
    verts = mesh.points[mesh.linear_cells()]
    if mesh.vertices_per_cell == 4:
        return np.linalg.det(verts[:, 1:] - verts[:, :1]) / 6.0
    corner = _hex_corner_jacobians(verts)
    return corner.mean(axis=1)


def _hex_corner_jacobians(verts: FloatArray) -> FloatArray:
    """Jacobian determinants of a trilinear hexahedron at its 8 corners, ``(n, 8)``."""
    ref = basix.geometry(basix.CellType.hexahedron)
    dets = np.empty((verts.shape[0], 8))
    for corner, xi in enumerate(ref):
        neighbours = []
        signs = []
        for axis in range(3):
            other = xi.copy()
            other[axis] = 1.0 - other[axis]
            neighbours.append(int(np.flatnonzero(np.all(ref == other, axis=1))[0]))
            signs.append(1.0 if xi[axis] == 0.0 else -1.0)
        edges = np.stack(
            [signs[a] * (verts[:, neighbours[a]] - verts[:, corner]) for a in range(3)], axis=1
        )
        dets[:, corner] = np.linalg.det(edges)
    return dets


def check_orientation(mesh: Mesh) -> None:
    """Raise :class:`InvertedElementError` if any cell has det J ≤ 0 at a vertex.

    For tetrahedra the (constant) Jacobian is checked; for hexahedra the trilinear
    Jacobian at all eight corners.
    """
    verts = mesh.points[mesh.linear_cells()]
    if mesh.vertices_per_cell == 4:
        dets = np.linalg.det(verts[:, 1:] - verts[:, :1])[:, None]
    else:
        dets = _hex_corner_jacobians(verts)
    bad = np.flatnonzero(np.any(dets <= 0.0, axis=1))
    if bad.size:
        layer = mesh.layer_names[mesh.cell_layer[bad[0]]] if mesh.layer_names else "?"
        raise InvertedElementError(
            f"{bad.size} inverted or degenerate cell(s) (det J <= 0), first: cell {bad[0]} "
            f"in layer '{layer}'"
        )
