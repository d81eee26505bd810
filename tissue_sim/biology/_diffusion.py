r"""Diffusion of soluble species between the material points (cell-centred finite volumes).

The material points of the biology are the mesh cells, so the concentrations are cell
averages and the natural discretisation is the cell-centred finite-volume method (P0) with
a two-point flux across every interior face :math:`f` shared by cells :math:`i, j`:

.. math::

    V_i \frac{dc_i}{dt} = \sum_{f = (i, j)} D\,\frac{A_f}{d_f}\,(c_j - c_i),
    \qquad d_f = |(\mathbf x_j - \mathbf x_i)\cdot\mathbf n_f|,

i.e. :math:`M\dot c = -D K c` with the lumped mass :math:`M = \operatorname{diag}(V)` and
the symmetric graph Laplacian :math:`K` (zero row sums). Faces on the boundary carry no
flux (zero-flux walls), so :math:`\mathbf 1^T M c` is conserved exactly. On the
axis-aligned hexahedra of the project's structured meshes (Q1/Q2) the centroid line of
two neighbours is normal to their face, so the two-point flux is consistent (second order
in space); on tetrahedra it is conservative and monotone but not consistent (the Kuhn
tetrahedra of a box are not orthogonal to their faces): use hexahedra with diffusion.

Time: :class:`Diffusion` advances :math:`M\dot c = -DKc` over a step by Crank–Nicolson
(second order), :math:`(M + \tfrac{\Delta t}{2}DK)\,c' = (M - \tfrac{\Delta t}{2}DK)\,c`,
in sub-steps short enough that the right-hand matrix stays non-negative (then every
sub-step maps non-negative concentrations to non-negative ones), each solved by
Jacobi-preconditioned conjugate gradients over all species of one diffusivity at once.
Nothing corrects the mass afterwards: it is conserved by the scheme, because
:math:`\mathbf 1^T K = 0` gives :math:`\mathbf 1^T M c' = \mathbf 1^T M c - \mathbf 1^T r`
with the solve's residual :math:`r`, and the solves stop only when
:math:`|\mathbf 1^T r| \le \epsilon\,\mathbf 1^T|b|` and
:math:`\lVert r\rVert \le \epsilon\lVert b\rVert` (true residual, :math:`\epsilon` =
``tolerance``, default 1e-14, not below the residual's round-off
:math:`4\varepsilon\sqrt P`); a solve that does not get there raises
:class:`~tissue_sim.errors.SolverError` naming the species and the time.
:func:`tissue_sim.biology.simulate` couples it to
the batched stiff reaction solver by Strang splitting (half diffusion, reaction, half
diffusion).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import basix
import numpy as np
import numpy.typing as npt
import scipy.sparse

from tissue_sim.errors import InputError, SolverError

#: Cell size, in units of the shortest √(D·Δt_split), above which :func:`check_diffusion_mesh`
#: warns. Assumption: a sharp front needs a few cells per diffusion length. The length is
#: a heuristic tied to the splitting step (the physical ones, √(D·τ) over the clearance
#: times, are 40–210 µm, the same order); what is measured is that the effect of diffusion
#: grows under refinement on the shipped meshes (docs/biology.md, "Resolution").
RESOLUTION_FACTOR = 3.0


class DiffusionResolutionWarning(UserWarning):
    """The mesh cells are much larger than the distance the species diffuse in a split step."""


__all__ = [
    "CellGraph",
    "Diffusion",
    "DiffusionResolutionWarning",
    "cell_graph",
    "check_diffusion_mesh",
    "file_diffusivities",
    "model_diffusivities",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]


@dataclass(frozen=True)
class CellGraph:
    """Finite-volume geometry of the material points (mesh cells).

    Attributes
    ----------
    volumes
        Cell volumes ``(P,)`` [m³].
    centroids
        Cell centroids ``(P, 3)`` [m].
    pairs
        The two cells of every interior face ``(F, 2)``.
    coupling
        ``A_f / d_f`` of every interior face ``(F,)`` [m]: face area over the distance of
        the two centroids along the face normal.
    """

    volumes: FloatArray
    centroids: FloatArray
    pairs: IntArray
    coupling: FloatArray

    @property
    def n_points(self) -> int:
        """Number of cells ``P``."""
        return int(self.volumes.size)

    def laplacian(self) -> scipy.sparse.csr_matrix:
        """The symmetric ``K`` [m] with ``(K c)_i = Σ_f (A_f/d_f)(c_i − c_j)``."""
        n = self.n_points
        i, j = self.pairs[:, 0], self.pairs[:, 1]
        w = self.coupling
        rows = np.concatenate([i, j, i, j])
        cols = np.concatenate([j, i, i, j])
        values = np.concatenate([-w, -w, w, w])
        return scipy.sparse.csr_matrix((values, (rows, cols)), shape=(n, n))


def cell_graph(points: npt.ArrayLike, cells: npt.ArrayLike, volumes: npt.ArrayLike) -> CellGraph:
    """The :class:`CellGraph` of a conforming mesh of tetrahedra or hexahedra.

    Parameters
    ----------
    points
        Vertex coordinates ``(N, 3)`` [m].
    cells
        Vertex indices of every cell in basix order, ``(P, 4)`` (tetrahedra) or
        ``(P, 8)`` (hexahedra); higher-order nodes left out.
    volumes
        Cell volumes ``(P,)`` [m³].
    """
    xyz = np.asarray(points, dtype=np.float64)
    connectivity = np.asarray(cells, dtype=np.intp)
    volume = np.asarray(volumes, dtype=np.float64)
    if connectivity.ndim != 2 or connectivity.shape[1] not in (4, 8):
        raise InputError("diffusion needs cells with 4 (tetrahedra) or 8 (hexahedra) vertices")
    if volume.shape != (connectivity.shape[0],) or np.any(~(volume > 0.0)):
        raise InputError("diffusion needs one positive volume per cell")
    cell_type = (
        basix.CellType.tetrahedron if connectivity.shape[1] == 4 else basix.CellType.hexahedron
    )
    facets = np.array(basix.topology(cell_type)[2], dtype=np.intp)  # (n_facets, nv)
    n_cells, n_facets = connectivity.shape[0], facets.shape[0]
    face_vertices = connectivity[:, facets].reshape(n_cells * n_facets, -1)
    keys = np.sort(face_vertices, axis=1)
    _, inverse, counts = np.unique(keys, axis=0, return_inverse=True, return_counts=True)
    inverse = inverse.reshape(-1)
    if np.any(counts > 2):
        raise InputError("the mesh is not conforming: a face is shared by more than two cells")
    interior = np.flatnonzero(counts[inverse] == 2)
    order = interior[np.argsort(inverse[interior], kind="stable")]
    first, second = order[0::2], order[1::2]
    pairs = np.column_stack([first // n_facets, second // n_facets]).astype(np.intp)
    centroids = xyz[connectivity].mean(axis=1)
    corners = xyz[face_vertices[first]]
    if corners.shape[1] == 3:
        area_vector = 0.5 * np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
    else:  # basix quadrilateral order: 0-1 and 2-3 opposite edges, diagonals 0-3 and 1-2
        area_vector = 0.5 * np.cross(corners[:, 3] - corners[:, 0], corners[:, 2] - corners[:, 1])
    area = np.linalg.norm(area_vector, axis=1)
    normal = area_vector / area[:, None]
    distance = np.abs(
        np.einsum("fk,fk->f", centroids[pairs[:, 1]] - centroids[pairs[:, 0]], normal)
    )
    if np.any(~(distance > 0.0)):
        raise InputError("two neighbouring cells have their centroids on their shared face")
    return CellGraph(volume, centroids, pairs, area / distance)


class Diffusion:
    """Crank–Nicolson diffusion of the species that diffuse, on a :class:`CellGraph`.

    Parameters
    ----------
    graph
        The cells' finite-volume geometry.
    diffusivity
        ``D`` of every species ``(S,)`` [m²/s]; 0 for species that do not diffuse.
    tolerance
        Relative residual of the linear solves, in the 2-norm and in the sum (the mass
        each solve can lose, relative to the species' mass) [-]; measured: 2e-13 of the
        mass over 768 half steps of 0.2-mm cells (1e-13: 2e-12, 1e-12: 3e-11), ~7 CG
        iterations per solve.
    names
        Species names ``(S,)`` for the messages (default ``species <index>``).
    max_iterations
        Conjugate-gradient iterations per solve before :class:`SolverError`.
    """

    def __init__(
        self,
        graph: CellGraph,
        diffusivity: npt.ArrayLike,
        *,
        tolerance: float = 1e-14,
        names: Sequence[str] | None = None,
        max_iterations: int = 1000,
    ) -> None:
        self.graph = graph
        self.diffusivity = np.asarray(diffusivity, dtype=np.float64).reshape(-1)
        if np.any(~np.isfinite(self.diffusivity)) or np.any(self.diffusivity < 0.0):
            raise InputError("diffusivities must be finite and non-negative")
        self.tolerance = float(tolerance)
        self.max_iterations = int(max_iterations)
        self.names = (
            list(names)
            if names is not None
            else [f"species {index}" for index in range(self.diffusivity.size)]
        )
        self.laplacian = graph.laplacian()
        self.volumes = graph.volumes
        self._degree = np.asarray(self.laplacian.diagonal())
        # the largest rate (Σ_f A_f/d_f)/V_i: Crank–Nicolson keeps c ≥ 0 for D·Δt·rate ≤ 2
        self._rate = float(np.max(self._degree / self.volumes)) if self._degree.size else 0.0
        groups: dict[float, list[int]] = {}
        for index, value in enumerate(self.diffusivity):
            if value > 0.0:
                groups.setdefault(float(value), []).append(index)
        self.groups: list[tuple[float, npt.NDArray[np.intp]]] = [
            (value, np.array(members, dtype=np.intp)) for value, members in groups.items()
        ]
        self.n_solves = 0
        self.n_iterations = 0

    @property
    def active(self) -> bool:
        """Whether any species diffuses."""
        return bool(self.groups)

    def substeps(self, diffusivity: float, dt: float) -> int:
        """Crank–Nicolson sub-steps of a step ``dt`` [s]: enough that ``D·Δt·rate ≤ 2``."""
        return max(1, math.ceil(diffusivity * dt * self._rate / 2.0 - 1e-12))

    def mass(self, state: FloatArray) -> FloatArray:
        """``Σ_i V_i c_i`` of every species of ``state`` ``(P, S)`` [unit · m³]."""
        return np.asarray(self.volumes @ state)

    def step(self, state: FloatArray, dt: float, *, time: float = 0.0) -> None:
        """Advance the diffusing species of ``state`` ``(P, S)`` by ``dt`` [s], in place.

        Raises
        ------
        SolverError
            If a linear solve does not converge (naming the species and ``time`` [s], the
            start of the step, for the message).
        """
        if dt <= 0.0:
            return
        for value, members in self.groups:
            count = self.substeps(value, dt)
            a = 0.5 * value * dt / count
            columns = np.ascontiguousarray(state[:, members])
            for _ in range(count):
                right = self.volumes[:, None] * columns - a * (self.laplacian @ columns)
                solved = self._solve(a, right, columns)
                if solved is None:
                    species = ", ".join(self.names[index] for index in members)
                    raise SolverError(
                        f"diffusion of {species} (D = {value:g} m²/s) did not converge in "
                        f"{self.max_iterations} conjugate-gradient iterations to a relative "
                        f"residual {self.tolerance:g} in the step from t = {time:g} s "
                        f"({time / 86400.0:.4g} days)"
                    )
                columns = solved
            state[:, members] = columns

    def _solve(self, a: float, right: FloatArray, start: FloatArray) -> FloatArray | None:
        """``(M + aK) x = right`` for every column: Jacobi-preconditioned CG until the true
        residual meets the tolerance in the 2-norm and in the sum; ``None`` if it does not."""
        self.n_solves += 1
        diagonal = self.volumes + a * self._degree
        # not below the round-off of the residual itself (~ε√P relative)
        tolerance = max(self.tolerance, 4.0 * np.finfo(np.float64).eps * math.sqrt(right.shape[0]))
        norm_target = tolerance * np.linalg.norm(right, axis=0)
        sum_target = tolerance * np.abs(right).sum(axis=0)
        x = start.copy()

        def residual() -> FloatArray:
            return np.asarray(right - (self.volumes[:, None] * x + a * (self.laplacian @ x)))

        def converged(r: FloatArray) -> bool:
            return bool(
                np.all(np.linalg.norm(r, axis=0) <= norm_target)
                and np.all(np.abs(r.sum(axis=0)) <= sum_target)
            )

        r = residual()
        iterations = 0
        while not converged(r):
            # (re)start from the true residual: the recursive one drifts from it
            z = r / diagonal[:, None]
            p = z.copy()
            rz = np.einsum("pk,pk->k", r, z)
            while iterations < self.max_iterations:
                if converged(r):
                    break
                iterations += 1
                self.n_iterations += 1
                q = self.volumes[:, None] * p + a * (self.laplacian @ p)
                pq = np.einsum("pk,pk->k", p, q)
                alpha = np.divide(rz, pq, out=np.zeros_like(rz), where=pq > 0.0)
                x += alpha * p
                r -= alpha * q
                z = r / diagonal[:, None]
                rz_new = np.einsum("pk,pk->k", r, z)
                beta = np.divide(rz_new, rz, out=np.zeros_like(rz), where=rz > 0.0)
                p = z + beta * p
                rz = rz_new
            r = residual()
            if iterations >= self.max_iterations and not converged(r):
                return None
        return x


def file_diffusivities(model: object) -> dict[str, float]:
    """``{species: D}`` [m²/s] from the ``diffusion`` entries of a composed model's files
    (:class:`~tissue_sim.biology.model.CellModel` keeps them as ``_files``)."""
    result: dict[str, float] = {}
    for file in getattr(model, "_files", ()):
        for name, definition in file.species.items():
            value = float(getattr(definition, "diffusivity", 0.0))
            if value > 0.0:
                result[name] = value
    return result


def model_diffusivities(
    species_names: Sequence[str], diffusivities: Mapping[str, float]
) -> FloatArray:
    """``D`` per species ``(S,)`` [m²/s] from a mapping (species not named: 0)."""
    unknown = set(diffusivities) - set(species_names)
    if unknown:
        raise InputError(f"diffusivity given for unknown species {sorted(unknown)}")
    return np.array([float(diffusivities.get(name, 0.0)) for name in species_names])


def check_diffusion_mesh(
    element: str,
    cell_size: float,
    diffusivities: Mapping[str, float],
    split_step: float,
    *,
    file: str | None = None,
) -> str | None:
    """Check that a mesh can carry the diffusion of ``diffusivities`` (``biology.diffusion``).

    Parameters
    ----------
    element
        The mesh element (``mesh.element``): ``Q1``/``Q2`` hexahedra, ``P1``/``P2``
        tetrahedra.
    cell_size
        The smallest lateral cell size of the mesh (``mesh.size``) [m].
    diffusivities
        ``{species: D}`` [m²/s] of the species that diffuse (none: nothing is checked).
    split_step
        The longest operator-splitting step [s] (``simulate``'s ``diffusion_step``).
    file
        The scenario file, for the error.

    Returns
    -------
    str or None
        The message of the :class:`DiffusionResolutionWarning` issued when ``cell_size``
        exceeds ``RESOLUTION_FACTOR`` × the shortest ``√(D·split_step)`` (the spread is
        then not resolved: on ``configs/static_compression.yaml`` the loose fascia's IL-6
        effect of diffusion doubles from 2 to 16 elements per layer), else ``None``.

    Raises
    ------
    InputError
        On tetrahedra (``P1``/``P2``): the two-point flux is not consistent there (the
        Kuhn tetrahedra of a box are not orthogonal to their faces), key
        ``biology.diffusion``.
    """
    if not diffusivities:
        return None
    if element.upper().startswith("P"):
        raise InputError(
            f"diffusion between the cells needs hexahedra (mesh.element Q1 or Q2), got "
            f"{element}: the two-point flux is not consistent on tetrahedra; set "
            "biology.diffusion: false or mesh.element: Q1",
            file=file,
            key="biology.diffusion",
        )
    name, value = min(diffusivities.items(), key=lambda item: item[1])
    length = math.sqrt(value * split_step)
    if cell_size <= RESOLUTION_FACTOR * length:
        return None
    message = (
        f"biology.diffusion: the cells ({cell_size * 1e3:g} mm, mesh.size) are "
        f"{cell_size / length:.0f}x the distance {name} diffuses in a {split_step:g}-s "
        f"splitting step (sqrt(D dt) = {length * 1e6:.0f} um): the spread between the cells "
        "is not resolved and its effect is underestimated (docs/biology.md, Resolution); "
        "refine mesh.size and mesh.min_layer_elements"
    )
    warnings.warn(message, DiffusionResolutionWarning, stacklevel=2)
    return message
