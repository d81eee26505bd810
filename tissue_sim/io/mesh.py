"""The mesh as a result stores it: ``/mesh`` of ``result.h5`` and the XDMF topology."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from tissue_sim.geometry.mesh import Mesh
from tissue_sim.io.result import MeshOutput

__all__ = ["VTK_HEXAHEDRON_ORDER", "mesh_output"]

#: The vertices of a basix (lexicographic) hexahedron in VTK/XDMF order (counter-clockwise
#: bottom face, then the top face).
VTK_HEXAHEDRON_ORDER = np.array([0, 1, 3, 2, 4, 5, 7, 6])


def mesh_output(mesh: Mesh, cell_volume: NDArray[np.float64]) -> MeshOutput:
    """The :class:`~tissue_sim.io.MeshOutput` of a mesh.

    Parameters
    ----------
    mesh
        The run's mesh.
    cell_volume
        Volume of every cell ``(m,)`` [m³] (the biology's weights).

    Returns
    -------
    MeshOutput
        Nodes, cells in basix order, vertex-only cells in VTK order (for XDMF), layers.
    """
    vertex_cells = mesh.linear_cells()
    if mesh.vertices_per_cell == 8:
        vertex_cells = vertex_cells[:, VTK_HEXAHEDRON_ORDER]
    return MeshOutput(
        points=mesh.points,
        cells=mesh.cells,
        linear_cells=vertex_cells,
        element=mesh.element,
        cell_layer=mesh.cell_layer,
        layer_names=mesh.layer_names,
        cell_volume=cell_volume,
        interfaces=mesh.interfaces,
    )
