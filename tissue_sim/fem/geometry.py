"""Cell geometry at quadrature points: Jacobians, physical gradients, integration weights."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from tissue_sim.fem.reference import ReferenceElement

__all__ = ["CellGeometry", "cell_geometry", "determinant_and_inverse"]

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


def determinant_and_inverse(matrices: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Determinants ``(...)`` and inverses ``(..., 3, 3)`` of 3×3 matrices by cofactors.

    Several times faster than ``np.linalg.det`` + ``np.linalg.inv`` on large batches of
    small matrices; callers must reject (near-)singular matrices themselves.
    """
    a = matrices
    c00 = a[..., 1, 1] * a[..., 2, 2] - a[..., 1, 2] * a[..., 2, 1]
    c01 = a[..., 1, 2] * a[..., 2, 0] - a[..., 1, 0] * a[..., 2, 2]
    c02 = a[..., 1, 0] * a[..., 2, 1] - a[..., 1, 1] * a[..., 2, 0]
    determinant = a[..., 0, 0] * c00 + a[..., 0, 1] * c01 + a[..., 0, 2] * c02
    inverse = np.empty_like(a)
    safe = np.where(determinant != 0.0, determinant, 1.0)
    inverse[..., 0, 0] = c00
    inverse[..., 1, 0] = c01
    inverse[..., 2, 0] = c02
    inverse[..., 0, 1] = a[..., 0, 2] * a[..., 2, 1] - a[..., 0, 1] * a[..., 2, 2]
    inverse[..., 1, 1] = a[..., 0, 0] * a[..., 2, 2] - a[..., 0, 2] * a[..., 2, 0]
    inverse[..., 2, 1] = a[..., 0, 1] * a[..., 2, 0] - a[..., 0, 0] * a[..., 2, 1]
    inverse[..., 0, 2] = a[..., 0, 1] * a[..., 1, 2] - a[..., 0, 2] * a[..., 1, 1]
    inverse[..., 1, 2] = a[..., 0, 2] * a[..., 1, 0] - a[..., 0, 0] * a[..., 1, 2]
    inverse[..., 2, 2] = a[..., 0, 0] * a[..., 1, 1] - a[..., 0, 1] * a[..., 1, 0]
    inverse /= safe[..., None, None]
    return determinant, inverse


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
    values, reference_gradients = _tabulate(element, quadrature_points)
    coordinate_values, coordinate_gradients = _tabulate_coordinate(element, quadrature_points)
    vertices = points[cell_vertices]  # (E, Nv, 3)
    # J[e, q] = Σ_v x_v ⊗ ∇ξ N_v(q)
    jacobian = np.matmul(np.swapaxes(vertices, 1, 2)[:, None], coordinate_gradients[None])
    determinant, inverse = determinant_and_inverse(jacobian)
    if np.any(determinant <= 0.0):
        from tissue_sim.geometry.mesh import InvertedElementError

        bad = int(np.flatnonzero(np.any(determinant <= 0.0, axis=1))[0])
        raise InvertedElementError(f"cell {bad} of the batch has det J <= 0 at a quadrature point")
    # ∂N_a/∂x_i = Σ_j ∂N_a/∂ξ_j (J⁻¹)_ji
    gradients = np.matmul(reference_gradients[None], inverse)
    weights = determinant * quadrature_weights[None, :]
    physical_points = np.matmul(coordinate_values[None], vertices)
    return CellGeometry(weights, gradients, values, physical_points)


_TABLES: dict[tuple[str, bytes], tuple[FloatArray, FloatArray]] = {}


def _tabulate(element: ReferenceElement, points: FloatArray) -> tuple[FloatArray, FloatArray]:
    key = (element.name, np.ascontiguousarray(points).tobytes())
    if key not in _TABLES:
        _TABLES[key] = element.tabulate(points)
    return _TABLES[key]


def _tabulate_coordinate(
    element: ReferenceElement, points: FloatArray
) -> tuple[FloatArray, FloatArray]:
    key = (element.name + "/coordinate", np.ascontiguousarray(points).tobytes())
    if key not in _TABLES:
        _TABLES[key] = element.tabulate_coordinate(points)
    return _TABLES[key]
