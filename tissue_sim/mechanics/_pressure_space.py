r"""Pressure spaces of the locking-free mixed formulation (private).

The volumetric part of every material is written in terms of a *projected* volume
measure :math:`\theta = \Pi_h J` (finite strain) or :math:`\theta = 1 + \Pi_h\operatorname{div}u`
(small strain), the :math:`L^2` projection onto a pressure space chosen per element:

* Q1 → piecewise constants P0 (Hughes' mean dilatation / B-bar),
* Q2 → discontinuous linears P1disc (the inf-sup stable Q2–P1disc pair),
* P1, P2 → continuous vertex linears per layer with a lumped (diagonal) pressure mass:
  P2 gives a Taylor–Hood pair, P1 the averaged-nodal-pressure tetrahedron of Bonet &
  Burton (1998). Pressures are continuous inside a layer and may jump at layer
  interfaces (materials differ there).

With the divergence operator :math:`d_{ai} = (\operatorname{cof}F)_{iJ}\partial_J N_a`
(:math:`\partial_i N_a` at small strain):

* element-wise spaces (basis :math:`\psi_p`, mass :math:`M_{pr} = \int\psi_p\psi_r\,dV`):
  :math:`\theta = \psi\cdot M^{-1}\!\int\psi J\,dV`, the pressure
  :math:`\tilde p = \psi\cdot M^{-1}\!\int\psi\,U'(\theta)\,dV` and the condensed
  stiffness :math:`D^TM^{-1}HM^{-1}D`, :math:`D_{p,ai} = \int\psi_p d_{ai}\,dV`,
  :math:`H_{pr} = \int U''(\theta)\psi_p\psi_r\,dV`, all element-local;
* vertex space (vertex hat functions :math:`N_n`, lumped mass :math:`m_n = \int N_n\,dV`):
  :math:`\theta_n = m_n^{-1}\int N_nJ\,dV`, volumetric energy :math:`\sum_n m_nU(\theta_n)`,
  :math:`\tilde p = \sum_n N_nU'(\theta_n)` and the global stiffness
  :math:`B^T\operatorname{diag}(U''(\theta_n)/m_n)B`, :math:`B_{n,ai} = \int N_n d_{ai}\,dV`.

For small strain, :math:`U = \tfrac\kappa2(\theta-1)^2` and the condensed operators are
the mixed linear-elastic stiffness :math:`\int\kappa\,\Pi_h(\operatorname{div}u)
\,\Pi_h(\operatorname{div}v)`.
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

#: Element → pressure space of the mixed formulation.
PRESSURE_SPACES = {"Q1": "P0", "Q2": "P1disc", "P1": "vertex", "P2": "vertex"}


def element_basis(space: str, quadrature_points: FloatArray) -> FloatArray:
    """Pressure basis at the reference quadrature points ``(Q, P)`` (P0 or P1disc)."""
    if space == "P0":
        return np.ones((quadrature_points.shape[0], 1))
    if space == "P1disc":
        return np.column_stack([np.ones(quadrature_points.shape[0]), quadrature_points - 0.5])
    raise ValueError(f"no element-wise basis for pressure space {space!r}")


def element_mass_inverse(weights: FloatArray, basis: FloatArray) -> FloatArray:
    """Inverse pressure mass per cell ``(E, P, P)`` [1/m³]."""
    if basis.shape[1] == 1:
        return np.asarray(1.0 / weights.sum(axis=1))[:, None, None]
    mass = np.einsum("eq,qp,qr->epr", weights, basis, basis)
    return np.asarray(np.linalg.inv(mass))


def element_projection(
    weights: FloatArray, basis: FloatArray, mass_inverse: FloatArray, values: FloatArray
) -> FloatArray:
    """L2 projection of point values ``(E, Q)`` onto the element space, at the points."""
    if basis.shape[1] == 1:
        mean = np.einsum("eq,eq->e", weights, values) * mass_inverse[:, 0, 0]
        return np.asarray(np.broadcast_to(mean[:, None], values.shape))
    moments = (weights * values) @ basis
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
        ``(E, P, P)`` [1/m³].
    second
        ``U''(θ)`` at the points ``(E, Q)`` [Pa].
    divergence
        ``d_{ai}`` at the points ``(E, Q, N, 3)`` [1/m].
    """
    n_cells, n_points, n_nodes, _ = divergence.shape
    weighted = (weights[:, :, None] * basis[None]).transpose(0, 2, 1)  # (E, P, Q)
    d = np.matmul(weighted, divergence.reshape(n_cells, n_points, 3 * n_nodes))  # (E, P, 3N)
    h = np.matmul(weighted * second[:, None, :], basis[None])  # (E, P, P)
    middle = mass_inverse @ h @ mass_inverse
    blocks = np.matmul(np.swapaxes(d, 1, 2), middle @ d)  # (E, 3N, 3N) = [e, (a,i), (b,k)]
    return np.asarray(blocks.reshape(n_cells, n_nodes, 3, n_nodes, 3).transpose(0, 1, 3, 2, 4))


