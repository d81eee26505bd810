"""Surface integrals over boundary facets: traction load vectors and facet quadrature.

Facets are given as (cell, local facet) pairs. Points on a facet are parametrised by
the facet's own vertices in the reference cell, so the cell's basis functions are
tabulated directly on the facet (no separate facet element and no node-order
bookkeeping). The surface measure is ``|∂x/∂s × ∂x/∂t|`` from the physical tangents.

Tractions are often discontinuous at the edge of a contact patch; a composite rule
(each facet split into ``subdivisions²`` pieces, each with a Gauss rule) integrates
them accurately on coarse meshes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import basix
import numpy as np
from numpy.typing import NDArray

from tissue_sim.fem.reference import ReferenceElement, quadrature_rule, reference_element
from tissue_sim.geometry.mesh import Mesh

__all__ = ["FacetQuadrature", "facet_quadrature", "traction_load_vector"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: traction(points (M, 3) [m]) -> traction vectors (M, 3) [Pa]
TractionFunction = Callable[[FloatArray], FloatArray]


@lru_cache(maxsize=32)
def _composite_rule(
    facet_type: basix.CellType, degree: int, subdivisions: int
) -> tuple[FloatArray, FloatArray]:
    """A composite rule on the reference facet: ``subdivisions²`` sub-cells, each Gauss."""
    points, weights = quadrature_rule(facet_type, degree)
    n = subdivisions
    if n == 1:
        return np.asarray(points), np.asarray(weights)
    all_points = []
    all_weights = []
    h = 1.0 / n
    if facet_type == basix.CellType.quadrilateral:
        for i in range(n):
            for j in range(n):
                all_points.append(h * (points + np.array([i, j])))
                all_weights.append(weights * h * h)
    else:
        for i in range(n):
            for j in range(n - i):
                origin = np.array([i, j], dtype=float)
                all_points.append(h * (origin + points))
                all_weights.append(weights * h * h)
                if i + j < n - 1:
                    # the "downward" triangle: vertices (i+1, j), (i, j+1), (i+1, j+1)
                    corner = origin + np.array([1.0, 1.0])
                    all_points.append(h * (corner - points))
                    all_weights.append(weights * h * h)
    return np.concatenate(all_points), np.concatenate(all_weights)


@dataclass(frozen=True)
class FacetQuadrature:
    """Quadrature on a set of facets.

    Attributes
    ----------
    cells
        Cell index of every facet, ``(F,)``.
    points
        Physical quadrature points, ``(F, Q, 3)`` [m].
    weights
        Weights including the surface measure, ``(F, Q)`` [m²].
    basis
        The cell's basis functions at the points, ``(F, Q, N)``.
    facet_nodes
        Global indices of the nodes on each facet (those whose basis function does not
        vanish on it), ``(F, Nf)``.
    facet_basis
        Their basis values at the points, ``(F, Q, Nf)``.
    facet_derivatives
        Their derivatives along the facet's two parameter directions ``(s, t)``,
        ``(F, Q, Nf, 2)``: the surface tangents are
        ``g_α = Σ_a x_a ∂N_a/∂α`` and ``orientation · (g_s × g_t)`` is the outward area
        vector per unit parameter area.
    parameter_weights
        Weights of the composite rule on the reference facet, ``(Q,)`` (the surface
        measure is ``|g_s × g_t|`` times them).
    orientation
        ``±1`` per facet, so that ``orientation · (g_s × g_t)`` points out of the cell.
    normals
        Outward unit normals at the points in the reference configuration, ``(F, Q, 3)``.
    """

    cells: IntArray
    points: FloatArray
    weights: FloatArray
    basis: FloatArray
    facet_nodes: IntArray
    facet_basis: FloatArray
    facet_derivatives: FloatArray
    parameter_weights: FloatArray
    orientation: FloatArray
    normals: FloatArray

    @property
    def area(self) -> float:
        """Total area of the facets [m²]."""
        return float(self.weights.sum())

    def subset(self, rows: IntArray) -> FacetQuadrature:
        """The quadrature restricted to the facets ``rows``."""
        return FacetQuadrature(
            self.cells[rows],
            self.points[rows],
            self.weights[rows],
            self.basis[rows],
            self.facet_nodes[rows],
            self.facet_basis[rows],
            self.facet_derivatives[rows],
            self.parameter_weights,
            self.orientation[rows],
            self.normals[rows],
        )


def facet_quadrature(
    mesh: Mesh, facets: IntArray, *, degree: int = 4, subdivisions: int = 1
) -> FacetQuadrature:
    """Quadrature points, weights and cell basis values on boundary facets.

    Parameters
    ----------
    mesh
        The mesh.
    facets
        ``(F, 2)`` pairs (cell index, local facet index), e.g. ``mesh.facets["top"]``.
    degree
        Gauss degree on every (sub-)facet.
    subdivisions
        Each facet is split into ``subdivisions²`` pieces (composite rule).

    Returns
    -------
    FacetQuadrature
        Points, weights and basis values, in the order of ``facets``.
    """
    element: ReferenceElement = reference_element(mesh.element)
    cell_type = element.cell_type
    facet_type = (
        basix.CellType.quadrilateral
        if cell_type == basix.CellType.hexahedron
        else basix.CellType.triangle
    )
    reference_vertices = basix.geometry(cell_type)
    facet_vertex_ids = basix.topology(cell_type)[2]
    parameter_points, parameter_weights = _composite_rule(facet_type, degree, subdivisions)
    n_facets = facets.shape[0]
    q = parameter_weights.size
    points = np.empty((n_facets, q, 3))
    weights = np.empty((n_facets, q))
    normals = np.empty((n_facets, q, 3))
    orientation = np.empty(n_facets)
    basis = np.empty((n_facets, q, element.nodes_per_cell))
    vertices_of_cells = mesh.linear_cells()
    on_facet: IntArray | None = None
    facet_basis: FloatArray | None = None
    facet_derivatives: FloatArray | None = None
    for local_facet in np.unique(facets[:, 1]):
        rows = np.flatnonzero(facets[:, 1] == local_facet)
        v = reference_vertices[facet_vertex_ids[local_facet]]
        axis_s, axis_t = v[1] - v[0], v[2] - v[0]
        reference_points = (
            v[0]
            + np.outer(parameter_points[:, 0], axis_s)
            + np.outer(parameter_points[:, 1], axis_t)
        )
        values, reference_gradients = element.tabulate(reference_points)
        coordinate_values, coordinate_gradients = element.tabulate_coordinate(reference_points)
        cell_vertices = mesh.points[vertices_of_cells[facets[rows, 0]]]  # (F, Nv, 3)
        jacobian = np.einsum("fvi,qvj->fqij", cell_vertices, coordinate_gradients)
        tangent_s = jacobian @ axis_s
        tangent_t = jacobian @ axis_t
        area_vector = np.cross(tangent_s, tangent_t)
        measure = np.linalg.norm(area_vector, axis=-1)
        points[rows] = np.einsum("qv,fvi->fqi", coordinate_values, cell_vertices)
        weights[rows] = measure * parameter_weights[None, :]
        basis[rows] = values[None, :, :]
        outward = points[rows, 0] - cell_vertices.mean(axis=1)
        sign = np.where(np.einsum("fi,fi->f", area_vector[:, 0], outward) >= 0.0, 1.0, -1.0)
        orientation[rows] = sign
        normals[rows] = sign[:, None, None] * area_vector / measure[..., None]
        local_nodes = np.flatnonzero(np.abs(values).max(axis=0) > 1e-12)
        if on_facet is None:
            on_facet = np.empty((n_facets, local_nodes.size), dtype=np.int64)
            facet_basis = np.empty((n_facets, q, local_nodes.size))
            facet_derivatives = np.empty((n_facets, q, local_nodes.size, 2))
        assert facet_basis is not None and facet_derivatives is not None
        on_facet[rows] = mesh.cells[facets[rows, 0]][:, local_nodes]
        facet_basis[rows] = values[None, :, local_nodes]
        derivatives = np.stack(
            [reference_gradients @ axis_s, reference_gradients @ axis_t], axis=-1
        )  # (Q, N, 2)
        facet_derivatives[rows] = derivatives[None, :, local_nodes]
    if on_facet is None or facet_basis is None or facet_derivatives is None:
        on_facet = np.zeros((0, 0), dtype=np.int64)
        facet_basis = np.zeros((0, q, 0))
        facet_derivatives = np.zeros((0, q, 0, 2))
    return FacetQuadrature(
        facets[:, 0].copy(),
        points,
        weights,
        basis,
        on_facet,
        facet_basis,
        facet_derivatives,
        np.asarray(parameter_weights, dtype=float),
        orientation,
        normals,
    )


def traction_load_vector(
    mesh: Mesh, quadrature: FacetQuadrature, traction: TractionFunction | FloatArray
) -> FloatArray:
    """Nodal forces ``f_a = ∫ N_a t da`` of a surface traction, ``(n_nodes, 3)`` [N].

    Parameters
    ----------
    mesh
        The mesh.
    quadrature
        Facet quadrature from :func:`facet_quadrature`.
    traction
        A function of the points ``(M, 3)`` [m] returning tractions ``(M, 3)`` [Pa], or
        the tractions already evaluated at ``quadrature.points`` ``(F, Q, 3)``.
    """
    if callable(traction):
        flat_points = quadrature.points.reshape(-1, 3)
        values = np.asarray(traction(flat_points), dtype=float).reshape(quadrature.points.shape)
    else:
        values = np.asarray(traction, dtype=float)
    loaded = np.flatnonzero(np.any(values != 0.0, axis=(1, 2)))  # only facets under the load
    weighted_basis = quadrature.basis[loaded] * quadrature.weights[loaded][:, :, None]
    element_forces = np.matmul(np.swapaxes(weighted_basis, 1, 2), values[loaded])
    result = np.zeros((mesh.num_points, 3))
    np.add.at(
        result, mesh.cells[quadrature.cells[loaded]].reshape(-1), element_forces.reshape(-1, 3)
    )
    return result
