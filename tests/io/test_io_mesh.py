"""The stored mesh: vertex-only cells in VTK order, so ParaView draws positive hexahedra."""

from __future__ import annotations

import numpy as np
import pytest

from tissue_sim.geometry.block import BlockSpec, mesh_block
from tissue_sim.io import mesh_output


def _hexahedron_volumes(points: np.ndarray, cells: np.ndarray) -> np.ndarray:
    """Volumes of VTK-ordered hexahedra from 5 tetrahedra each (exact for parallelepipeds)."""
    corners = points[cells]  # (m, 8, 3), VTK: 0-1-2-3 bottom loop, 4-5-6-7 top loop
    tetrahedra = ((0, 1, 3, 4), (1, 2, 3, 6), (1, 4, 5, 6), (3, 4, 6, 7), (1, 3, 4, 6))
    total = np.zeros(len(cells))
    for a, b, c, d in tetrahedra:
        edges = corners[:, [b, c, d]] - corners[:, [a]]
        total += np.linalg.det(edges) / 6.0
    return total


@pytest.mark.parametrize("element", ["Q1", "Q2"])
def test_hexahedra_are_stored_in_vtk_order(element: str) -> None:
    block = BlockSpec((0.02, 0.01), ("top", "bottom"), (0.004, 0.006))
    mesh = mesh_block(block, element=element, size=0.004)
    stored = mesh_output(mesh, np.ones(mesh.cells.shape[0]))
    assert stored.linear_cells.shape == (mesh.cells.shape[0], 8)
    volumes = _hexahedron_volumes(mesh.points, stored.linear_cells)
    # a VTK-ordered hexahedron of a structured box mesh has its true, positive volume; the
    # basix (lexicographic) order would twist the faces and give a wrong one
    assert np.all(volumes > 0.0)
    assert volumes.sum() == pytest.approx(0.02 * 0.01 * 0.010, rel=1e-12)
    lexicographic = _hexahedron_volumes(mesh.points, mesh.linear_cells())
    assert not np.allclose(lexicographic, volumes)


def test_tetrahedra_keep_their_vertices() -> None:
    block = BlockSpec((0.02, 0.01), ("top", "bottom"), (0.004, 0.006))
    mesh = mesh_block(block, element="P1", size=0.004)
    stored = mesh_output(mesh, np.ones(mesh.cells.shape[0]))
    np.testing.assert_array_equal(stored.linear_cells, mesh.linear_cells())
    assert stored.layer_names == ("top", "bottom")
