"""Cell geometry at quadrature points: Jacobians, physical gradients, integration weights."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from tissue_sim.fem.reference import ReferenceElement

__all__ = ["CellGeometry", "cell_geometry"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class CellGeometry:
    """Geometry of a batch of cells at the quadrature points.

    Attributes
    ----------
    weights
        ``w_q · det J`` per cell and point, shape ``(E, Q)`` [m³].
    gradients
        Physical basis gradients ``∂N_a/∂x_i``, shape ``(E, Q, N, 3)`` [1/m].
    values
        Basis values at the points, shape ``(Q, N)`` (same for every cell).
    points
        Physical coordinates of the quadrature points, shape ``(E, Q, 3)`` [m].
    """

    weights: FloatArray
    gradients: FloatArray
    values: FloatArray
    points: FloatArray


def cell_geometry(
    element: ReferenceElement,
    points: FloatArray,
    cell_vertices: IntArray,
    quadrature_points: FloatArray,
    quadrature_weights: FloatArray,
) -> CellGeometry:
    """Map reference quadrature to a batch of cells.

    Parameters
    ----------
    element
        The displacement element.
    points
        Mesh node coordinates ``(n, 3)`` [m].
    cell_vertices
        Vertex indices of the batch, ``(E, Nv)`` in basix order.
    quadrature_points, quadrature_weights
        Reference rule, ``(Q, 3)`` and ``(Q,)``.

    Returns
    -------
    CellGeometry
        Weights, gradients, values and physical points of the batch.

    Raises
    ------
    tissue_sim.geometry.mesh.InvertedElementError
        If det J ≤ 0 at any quadrature point.
    """
    values, reference_gradients = element.tabulate(quadrature_points)
    coordinate_values, coordinate_gradients = element.tabulate_coordinate(quadrature_points)
    vertices = points[cell_vertices]  # (E, Nv, 3)
    jacobian = np.einsum("evi,qvj->eqij", vertices, coordinate_gradients, optimize=True)
    determinant = np.linalg.det(jacobian)
    if np.any(determinant <= 0.0):
        from tissue_sim.geometry.mesh import InvertedElementError

        bad = int(np.flatnonzero(np.any(determinant <= 0.0, axis=1))[0])
        raise InvertedElementError(f"cell {bad} of the batch has det J <= 0 at a quadrature point")
    inverse = np.linalg.inv(jacobian)
    gradients = np.einsum("qaj,eqji->eqai", reference_gradients, inverse, optimize=True)
    weights = determinant * quadrature_weights[None, :]
    physical_points = np.einsum("qv,evi->eqi", coordinate_values, vertices, optimize=True)
    return CellGeometry(weights, gradients, values, physical_points)
