r"""Quasi-static solves of a sequence of load frames: the one entry point, :func:`solve_frames`.

Frames carry dead nodal forces and/or skin tractions, written as combinations of a few
fixed load patterns (:class:`FrameLoads`; a moving stroke has one pattern per frame).

* **Small strain** (linear body): the stiffness is assembled, constrained and set up
  (factorisation or AMG hierarchy) once; only the patterns are solved and every frame
  follows by linear superposition, fields included. Tractions are dead loads.
* **Finite strain**: Newton's method (:mod:`~tissue_sim.mechanics.newton`), each frame
  from the previous converged one, with the factorisation reused across iterations and
  frames. Skin tractions are follower loads (:mod:`~tissue_sim.mechanics.surface_load`)
  unless ``follower=False``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from tissue_sim.fem.dirichlet import DirichletCondition, apply_dirichlet
from tissue_sim.fem.solvers import LinearSolver, SolveStatistics, make_solver
from tissue_sim.fem.surface import FacetQuadrature, facet_quadrature
from tissue_sim.geometry.mesh import Mesh
from tissue_sim.loading import TechniqueFrames, surface_traction
from tissue_sim.mechanics._tangent_solver import TangentSolver
from tissue_sim.mechanics.body import Evaluation, SolidBody
from tissue_sim.mechanics.fields import CellFields
from tissue_sim.mechanics.newton import (
    NewtonSettings,
    NewtonStatistics,
    SystemState,
    solve_nonlinear_frames,
)
from tissue_sim.mechanics.surface_load import SkinTraction, add_node_blocks, follower_load

__all__ = [
    "FrameLoads",
    "FrameSolution",
    "LinearSettings",
    "base_condition",
    "skin_quadrature",
    "solve_frames",
    "solve_linear_frames",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: A traction ``t(X) -> (M, 3)`` [Pa] of reference points ``X`` ``(M, 3)`` [m].
TractionFunction = Callable[[FloatArray], FloatArray]


@dataclass(frozen=True)
class LinearSettings:
    """Solver settings of a small-strain solve.

    Attributes
    ----------
    method
        Any method of :func:`~tissue_sim.fem.solvers.make_solver` (``"auto"``,
        ``"direct"``, ``"pardiso"``, ``"cholmod"``, ``"superlu"``, ``"amg"``,
        ``"petsc"``, ``"mumps"``).
    rtol
        Relative residual tolerance of CG.
    maxiter
        Largest number of CG iterations.
    superposition
        Solve only the load patterns and superpose (exact for a linear body).
    options
        Options of the solver (PETSc options, pyamg keywords; see
        :func:`~tissue_sim.fem.solvers.make_solver`).
    """

    method: str = "auto"
    rtol: float = 1e-8
    maxiter: int = 2000
    superposition: bool = True
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FrameLoads:
    """The loads of ``K`` frames as combinations of ``B`` load patterns.

    Frame ``k`` carries ``Σ_b factors[k, b] · pattern_b``, each pattern made of dead nodal
    forces and a skin traction.

    Attributes
    ----------
    factors
        ``(K, B)`` [-].
    nodal
        Dead nodal forces per pattern ``(B, n, 3)`` [N], or ``None``.
    quadrature
        Skin quadrature of the tractions, or ``None`` (no tractions).
    tractions
        Traction per unit reference area at the quadrature points of every pattern,
        ``(B, F, Q, 3)`` [Pa], or ``None``.
    follower
        Whether the tractions follow the deformed skin (finite strain only).
    """

    factors: FloatArray
    nodal: FloatArray | None = None
    quadrature: FacetQuadrature | None = None
    tractions: FloatArray | None = None
    follower: bool = True
    _dead: FloatArray | None = field(default=None, init=False, repr=False, compare=False)
    _loaded_rows: list[IntArray] = field(
        default_factory=list, init=False, repr=False, compare=False
    )
    _traction_cache: tuple[bytes, SkinTraction] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        factors = np.atleast_2d(np.asarray(self.factors, dtype=float))
        object.__setattr__(self, "factors", factors)
        patterns = factors.shape[1]
        if self.nodal is not None and self.nodal.shape[0] != patterns:
            raise ValueError(f"{patterns} load patterns but {self.nodal.shape[0]} nodal vectors")
        if (self.tractions is None) != (self.quadrature is None):
            raise ValueError("tractions and their quadrature go together")
        if self.tractions is not None:
            assert self.quadrature is not None
            if self.tractions.shape[0] != patterns:
                raise ValueError(
                    f"{patterns} load patterns but {self.tractions.shape[0]} tractions"
                )
            if self.tractions.shape[1:3] != self.quadrature.weights.shape:
                raise ValueError("tractions must be given at the quadrature points (B, F, Q, 3)")
            rows = [np.flatnonzero(np.any(t != 0.0, axis=(1, 2))) for t in self.tractions]
            object.__setattr__(self, "_loaded_rows", rows)

    # -- construction -------------------------------------------------------------------
    @classmethod
    def from_vectors(cls, vectors: ArrayLike) -> FrameLoads:
        """One frame per dead nodal load vector ``(K, n, 3)`` (or ``(K, 3n)``) [N]."""
        array = np.asarray(vectors, dtype=float)
        frames = array.shape[0]
        nodal = array if array.ndim == 3 else array.reshape(frames, -1, 3)
        return cls(np.eye(frames), nodal=nodal)

    @classmethod
    def from_tractions(
        cls,
        quadrature: FacetQuadrature,
        tractions: Sequence[TractionFunction | FloatArray],
        *,
        factors: ArrayLike | None = None,
        follower: bool = True,
    ) -> FrameLoads:
        """Frames of skin tractions: callables ``t(X)`` or values at the quadrature points.

        Parameters
        ----------
        quadrature
            Skin quadrature.
        tractions
            One traction per pattern [Pa per reference area].
        factors
            ``(K, B)`` combinations (default: one frame per traction).
        follower
            Follower loads for finite strain.
        """
        points = quadrature.points.reshape(-1, 3)
        values = []
        for traction in tractions:
            if callable(traction):
                raw = np.asarray(traction(points), dtype=float)
            else:
                raw = np.asarray(traction, dtype=float)
            values.append(raw.reshape(quadrature.points.shape))
        patterns = len(values)
        stacked = (
            np.stack(values) if values else np.zeros((0, *quadrature.points.shape), dtype=float)
        )
        combination = np.eye(patterns) if factors is None else np.asarray(factors, dtype=float)
        if combination.size == 0:
            combination = np.zeros((0, patterns))
        return cls(combination, quadrature=quadrature, tractions=stacked, follower=follower)

    @classmethod
    def from_technique(
        cls,
        frames: TechniqueFrames,
        quadrature: FacetQuadrature,
        *,
        superposition: bool = True,
        follower: bool = True,
    ) -> FrameLoads:
        """The skin tractions of a technique's frames (its basis patterns when it has one)."""
        if superposition and frames.basis is not None and frames.basis_factors is not None:
            return cls.from_tractions(
                quadrature,
                [_frame_traction(f) for f in frames.basis],
                factors=frames.basis_factors,
                follower=follower,
            )
        return cls.from_tractions(
            quadrature, [_frame_traction(f) for f in frames.frames], follower=follower
        )

    # -- queries ------------------------------------------------------------------------
    @property
    def num_frames(self) -> int:
        """Number of frames ``K``."""
        return int(self.factors.shape[0])

    @property
    def num_patterns(self) -> int:
        """Number of patterns ``B``."""
        return int(self.factors.shape[1])

    def dead_patterns(self, num_points: int) -> FloatArray:
        """Nodal forces of every pattern with tractions as dead loads ``(B, n, 3)`` [N]."""
        if self._dead is None:
            total = np.zeros((self.num_patterns, num_points, 3))
            if self.nodal is not None:
                total += self.nodal
            if self.tractions is not None and self.quadrature is not None:
                for b, values in enumerate(self.tractions):
                    total[b] += SkinTraction(self.quadrature, values).dead_load_vector(num_points)
            object.__setattr__(self, "_dead", total)
        assert self._dead is not None
        return self._dead

    def weights(self, frame: int, fraction: float) -> FloatArray:
        """Pattern weights on the path from frame ``k−1`` (zero before frame 0) to ``k``."""
        current = self.factors[frame]
        previous = self.factors[frame - 1] if frame > 0 else np.zeros_like(current)
        return np.asarray(previous + fraction * (current - previous))

    def traction(self, weights: FloatArray) -> SkinTraction | None:
        """The combined skin traction of the pattern weights (loaded facets only)."""
        if self.tractions is None or self.quadrature is None:
            return None
        key = np.asarray(weights, dtype=float).tobytes()
        cached = self._traction_cache
        if cached is not None and cached[0] == key:
            return cached[1]
        active = np.flatnonzero(weights != 0.0)
        if active.size == 0:
            return None
        rows = np.unique(np.concatenate([self._loaded_rows[b] for b in active]))
        values = np.einsum("b,bfqi->fqi", weights[active], self.tractions[active][:, rows])
        traction = SkinTraction(self.quadrature.subset(rows), values).loaded()
        # (Newton evaluates one load level many times: keep the last one)
        object.__setattr__(self, "_traction_cache", (key, traction))
        return traction

    def unloaded(self, frame: int) -> bool:
        """Whether frame ``frame`` carries no load at all."""
        weights = self.factors[frame]
        for b in np.flatnonzero(weights != 0.0):
            if self.nodal is not None and np.any(self.nodal[b]):
                return False
            if self._loaded_rows and self._loaded_rows[b].size:
                return False
        return True


