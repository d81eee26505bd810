"""Block-sparse (3×3 BSR) sparsity pattern of a vector field, built once and reused.

The global matrix of a 3-component field is stored as a :class:`scipy.sparse.bsr_matrix`
with 3×3 blocks, one block per pair of coupled nodes. The pattern is the node graph
``Cᵀ C`` of the cell–node incidence ``C`` (a sparse product, no Python loop), and every
(cell, local node a, local node b) entry gets the index of its block once, so that
re-assembly is a single ``np.add.at`` per chunk of cells.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numba import njit
from numpy.typing import NDArray

__all__ = ["BlockPattern", "block_pattern"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class BlockPattern:
    """Sparsity pattern of a node-blocked matrix.

    Attributes
    ----------
    num_nodes
        Number of block rows (mesh nodes).
    indptr, indices
        CSR structure of the node graph (sorted column indices per row).
    cell_slots
        For every cell, the block index of each (a, b) local node pair, shape
        ``(n_cells, N, N)``; ``int32`` when the block count allows.
    block_size
        Components per node (3 for displacement).
    """

    num_nodes: int
    indptr: IntArray
    indices: IntArray
    cell_slots: NDArray[np.integer]
    block_size: int = 3

    @property
    def num_blocks(self) -> int:
        """Number of stored blocks."""
        return int(self.indices.size)

    def zeros(self) -> FloatArray:
        """A zero data array ``(num_blocks, b, b)`` to accumulate into."""
        return np.zeros((self.num_blocks, self.block_size, self.block_size))

    def add_cell_blocks(
        self,
        data: FloatArray,
        cell_ids: slice | IntArray,
        blocks: FloatArray,
        *,
        layout: str = "nodes",
    ) -> None:
        """Accumulate the element matrices of the cells ``cell_ids`` into ``data``.

        Parameters
        ----------
        data
            Block data ``(num_blocks, b, b)``, updated in place.
        cell_ids
            The cells of ``blocks``.
        blocks
            ``(E, N, N, b, b)`` with ``layout="nodes"``, or ``(E, N, b, N, b)`` (the
            element matrix in dof order, as a batched matrix product yields it) with
            ``layout="dofs"``.
        layout
            ``"nodes"`` or ``"dofs"``.
        """
        flat = self.scatter_indices(cell_ids, layout=layout)
        low = int(flat.min()) if flat.size else 0
        self.scatter(data, flat - low, blocks, low)

    def scatter_indices(self, cell_ids: slice | IntArray, *, layout: str = "nodes") -> IntArray:
        """Flat positions in ``data.reshape(-1)`` of every element-matrix entry.

        The same shapes and layouts as :meth:`add_cell_blocks`; compute them once per
        chunk of cells and pass them to :meth:`scatter` to re-assemble a matrix with the
        same pattern (Newton's tangents) without recomputing them.
        """
        b = self.block_size
        slots = self.cell_slots[cell_ids].astype(np.int64) * (b * b)  # (E, N, N)
        rows = (b * np.arange(b))[:, None]
        cols = np.arange(b)[None, :]
        if layout == "nodes":
            flat = slots[:, :, :, None, None] + rows + cols
        elif layout == "dofs":
            flat = (
                slots[:, :, None, :, None]
                + rows[None, None, :, None, :].reshape(1, 1, b, 1, 1)
                + cols.reshape(1, 1, 1, 1, b)
            )
        else:
            raise ValueError(f"layout must be 'nodes' or 'dofs', got {layout!r}")
        return np.asarray(flat.reshape(-1))

    @staticmethod
    def scatter(data: FloatArray, flat: IntArray, blocks: FloatArray, low: int = 0) -> None:
        """``data.flat[low + flat] += blocks``, repeated positions summed (in place).

        A compiled scatter-add (numba; several times faster than ``np.add.at`` and than
        a bincount, which allocates and sums a count array as long as the range of
        positions); ``low`` is added to every position.
        """
        if flat.size == 0:
            return
        values = np.ascontiguousarray(blocks, dtype=float).reshape(-1)
        if values.size != flat.size:
            raise ValueError(f"{flat.size} positions but {values.size} values")
        _scatter_add(data.reshape(-1), np.ascontiguousarray(flat), values, low)

    def matrix(self, data: FloatArray) -> sp.bsr_matrix:
        """The BSR matrix with this pattern and the given block data (no copy)."""
        n = self.num_nodes * self.block_size
        return sp.bsr_matrix((data, self.indices, self.indptr), shape=(n, n))


@njit(cache=True, nogil=True, error_model="numpy")
def _scatter_add(  # pragma: no cover - compiled
    target: NDArray[np.float64], flat: NDArray[np.integer], values: NDArray[np.float64], low: int
) -> None:
    for index in range(flat.size):
        target[low + flat[index]] += values[index]


def _node_graph(cells: IntArray, num_nodes: int) -> sp.csr_matrix:
    n_cells, per_cell = cells.shape
    incidence = sp.csr_matrix(
        (
            np.ones(cells.size, dtype=np.float32),
            cells.reshape(-1),
            np.arange(0, cells.size + 1, per_cell),
        ),
        shape=(n_cells, num_nodes),
    )
    graph = (incidence.T @ incidence).tocsr()
    graph.sort_indices()
    return graph


def block_pattern(cells: IntArray, num_nodes: int, *, chunk: int = 200_000) -> BlockPattern:
    """Build the node-block pattern of a mesh's cells.

    Parameters
    ----------
    cells
        Node indices per cell, ``(n_cells, N)``.
    num_nodes
        Number of mesh nodes.
    chunk
        Cells processed at once when locating slots (bounds memory).

    Returns
    -------
    BlockPattern
        Pattern and the cached cell → block-slot map.
    """
    graph = _node_graph(cells, num_nodes)
    indptr = graph.indptr.astype(np.int64)
    indices = graph.indices.astype(np.int64)
    row_of_block = np.repeat(np.arange(num_nodes, dtype=np.int64), np.diff(indptr))
    keys = row_of_block * num_nodes + indices  # sorted: rows ascending, columns sorted
    del row_of_block
    dtype = np.int32 if keys.size < np.iinfo(np.int32).max else np.int64
    n_cells, per_cell = cells.shape
    slots = np.empty((n_cells, per_cell, per_cell), dtype=dtype)
    for start in range(0, n_cells, chunk):
        block = cells[start : start + chunk].astype(np.int64)
        query = block[:, :, None] * num_nodes + block[:, None, :]
        slots[start : start + chunk] = np.searchsorted(keys, query)
    return BlockPattern(num_nodes, indptr, indices, slots)