@dataclass(frozen=True)
class ElementSpace:
    """An element-wise pressure space (P0 or P1disc) and its cached inverse masses.

    Attributes
    ----------
    name
        ``"P0"`` or ``"P1disc"``.
    basis
        Basis at the reference quadrature points ``(Q, P)``.
    """

    name: str
    basis: FloatArray

    @classmethod
    def build(cls, name: str, assembler: Assembler) -> ElementSpace:
        """The space ``name`` at the assembler's quadrature points."""
        return cls(name, element_basis(name, assembler.quadrature_points))

    def mass_inverse(self, weights: FloatArray) -> FloatArray:
        """Inverse mass per cell ``(E, P, P)`` [1/m³]."""
        return element_mass_inverse(weights, self.basis)

    def project(
        self, weights: FloatArray, mass_inverse: FloatArray, values: FloatArray
    ) -> FloatArray:
        """L2 projection of point values ``(E, Q)``, evaluated at the points."""
        return element_projection(weights, self.basis, mass_inverse, values)

    def condensed_stiffness(
        self,
        weights: FloatArray,
        mass_inverse: FloatArray,
        second: FloatArray,
        divergence: FloatArray,
    ) -> FloatArray:
        """Condensed volumetric blocks ``(E, N, N, 3, 3)`` (see the module description)."""
        return element_volumetric_stiffness(weights, self.basis, mass_inverse, second, divergence)


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

    name = "vertex"

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
            local = chunk.geometry.weights @ values
            mass += np.bincount(
                pressure_nodes[chunk.cells].reshape(-1),
                weights=local.reshape(-1),
                minlength=unique_keys.size,
            )
        layer = (unique_keys % n_layers).astype(np.int32)
        return cls(pressure_nodes, mass, layer, values)

    def moments(
        self, cells: slice | IntArray, weights: FloatArray, point_values: FloatArray
    ) -> FloatArray:
        """``∫ N_n f dV`` of point values ``(E, Q)`` of a chunk, summed per node ``(n_p,)``."""
        local = (weights * point_values) @ self.values
        summed = np.bincount(
            self.pressure_nodes[cells].reshape(-1), weights=local.reshape(-1), minlength=self.size
        )
        return np.asarray(summed, dtype=float)

    def interpolate(self, cells: slice | IntArray, nodal: FloatArray) -> FloatArray:
        """``Σ_n N_n(x_q) v_n`` at the chunk's points, ``(E, Q)``."""
        return np.asarray(nodal[self.pressure_nodes[cells]] @ self.values.T)

    def coupling_entries(
        self,
        cells: slice | IntArray,
        nodes: IntArray,
        weights: FloatArray,
        divergence: FloatArray,
    ) -> tuple[IntArray, IntArray, FloatArray]:
        """COO entries of ``B_{n,(a,i)} = ∫ N_n d_{ai} dV`` for a chunk."""
        local = np.einsum("eq,qn,eqai->enai", weights, self.values, divergence, optimize=True)
        shape = local.shape
        rows = np.broadcast_to(self.pressure_nodes[cells][:, :, None, None], shape)
        columns = np.broadcast_to(3 * nodes[:, None, :, None] + np.arange(3), shape)
        return rows.reshape(-1), columns.reshape(-1), local.reshape(-1)

    def coupling_matrix(
        self, entries: list[tuple[IntArray, IntArray, FloatArray]], num_dofs: int
    ) -> sp.csr_matrix:
        """``B`` (n_p × 3n) from the COO entries of every chunk [m²]."""
        rows, columns, values = (np.concatenate(parts) for parts in zip(*entries, strict=True))
        coupling = sp.csr_matrix((values, (rows, columns)), shape=(self.size, num_dofs))
        coupling.sum_duplicates()
        return coupling

    def stiffness(self, coupling: sp.csr_matrix, second: FloatArray) -> sp.csr_matrix:
        """Global ``Bᵀ diag(U''/m) B`` [N/m]."""
        return sp.csr_matrix(coupling.T @ sp.diags(second / self.mass) @ coupling)