def _frame_traction(frame: object) -> TractionFunction:
    def traction(points: FloatArray) -> FloatArray:
        if not getattr(frame, "loads", ()):
            return np.zeros_like(points)
        return surface_traction(frame, points)  # type: ignore[arg-type]

    return traction


@dataclass
class FrameSolution:
    """Mechanics of a sequence of load frames.

    Attributes
    ----------
    displacement
        Nodal displacement per frame ``(K, n, 3)`` [m].
    fields
        Volume-averaged cell fields per frame (strain: small strain or Green–Lagrange;
        Cauchy stress; energy; finite-strain stretches).
    applied_force
        Resultant of the applied loads per frame ``(K, 3)`` [N] (follower loads: at the
        deformed state).
    base_reaction
        Force the fixed base exerts on the tissue per frame ``(K, 3)`` [N]; in equilibrium
        it balances ``applied_force`` (roller sides carry only normal forces).
    reactions
        Reaction forces on the prescribed dofs (zero elsewhere) ``(K, n, 3)`` [N].
    statistics
        Linear-solver statistics (method, set-up time, iterations per solve; for a
        finite-strain solve, Newton iterations per frame).
    newton
        Newton statistics of a finite-strain solve (``None`` for small strain).
    timings
        Wall time per phase [s].
    """

    displacement: FloatArray
    fields: CellFields
    applied_force: FloatArray
    base_reaction: FloatArray
    reactions: FloatArray
    statistics: SolveStatistics
    newton: NewtonStatistics | None = None
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def cell_strain(self) -> FloatArray:
        """Volume-averaged strain per frame and cell ``(K, m, 3, 3)`` [-]."""
        return self.fields.strain

    @property
    def cell_stress(self) -> FloatArray:
        """Volume-averaged Cauchy stress ``(K, m, 3, 3)`` [Pa]."""
        return self.fields.stress

    @property
    def cell_energy_density(self) -> FloatArray:
        """Strain-energy density ``(K, m)`` [J/m³]."""
        return self.fields.energy_density

    @property
    def extra_scalars(self) -> dict[str, FloatArray]:
        """Finite-strain per-cell scalars ``name → (K, m)`` (empty for small strain)."""
        return self.fields.extra_scalars()

    @property
    def displacements(self) -> FloatArray:
        """Alias of :attr:`displacement`."""
        return self.displacement


