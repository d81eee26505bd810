"""Structured layered meshes: node order, volumes, tags, facets, grading, orientation."""

from __future__ import annotations

import numpy as np
import pytest

from tissue_sim.fem.surface import facet_quadrature, traction_load_vector
from tissue_sim.geometry.axes import graded_axis, graded_layers
from tissue_sim.geometry.block import BlockSpec, mesh_block
from tissue_sim.geometry.mesh import (
    InvertedElementError,
    Mesh,
    cell_volumes_linear,
    check_orientation,
    structured_block_mesh,
)

BLOCK = BlockSpec((0.06, 0.04), ("skin", "adipose", "fascia", "muscle"), (2e-3, 10e-3, 1e-3, 12e-3))


@pytest.mark.parametrize("element", ["P1", "P2", "Q1", "Q2"])
def test_block_mesh_volumes_layers_and_vertices_first(element: str) -> None:
    mesh = mesh_block(BLOCK, element=element, size=4e-3, footprint=(-0.01, 0.01, -0.01, 0.01))
    assert mesh.cells[:, : mesh.vertices_per_cell].max() < mesh.num_vertices
    volumes = cell_volumes_linear(mesh)
    assert volumes.min() > 0
    assert volumes.sum() == pytest.approx(0.06 * 0.04 * BLOCK.depth, rel=1e-12)
    for index, thickness in enumerate(BLOCK.thicknesses):
        layer_volume = volumes[mesh.cell_layer == index].sum()
        assert layer_volume == pytest.approx(0.06 * 0.04 * thickness, rel=1e-12)
    # every cell lies inside its layer's z range
    z = mesh.points[mesh.linear_cells()][..., 2]
    tops = BLOCK.depth - np.concatenate([[0.0], np.cumsum(BLOCK.thicknesses)])
    assert np.all(z.max(axis=1) <= tops[mesh.cell_layer] + 1e-12)
    assert np.all(z.min(axis=1) >= tops[mesh.cell_layer + 1] - 1e-12)


def test_thin_fascia_gets_two_elements_and_grading_is_finer_at_the_skin() -> None:
    z, counts = graded_layers([2e-3, 15e-3, 1e-3, 30e-3], 3e-3, growth=1.3, max_size=1e-2)
    assert counts[2] >= 2
    spacing = np.diff(z)
    assert spacing[-1] < spacing[0]
    x = graded_axis(-0.06, 0.06, -0.01, 0.01, 2e-3, growth=1.3, max_size=1e-2)
    inner = np.diff(x[(x >= -0.01) & (x <= 0.01)])
    assert np.allclose(inner, 2e-3)
    assert np.diff(x).max() <= 1e-2 + 1e-12


@pytest.mark.parametrize("element", ["P1", "P2", "Q1", "Q2"])
def test_facet_sets_have_the_face_areas(element: str) -> None:
    mesh = mesh_block(BLOCK, element=element, size=5e-3)
    areas = {
        "top": 0.06 * 0.04,
        "bottom": 0.06 * 0.04,
        "x_min": 0.04 * BLOCK.depth,
        "y_max": 0.06 * BLOCK.depth,
        "sides": 2 * (0.06 + 0.04) * BLOCK.depth,
    }
    for name, area in areas.items():
        quadrature = facet_quadrature(mesh, mesh.facets[name], degree=2)
        assert quadrature.area == pytest.approx(area, rel=1e-12)
    # nodal forces of a uniform traction sum to traction x area
    top = facet_quadrature(mesh, mesh.facets["top"], degree=2, subdivisions=2)
    forces = traction_load_vector(mesh, top, lambda p: np.tile([1.0, 0.0, -2.0], (len(p), 1)))
    assert forces.sum(axis=0) == pytest.approx([areas["top"], 0.0, -2 * areas["top"]], abs=1e-15)
    on_top = np.zeros(mesh.num_points, dtype=bool)
    on_top[mesh.nodes_on_face("top")] = True
    assert np.abs(forces[~on_top]).max() < 1e-15 * areas["top"]


def test_inverted_cell_is_an_error_naming_the_layer() -> None:
    mesh = structured_block_mesh(
        np.linspace(0, 1, 3),
        np.linspace(0, 1, 3),
        np.linspace(0, 1, 3),
        np.array([1, 0], dtype=np.int32),
        ("upper", "lower"),
        element="Q1",
    )
    cells = mesh.cells.copy()
    cells[0, [0, 1]] = cells[0, [1, 0]]
    broken = Mesh(mesh.points, cells, "Q1", mesh.cell_layer, mesh.layer_names, mesh.num_vertices)
    with pytest.raises(InvertedElementError, match="lower"):
        check_orientation(broken)
