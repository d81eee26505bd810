r"""Total-Lagrangian finite-strain hyperelasticity on a layered mesh, without locking.

Unknown: the nodal displacement :math:`u`; :math:`F = I + \nabla_X u`. The discrete
potential (dead loads :math:`f`) is

.. math::

    \Pi(u) = \int_{\Omega_0} \Psi_{iso}(\bar C)\,dV + \int_{\Omega_0} U(\theta)\,dV - f\cdot u,
    \qquad \theta = \Pi_h J,

where :math:`\Pi_h` projects the volume ratio onto a pressure space (P0 for Q1, P1disc
for Q2, per-layer vertex P1 with lumped mass for tetrahedra — the spaces of the
linear mixed formulation). With the decoupled laws of
:mod:`~tissue_sim.mechanics.hyperelastic.materials` this is exactly the three-field
Hu–Washizu formulation of Simo, Taylor & Pister (1985) with pressure and dilatation
condensed (element-wise for the hexahedra; "mean dilatation" for Q1/P0). It reduces
to the linear mixed formulation for small displacements.

Residual (internal minus external nodal forces)

.. math::

    R_{ai} = \int (P_{iso} + \tilde p\operatorname{cof}F)_{iJ}\,\partial_J N_a\,dV - f_{ai},
    \qquad \tilde p = \Pi_h U'(\theta),

and the consistent (symmetric) tangent

.. math::

    K_{ai,bk} = \int \partial_J N_a\,(\mathbb A_{iso} + \tilde p\,\partial^2 J)_{iJkL}\,
    \partial_L N_b\,dV + (D^TM^{-1}HM^{-1}D)_{ai,bk}

(see :mod:`~tissue_sim.mechanics.hyperelastic._dilatation`). Everything is assembled
chunk-wise and vectorised through :class:`~tissue_sim.fem.assembly.Assembler`; no
Python loop runs over cells or quadrature points. ``formulation="displacement"``
uses the pointwise J instead (locks for nearly incompressible layers; kept for
comparison).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from tissue_sim.fem.assembly import Assembler, CellChunk
from tissue_sim.fem.dirichlet import DirichletCondition
from tissue_sim.fem.surface import FacetQuadrature, facet_quadrature, traction_load_vector
from tissue_sim.geometry.mesh import InvertedElementError, Mesh
from tissue_sim.mechanics.hyperelastic._dilatation import (
    VertexSpace,
    element_basis,
    element_mass_inverse,
    element_projection,
    element_volumetric_stiffness,
)
from tissue_sim.mechanics.hyperelastic._tensors import (
    IDENTITY,
    inverse_transpose,
    jacobian_second_derivative,
    outer,
)
from tissue_sim.mechanics.hyperelastic.kinematics import (
    HyperelasticCellFields,
    green_lagrange_strain,
    stretches_from_green_lagrange,
)
from tissue_sim.mechanics.hyperelastic.materials import HyperelasticMaterial
from tissue_sim.mechanics.hyperelastic.volumetric import volumetric_energy
from tissue_sim.mechanics.materials import LinearElasticMaterial

if TYPE_CHECKING:
    from tissue_sim.mechanics.hyperelastic.newton import FrameSolution, NewtonSettings

__all__ = ["FORMULATIONS", "PRESSURE_SPACES", "Evaluation", "HyperelasticProblem", "LoadSpec"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

FORMULATIONS = ("mixed", "displacement")
#: Element → pressure space of the mixed formulation (as in the linear problem).
PRESSURE_SPACES = {"Q1": "P0", "Q2": "P1disc", "P1": "vertex", "P2": "vertex"}

#: A load frame: nodal forces ``(n, 3)`` [N], or a traction ``t(X) -> (M, 3)`` [Pa] on
#: the top (skin) surface, applied as a dead load in the reference configuration.
LoadSpec = FloatArray | Callable[[FloatArray], FloatArray]

#: θ, U(θ), U'(θ), U''(θ) at the vertex pressure nodes.
_NodalState = tuple[FloatArray, FloatArray, FloatArray, FloatArray]

#: Bytes of work arrays per (cell × quadrature point × node) in the tangent kernel.
_BYTES_PER_ENTRY = 8 * 40


@dataclass(frozen=True)
class Evaluation:
    """Internal forces (and optionally energy and tangent) at one displacement.

    Attributes
    ----------
    internal_force
        ``∂Π_int/∂u``, shape ``(n, 3)`` [N].
    tangent
        Consistent tangent, 3×3 BSR ``(3n, 3n)`` [N/m], or ``None``.
    energy
        Stored energy ``Π_int`` [J], or ``None``.
    """

    internal_force: FloatArray
    tangent: sp.bsr_matrix | None
    energy: float | None


@dataclass(frozen=True)
class _PointState:
    """Kinematics of a chunk at its quadrature points."""

    deformation_gradient: FloatArray  # (E, Q, 3, 3)
    inverse_transpose: FloatArray  # (E, Q, 3, 3)
    jacobian: FloatArray  # (E, Q)

    @property
    def cofactor(self) -> FloatArray:
        return np.asarray(self.jacobian[..., None, None] * self.inverse_transpose)


def _element_stiffness(
    weights: FloatArray, gradients: FloatArray, tangent: FloatArray
) -> FloatArray:
    """``Σ_q w ∂_J N_a A_{iJkL} ∂_L N_b`` as blocks ``(E, N, N, 3, 3)`` (two batched matmuls)."""
    e, q, n, _ = gradients.shape
    weighted = gradients * weights[:, :, None, None]
    # A[e,q,i,J,k,L] -> [e,q,J,(i,k,L)]
    a = np.ascontiguousarray(tangent.transpose(0, 1, 3, 2, 4, 5)).reshape(e, q, 3, 27)
    first = np.matmul(weighted, a).reshape(e, q, n, 3, 3, 3)  # [e,q,a,i,k,L]
    first = np.ascontiguousarray(first.transpose(0, 2, 3, 4, 1, 5)).reshape(e, n * 9, q * 3)
    second = np.ascontiguousarray(gradients.transpose(0, 1, 3, 2)).reshape(e, q * 3, n)
    blocks = np.matmul(first, second).reshape(e, n, 3, 3, n)  # [e,a,i,k,b]
    return np.asarray(blocks.transpose(0, 1, 4, 2, 3))


class HyperelasticProblem:
    """Residual, tangent, energy and output fields of finite-strain hyperelasticity.

    Parameters
    ----------
    mesh
        The mesh; ``mesh.cell_layer`` indexes ``materials``.
    materials
        One hyperelastic law per layer, in the order of ``mesh.layer_names``.
    formulation
        ``"mixed"`` (three-field, locking-free; default) or ``"displacement"``.
    quadrature_degree
        Cell quadrature degree (default: the assembler's, exact for the linear
        stiffness on affine cells).
    chunk_size
        Cells per assembly chunk (default: about 40 MB of work arrays per chunk).
    cache_geometry
        Keep the reference geometry of every chunk (gradients, weights) between
        evaluations (faster Newton iterations, more memory).
    traction_degree, traction_subdivisions
        Facet quadrature used to turn traction callables into nodal forces.
    """

    def __init__(
        self,
        mesh: Mesh,
        materials: Sequence[HyperelasticMaterial],
        *,
        formulation: str = "mixed",
        quadrature_degree: int | None = None,
        chunk_size: int | None = None,
        cache_geometry: bool = True,
        traction_degree: int = 4,
        traction_subdivisions: int = 1,
    ) -> None:
        if formulation not in FORMULATIONS:
            raise ValueError(f"formulation must be one of {FORMULATIONS}, got {formulation!r}")
        if len(materials) != len(mesh.layer_names):
            raise ValueError(
                f"one material per layer is required: {len(mesh.layer_names)} layers "
                f"({', '.join(mesh.layer_names)}), {len(materials)} materials"
            )
        self.mesh = mesh
        self.materials = tuple(materials)
        self.formulation = formulation
        probe = Assembler(mesh, quadrature_degree=quadrature_degree)
        n_nodes = probe.element.nodes_per_cell
        n_points = probe.quadrature_weights.size
        if chunk_size is None:
            chunk_size = max(32, int(4e7 // (_BYTES_PER_ENTRY * n_points * n_nodes)))
        self.assembler = Assembler(mesh, quadrature_degree=quadrature_degree, chunk_size=chunk_size)
        self.pressure_space = PRESSURE_SPACES[mesh.element] if formulation == "mixed" else "point"
        self._chunks: list[CellChunk] | None = (
            list(self.assembler.chunks()) if cache_geometry else None
        )
        self._pressure_basis: FloatArray | None = None
        self._mass_inverse: dict[int, FloatArray] = {}
        self._vertex: VertexSpace | None = None
        if self.pressure_space in ("P0", "P1disc"):
            self._pressure_basis = element_basis(
                self.pressure_space, self.assembler.quadrature_points
            )
        elif self.pressure_space == "vertex":
            self._vertex = VertexSpace.build(mesh, self.assembler)
        self.traction_degree = traction_degree
        self.traction_subdivisions = traction_subdivisions
        self._top_quadrature: FacetQuadrature | None = None
        directions = np.zeros((len(self.materials), 2, 3))
        for index, material in enumerate(self.materials):
            vectors = material.fibre_directions
            directions[index, : vectors.shape[0]] = vectors
        self._layer_fibres = directions

    # -- bookkeeping ----------------------------------------------------------------
    @property
    def num_dofs(self) -> int:
        """3 × number of nodes."""
        return 3 * self.mesh.num_points

    def _iter_chunks(self) -> Iterator[CellChunk]:
        if self._chunks is not None:
            yield from self._chunks
        else:
            yield from self.assembler.chunks()

    def _layer_rows(self, chunk: CellChunk) -> list[tuple[int, slice | IntArray]]:
        layers = self.mesh.cell_layer[chunk.cells]
        first = int(layers[0])
        if np.all(layers == first):
            return [(first, slice(None))]
        return [(int(layer), np.flatnonzero(layers == layer)) for layer in np.unique(layers)]

    def _chunk_mass_inverse(self, chunk: CellChunk) -> FloatArray:
        assert self._pressure_basis is not None
        cached = self._mass_inverse.get(chunk.start)
        if cached is None:
            cached = element_mass_inverse(chunk.geometry.weights, self._pressure_basis)
            if self._chunks is not None:
                self._mass_inverse[chunk.start] = cached
        return cached

    def small_strain_materials(self) -> list[LinearElasticMaterial]:
        """Linear-elastic materials with each layer's μ and κ (fibres slack at rest)."""
        return [material.small_strain_material() for material in self.materials]

    def cell_fibre_directions(self) -> FloatArray:
        """Reference fibre directions per cell, ``(m, 2, 3)`` (zero rows: no family)."""
        return np.asarray(self._layer_fibres[self.mesh.cell_layer])

    # -- kinematics and checks ----------------------------------------------------------
    def _point_state(self, chunk: CellChunk, displacement: FloatArray) -> _PointState:
        nodal = displacement[self.mesh.cells[chunk.cells]]  # (E, N, 3)
        gradient = np.einsum("eai,eqaj->eqij", nodal, chunk.geometry.gradients, optimize=True)
        f = gradient + IDENTITY
        inv_t, jac = inverse_transpose(f)
        self._check_positive(chunk, jac, "det F")
        return _PointState(f, inv_t, jac)

    def _check_positive(self, chunk: CellChunk, values: FloatArray, what: str) -> None:
        bad_points = ~(values > 0.0) | ~np.isfinite(values)
        if not np.any(bad_points):
            return
        bad = np.flatnonzero(np.any(bad_points.reshape(values.shape[0], -1), axis=1))
        self._raise_inversion(chunk.start + bad, chunk.geometry.points[bad].mean(axis=1), what)

    def _raise_inversion(self, cells: IntArray, centres: FloatArray, what: str) -> None:
        layers = self.mesh.cell_layer[cells]
        names = self.mesh.layer_names
        unique = np.unique(layers)
        counts = ", ".join(
            f"'{names[layer]}' ({int(np.count_nonzero(layers == layer))} cell(s))"
            for layer in unique
        )
        noun = "layer" if unique.size == 1 else "layers"
        x, y, z = (1e3 * centres[0]).tolist()
        raise InvertedElementError(
            f"element inversion ({what} <= 0) in {noun} {counts}; first: cell {int(cells[0])} "
            f"of layer '{names[layers[0]]}' near X = ({x:.3g}, {y:.3g}, {z:.3g}) mm"
        )

    def _volumetric(
        self, layers: NDArray[np.integer] | int, theta: FloatArray
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """U, U', U'' of each row's layer law at the volume ratios ``theta``."""
        if isinstance(layers, int | np.integer):
            material = self.materials[int(layers)]
            return volumetric_energy(material.volumetric, material.bulk_modulus, theta)
        energy = np.empty_like(theta)
        first = np.empty_like(theta)
        second = np.empty_like(theta)
        for layer in np.unique(layers):
            rows = layers == layer
            material = self.materials[int(layer)]
            energy[rows], first[rows], second[rows] = volumetric_energy(
                material.volumetric, material.bulk_modulus, theta[rows]
            )
        return energy, first, second

    def _isochoric(
        self, chunk: CellChunk, f: FloatArray, *, tangent: bool, energy: bool
    ) -> tuple[FloatArray, FloatArray | None, FloatArray | None]:
        """Isochoric P, A and Ψ per point, each layer with its own law."""
        groups = self._layer_rows(chunk)
        if len(groups) == 1:
            material = self.materials[groups[0][0]]
            stress, stiffness = material.isochoric_stress(f, tangent=tangent)
            density = material.isochoric_energy(f) if energy else None
            return stress, stiffness, density
        stress = np.empty_like(f)
        stiffness = np.empty((*f.shape, 3, 3)) if tangent else None
        density = np.empty(f.shape[:2]) if energy else None
        for layer, rows in groups:
            material = self.materials[layer]
            p, a = material.isochoric_stress(f[rows], tangent=tangent)
            stress[rows] = p
            if stiffness is not None:
                stiffness[rows] = a
            if density is not None:
                density[rows] = material.isochoric_energy(f[rows])
        return stress, stiffness, density

    # -- evaluation -----------------------------------------------------------------------
    def evaluate(
        self, displacement: ArrayLike, *, tangent: bool = True, energy: bool = False
    ) -> Evaluation:
        """Internal forces, and optionally the tangent and the stored energy.

        Parameters
        ----------
        displacement
            Nodal displacements ``(n, 3)`` (or ``(3n,)``) [m].
        tangent
            Assemble the consistent tangent.
        energy
            Integrate the stored energy.

        Raises
        ------
        tissue_sim.geometry.mesh.InvertedElementError
            If det F ≤ 0 (or the projected volume ratio θ ≤ 0) anywhere, naming the
            layer(s) and the first cell.
        """
        u = np.asarray(displacement, dtype=float).reshape(-1, 3)
        if u.shape[0] != self.mesh.num_points:
            raise ValueError(f"expected {self.mesh.num_points} nodal displacements, got {u.shape}")
        n = self.mesh.num_points
        force = np.zeros((n, 3))
        pattern = self.assembler.pattern if tangent else None
        data = pattern.zeros() if pattern is not None else None
        total_energy = 0.0
        nodal = self._vertex_state(u)
        coupling: list[tuple[IntArray, IntArray, FloatArray]] = []
        if nodal is not None:
            assert self._vertex is not None
            total_energy += float(np.dot(self._vertex.mass, nodal[1]))
        for chunk in self._iter_chunks():
            weights, gradients = chunk.geometry.weights, chunk.geometry.gradients
            state = self._point_state(chunk, u)
            stress, stiffness, density = self._isochoric(
                chunk, state.deformation_gradient, tangent=tangent, energy=energy
            )
            cofactor = state.cofactor
            pressure, point_energy, volumetric_blocks = self._chunk_volumetric(
                chunk, state, stiffness, nodal, tangent=tangent
            )
            if energy:
                assert density is not None
                total_energy += float(np.sum(weights * (density + point_energy)))
            total_stress = stress + pressure[..., None, None] * cofactor
            element_force = np.einsum("eq,eqiJ,eqaJ->eai", weights, total_stress, gradients)
            nodes = self.mesh.cells[chunk.cells].reshape(-1)
            for component in range(3):
                force[:, component] += np.bincount(
                    nodes, weights=element_force[..., component].reshape(-1), minlength=n
                )
            if stiffness is None or pattern is None or data is None:
                continue
            stiffness += pressure[..., None, None, None, None] * jacobian_second_derivative(
                state.inverse_transpose, state.jacobian
            )
            blocks = _element_stiffness(weights, gradients, stiffness)
            if volumetric_blocks is not None:
                blocks = blocks + volumetric_blocks
            pattern.add_cell_blocks(data, chunk.cells, blocks)
            if self._vertex is not None:
                divergence = np.einsum("eqiJ,eqaJ->eqai", cofactor, gradients)
                coupling.append(
                    self._vertex.coupling_entries(
                        chunk.cells, self.mesh.cells[chunk.cells], weights, divergence
                    )
                )
        matrix = None
        if pattern is not None and data is not None:
            matrix = pattern.matrix(data)
            if self._vertex is not None and nodal is not None and coupling:
                rows, columns, values = (
                    np.concatenate(parts) for parts in zip(*coupling, strict=True)
                )
                volumetric = self._vertex.stiffness(rows, columns, values, nodal[3], self.num_dofs)
                matrix = sp.bsr_matrix(matrix.tocsr() + volumetric, blocksize=(3, 3))
                matrix.sort_indices()
        return Evaluation(force, matrix, total_energy if energy else None)

    def _vertex_state(self, u: FloatArray) -> _NodalState | None:
        """θ, U, U', U'' at the vertex pressure nodes (tetrahedra; ``None`` otherwise)."""
        vertex = self._vertex
        if vertex is None:
            return None
        moments = np.zeros(vertex.size)
        for chunk in self._iter_chunks():
            state = self._point_state(chunk, u)
            moments += vertex.moments(chunk.cells, chunk.geometry.weights, state.jacobian)
        theta_nodes = moments / vertex.mass
        if not np.all(theta_nodes > 0.0):
            self._raise_vertex_inversion(theta_nodes)
        return (theta_nodes, *self._volumetric(vertex.layer, theta_nodes))

    def _chunk_volumetric(
        self,
        chunk: CellChunk,
        state: _PointState,
        stiffness: FloatArray | None,
        nodal: _NodalState | None,
        *,
        tangent: bool,
    ) -> tuple[FloatArray, FloatArray, FloatArray | None]:
        """Pressure p̃, volumetric energy density and condensed blocks of a chunk.

        For the displacement formulation the volumetric tangent is added to
        ``stiffness`` in place; for tetrahedra the energy density is returned as zeros
        (the nodal energy is added once, and the stiffness is assembled globally).
        """
        weights = chunk.geometry.weights
        layers = np.broadcast_to(self.mesh.cell_layer[chunk.cells][:, None], weights.shape)
        if self.pressure_space == "point":
            cofactor = state.cofactor
            point_energy, pressure, second = self._volumetric(layers, state.jacobian)
            if stiffness is not None:
                stiffness += second[..., None, None, None, None] * outer(cofactor, cofactor)
            return pressure, point_energy, None
        if self._vertex is not None:
            assert nodal is not None
            pressure = self._vertex.interpolate(chunk.cells, nodal[2])
            return pressure, np.zeros_like(pressure), None
        basis = self._pressure_basis
        assert basis is not None
        mass_inverse = self._chunk_mass_inverse(chunk)
        theta = element_projection(weights, basis, mass_inverse, state.jacobian)
        self._check_positive(chunk, theta, "projected volume ratio")
        point_energy, first, second = self._volumetric(layers, theta)
        pressure = element_projection(weights, basis, mass_inverse, first)
        blocks = None
        if tangent:
            divergence = np.einsum("eqiJ,eqaJ->eqai", state.cofactor, chunk.geometry.gradients)
            blocks = element_volumetric_stiffness(weights, basis, mass_inverse, second, divergence)
        return pressure, point_energy, blocks

    def _raise_vertex_inversion(self, theta_nodes: FloatArray) -> None:
        assert self._vertex is not None
        bad_nodes = np.flatnonzero(~(theta_nodes > 0.0))
        cells = np.flatnonzero(np.isin(self._vertex.pressure_nodes, bad_nodes).any(axis=1))
        centres = self.mesh.points[self.mesh.linear_cells()[cells]].mean(axis=1)
        self._raise_inversion(cells, centres, "projected volume ratio")

    def internal_force(self, displacement: ArrayLike) -> FloatArray:
        """Internal nodal forces ``∂Π_int/∂u``, ``(n, 3)`` [N]."""
        return self.evaluate(displacement, tangent=False).internal_force

    def residual(self, displacement: ArrayLike, load: ArrayLike) -> FloatArray:
        """Out-of-balance forces ``f_int(u) − f_ext``, ``(n, 3)`` [N]."""
        external = np.asarray(load, dtype=float).reshape(-1, 3)
        return self.internal_force(displacement) - external

    def tangent(self, displacement: ArrayLike) -> sp.bsr_matrix:
        """Consistent tangent ``∂f_int/∂u``, 3×3 BSR ``(3n, 3n)`` [N/m]."""
        matrix = self.evaluate(displacement, tangent=True).tangent
        assert matrix is not None
        return matrix

    def stored_energy(self, displacement: ArrayLike) -> float:
        """Stored strain energy ``Π_int(u)`` [J]."""
        value = self.evaluate(displacement, tangent=False, energy=True).energy
        assert value is not None
        return value

    # -- loads ----------------------------------------------------------------------------
    def top_quadrature(self) -> FacetQuadrature:
        """Facet quadrature of the top (skin) surface (built once)."""
        if self._top_quadrature is None:
            self._top_quadrature = facet_quadrature(
                self.mesh,
                self.mesh.facets["top"],
                degree=self.traction_degree,
                subdivisions=self.traction_subdivisions,
            )
        return self._top_quadrature

    def load_vector(self, load: LoadSpec) -> FloatArray:
        """Nodal forces ``(n, 3)`` [N] of a load frame (array or top-surface traction).

        A callable is a traction ``t(X)`` [Pa] of the reference points ``X`` (M, 3)
        on the top surface, applied as a dead load: ``f_a = ∫ N_a t dA`` over the
        reference surface (the force does not follow the deforming skin).
        """
        if callable(load):
            return traction_load_vector(self.mesh, self.top_quadrature(), load)
        vector = np.asarray(load, dtype=float)
        if vector.size != self.num_dofs:
            raise ValueError(
                f"a load vector needs {self.num_dofs} entries, got shape {vector.shape}"
            )
        return vector.reshape(-1, 3)

    # -- solving ----------------------------------------------------------------------------
    def solve_frames(
        self,
        loads: Sequence[LoadSpec] | FloatArray,
        dirichlet: DirichletCondition | Sequence[DirichletCondition],
        *,
        initial: ArrayLike | None = None,
        settings: NewtonSettings | None = None,
    ) -> FrameSolution:
        """Solve a sequence of quasi-static load frames, each from the previous state.

        Parameters
        ----------
        loads
            One load per frame: nodal forces ``(n, 3)`` [N] or a top-surface traction
            callable (see :meth:`load_vector`); an array ``(K, n, 3)`` also works.
        dirichlet
            Prescribed displacements: one condition for every frame, or one per frame
            (same ``fixed`` mask, frame values [m]); values are ramped with the load.
        initial
            Starting displacement ``(n, 3)`` [m] (default zero, the reference state).
        settings
            Newton and load-stepping settings.

        Returns
        -------
        FrameSolution
            Displacements ``(K, n, 3)``, reactions and per-frame Newton statistics.

        Raises
        ------
        tissue_sim.errors.SolverError
            If a frame cannot be reached even after cutting the increment down to
            ``settings.min_step``; the message gives the frame, the load fraction
            reached and the last failure (e.g. an element inversion in a named layer).
        """
        from tissue_sim.mechanics.hyperelastic.newton import solve_frames

        vectors = [self.load_vector(load) for load in loads]
        return solve_frames(self, vectors, dirichlet, initial=initial, settings=settings)

    # -- output fields ------------------------------------------------------------------------
    def cell_fields(self, displacement: ArrayLike) -> HyperelasticCellFields:
        """Volume-averaged strain, stretch, fibre-stretch and stress fields per cell.

        Parameters
        ----------
        displacement
            Nodal displacements ``(n, 3)`` [m].

        Returns
        -------
        HyperelasticCellFields
            Green–Lagrange strain, principal stretches, Hencky principal strains,
            fibre stretches, Cauchy stress, volume ratio and energy density per cell.
        """
        u = np.asarray(displacement, dtype=float).reshape(-1, 3)
        m = self.mesh.num_cells
        strain = np.empty((m, 3, 3))
        cauchy = np.empty((m, 3, 3))
        ratio = np.empty(m)
        energy = np.empty(m)
        vertex = self._vertex
        nodal = self._vertex_state(u)
        for chunk in self._iter_chunks():
            weights = chunk.geometry.weights
            state = self._point_state(chunk, u)
            f = state.deformation_gradient
            layers = np.broadcast_to(self.mesh.cell_layer[chunk.cells][:, None], weights.shape)
            if self.pressure_space == "point":
                theta = state.jacobian
                point_energy, pressure, _ = self._volumetric(layers, theta)
            elif vertex is not None:
                assert nodal is not None
                theta, point_energy, pressure = (
                    vertex.interpolate(chunk.cells, values) for values in nodal[:3]
                )
            else:
                assert self._pressure_basis is not None
                mass_inverse = self._chunk_mass_inverse(chunk)
                theta = element_projection(
                    weights, self._pressure_basis, mass_inverse, state.jacobian
                )
                point_energy, first, _ = self._volumetric(layers, theta)
                pressure = element_projection(weights, self._pressure_basis, mass_inverse, first)
            stress, _, density = self._isochoric(chunk, f, tangent=False, energy=True)
            assert density is not None
            modified = ((theta / state.jacobian) ** (1.0 / 3.0))[..., None, None] * f
            kirchhoff = (
                stress @ np.swapaxes(f, -1, -2) + (pressure * theta)[..., None, None] * IDENTITY
            )
            volume = weights.sum(axis=1)
            current = np.einsum("eq,eq->e", weights, theta)
            strain[chunk.cells] = (
                np.einsum("eq,eqij->eij", weights, green_lagrange_strain(modified))
                / volume[:, None, None]
            )
            cauchy[chunk.cells] = (
                np.einsum("eq,eqij->eij", weights, kirchhoff) / current[:, None, None]
            )
            ratio[chunk.cells] = current / volume
            energy[chunk.cells] = np.einsum("eq,eq->e", weights, density + point_energy) / volume
        stretches = stretches_from_green_lagrange(strain)
        directions = self.cell_fibre_directions()  # (m, 2, 3)
        right = np.eye(3) + 2.0 * strain
        squared = np.einsum("mfi,mij,mfj->mf", directions, right, directions)
        has_family = np.any(directions != 0.0, axis=-1)
        fibre = np.where(has_family, np.sqrt(np.clip(squared, 0.0, None)), 1.0)
        return HyperelasticCellFields(
            green_lagrange=strain,
            principal_stretches=stretches,
            hencky_principal=np.log(stretches),
            fibre_stretch=fibre,
            cauchy_stress=cauchy,
            volume_ratio=ratio,
            energy_density=energy,
        )

    def frame_cell_fields(self, displacements: ArrayLike) -> HyperelasticCellFields:
        """:meth:`cell_fields` of every frame, stacked along a leading axis ``K``."""
        frames = np.asarray(displacements, dtype=float)
        return HyperelasticCellFields.stack([self.cell_fields(u) for u in frames])

    def cell_volumes(self) -> FloatArray:
        """Reference cell volumes from the quadrature weights [m³]."""
        volumes = np.empty(self.mesh.num_cells)
        for chunk in self._iter_chunks():
            volumes[chunk.cells] = chunk.geometry.weights.sum(axis=1)
        return volumes
