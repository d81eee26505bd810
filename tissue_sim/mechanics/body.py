r"""The solid body: one layered mesh, one material per layer, small or finite strain.

Unknown: the nodal displacement :math:`u`. Every material splits its energy into an
isochoric and a volumetric part; the volumetric part uses a projected volume measure
θ (see :mod:`~tissue_sim.mechanics._pressure_space`), which makes the mixed
formulation locking-free for nearly incompressible layers.

**Finite strain** (hyperelastic laws): :math:`F = I + \nabla_X u`, total Lagrangian,

.. math::

    \Pi_{int}(u) = \int_{\Omega_0} \Psi_{iso}(\bar C)\,dV + \int_{\Omega_0} U(\theta)\,dV,
    \qquad \theta = \Pi_h J,

exactly the three-field Hu–Washizu formulation of Simo, Taylor & Pister (1985) with
pressure and dilatation condensed (element-wise for hexahedra; "mean dilatation" for
Q1/P0). Internal forces and the consistent (symmetric) tangent

.. math::

    f_{ai} = \int (P_{iso} + \tilde p\operatorname{cof}F)_{iJ}\,\partial_J N_a\,dV,
    \qquad \tilde p = \Pi_h U'(\theta),

    K_{ai,bk} = \int \partial_J N_a\,(\mathbb A_{iso} + \tilde p\,\partial^2 J)_{iJkL}\,
    \partial_L N_b\,dV + (D^TM^{-1}HM^{-1}D)_{ai,bk}.

**Small strain** (:class:`~tissue_sim.mechanics.materials.LinearElasticMaterial` in every
layer): the same formulation linearised about the reference state — ``cof F → I``,
``J → 1 + div u``, :math:`U = \tfrac\kappa2(\theta-1)^2` — so that

.. math::

    a(u,v) = \int 2\mu\,\varepsilon_{dev}(u):\varepsilon_{dev}(v)
             + \kappa\,\Pi_h(\operatorname{div}u)\,\Pi_h(\operatorname{div}v);

the stiffness is constant, assembled once and cached, and internal forces are
:math:`Ku`. The small-load limit of a finite-strain body is the small-strain body of
its laws' moduli (:meth:`SolidBody.linearised`).

``formulation="displacement"`` uses the pointwise J (or div u) instead: it locks for
nearly incompressible layers and is kept for comparison. Everything is assembled
chunk-wise and vectorised; no Python loop runs over cells or quadrature points.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from tissue_sim.fem.assembly import Assembler, CellChunk
from tissue_sim.geometry.mesh import InvertedElementError, Mesh
from tissue_sim.mechanics._kernels import (
    Tangents,
    assemble_force,
    element_stiffness,
    isotropic_stiffness,
    point_kinematics,
)
from tissue_sim.mechanics._pressure_space import PRESSURE_SPACES, ElementSpace, VertexSpace
from tissue_sim.mechanics.fields import CellFields
from tissue_sim.mechanics.hyperelastic._tensors import (
    IDENTITY,
    determinant,
    outer,
)
from tissue_sim.mechanics.hyperelastic.volumetric import volumetric_energy
from tissue_sim.mechanics.materials import LinearElasticMaterial, Material
from tissue_sim.mechanics.strain_measures import principal_strains

__all__ = ["FORMULATIONS", "PRESSURE_SPACES", "Evaluation", "SolidBody"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

FORMULATIONS = ("mixed", "displacement")

#: θ, U(θ), U'(θ), U''(θ) at the vertex pressure nodes.
_NodalState = tuple[FloatArray, FloatArray, FloatArray, FloatArray]

#: Condensed volumetric part of an element-wise pressure space for
#: :func:`~tissue_sim.mechanics._kernels.element_stiffness`: basis, M⁻¹, U''(θ), J.
_Condensed = tuple[FloatArray, FloatArray, FloatArray, FloatArray]

#: Bytes of work arrays per (cell × quadrature point × node) in the tangent kernel.
_BYTES_PER_ENTRY = 8 * 40

#: Factor on the floating-point noise estimate of the internal forces (the estimate is
#: already an upper bound: 10–25× the noise measured on a layered block).
_ROUND_OFF_FACTOR = 1.0


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


class SolidBody:
    """Internal forces, tangent, energy and output fields of a layered solid.

    Parameters
    ----------
    mesh
        The mesh; ``mesh.cell_layer`` indexes ``materials``.
    materials
        One material per layer, in the order of ``mesh.layer_names``: all small-strain
        (:class:`~tissue_sim.mechanics.materials.LinearElasticMaterial`) or all
        finite-strain (the laws of :mod:`tissue_sim.mechanics.hyperelastic`).
    formulation
        ``"mixed"`` (locking-free, default) or ``"displacement"``.
    quadrature_degree
        Cell quadrature degree (default: exact stiffness on affine cells).
    chunk_size
        Cells per assembly chunk (default: about 40 MB of work arrays per chunk for
        finite strain, the assembler's default for small strain).
    cache_geometry
        Keep the reference geometry of every chunk (gradients, weights) between
        evaluations (faster Newton iterations, more memory).
    tangent_tolerance
        Finite strain: keep the element matrices of the last tangent for cells whose
        deformation gradient changed by at most this much (largest entry of ``ΔF``)
        since they were computed, and re-evaluate the laws' tangents only for the
        others. ``None`` (default) assembles every cell every time. The residual is
        always exact; a stale element matrix only changes the Newton tangent by
        ``O(tolerance)`` in those cells (about 50 % less work per tangent where a
        moving load leaves most of the block nearly still). A cell where a piecewise
        law changed branch (a fibre family going taut or slack, see
        ``tangent_regime`` of the laws) is always re-evaluated: its tangent jumps.

    Raises
    ------
    ValueError
        For a wrong number of materials, an unknown formulation or a mix of
        small-strain and finite-strain materials.
    """

    def __init__(
        self,
        mesh: Mesh,
        materials: Sequence[Material],
        *,
        formulation: str = "mixed",
        quadrature_degree: int | None = None,
        chunk_size: int | None = None,
        cache_geometry: bool = True,
        tangent_tolerance: float | None = None,
    ) -> None:
        if formulation not in FORMULATIONS:
            raise ValueError(f"formulation must be one of {FORMULATIONS}, got {formulation!r}")
        if len(materials) != len(mesh.layer_names):
            raise ValueError(
                f"one material per layer is required: {len(mesh.layer_names)} layers "
                f"({', '.join(mesh.layer_names)}), {len(materials)} materials"
            )
        kinds = {bool(getattr(material, "small_strain", False)) for material in materials}
        if len(kinds) > 1:
            raise ValueError(
                "the layers mix small-strain (linear) and finite-strain materials; "
                "use one kind for every layer"
            )
        self.mesh = mesh
        self.materials = tuple(materials)
        self.formulation = formulation
        self.small_strain = kinds == {True}
        probe = Assembler(mesh, quadrature_degree=quadrature_degree)
        if chunk_size is None and not self.small_strain:
            n_nodes = probe.element.nodes_per_cell
            n_points = probe.quadrature_weights.size
            chunk_size = max(32, int(4e7 // (_BYTES_PER_ENTRY * n_points * n_nodes)))
        self.assembler = Assembler(mesh, quadrature_degree=quadrature_degree, chunk_size=chunk_size)
        self.pressure_space: str | None = (
            PRESSURE_SPACES[mesh.element] if formulation == "mixed" else None
        )
        shear = np.array([m.shear_modulus for m in self.materials])
        bulk = np.array([m.bulk_modulus for m in self.materials])
        #: Small-strain shear and bulk moduli per cell [Pa].
        self.shear_modulus: FloatArray = shear[mesh.cell_layer]
        self.bulk_modulus: FloatArray = bulk[mesh.cell_layer]
        self._chunks: list[CellChunk] | None = (
            list(self.assembler.chunks()) if cache_geometry and not self.small_strain else None
        )
        self._element_space: ElementSpace | None = None
        self._vertex: VertexSpace | None = None
        if self.pressure_space in ("P0", "P1disc"):
            self._element_space = ElementSpace.build(self.pressure_space, self.assembler)
        elif self.pressure_space == "vertex":
            self._vertex = VertexSpace.build(mesh, self.assembler)
        self._mass_inverse: dict[int, FloatArray] = {}
        self._scatter: dict[int, tuple[IntArray, int]] = {}
        #: point data (F, isochoric P, θ, p̃, U) of the last finite-strain evaluation, so
        #: that the cell fields of a converged state do not evaluate the laws again
        self._last_points: tuple[FloatArray, dict[int, tuple[FloatArray, ...]]] | None = None
        if tangent_tolerance is not None and not tangent_tolerance >= 0.0:
            raise ValueError("tangent_tolerance must be non-negative")
        self.tangent_tolerance = tangent_tolerance
        #: element matrices and the F they belong to, per chunk, and the assembled data
        #: (and the branch labels of piecewise laws, see ``tangent_regime``)
        self._element_blocks: dict[int, tuple[FloatArray, FloatArray, IntArray | None]] = {}
        self._tangent_data: FloatArray | None = None
        self._stiffness: sp.bsr_matrix | None = None
        self._vertex_coupling: sp.csr_matrix | None = None
        self._averages: tuple[FloatArray, FloatArray, FloatArray | None] | None = None
        self._round_off: float | None = None
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

    @property
    def is_linear(self) -> bool:
        """Whether internal forces are linear in the displacement (small strain)."""
        return self.small_strain

    def linearised(self) -> SolidBody:
        """The small-strain body of the same mesh, formulation and small-strain moduli."""
        if self.small_strain:
            return self
        return SolidBody(
            self.mesh,
            self.small_strain_materials(),
            formulation=self.formulation,
            quadrature_degree=self.assembler.quadrature_degree,
        )

    def small_strain_materials(self) -> list[LinearElasticMaterial]:
        """Linear-elastic materials with each layer's μ and κ (fibres slack at rest)."""
        return [material.small_strain_material() for material in self.materials]

    def cell_fibre_directions(self) -> FloatArray:
        """Reference fibre directions per cell, ``(m, 2, 3)`` (zero rows: no family)."""
        return np.asarray(self._layer_fibres[self.mesh.cell_layer])

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

    def _scatter_indices(self, chunk: CellChunk) -> tuple[IntArray, int]:
        """Positions of a chunk's element-matrix entries in the tangent's data (cached)."""
        cached = self._scatter.get(chunk.start)
        if cached is None:
            flat = self.assembler.pattern.scatter_indices(chunk.cells)
            low = int(flat.min()) if flat.size else 0
            relative = flat - low
            dtype = np.int32 if relative.size and relative.max() < 2**31 else np.int64
            cached = (relative.astype(dtype), low)
            if self._chunks is not None:
                self._scatter[chunk.start] = cached
        return cached

    def _chunk_mass_inverse(self, chunk: CellChunk) -> FloatArray:
        assert self._element_space is not None
        cached = self._mass_inverse.get(chunk.start)
        if cached is None:
            cached = self._element_space.mass_inverse(chunk.geometry.weights)
            if self._chunks is not None:
                self._mass_inverse[chunk.start] = cached
        return cached

    @property
    def round_off_force(self) -> float:
        r"""Estimated floating-point noise of the internal-force vector's norm [N].

        Stresses near the reference state are computed with a cancellation error of
        about machine ε times the moduli (``U'(θ)`` for θ ≈ 1, ``J^{-2/3}F − ...``), so
        the assembled forces carry noise of at most about ε‖b‖ with
        :math:`b_a = \sum_q w\,(\kappa + \mu)\,|\nabla N_a|_1` (no cancellation counted:
        on a layered block this bound is 10–25× the measured noise). A residual below it
        cannot be reduced further, whatever the relative tolerance asks.
        """
        if self._round_off is None:
            scale = np.zeros(self.mesh.num_points)
            for chunk in self._iter_chunks():
                g = chunk.geometry
                moduli = (self.bulk_modulus + self.shear_modulus)[chunk.cells]
                local = np.einsum("eq,eqa->ea", g.weights, np.abs(g.gradients).sum(axis=-1))
                scale += np.bincount(
                    self.mesh.cells[chunk.cells].reshape(-1),
                    weights=(local * moduli[:, None]).reshape(-1),
                    minlength=self.mesh.num_points,
                )
            epsilon = float(np.finfo(float).eps)
            self._round_off = (
                _ROUND_OFF_FACTOR * epsilon * float(np.sqrt(3.0) * np.linalg.norm(scale))
            )
        return self._round_off

    # -- evaluation ---------------------------------------------------------------------
    def evaluate(
        self, displacement: ArrayLike, *, tangent: bool = True, energy: bool = False
    ) -> Evaluation:
        """Internal forces, optionally the tangent and the stored energy.

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
            Finite strain: if det F ≤ 0 (or the projected volume ratio θ ≤ 0) anywhere,
            naming the layer(s) and the first cell.
        """
        u = np.asarray(displacement, dtype=float).reshape(-1, 3)
        if u.shape[0] != self.mesh.num_points:
            raise ValueError(f"expected {self.mesh.num_points} nodal displacements, got {u.shape}")
        if self.small_strain:
            stiffness = self.stiffness()
            force = np.asarray(stiffness @ u.reshape(-1)).reshape(-1, 3)
            stored = 0.5 * float(np.dot(force.reshape(-1), u.reshape(-1))) if energy else None
            return Evaluation(force, stiffness if tangent else None, stored)
        return self._evaluate_finite(u, tangent=tangent, energy=energy)

    def internal_force(self, displacement: ArrayLike) -> FloatArray:
        """Internal nodal forces ``∂Π_int/∂u``, ``(n, 3)`` [N]."""
        return self.evaluate(displacement, tangent=False).internal_force

    def residual(self, displacement: ArrayLike, load: ArrayLike) -> FloatArray:
        """Out-of-balance forces ``f_int(u) − f_ext`` for dead nodal loads, ``(n, 3)`` [N]."""
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

    def body_force_vector(
        self, body_force: Callable[[FloatArray], FloatArray], *, quadrature_degree: int = 6
    ) -> FloatArray:
        """Nodal forces of a (dead) body force density ``b(x)`` [N/m³], ``(n, 3)`` [N]."""

        def kernel(chunk: CellChunk) -> FloatArray:
            g = chunk.geometry
            force = np.asarray(body_force(g.points.reshape(-1, 3))).reshape(g.points.shape)
            return np.einsum("eq,qa,eqi->eai", g.weights, g.values, force)

        return self.assembler.vector(kernel, quadrature_degree=quadrature_degree)

    # -- small strain -------------------------------------------------------------------
    def stiffness(self) -> sp.bsr_matrix:
        """The stiffness at the reference state, 3×3 BSR [N/m].

        Small strain: the constant stiffness (assembled once, then cached); finite
        strain: the tangent at u = 0, which equals the small-strain stiffness of the
        laws' moduli.
        """
        if not self.small_strain:
            return self.tangent(np.zeros((self.mesh.num_points, 3)))
        if self._stiffness is None:
            matrix = self.assembler.matrix(self._small_strain_kernel, layout="dofs")
            if self._vertex is not None:
                coupling = self._small_strain_coupling()
                bulk = np.array([m.bulk_modulus for m in self.materials])[self._vertex.layer]
                volumetric = self._vertex.stiffness(coupling, bulk)
                matrix = (matrix.tocsr() + volumetric).tobsr(blocksize=(3, 3))
                matrix.sort_indices()
            self._stiffness = matrix
        return self._stiffness

    def _small_strain_kernel(self, chunk: CellChunk) -> FloatArray:
        geometry = chunk.geometry
        mu = self.shear_modulus[chunk.cells]
        kappa = self.bulk_modulus[chunk.cells]
        coefficient = kappa - 2.0 * mu / 3.0 if self.pressure_space is None else -2.0 * mu / 3.0
        blocks = isotropic_stiffness(geometry.weights, geometry.gradients, mu, coefficient)
        if self._element_space is not None:
            second = np.broadcast_to(kappa[:, None], geometry.weights.shape)
            volumetric = self._element_space.condensed_stiffness(
                geometry.weights, self._chunk_mass_inverse(chunk), second, geometry.gradients
            )
            blocks += volumetric.transpose(0, 1, 3, 2, 4)
        return blocks

    def _small_strain_coupling(self) -> sp.csr_matrix:
        """Vertex space: ``B_{n,ai} = ∫ N_n ∂_i N_a dV`` (the linearised divergence)."""
        assert self._vertex is not None
        if self._vertex_coupling is None:
            entries = [
                self._vertex.coupling_entries(
                    chunk.cells,
                    self.mesh.cells[chunk.cells],
                    chunk.geometry.weights,
                    chunk.geometry.gradients,
                )
                for chunk in self.assembler.chunks()
            ]
            self._vertex_coupling = self._vertex.coupling_matrix(entries, self.num_dofs)
        return self._vertex_coupling

    def _averaging_operators(self) -> tuple[FloatArray, FloatArray, FloatArray | None]:
        """Cell volumes ``(m,)``, volume-averaged basis gradients ``(m, N, 3)`` [1/m] and,
        for the vertex pressure space, the cell-averaging weights of its nodes ``(m, Nv)``.

        The cell average of a linear function of u is that function of the averaged
        gradients, so every frame's cell-averaged small strain is one small product.
        """
        if self._averages is None:
            m = self.mesh.num_cells
            volumes = np.empty(m)
            mean_gradients = np.empty((m, self.assembler.element.nodes_per_cell, 3))
            vertex_weights = None
            if self._vertex is not None:
                vertex_weights = np.empty((m, self.mesh.vertices_per_cell))
            for chunk in self._iter_chunks():
                g = chunk.geometry
                volume = g.weights.sum(axis=1)
                volumes[chunk.cells] = volume
                mean_gradients[chunk.cells] = (
                    np.einsum("eq,eqai->eai", g.weights, g.gradients) / volume[:, None, None]
                )
                if vertex_weights is not None and self._vertex is not None:
                    vertex_weights[chunk.cells] = (g.weights @ self._vertex.values) / volume[
                        :, None
                    ]
            self._averages = (volumes, mean_gradients, vertex_weights)
        return self._averages

    def _small_strain_fields(self, frames: FloatArray) -> CellFields:
        """Cell-averaged fields of displacements ``(K, n, 3)`` (small strain)."""
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
        if vertex_weights is not None and self._vertex is not None:
            coupling = self._small_strain_coupling()
            nodes = self._vertex.pressure_nodes
            for k in range(n_frames):
                dilatation = (coupling @ frames[k].reshape(-1)) / self._vertex.mass
                projected = np.einsum("ei,ei->e", vertex_weights, dilatation[nodes])
                trace = np.trace(strain[k], axis1=-2, axis2=-1)
                strain[k] += ((projected - trace) / 3.0)[:, None, None] * IDENTITY
        mu = self.shear_modulus[:, None, None]
        kappa = self.bulk_modulus[:, None, None]
        trace = np.trace(strain, axis1=-2, axis2=-1)[..., None, None]
        stress = 2.0 * mu * (strain - trace / 3.0 * IDENTITY) + kappa * trace * IDENTITY
        energy = 0.5 * np.einsum("kmij,kmij->km", stress, strain)
        return CellFields(strain, stress, energy)

    # -- finite strain ------------------------------------------------------------------
    def _point_state(self, chunk: CellChunk, displacement: FloatArray) -> _PointState:
        # F = I + Σ_a u_a ⊗ ∇N_a, F^{-T} and J in one compiled pass
        f, inv_t, jac = point_kinematics(
            displacement, self.mesh.cells[chunk.cells], chunk.geometry.gradients
        )
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
        self, chunk: CellChunk, f: FloatArray, *, tangent: bool, energy: bool, groups: bool = False
    ) -> tuple[FloatArray, Tangents | None, FloatArray | None]:
        """Isochoric stress, tangent and energy density of a chunk, law by law.

        With ``groups``, the tangents of a chunk of several layers are returned per layer,
        ``[(cells, A), ...]`` (what :func:`element_stiffness` takes), instead of being
        copied into one ``(E, Q, 3, 3, 3, 3)`` array.
        """
        rows = self._layer_rows(chunk)
        if len(rows) == 1:
            material = self.materials[rows[0][0]]
            stress, stiffness = self._law_stress(rows[0][0], f, chunk, slice(None), tangent)
            density = material.isochoric_energy(f) if energy else None
            return stress, stiffness, density
        stress = np.empty_like(f)
        stiffness = np.empty((*f.shape, 3, 3)) if tangent and not groups else None
        parts: list[tuple[IntArray, FloatArray]] = []
        density = np.empty(f.shape[:-2]) if energy else None
        for layer, index in rows:
            material = self.materials[layer]
            part_stress, part_tangent = self._law_stress(layer, f[index], chunk, index, tangent)
            stress[index] = part_stress
            if tangent:
                assert part_tangent is not None and isinstance(index, np.ndarray)
                if stiffness is not None:
                    stiffness[index] = part_tangent
                else:
                    parts.append((index, part_tangent))
            if density is not None:
                density[index] = material.isochoric_energy(f[index])
        return stress, parts if tangent and groups else stiffness, density

    def _law_stress(
        self,
        layer: int,
        f: FloatArray,
        chunk: CellChunk,
        index: slice | IntArray,
        tangent: bool,
    ) -> tuple[FloatArray, FloatArray | None]:
        """A layer law's isochoric stress and tangent at the chunk's cells ``index``.

        A law with internal variables per quadrature point (the viscoelastic layers of
        :mod:`tissue_sim.mechanics.viscoelastic`) has ``isochoric_stress_at(F, cells,
        tangent=...)`` and is told which (global) cells the rows of ``F`` belong to.
        """
        material = self.materials[layer]
        at_points = getattr(material, "isochoric_stress_at", None)
        if at_points is not None:
            cells = np.arange(chunk.start, chunk.stop)[index]
            stress, stiffness = at_points(f, cells, tangent=tangent)
            return stress, stiffness
        return material.isochoric_stress(f, tangent=tangent)

    def _isochoric_rows(
        self, chunk: CellChunk, f: FloatArray, rows: IntArray, *, energy: bool
    ) -> tuple[FloatArray, FloatArray, FloatArray | None]:
        """Isochoric stress at every point of a chunk, the tangent at the cells ``rows``
        only ``(k, Q, 3, 3, 3, 3)``, and optionally the energy density."""
        layers = self.mesh.cell_layer[chunk.cells]
        with_tangent = np.zeros(layers.size, dtype=bool)
        with_tangent[rows] = True
        stress = np.empty_like(f)
        stiffness = np.empty((rows.size, *f.shape[1:], 3, 3))
        density = np.empty(f.shape[:-2]) if energy else None
        position = np.full(layers.size, -1, dtype=np.int64)
        position[rows] = np.arange(rows.size)
        for layer in np.unique(layers):
            material = self.materials[int(layer)]
            of_layer = layers == layer
            active = np.flatnonzero(of_layer & with_tangent)
            quiet = np.flatnonzero(of_layer & ~with_tangent)
            if active.size:
                part_stress, part_tangent = self._law_stress(
                    int(layer), f[active], chunk, active, True
                )
                assert part_tangent is not None
                stress[active] = part_stress
                stiffness[position[active]] = part_tangent
            if quiet.size:
                stress[quiet] = self._law_stress(int(layer), f[quiet], chunk, quiet, False)[0]
            if density is not None:
                index = np.flatnonzero(of_layer)
                density[index] = material.isochoric_energy(f[index])
        return stress, stiffness, density

    def _isochoric_energy(self, chunk: CellChunk, f: FloatArray) -> FloatArray:
        """Isochoric energy density of a chunk, law by law ``(E, Q)`` [J/m³]."""
        density = np.empty(f.shape[:-2])
        for layer, rows in self._layer_rows(chunk):
            density[rows] = self.materials[layer].isochoric_energy(f[rows])
        return density

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

    def _raise_vertex_inversion(self, theta_nodes: FloatArray) -> None:
        assert self._vertex is not None
        bad_nodes = np.flatnonzero(~(theta_nodes > 0.0))
        cells = np.flatnonzero(np.isin(self._vertex.pressure_nodes, bad_nodes).any(axis=1))
        centres = self.mesh.points[self.mesh.linear_cells()[cells]].mean(axis=1)
        self._raise_inversion(cells, centres, "projected volume ratio")

    def _chunk_volumetric(
        self,
        chunk: CellChunk,
        state: _PointState,
        stiffness: Tangents | None,
        nodal: _NodalState | None,
        *,
        tangent: bool,
        rows: IntArray | None = None,
    ) -> tuple[FloatArray, FloatArray, FloatArray, _Condensed | None]:
        """θ, pressure p̃, volumetric energy density and the condensed part of a chunk.

        For the displacement formulation the volumetric tangent is added to
        ``stiffness`` in place; for tetrahedra the energy density is returned as zeros
        (the nodal energy is added once, and the stiffness is assembled globally). For an
        element-wise pressure space (with ``tangent``) the last item holds what
        :func:`~tissue_sim.mechanics._kernels.element_stiffness` needs to add the condensed
        blocks in its pass (``volumetric=``). With ``rows``, ``stiffness`` and that item
        belong to those cells only.
        """
        weights = chunk.geometry.weights
        layers = np.broadcast_to(self.mesh.cell_layer[chunk.cells][:, None], weights.shape)
        pick = slice(None) if rows is None else rows
        if self.pressure_space is None:
            point_energy, pressure, second = self._volumetric(layers, state.jacobian)
            if stiffness is not None:
                assert isinstance(stiffness, np.ndarray)  # (not per layer: groups=False)
                cofactor = state.cofactor[pick]
                stiffness += second[pick][..., None, None, None, None] * outer(cofactor, cofactor)
            return state.jacobian, pressure, point_energy, None
        if self._vertex is not None:
            assert nodal is not None
            theta = self._vertex.interpolate(chunk.cells, nodal[0])
            pressure = self._vertex.interpolate(chunk.cells, nodal[2])
            return theta, pressure, np.zeros_like(pressure), None
        space = self._element_space
        assert space is not None
        mass_inverse = self._chunk_mass_inverse(chunk)
        theta = space.project(weights, mass_inverse, state.jacobian)
        self._check_positive(chunk, theta, "projected volume ratio")
        point_energy, first, second = self._volumetric(layers, theta)
        pressure = space.project(weights, mass_inverse, first)
        condensed = None
        if tangent:
            condensed = (space.basis, mass_inverse[pick], second[pick], state.jacobian[pick])
        return theta, pressure, point_energy, condensed

    def _evaluate_finite(self, u: FloatArray, *, tangent: bool, energy: bool) -> Evaluation:
        n = self.mesh.num_points
        force = np.zeros((n, 3))
        pattern = self.assembler.pattern if tangent else None
        keep = (
            tangent
            and self.tangent_tolerance is not None
            and self._vertex is None
            and self._chunks is not None
        )
        partial = keep and self._tangent_data is not None
        data: FloatArray | None = None
        if pattern is not None:
            data = self._tangent_data if partial else pattern.zeros()
        total_energy = 0.0
        nodal = self._vertex_state(u)
        coupling: list[tuple[IntArray, IntArray, FloatArray]] = []
        if nodal is not None:
            assert self._vertex is not None
            total_energy += float(np.dot(self._vertex.mass, nodal[1]))
        points: dict[int, tuple[FloatArray, ...]] = {}
        for chunk in self._iter_chunks():
            weights, gradients = chunk.geometry.weights, chunk.geometry.gradients
            state = self._point_state(chunk, u)
            rows: IntArray | None = None
            stiffness: Tangents | None
            regime = self._tangent_regime(chunk, state.deformation_gradient) if keep else None
            if partial:
                previous_f, _, previous_regime = self._element_blocks[chunk.start]
                change = np.abs(state.deformation_gradient - previous_f).max(axis=(1, 2, 3))
                assert self.tangent_tolerance is not None
                moved = change > self.tangent_tolerance
                if regime is not None and previous_regime is not None:
                    moved |= np.any(regime != previous_regime, axis=1)
                rows = np.flatnonzero(moved)
                stress, stiffness, density = self._isochoric_rows(
                    chunk, state.deformation_gradient, rows, energy=energy
                )
            else:
                # per-layer tangents go to the stiffness kernel as they are, except for
                # the displacement formulation, which adds its volumetric tangent to them
                stress, stiffness, density = self._isochoric(
                    chunk,
                    state.deformation_gradient,
                    tangent=tangent,
                    energy=energy,
                    groups=self.pressure_space is not None,
                )
            theta, pressure, point_energy, condensed = self._chunk_volumetric(
                chunk, state, stiffness, nodal, tangent=tangent, rows=rows
            )
            if self._chunks is not None:
                points[chunk.start] = (state.deformation_gradient, stress, theta, pressure)
            if energy:
                assert density is not None
                total_energy += float(np.sum(weights * (density + point_energy)))
            assemble_force(
                force,
                self.mesh.cells[chunk.cells],
                weights,
                gradients,
                stress,
                pressure,
                state.jacobian,
                state.inverse_transpose,
            )
            if stiffness is None or pattern is None or data is None:
                continue
            if rows is not None:
                assert isinstance(stiffness, np.ndarray)
                self._update_blocks(
                    chunk, state, stiffness, pressure, condensed, rows, data, regime
                )
                continue
            blocks = element_stiffness(
                weights,
                gradients,
                stiffness,
                state.inverse_transpose,
                pressure * state.jacobian,
                volumetric=condensed,
            )
            flat, low = self._scatter_indices(chunk)
            pattern.scatter(data, flat, blocks, low)
            if keep:
                self._element_blocks[chunk.start] = (
                    state.deformation_gradient.copy(),
                    np.ascontiguousarray(blocks),
                    regime,
                )
            if self._vertex is not None:
                divergence = gradients @ np.swapaxes(state.cofactor, -1, -2)
                coupling.append(
                    self._vertex.coupling_entries(
                        chunk.cells, self.mesh.cells[chunk.cells], weights, divergence
                    )
                )
        if self._chunks is not None:
            self._last_points = (u.copy(), points)
        matrix = None
        if pattern is not None and data is not None:
            if keep:
                self._tangent_data = data
                data = data.copy()  # the returned tangent does not share the cache
            matrix = pattern.matrix(data)
            if self._vertex is not None and nodal is not None and coupling:
                volumetric = self._vertex.stiffness(
                    self._vertex.coupling_matrix(coupling, self.num_dofs), nodal[3]
                )
                matrix = sp.bsr_matrix(matrix.tocsr() + volumetric, blocksize=(3, 3))
                matrix.sort_indices()
        return Evaluation(force, matrix, total_energy if energy else None)

    def _update_blocks(
        self,
        chunk: CellChunk,
        state: _PointState,
        stiffness: FloatArray,
        pressure: FloatArray,
        condensed: _Condensed | None,
        rows: IntArray,
        data: FloatArray,
        regime: IntArray | None,
    ) -> None:
        """Replace the kept element matrices of the cells ``rows`` by their current ones."""
        if rows.size == 0:
            return
        previous_f, previous_blocks, previous_regime = self._element_blocks[chunk.start]
        geometry = chunk.geometry
        blocks = element_stiffness(
            geometry.weights[rows],
            geometry.gradients[rows],
            stiffness,
            state.inverse_transpose[rows],
            (pressure * state.jacobian)[rows],
            volumetric=condensed,
        )
        flat, low = self._scatter_indices(chunk)
        per_cell = flat.reshape(previous_blocks.shape[0], -1)
        changed = per_cell[rows].reshape(-1)
        self.assembler.pattern.scatter(data, changed, blocks - previous_blocks[rows], low)
        previous_blocks[rows] = blocks
        previous_f[rows] = state.deformation_gradient[rows]
        if regime is not None and previous_regime is not None:
            previous_regime[rows] = regime[rows]

    def _tangent_regime(self, chunk: CellChunk, f: FloatArray) -> IntArray | None:
        """Branch labels ``(E, Q)`` of the chunk's piecewise laws (``None`` if all smooth)."""
        labels: IntArray | None = None
        for layer, rows in self._layer_rows(chunk):
            regime = getattr(self.materials[layer], "tangent_regime", None)
            value = regime(f[rows]) if callable(regime) else None
            if value is None:
                continue
            if labels is None:
                labels = np.zeros(f.shape[:2], dtype=np.int64)
            labels[rows] = value
        return labels

    def _finite_strain_fields(self, u: FloatArray) -> CellFields:
        """Cell-averaged fields of one displacement ``(n, 3)`` (finite strain)."""
        m = self.mesh.num_cells
        strain = np.empty((m, 3, 3))
        cauchy = np.empty((m, 3, 3))
        ratio = np.empty(m)
        energy = np.empty(m)
        nodal = self._vertex_state(u)
        cached = self._last_points
        reuse = cached is not None and np.array_equal(cached[0], u)
        for chunk in self._iter_chunks():
            weights = chunk.geometry.weights
            layers = np.broadcast_to(self.mesh.cell_layer[chunk.cells][:, None], weights.shape)
            if reuse and cached is not None:
                f, stress, theta, pressure = cached[1][chunk.start]
                jacobian = determinant(f)
                density = self._isochoric_energy(chunk, f)
                if self._vertex is not None:
                    assert nodal is not None
                    point_energy = self._vertex.interpolate(chunk.cells, nodal[1])
                else:
                    point_energy = self._volumetric(layers, theta)[0]
            else:
                state = self._point_state(chunk, u)
                f, jacobian = state.deformation_gradient, state.jacobian
                theta, pressure, point_energy, _ = self._chunk_volumetric(
                    chunk, state, None, nodal, tangent=False
                )
                if self._vertex is not None:
                    assert nodal is not None
                    point_energy = self._vertex.interpolate(chunk.cells, nodal[1])
                stress, _, energy_density = self._isochoric(chunk, f, tangent=False, energy=True)
                assert energy_density is not None
                density = energy_density
            scale = (theta / jacobian) ** (1.0 / 3.0)
            modified = scale[..., None, None] * f
            kirchhoff = (
                stress @ np.swapaxes(f, -1, -2) + (pressure * theta)[..., None, None] * IDENTITY
            )
            volume = weights.sum(axis=1)
            current = np.einsum("eq,eq->e", weights, theta)
            green = 0.5 * (np.swapaxes(modified, -1, -2) @ modified - IDENTITY)
            strain[chunk.cells] = np.einsum("eq,eqij->eij", weights, green) / volume[:, None, None]
            cauchy[chunk.cells] = (
                np.einsum("eq,eqij->eij", weights, kirchhoff) / current[:, None, None]
            )
            ratio[chunk.cells] = current / volume
            energy[chunk.cells] = np.einsum("eq,eq->e", weights, density + point_energy) / volume
        principal = principal_strains(strain)
        stretches = np.sqrt(np.clip(1.0 + 2.0 * principal, 0.0, None))
        directions = self.cell_fibre_directions()  # (m, 2, 3)
        right = IDENTITY + 2.0 * strain
        squared = np.einsum("mfi,mij,mfj->mf", directions, right, directions)
        has_family = np.any(directions != 0.0, axis=-1)
        fibre = np.where(has_family, np.sqrt(np.clip(squared, 0.0, None)), 1.0)
        return CellFields(strain, cauchy, energy, stretches, fibre, ratio)

    # -- output fields ------------------------------------------------------------------
    def cell_fields(self, displacement: ArrayLike) -> CellFields:
        """Volume-averaged strain, stress and energy per cell, for one or many frames.

        Parameters
        ----------
        displacement
            Nodal displacements ``(n, 3)`` or ``(K, n, 3)`` [m].

        Returns
        -------
        CellFields
            Arrays with a leading ``K`` axis when ``displacement`` had one. Small strain:
            the strain carries the projected dilatation of the mixed formulation, the
            stress is exact for the cell-averaged strain, the energy is ½ σ̄ : ε̄.
            Finite strain: Green–Lagrange strain, Cauchy stress, principal stretches,
            fibre stretches, volume ratio and energy per reference volume.
        """
        frames = np.asarray(displacement, dtype=float)
        single = frames.ndim == 2
        if single:
            frames = frames[None]
        frames = frames.reshape(frames.shape[0], -1, 3)
        if self.small_strain:
            fields = self._small_strain_fields(frames)
        else:
            fields = CellFields.stack([self._finite_strain_fields(u) for u in frames])
        return fields.frame(0) if single else fields

    def cell_volumes(self) -> FloatArray:
        """Reference cell volumes from the quadrature weights [m³]."""
        volumes = np.empty(self.mesh.num_cells)
        for chunk in self._iter_chunks():
            volumes[chunk.cells] = chunk.geometry.weights.sum(axis=1)
        return volumes