def base_condition(mesh: Mesh, sides: str = "roller") -> DirichletCondition:
    """Fixed base (bone) and roller or free sides.

    Parameters
    ----------
    mesh
        The mesh.
    sides
        ``"roller"``: the displacement normal to each lateral face is zero;
        ``"free"``: no condition on the sides.
    """
    fixed = np.zeros(3 * mesh.num_points, dtype=bool)
    bottom = mesh.nodes_on_face("bottom")
    for component in range(3):
        fixed[3 * bottom + component] = True
    if sides == "roller":
        for face, component in (("x_min", 0), ("x_max", 0), ("y_min", 1), ("y_max", 1)):
            fixed[3 * mesh.nodes_on_face(face) + component] = True
    elif sides != "free":
        raise ValueError(f"sides must be 'roller' or 'free', got {sides!r}")
    return DirichletCondition(fixed, np.zeros(3 * mesh.num_points))


def skin_quadrature(mesh: Mesh, smallest_feature: float) -> FacetQuadrature:
    """Quadrature on the skin fine enough to resolve a load feature of the given size.

    Each skin facet is subdivided so that sub-facets are at most a sixth of
    ``smallest_feature`` (e.g. a patch semi-axis or its edge band) [m], up to 8 × 8.
    """
    top = mesh.facets["top"]
    vertices = mesh.points[mesh.linear_cells()[top[:, 0]]]
    facet_size = float(np.max(np.ptp(vertices[..., :2], axis=1)))
    subdivisions = int(np.clip(math.ceil(6.0 * facet_size / max(smallest_feature, 1e-12)), 1, 8))
    return facet_quadrature(mesh, top, degree=4, subdivisions=subdivisions)


