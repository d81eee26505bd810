r"""Projections of the volume ratio for the locking-free three-field formulation (private).

The volume ratio :math:`J` is replaced in the volumetric energy by its
:math:`L^2` projection :math:`\theta = \Pi_h J` onto a pressure space (the same
spaces as the linear mixed formulation):

* element-wise spaces (P0 for Q1, P1disc for Q2): with element basis
  :math:`\psi_p`, mass :math:`M_{pr} = \int\psi_p\psi_r\,dV`,
  :math:`\theta = \psi\cdot M^{-1}\!\int\psi J\,dV`; the pressure
  :math:`\tilde p = \psi\cdot M^{-1}\!\int\psi\,U'(\theta)\,dV` and the condensed
  stiffness :math:`D^TM^{-1}HM^{-1}D` with :math:`D_{p,ai} = \int\psi_p
  (\operatorname{cof}F)_{iJ}\,\partial_J N_a\,dV`,
  :math:`H_{pr} = \int U''(\theta)\psi_p\psi_r\,dV` are element-local;
* vertex space (tetrahedra): per-layer vertex hat functions :math:`N_n` with lumped
  mass :math:`m_n = \int N_n\,dV`, :math:`\theta_n = m_n^{-1}\int N_nJ\,dV`,
  volumetric energy :math:`\sum_n m_nU(\theta_n)`, :math:`\tilde p = \sum_n N_nU'(\theta_n)`
  and the global stiffness :math:`B^T\operatorname{diag}(U''(\theta_n)/m_n)B`,
  :math:`B_{n,ai} = \int N_n(\operatorname{cof}F)_{iJ}\,\partial_JN_a\,dV`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from tissue_sim.fem.assembly import Assembler
from tissue_sim.geometry.mesh import Mesh

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


def element_basis(space: str, quadrature_points: FloatArray) -> FloatArray:
    """Pressure basis at the reference quadrature points ``(Q, P)`` (P0 or P1disc)."""
    if space == "P0":
        return np.ones((quadrature_points.shape[0], 1))
    if space == "P1disc":
        return np.column_stack([np.ones(quadrature_points.shape[0]), quadrature_points - 0.5])
    raise ValueError(f"no element-wise basis for pressure space {space!r}")


def element_mass_inverse(weights: FloatArray, basis: FloatArray) -> FloatArray:
    """Inverse pressure mass per cell ``(E, P, P)`` [1/m³]."""
    mass = np.einsum("eq,qp,qr->epr", weights, basis, basis)
    return np.asarray(np.linalg.inv(mass))


def element_projection(
    weights: FloatArray, basis: FloatArray, mass_inverse: FloatArray, values: FloatArray
) -> FloatArray:
    """L2 projection of point values ``(E, Q)`` onto the element space, at the points."""
    moments = np.einsum("eq,qp,eq->ep", weights, basis, values)
    coefficients = np.einsum("epr,er->ep", mass_inverse, moments)
    return np.asarray(coefficients @ basis.T)


def element_volumetric_stiffness(
    weights: FloatArray,
    basis: FloatArray,
    mass_inverse: FloatArray,
    second: FloatArray,
    divergence: FloatArray,
) -> FloatArray:
    """Condensed ``D^T M^{-1} H M^{-1} D`` per cell, ``(E, N, N, 3, 3)`` [N/m].

    Parameters
    ----------
    weights
        ``(E, Q)`` [m³].
    basis
        ``(Q, P)``.
    mass_inverse
        ``(E, P, P)``.
    second
        ``U''(θ)`` at the points ``(E, Q)`` [Pa].
    divergence
        ``(cof F)_{iJ} ∂_J N_a`` at the points ``(E, Q, N, 3)`` [1/m].
    """
    d = np.einsum("eq,qp,eqai->epai", weights, basis, divergence)
    h = np.einsum("eq,qp,qr,eq->epr", weights, basis, basis, second)
    middle = mass_inverse @ h @ mass_inverse
    return np.asarray(np.einsum("epai,epr,erbk->eabik", d, middle, d, optimize=True))


@dataclass(frozen=True)
class VertexSpace:
    """Per-layer continuous vertex pressure space with lumped mass.

    Attributes
    ----------
    pressure_nodes
        Pressure node of every cell vertex, ``(m, Nv)``.
    mass
        Lumped mass ``∫ N_n dV`` per pressure node, ``(n_p,)`` [m³].
    layer
        Layer index of every pressure node, ``(n_p,)``.
    values
        Vertex hat functions at the quadrature points, ``(Q, Nv)``.
    """

    pressure_nodes: IntArray
    mass: FloatArray
    layer: NDArray[np.int32]
    values: FloatArray

    @property
    def size(self) -> int:
        """Number of pressure nodes."""
        return int(self.mass.size)

    @classmethod
    def build(cls, mesh: Mesh, assembler: Assembler) -> VertexSpace:
        """Number the (vertex, layer) pairs and integrate their lumped masses."""
        vertices = mesh.linear_cells()
        n_layers = max(len(mesh.layer_names), 1)
        keys = vertices.astype(np.int64) * n_layers + mesh.cell_layer[:, None]
        unique_keys, inverse = np.unique(keys, return_inverse=True)
        pressure_nodes = inverse.reshape(vertices.shape).astype(np.int64)
        values, _ = assembler.element.tabulate_coordinate(assembler.quadrature_points)
        mass = np.zeros(unique_keys.size)
        for chunk in assembler.chunks():
            local = np.einsum("eq,qi->ei", chunk.geometry.weights, values)
            mass += np.bincount(
                pressure_nodes[chunk.cells].reshape(-1),
                weights=local.reshape(-1),
                minlength=unique_keys.size,
            )
        layer = (unique_keys % n_layers).astype(np.int32)
        return cls(pressure_nodes, mass, layer, values)

    def moments(self, cells: slice, weights: FloatArray, point_values: FloatArray) -> FloatArray:
        """``∫ N_n f dV`` of point values ``(E, Q)`` of a chunk, summed per node ``(n_p,)``."""
        local = np.einsum("eq,qi,eq->ei", weights, self.values, point_values)
        summed = np.bincount(
            self.pressure_nodes[cells].reshape(-1), weights=local.reshape(-1), minlength=self.size
        )
        return np.asarray(summed, dtype=float)

    def interpolate(self, cells: slice, nodal: FloatArray) -> FloatArray:
        """``Σ_n N_n(x_q) v_n`` at the chunk's points, ``(E, Q)``."""
        return np.asarray(np.einsum("qi,ei->eq", self.values, nodal[self.pressure_nodes[cells]]))

    def coupling_entries(
        self,
        cells: slice,
        nodes: IntArray,
        weights: FloatArray,
        divergence: FloatArray,
    ) -> tuple[IntArray, IntArray, FloatArray]:
        """COO entries of ``B_{n,(a,i)} = ∫ N_n (cof F)_{iJ} ∂_J N_a dV`` for a chunk."""
        local = np.einsum("eq,qn,eqai->enai", weights, self.values, divergence)
        shape = local.shape
        rows = np.broadcast_to(self.pressure_nodes[cells][:, :, None, None], shape)
        columns = np.broadcast_to(3 * nodes[:, None, :, None] + np.arange(3), shape)
        return rows.reshape(-1), columns.reshape(-1), local.reshape(-1)

    def stiffness(
        self,
        rows: IntArray,
        columns: IntArray,
        values: FloatArray,
        second: FloatArray,
        num_dofs: int,
    ) -> sp.csr_matrix:
        """Global ``Bᵀ diag(U''/m) B`` from the COO entries of ``B`` [N/m]."""
        coupling = sp.csr_matrix((values, (rows, columns)), shape=(self.size, num_dofs))
        coupling.sum_duplicates()
        return sp.csr_matrix(coupling.T @ sp.diags(second / self.mass) @ coupling)
