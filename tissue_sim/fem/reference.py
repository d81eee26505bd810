"""Reference elements and quadrature rules, tabulated with basix."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import basix
import numpy as np
from numpy.typing import NDArray

__all__ = ["ReferenceElement", "quadrature_rule", "reference_element"]

FloatArray = NDArray[np.float64]

_CELLS = {
    "P1": (basix.CellType.tetrahedron, 1),
    "P2": (basix.CellType.tetrahedron, 2),
    "Q1": (basix.CellType.hexahedron, 1),
    "Q2": (basix.CellType.hexahedron, 2),
}


@dataclass(frozen=True)
class ReferenceElement:
    """A scalar Lagrange element on the reference cell (vector fields use block size 3).

    Attributes
    ----------
    name
        ``"P1"``, ``"P2"``, ``"Q1"`` or ``"Q2"``.
    cell_type
        basix cell type.
    degree
        Polynomial degree.
    element
        The basix element (GLL-warped Lagrange variant; equispaced for degree ≤ 2).
    coordinate_element
        The degree-1 element of the same cell, used for the geometry map.
    """

    name: str
    cell_type: basix.CellType
    degree: int
    element: basix.finite_element.FiniteElement
    coordinate_element: basix.finite_element.FiniteElement

    @property
    def nodes_per_cell(self) -> int:
        """Number of scalar basis functions per cell."""
        return int(self.element.dim)

    @property
    def vertices_per_cell(self) -> int:
        """Number of vertices of the cell."""
        return int(self.coordinate_element.dim)

    @property
    def stiffness_quadrature_degree(self) -> int:
        """Degree that integrates ∇N·∇N exactly on affine cells."""
        return (
            2 * self.degree
            if self.cell_type == basix.CellType.hexahedron
            else 2 * (self.degree - 1)
        )

    def tabulate(self, points: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Basis values ``(Q, N)`` and reference gradients ``(Q, N, 3)`` at ``points``."""
        table = np.asarray(self.element.tabulate(1, np.asarray(points, dtype=float)))
        values = table[0, :, :, 0]
        gradients = np.stack([table[1 + d, :, :, 0] for d in range(3)], axis=-1)
        return values, gradients

    def tabulate_coordinate(self, points: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Geometry-map values ``(Q, Nv)`` and reference gradients ``(Q, Nv, 3)``."""
        table = np.asarray(self.coordinate_element.tabulate(1, np.asarray(points, dtype=float)))
        values = table[0, :, :, 0]
        gradients = np.stack([table[1 + d, :, :, 0] for d in range(3)], axis=-1)
        return values, gradients


@lru_cache(maxsize=8)
def reference_element(name: str) -> ReferenceElement:
    """The reference element called ``name`` (``P1``, ``P2``, ``Q1``, ``Q2``)."""
    if name not in _CELLS:
        raise ValueError(f"unknown element {name!r}; expected one of {', '.join(_CELLS)}")
    cell_type, degree = _CELLS[name]
    variant = basix.LagrangeVariant.gll_warped
    element = basix.create_element(basix.ElementFamily.P, cell_type, degree, variant)
    coordinate = basix.create_element(basix.ElementFamily.P, cell_type, 1, variant)
    return ReferenceElement(name, cell_type, degree, element, coordinate)


@lru_cache(maxsize=32)
def quadrature_rule(cell_type: basix.CellType, degree: int) -> tuple[FloatArray, FloatArray]:
    """Quadrature points ``(Q, dim)`` and weights ``(Q,)`` exact to ``degree``.

    Weights sum to the reference cell's measure (1/6 for the tetrahedron, 1 for the
    hexahedron, 1/2 for the triangle, 1 for the quadrilateral).
    """
    raw_points, raw_weights = basix.make_quadrature(cell_type, max(int(degree), 0))
    points = np.asarray(raw_points, dtype=float)
    weights = np.asarray(raw_weights, dtype=float)
    points.setflags(write=False)
    weights.setflags(write=False)
    return points, weights