def _conditions(
    dirichlet: DirichletCondition | Sequence[DirichletCondition], frames: int
) -> list[DirichletCondition]:
    if isinstance(dirichlet, DirichletCondition):
        return [dirichlet] * frames
    conditions = list(dirichlet)
    if len(conditions) != frames:
        raise ValueError(f"{frames} load frames but {len(conditions)} Dirichlet conditions")
    return conditions


class _BodySystem:
    """The body under the frames' loads, as Newton's method sees it."""

    def __init__(self, body: SolidBody, loads: FrameLoads) -> None:
        self.body = body
        self.loads = loads
        self.follower = loads.follower and loads.tractions is not None
        n = body.mesh.num_points
        self._nodal = (
            loads.nodal if self.follower or loads.tractions is None else loads.dead_patterns(n)
        )
        self._cache: list[tuple[FloatArray, Evaluation]] = []
        #: The last external forces computed: ``(weights, u, force)`` (the applied
        #: resultant of a converged frame is that of its last accepted evaluation).
        self._forces: list[tuple[bytes, FloatArray, FloatArray]] = []

    @property
    def num_dofs(self) -> int:
        return self.body.num_dofs

    @property
    def points(self) -> FloatArray:
        return self.body.mesh.points

    @property
    def round_off_force(self) -> float:
        return self.body.round_off_force

    def unloaded(self, frame: int) -> bool:
        return self.loads.unloaded(frame)

    def external(
        self, u: FloatArray, weights: FloatArray, *, tangent: bool
    ) -> tuple[FloatArray, FloatArray | None, tuple[IntArray, IntArray, FloatArray] | None]:
        """External forces ``(3n,)``, and the follower-load blocks."""
        n = self.body.mesh.num_points
        force = np.zeros((n, 3))
        if self._nodal is not None:
            force += np.einsum("b,bni->ni", weights, self._nodal)
        blocks = None
        if self.follower:
            traction = self.loads.traction(weights)
            if traction is not None:
                load = follower_load(
                    traction, self.body.mesh.points, u.reshape(-1, 3), tangent=tangent
                )
                force += load.force
                if load.blocks is not None:
                    blocks = (load.rows, load.columns, load.blocks)
        self._forces.insert(0, (np.asarray(weights, dtype=float).tobytes(), u.copy(), force))
        del self._forces[3:]
        return force.reshape(-1), None, blocks

    def applied_force(self, u: FloatArray, frame: int) -> FloatArray:
        """Resultant of the external forces of frame ``frame`` at ``u`` ``(3,)`` [N] (from
        the last evaluations when one was at this state and load)."""
        key = np.asarray(self.loads.weights(frame, 1.0), dtype=float).tobytes()
        for weights, state, force in self._forces:
            if weights == key and np.array_equal(state, u):
                return force.sum(axis=0)
        external, _, _ = self.external(u, self.loads.weights(frame, 1.0), tangent=False)
        return external.reshape(-1, 3).sum(axis=0)

    def _body(self, u: FloatArray, tangent: bool) -> Evaluation:
        """The body's evaluation at ``u``; the last two are kept (the load level of a
        state changes between frames, and a rejected predictor returns to the state)."""
        for index, (cached_u, cached) in enumerate(self._cache):
            if (cached.tangent is not None or not tangent) and np.array_equal(cached_u, u):
                self._cache.insert(0, self._cache.pop(index))
                return cached
        evaluation = self.body.evaluate(u.reshape(-1, 3), tangent=tangent)
        self._cache.insert(0, (u.copy(), evaluation))
        del self._cache[2:]
        return evaluation

    def evaluate(self, u: FloatArray, frame: int, fraction: float, *, tangent: bool) -> SystemState:
        weights = self.loads.weights(frame, fraction)
        evaluation = self._body(u, tangent)
        external, _, blocks = self.external(u, weights, tangent=tangent)
        internal = evaluation.internal_force.reshape(-1)
        matrix = evaluation.tangent
        symmetric = True
        if matrix is not None and blocks is not None and blocks[2].size:
            # (a copy: the body's tangent may be cached or met again at another level)
            matrix = add_node_blocks(matrix.copy(), blocks[0], blocks[1], blocks[2], -1.0)
            symmetric = False
        scale = max(float(np.linalg.norm(external)), float(np.linalg.norm(internal)))
        return SystemState(internal - external, matrix, scale, symmetric, (frame, fraction))


