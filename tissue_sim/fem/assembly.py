"""Chunked, vectorised assembly over cells (no Python loop over cells or points).

Cells are processed in chunks of a few ten thousand: for each chunk the geometry is
computed for all its cells at once, a kernel returns element blocks, and the blocks
are accumulated into a preallocated BSR data array through the cached slot map.
Peak memory is bounded by the chunk size, not by the mesh size.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from tissue_sim.fem.geometry import CellGeometry, cell_geometry
from tissue_sim.fem.pattern import BlockPattern, block_pattern
from tissue_sim.fem.reference import ReferenceElement, quadrature_rule, reference_element
from tissue_sim.geometry.mesh import Mesh

__all__ = [
    "Assembler",
    "CellChunk",
    "MatrixKernel",
    "VectorKernel",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class CellChunk:
    """A contiguous range of cells with their geometry at the quadrature points."""

    start: int
    stop: int
    geometry: CellGeometry

    @property
    def cells(self) -> slice:
        """The slice of cell indices."""
        return slice(self.start, self.stop)


#: kernel(chunk) -> element blocks (E, N, N, 3, 3)
MatrixKernel = Callable[[CellChunk], FloatArray]
#: kernel(chunk) -> element vectors (E, N, 3)
VectorKernel = Callable[[CellChunk], FloatArray]


class Assembler:
    """Assembles matrices and vectors of a 3-component field on a mesh.

    Parameters
    ----------
    mesh
        The mesh.
    quadrature_degree
        Degree of the cell quadrature; defaults to the degree that integrates the
        stiffness exactly on affine cells (one point for P1).
    chunk_size
        Cells per chunk (bounds peak memory).
    """

    def __init__(
        self, mesh: Mesh, *, quadrature_degree: int | None = None, chunk_size: int | None = None
    ) -> None:
        self.mesh = mesh
        self.element: ReferenceElement = reference_element(mesh.element)
        if quadrature_degree is None:
            quadrature_degree = self.element.stiffness_quadrature_degree
        self.quadrature_degree = quadrature_degree
        self.quadrature_points, self.quadrature_weights = quadrature_rule(
            self.element.cell_type, quadrature_degree
        )
        n = self.element.nodes_per_cell
        q = self.quadrature_weights.size
        # about 64 MB of element blocks per chunk
        self.chunk_size = chunk_size or max(1000, int(8e6 // (n * n * 9 + q * n * 3)))
        self._pattern: BlockPattern | None = None

    @property
    def pattern(self) -> BlockPattern:
        """The block pattern (built on first use, then cached)."""
        if self._pattern is None:
            self._pattern = block_pattern(self.mesh.cells, self.mesh.num_points)
        return self._pattern

    @property
    def num_dofs(self) -> int:
        """3 × number of nodes."""
        return 3 * self.mesh.num_points

    def chunks(
        self, *, quadrature: tuple[FloatArray, FloatArray] | None = None
    ) -> Iterator[CellChunk]:
        """Iterate over cell chunks with their geometry (optionally at another rule)."""
        points, weights = quadrature or (self.quadrature_points, self.quadrature_weights)
        vertices = self.mesh.linear_cells()
        for start in range(0, self.mesh.num_cells, self.chunk_size):
            stop = min(start + self.chunk_size, self.mesh.num_cells)
            geometry = cell_geometry(
                self.element, self.mesh.points, vertices[start:stop], points, weights
            )
            yield CellChunk(start, stop, geometry)

    def matrix(self, kernel: MatrixKernel, *, layout: str = "nodes") -> sp.bsr_matrix:
        """Assemble a matrix from the element matrices ``kernel`` returns for each chunk.

        ``layout="nodes"``: the kernel returns ``(E, N, N, 3, 3)`` node blocks;
        ``layout="dofs"``: ``(E, N, 3, N, 3)``, the element matrix in dof order.
        """
        pattern = self.pattern
        data = pattern.zeros()
        for chunk in self.chunks():
            pattern.add_cell_blocks(data, chunk.cells, kernel(chunk), layout=layout)
        return pattern.matrix(data)

    def vector(self, kernel: VectorKernel, *, quadrature_degree: int | None = None) -> FloatArray:
        """Assemble a load vector ``(n_nodes, 3)`` from element vectors ``(E, N, 3)``."""
        rule = None
        if quadrature_degree is not None:
            rule = quadrature_rule(self.element.cell_type, quadrature_degree)
        result = np.zeros((self.mesh.num_points, 3))
        for chunk in self.chunks(quadrature=rule):
            np.add.at(
                result, self.mesh.cells[chunk.cells].reshape(-1), kernel(chunk).reshape(-1, 3)
            )
        return result
