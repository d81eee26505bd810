r"""Small-strain linear elasticity on a layered mesh, without volumetric locking.

Two formulations:

``"displacement"``
    The standard Galerkin method, :math:`a(u,v) = \int 2\mu\,\varepsilon(u):\varepsilon(v)
    + \lambda\,\operatorname{div}u\,\operatorname{div}v`. Locks as ν → 0.5 on low-order
    elements.

``"mixed"`` (default)
    A mixed displacement–pressure method with the pressure eliminated exactly:

    .. math::

        a(u,v) = \int 2\mu\,\varepsilon_{dev}(u):\varepsilon_{dev}(v)
                 + \kappa\,\bar\theta(u)\,\bar\theta(v),
        \qquad \bar\theta = \Pi_h(\operatorname{div} u),

    where :math:`\Pi_h` is the L2 projection onto a pressure space chosen per element:

    * Q1 → piecewise constants P0 (Hughes' mean dilatation / B-bar),
    * Q2 → discontinuous linears P1disc (the inf-sup stable Q2–P1disc pair),
    * P1, P2 → continuous vertex linears per layer with a lumped (diagonal) pressure
      mass: P2 gives a Taylor–Hood pair, P1 the averaged-nodal-pressure tetrahedron of
      Bonet & Burton (1998). Pressures are continuous inside a layer and may jump at
      layer interfaces (materials differ there).

    The condensed operator stays symmetric positive definite, so the AMG-CG solver
    applies unchanged. The pressure is :math:`p = -\kappa\bar\theta`
    (mean stress :math:`\kappa\bar\theta`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from tissue_sim.fem.assembly import Assembler, CellChunk
from tissue_sim.geometry.mesh import Mesh
from tissue_sim.mechanics.materials import LinearElasticMaterial

__all__ = ["FORMULATIONS", "PRESSURE_SPACES", "CellFields", "LinearElasticProblem"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

FORMULATIONS = ("mixed", "displacement")
#: Element → pressure space of the mixed formulation.
PRESSURE_SPACES = {"Q1": "P0", "Q2": "P1disc", "P1": "vertex", "P2": "vertex"}


@dataclass(frozen=True)
class CellFields:
    """Volume-averaged fields per cell (optionally with a leading frame axis).

    Attributes
    ----------
    strain
        Small-strain tensor (with the projected dilatation), ``(m, 3, 3)`` [-].
    stress
        Cauchy stress, ``(m, 3, 3)`` [Pa].
    energy_density
        Strain-energy density ½ σ:ε, ``(m,)`` [J/m³].
    """

    strain: FloatArray
    stress: FloatArray
    energy_density: FloatArray


class LinearElasticProblem:
    """Stiffness, loads and derived fields of linear elasticity on a mesh.

    Parameters
    ----------
    mesh
        The mesh; ``mesh.cell_layer`` indexes ``materials``.
    materials
        One material per layer, in the order of ``mesh.layer_names``.
    formulation
        ``"mixed"`` (locking-free, default) or ``"displacement"``.
    quadrature_degree
        Cell quadrature degree (default: exact stiffness on affine cells).
    chunk_size
        Cells per assembly chunk.
    """

    def __init__(
        self,
        mesh: Mesh,
        materials: Sequence[LinearElasticMaterial],
        *,
        formulation: str = "mixed",
        quadrature_degree: int | None = None,
        chunk_size: int | None = None,
    ) -> None:
        if formulation not in FORMULATIONS:
            raise ValueError(f"formulation must be one of {FORMULATIONS}, got {formulation!r}")
        if len(materials) != len(mesh.layer_names):
            raise ValueError("one material per layer is required")
        self.mesh = mesh
        self.formulation = formulation
        self.assembler = Assembler(mesh, quadrature_degree=quadrature_degree, chunk_size=chunk_size)
        shear = np.array([m.shear_modulus for m in materials])
        bulk = np.array([m.bulk_modulus for m in materials])
        self.shear_modulus: FloatArray = shear[mesh.cell_layer]
        self.bulk_modulus: FloatArray = bulk[mesh.cell_layer]
        self.pressure_space = PRESSURE_SPACES[mesh.element] if formulation == "mixed" else None
        self._stiffness: sp.bsr_matrix | None = None
        self._vertex_projection: tuple[sp.csr_matrix, FloatArray, IntArray] | None = None
        self._averages: tuple[FloatArray, FloatArray, FloatArray | None] | None = None
        if self.pressure_space in ("P0", "P1disc"):
            points = self.assembler.quadrature_points
            if self.pressure_space == "P0":
                self._pressure_basis = np.ones((points.shape[0], 1))
            else:
                self._pressure_basis = np.column_stack([np.ones(points.shape[0]), points - 0.5])

    # -- assembly -------------------------------------------------------------------
    def stiffness(self) -> sp.bsr_matrix:
        """The stiffness matrix, 3×3 BSR over nodes (assembled once, then cached) [N/m]."""
        if self._stiffness is None:
            matrix = self.assembler.matrix(self._element_stiffness, layout="dofs")
            if self.pressure_space == "vertex":
                projection, mass, _ = self._vertex_operators()
                bulk = self._vertex_bulk()
                volumetric = projection.T @ sp.diags(bulk / mass) @ projection
                matrix = (matrix.tocsr() + volumetric.tocsr()).tobsr(blocksize=(3, 3))
                matrix.sort_indices()
            self._stiffness = matrix
        return self._stiffness

    def _element_stiffness(self, chunk: CellChunk) -> FloatArray:
        r"""Element matrices of the chunk in dof order, ``(E, N, 3, N, 3)`` [N/m].

        With :math:`A_{aibj} = \int \partial_i N_a\, \partial_j N_b` (one batched matrix
        product over the quadrature points):
        :math:`K_{aibj} = c\,A_{aibj} + \mu A_{ajbi} + \mu\,\delta_{ij} A_{akbk}`,
        with :math:`c = \lambda` (displacement) or :math:`c = -2\mu/3` plus the condensed
        volumetric term (mixed).
        """
        geometry = chunk.geometry
        mu = self.shear_modulus[chunk.cells][:, None, None, None, None]
        kappa = self.bulk_modulus[chunk.cells][:, None, None, None, None]
        n_cells, n_points, n_nodes, _ = geometry.gradients.shape
        flat = geometry.gradients.reshape(n_cells, n_points, 3 * n_nodes)
        gram = np.matmul(np.swapaxes(flat * geometry.weights[:, :, None], 1, 2), flat)
        gram = gram.reshape(n_cells, n_nodes, 3, n_nodes, 3)
        coefficient = kappa - 2.0 * mu / 3.0 if self.pressure_space is None else -2.0 * mu / 3.0
        blocks = gram * coefficient
        blocks += gram.transpose(0, 1, 4, 3, 2) * mu
        trace = np.einsum("eakbk->eab", gram)
        for i in range(3):
            blocks[:, :, i, :, i] += trace * mu[:, :, 0, :, 0]
        if self.pressure_space in ("P0", "P1disc"):
            divergence, mass_inverse = self._element_projection(chunk)
            volumetric = np.einsum(
                "epai,epr,erbj->eaibj", divergence, mass_inverse, divergence, optimize=True
            )
            blocks += volumetric * kappa
        return blocks

    def _element_projection(self, chunk: CellChunk) -> tuple[FloatArray, FloatArray]:
        """∫ψ_p ∂_i N_a ``(E, P, N, 3)`` and the inverse pressure mass ``(E, P, P)``."""
        geometry = chunk.geometry
        psi = self._pressure_basis
        mass = np.einsum("eq,qp,qr->epr", geometry.weights, psi, psi)
        divergence = np.einsum("eq,qp,eqai->epai", geometry.weights, psi, geometry.gradients)
        return divergence, np.linalg.inv(mass)

    def _vertex_operators(self) -> tuple[sp.csr_matrix, FloatArray, IntArray]:
        """Vertex projection: B (n_p × 3n), lumped masses (n_p,), pressure nodes (m, Nv)."""
        if self._vertex_projection is None:
            mesh = self.mesh
            vertices = mesh.linear_cells()
            n_layers = max(len(mesh.layer_names), 1)
            keys = vertices.astype(np.int64) * n_layers + mesh.cell_layer[:, None]
            unique_keys, pressure_nodes = np.unique(keys, return_inverse=True)
            pressure_nodes = pressure_nodes.reshape(vertices.shape)
            n_pressure = unique_keys.size
            coordinate_values, _ = self.assembler.element.tabulate_coordinate(
                self.assembler.quadrature_points
            )
            rows, cols, vals = [], [], []
            mass = np.zeros(n_pressure)
            for chunk in self.assembler.chunks():
                g = chunk.geometry
                b = np.einsum("eq,qi,eqak->eiak", g.weights, coordinate_values, g.gradients)
                pn = pressure_nodes[chunk.cells]
                nodes = mesh.cells[chunk.cells]
                shape = b.shape
                rows.append(np.broadcast_to(pn[:, :, None, None], shape).reshape(-1))
                cols.append(
                    np.broadcast_to(3 * nodes[:, None, :, None] + np.arange(3), shape).reshape(-1)
                )
                vals.append(b.reshape(-1))
                np.add.at(
                    mass,
                    pn.reshape(-1),
                    np.einsum("eq,qi->ei", g.weights, coordinate_values).reshape(-1),
                )
            projection = sp.csr_matrix(
                (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                shape=(n_pressure, 3 * mesh.num_points),
            )
            projection.sum_duplicates()
            self._vertex_projection = (projection, mass, pressure_nodes)
        return self._vertex_projection

    def _vertex_bulk(self) -> FloatArray:
        projection, _, pressure_nodes = self._vertex_operators()
        bulk = np.zeros(projection.shape[0])
        bulk[pressure_nodes.reshape(-1)] = np.repeat(self.bulk_modulus, pressure_nodes.shape[1])
        return bulk

    def body_force_vector(
        self, body_force: Callable[[FloatArray], FloatArray], *, quadrature_degree: int = 6
    ) -> FloatArray:
        """Nodal forces of a body force density ``b(x)`` [N/m³], ``(n_nodes, 3)`` [N]."""

        def kernel(chunk: CellChunk) -> FloatArray:
            g = chunk.geometry
            force = np.asarray(body_force(g.points.reshape(-1, 3))).reshape(g.points.shape)
            return np.einsum("eq,qa,eqi->eai", g.weights, g.values, force)

        return self.assembler.vector(kernel, quadrature_degree=quadrature_degree)

    # -- derived fields ---------------------------------------------------------------
    def vertex_dilatation(self, displacement: FloatArray) -> FloatArray | None:
        """Projected dilatation at the pressure nodes of the vertex space (else ``None``)."""
        if self.pressure_space != "vertex":
            return None
        projection, mass, _ = self._vertex_operators()
        return np.asarray(projection @ displacement.reshape(-1)) / mass

    def quadrature_strain(
        self,
        chunk: CellChunk,
        displacement: FloatArray,
        vertex_dilatation: FloatArray | None = None,
    ) -> FloatArray:
        """Strain with the projected dilatation at a chunk's quadrature points ``(E,Q,3,3)``.

        ``vertex_dilatation`` (from :meth:`vertex_dilatation`) avoids recomputing the
        vertex projection for every chunk.
        """
        nodal = displacement[self.mesh.cells[chunk.cells]]  # (E, N, 3)
        gradient = np.einsum("eai,eqaj->eqij", nodal, chunk.geometry.gradients)
        strain = 0.5 * (gradient + np.swapaxes(gradient, -1, -2))
        if self.pressure_space is None:
            return strain
        dilatation = np.trace(strain, axis1=-2, axis2=-1)
        if self.pressure_space == "vertex":
            if vertex_dilatation is None:
                vertex_dilatation = self.vertex_dilatation(displacement)
            assert vertex_dilatation is not None
            _, _, pressure_nodes = self._vertex_operators()
            coordinate_values, _ = self.assembler.element.tabulate_coordinate(
                self.assembler.quadrature_points
            )
            projected = np.einsum(
                "qi,ei->eq", coordinate_values, vertex_dilatation[pressure_nodes[chunk.cells]]
            )
        else:
            divergence, mass_inverse = self._element_projection(chunk)
            moments = np.einsum("epai,eai->ep", divergence, nodal)
            coefficients = np.einsum("epr,er->ep", mass_inverse, moments)
            projected = coefficients @ self._pressure_basis.T
        return strain + ((projected - dilatation) / 3.0)[..., None, None] * np.eye(3)

    def quadrature_stress(self, strain: FloatArray, cells: slice) -> FloatArray:
        """Cauchy stress σ = 2μ ε_dev + κ tr(ε) I from a (projected) strain [Pa]."""
        mu = self.shear_modulus[cells][:, None, None, None]
        kappa = self.bulk_modulus[cells][:, None, None, None]
        trace = np.trace(strain, axis1=-2, axis2=-1)[..., None, None]
        deviator = strain - trace / 3.0 * np.eye(3)
        return 2.0 * mu * deviator + kappa * trace * np.eye(3)

    def _averaging_operators(self) -> tuple[FloatArray, FloatArray, FloatArray | None]:
        """Cell volumes ``(m,)``, volume-averaged basis gradients ``(m, N, 3)`` [1/m] and,
        for the vertex pressure space, the cell-averaging weights of its nodes ``(m, Nv)``.

        The cell average of a linear function of u is that function of the averaged
        gradients, so every frame's cell-averaged strain is one small product.
        """
        if self._averages is None:
            m = self.mesh.num_cells
            volumes = np.empty(m)
            mean_gradients = np.empty((m, self.assembler.element.nodes_per_cell, 3))
            vertex_weights = None
            if self.pressure_space == "vertex":
                vertex_weights = np.empty((m, self.mesh.vertices_per_cell))
                coordinate_values, _ = self.assembler.element.tabulate_coordinate(
                    self.assembler.quadrature_points
                )
            for chunk in self.assembler.chunks():
                g = chunk.geometry
                volume = g.weights.sum(axis=1)
                volumes[chunk.cells] = volume
                mean_gradients[chunk.cells] = (
                    np.einsum("eq,eqai->eai", g.weights, g.gradients) / volume[:, None, None]
                )
                if vertex_weights is not None:
                    vertex_weights[chunk.cells] = (g.weights @ coordinate_values) / volume[:, None]
            self._averages = (volumes, mean_gradients, vertex_weights)
        return self._averages

    def cell_fields(self, displacement: FloatArray) -> CellFields:
        """Volume-averaged strain and stress per cell, for one or many displacements.

        Parameters
        ----------
        displacement
            Nodal displacements ``(n_nodes, 3)`` or ``(K, n_nodes, 3)`` [m].

        Returns
        -------
        CellFields
            Arrays with a leading ``K`` axis when ``displacement`` had one. The strain
            carries the projected dilatation of the mixed formulation (for P0 and P1disc
            pressures its cell mean equals the mean divergence); the stress is exact for
            the cell-averaged strain (materials are constant per cell); the energy
            density is ½ σ̄ : ε̄ of the cell-averaged tensors.
        """
        frames = np.asarray(displacement, dtype=float)
        single = frames.ndim == 2
        if single:
            frames = frames[None]
        _, mean_gradients, vertex_weights = self._averaging_operators()
        cells = self.mesh.cells
        n_frames = frames.shape[0]
        m = self.mesh.num_cells
        strain = np.empty((n_frames, m, 3, 3))
        chunk = 100_000
        for start in range(0, m, chunk):
            stop = min(start + chunk, m)
            nodal = frames[:, cells[start:stop]]  # (K, E, N, 3)
            gradient = np.einsum("keai,eaj->keij", nodal, mean_gradients[start:stop])
            strain[:, start:stop] = 0.5 * (gradient + np.swapaxes(gradient, -1, -2))
        if vertex_weights is not None:
            projection, mass, pressure_nodes = self._vertex_operators()
            for k in range(n_frames):
                vertex_dilatation = (projection @ frames[k].reshape(-1)) / mass
                projected = np.einsum("ei,ei->e", vertex_weights, vertex_dilatation[pressure_nodes])
                trace = np.trace(strain[k], axis1=-2, axis2=-1)
                strain[k] += ((projected - trace) / 3.0)[:, None, None] * np.eye(3)
        mu = self.shear_modulus[:, None, None]
        kappa = self.bulk_modulus[:, None, None]
        trace = np.trace(strain, axis1=-2, axis2=-1)[..., None, None]
        stress = 2.0 * mu * (strain - trace / 3.0 * np.eye(3)) + kappa * trace * np.eye(3)
        energy = 0.5 * np.einsum("kmij,kmij->km", stress, strain)
        if single:
            return CellFields(strain[0], stress[0], energy[0])
        return CellFields(strain, stress, energy)

    def cell_volumes(self) -> FloatArray:
        """Cell volumes from the quadrature weights [m³]."""
        return self._averaging_operators()[0]