def solve_frames(
    body: SolidBody,
    loads: FrameLoads,
    dirichlet: DirichletCondition | Sequence[DirichletCondition],
    *,
    newton: NewtonSettings | None = None,
    linear: LinearSettings | None = None,
    solver: LinearSolver | TangentSolver | None = None,
    initial: ArrayLike | None = None,
) -> tuple[FrameSolution, LinearSolver | TangentSolver]:
    """Solve every load frame: superposition for small strain, Newton for finite strain.

    Parameters
    ----------
    body
        The solid body.
    loads
        The frames' loads.
    dirichlet
        Prescribed displacements: one condition for every frame, or one per frame (same
        ``fixed`` mask, frame values [m]).
    newton
        Newton settings (finite strain).
    linear
        Linear-solver settings (small strain).
    solver
        A solver to reuse, as returned by an earlier call on the same body and
        constraints (the set-up factorisation or hierarchy of a session's earlier
        technique).
    initial
        Starting displacement of a finite-strain solve ``(n, 3)`` [m].

    Returns
    -------
    solution, solver
        The frame solution and the (reusable) solver.

    Raises
    ------
    tissue_sim.errors.SolverError
        If a linear solve fails, or Newton cannot reach a frame.
    """
    conditions = _conditions(dirichlet, loads.num_frames)
    if body.is_linear:
        linear_solver = solver if isinstance(solver, LinearSolver) else None
        return _solve_linear(body, loads, conditions, linear or LinearSettings(), linear_solver)
    tangent_solver = solver if isinstance(solver, TangentSolver) else None
    return _solve_nonlinear(
        body, loads, conditions, newton or NewtonSettings(), tangent_solver, initial
    )


def _reactions(
    body: SolidBody, external: FloatArray, internal: FloatArray, fixed: NDArray[np.bool_]
) -> tuple[FloatArray, FloatArray]:
    """Reactions on the prescribed dofs ``(K, n, 3)`` and their base resultant ``(K, 3)``."""
    residual = internal - external  # (K, n, 3)
    reactions = np.where(fixed.reshape(-1, 3), residual, 0.0)
    base = body.mesh.nodes_on_face("bottom")
    return reactions, residual[:, base, :].sum(axis=1)


def _solve_linear(
    body: SolidBody,
    loads: FrameLoads,
    conditions: list[DirichletCondition],
    settings: LinearSettings,
    solver: LinearSolver | None,
) -> tuple[FrameSolution, LinearSolver]:
    mesh = body.mesh
    n = mesh.num_points
    timings: dict[str, float] = {}
    start = time.perf_counter()
    stiffness = body.stiffness()
    timings["assembly"] = time.perf_counter() - start
    mark = time.perf_counter()
    patterns = loads.dead_patterns(n)
    factors = loads.factors
    # prescribed values are not linear in the pattern factors: solve frame by frame
    prescribed = any(np.any(c.values[c.fixed]) for c in conditions)
    if not settings.superposition or prescribed:
        patterns = np.einsum("kb,bni->kni", factors, patterns)
        factors = np.eye(loads.num_frames)
    rhs_loads = patterns.reshape(patterns.shape[0], -1).T  # (3n, B)
    timings["loads"] = time.perf_counter() - mark
    condition = (
        conditions[0]
        if conditions
        else DirichletCondition(np.zeros(3 * n, dtype=bool), np.zeros(3 * n))
    )
    constrained, rhs = apply_dirichlet(stiffness, rhs_loads, condition)
    if prescribed and any(c is not condition for c in conditions):
        rhs = np.stack(
            [apply_dirichlet(stiffness, rhs_loads[:, k], c)[1] for k, c in enumerate(conditions)],
            axis=1,
        )
    if solver is None:
        solver = make_solver(
            constrained,
            method=settings.method,
            rtol=settings.rtol,
            maxiter=settings.maxiter,
            points=mesh.points,
            options=settings.options,
        )
    nonzero = np.flatnonzero(np.any(rhs != 0.0, axis=0))
    pattern_solutions = np.zeros_like(rhs)
    solve_start = time.perf_counter()
    if nonzero.size:
        pattern_solutions[:, nonzero] = solver.solve(rhs[:, nonzero])
    timings["solve"] = time.perf_counter() - solve_start
    frame_displacement = (pattern_solutions @ factors.T).T.reshape(loads.num_frames, -1, 3)
    frame_loads = (rhs_loads @ factors.T).T.reshape(loads.num_frames, -1, 3)
    fields_start = time.perf_counter()
    pattern_fields = body.cell_fields(np.moveaxis(pattern_solutions.reshape(n, 3, -1), -1, 0))
    fields = pattern_fields.combine(factors)
    timings["fields"] = time.perf_counter() - fields_start
    internal = np.zeros_like(frame_loads)
    for k, u in enumerate(frame_displacement):
        internal[k] = (stiffness @ u.reshape(-1)).reshape(-1, 3)
    reactions, base = _reactions(body, frame_loads, internal, condition.fixed)
    solution = FrameSolution(
        displacement=frame_displacement,
        fields=fields,
        applied_force=frame_loads.sum(axis=1),
        base_reaction=base,
        reactions=reactions,
        statistics=solver.statistics,
        timings=timings,
    )
    return solution, solver


def _solve_nonlinear(
    body: SolidBody,
    loads: FrameLoads,
    conditions: list[DirichletCondition],
    settings: NewtonSettings,
    solver: TangentSolver | None,
    initial: ArrayLike | None,
) -> tuple[FrameSolution, TangentSolver]:
    mesh = body.mesh
    timings: dict[str, float] = {}
    start = time.perf_counter()
    system = _BodySystem(body, loads)
    if solver is None:
        solver = TangentSolver(
            method=settings.linear_solver,
            points=mesh.points,
            direct_dof_limit=settings.direct_dof_limit,
            reuse=settings.reuse_factorisation,
            max_krylov=settings.max_krylov,
            rebuild_rate=settings.rebuild_rate,
            options=settings.linear_options,
        )
    timings["loads"] = time.perf_counter() - start
    solve_start = time.perf_counter()
    per_frame: list[CellFields] = []
    fields_seconds = 0.0

    applied = np.zeros((loads.num_frames, 3))

    def collect(frame: int, u: FloatArray) -> None:
        nonlocal fields_seconds
        mark = time.perf_counter()
        per_frame.append(body.cell_fields(u.reshape(-1, 3)))
        applied[frame] = system.applied_force(u, frame)  # (the converged state's loads)
        fields_seconds += time.perf_counter() - mark

    result = solve_nonlinear_frames(
        system,
        loads.num_frames,
        conditions,
        initial=initial,
        settings=settings,
        linear=solver,
        on_frame=collect,
    )
    timings["solve"] = time.perf_counter() - solve_start - fields_seconds
    fields_start = time.perf_counter()
    displacement = result.displacements
    fields = CellFields.stack(per_frame) if per_frame else _empty_fields(body)
    timings["fields"] = time.perf_counter() - fields_start + fields_seconds
    base = mesh.nodes_on_face("bottom")
    iterations = list(result.statistics.iterations_per_frame)
    statistics = SolveStatistics(
        method="newton",
        setup_seconds=result.statistics.setup_seconds,
        iterations=iterations,
        relative_residuals=[],
        solve_seconds=timings["solve"],
    )
    solution = FrameSolution(
        displacement=displacement,
        fields=fields,
        applied_force=applied,
        base_reaction=result.reactions[:, base, :].sum(axis=1),
        reactions=result.reactions,
        statistics=statistics,
        newton=result.statistics,
        timings=timings,
    )
    return solution, solver


def _empty_fields(body: SolidBody) -> CellFields:
    m = body.mesh.num_cells
    return CellFields(
        np.zeros((0, m, 3, 3)),
        np.zeros((0, m, 3, 3)),
        np.zeros((0, m)),
        np.zeros((0, m, 3)),
        np.zeros((0, m, 2)),
        np.zeros((0, m)),
    )


def solve_linear_frames(
    problem: SolidBody,
    condition: DirichletCondition,
    frames: TechniqueFrames,
    quadrature: FacetQuadrature,
    *,
    solver: LinearSolver | None = None,
    method: str = "auto",
    rtol: float = 1e-8,
    maxiter: int = 2000,
    use_superposition: bool = True,
) -> tuple[FrameSolution, LinearSolver]:
    """A technique's frames on a small-strain body (kept for callers of the old API).

    Equivalent to ``solve_frames(problem, FrameLoads.from_technique(frames, quadrature),
    condition, linear=LinearSettings(method, rtol, maxiter, use_superposition))``.
    """
    loads = FrameLoads.from_technique(
        frames, quadrature, superposition=use_superposition, follower=False
    )
    settings = LinearSettings(method, rtol, maxiter, use_superposition)
    solution, used = solve_frames(problem, loads, condition, linear=settings, solver=solver)
    assert isinstance(used, LinearSolver)
    return solution, used
