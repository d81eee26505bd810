"""Quasi-static solves of a sequence of load frames with one set-up solver.

For linear elasticity the stiffness matrix is assembled, constrained and factorised
(or given its AMG hierarchy) once; every frame is then one back-substitution or one
preconditioned CG solve. Where a technique's frames are combinations of a few fixed
spatial traction patterns (static holds, kneading, cross-fibre friction), only the
patterns are solved and the frames follow by linear superposition.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from tissue_sim.fem.dirichlet import DirichletCondition, apply_dirichlet
from tissue_sim.fem.solvers import LinearSolver, SolveStatistics, make_solver
from tissue_sim.fem.surface import FacetQuadrature, facet_quadrature, traction_load_vector
from tissue_sim.geometry.mesh import Mesh
from tissue_sim.loading import LoadFrame, TechniqueFrames, surface_traction
from tissue_sim.mechanics.hyperelastic import HyperelasticProblem, NewtonSettings
from tissue_sim.mechanics.linear import LinearElasticProblem

__all__ = [
    "FrameSolution",
    "base_condition",
    "skin_quadrature",
    "solve_hyperelastic_frames",
    "solve_linear_frames",
]

FloatArray = NDArray[np.float64]


@dataclass
class FrameSolution:
    """Mechanics of a sequence of load frames.

    Attributes
    ----------
    displacement
        Nodal displacement per frame ``(K, n, 3)`` [m].
    cell_strain
        Volume-averaged small strain per frame and cell ``(K, m, 3, 3)`` [-].
    cell_stress
        Volume-averaged Cauchy stress ``(K, m, 3, 3)`` [Pa].
    cell_energy_density
        Strain-energy density ``(K, m)`` [J/m³].
    applied_force
        Resultant of the applied tractions per frame ``(K, 3)`` [N].
    base_reaction
        Force the fixed base exerts on the tissue per frame ``(K, 3)`` [N]; in equilibrium
        it balances ``applied_force`` (roller sides carry only normal forces).
    statistics
        Linear-solver statistics (method, set-up time, iterations per solve).
    timings
        Wall time per phase [s].
    extra_scalars
        Further per-cell scalars ``name → (K, m)`` (finite strain: Hencky principal
        strains, principal stretches, fibre stretch, volume ratio).
    newton
        Per-frame Newton statistics of a finite-strain solve (``None`` for linear).
    """

    displacement: FloatArray
    cell_strain: FloatArray
    cell_stress: FloatArray
    cell_energy_density: FloatArray
    applied_force: FloatArray
    base_reaction: FloatArray
    statistics: SolveStatistics
    timings: dict[str, float] = field(default_factory=dict)
    extra_scalars: dict[str, FloatArray] = field(default_factory=dict)
    newton: list[dict[str, float]] | None = None


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


def _frame_load(mesh: Mesh, quadrature: FacetQuadrature, frame: LoadFrame) -> FloatArray:
    if not frame.loads:
        return np.zeros((mesh.num_points, 3))
    return traction_load_vector(mesh, quadrature, lambda p: surface_traction(frame, p))


def solve_linear_frames(
    problem: LinearElasticProblem,
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
    """Solve every load frame of a technique with one set-up solver.

    Parameters
    ----------
    problem
        The linear-elastic problem (stiffness assembled on first use).
    condition
        Prescribed displacements (homogeneous: fixed base, roller sides).
    frames
        The technique's frames; when ``frames.basis`` is given and
        ``use_superposition`` is true, only the basis patterns are solved.
    quadrature
        Skin quadrature (see :func:`skin_quadrature`).
    solver
        A solver already set up for this problem's constrained matrix (reused across
        the techniques of a session); built when ``None``.
    method, rtol, maxiter
        Solver choice, CG tolerance and iteration limit when a solver is built.
    use_superposition
        Solve basis patterns and superpose (exact for linear problems).

    Returns
    -------
    solution, solver
        The frame solution and the (reusable) solver.
    """
    mesh = problem.mesh
    timings: dict[str, float] = {}
    start = time.perf_counter()
    stiffness = problem.stiffness()
    timings["assembly"] = time.perf_counter() - start
    if use_superposition and frames.basis is not None and frames.basis_factors is not None:
        patterns = [_frame_load(mesh, quadrature, f) for f in frames.basis]
        factors = np.asarray(frames.basis_factors)
    else:
        patterns = [_frame_load(mesh, quadrature, f) for f in frames.frames]
        factors = np.eye(len(patterns))
    loads = np.stack(patterns, axis=-1).reshape(3 * mesh.num_points, -1)
    timings["loads"] = time.perf_counter() - start - timings["assembly"]
    constrained, rhs = apply_dirichlet(stiffness, loads, condition)
    if solver is None:
        solver = make_solver(
            constrained, method=method, rtol=rtol, maxiter=maxiter, points=mesh.points
        )
    nonzero = np.flatnonzero(np.any(loads != 0.0, axis=0))
    pattern_solutions = np.zeros_like(rhs)
    solve_start = time.perf_counter()
    if nonzero.size:
        pattern_solutions[:, nonzero] = solver.solve(rhs[:, nonzero])
    timings["solve"] = time.perf_counter() - solve_start
    frame_displacement = (pattern_solutions @ factors.T).T.reshape(len(frames.frames), -1, 3)
    frame_loads = (loads @ factors.T).T.reshape(len(frames.frames), -1, 3)
    fields_start = time.perf_counter()
    pattern_fields = problem.cell_fields(
        np.moveaxis(pattern_solutions.reshape(mesh.num_points, 3, -1), -1, 0)
    )
    strain = np.einsum("kb,bmij->kmij", factors, pattern_fields.strain)
    stress = np.einsum("kb,bmij->kmij", factors, pattern_fields.stress)
    energy = 0.5 * np.einsum("kmij,kmij->km", stress, strain)
    timings["fields"] = time.perf_counter() - fields_start
    internal = np.stack([(stiffness @ u.reshape(-1)).reshape(-1, 3) for u in frame_displacement])
    base = mesh.nodes_on_face("bottom")
    reaction = (internal[:, base, :] - frame_loads[:, base, :]).sum(axis=1)
    solution = FrameSolution(
        displacement=frame_displacement,
        cell_strain=strain,
        cell_stress=stress,
        cell_energy_density=energy,
        applied_force=frame_loads.sum(axis=1),
        base_reaction=reaction,
        statistics=solver.statistics,
        timings=timings,
    )
    return solution, solver


def solve_hyperelastic_frames(
    problem: HyperelasticProblem,
    condition: DirichletCondition,
    frames: TechniqueFrames,
    quadrature: FacetQuadrature,
    *,
    settings: NewtonSettings | None = None,
) -> FrameSolution:
    """Solve every load frame of a technique with finite-strain hyperelasticity.

    Each frame starts from the previous converged state (Newton with line search and
    adaptive load increments, see :mod:`tissue_sim.mechanics.hyperelastic.newton`).
    Tractions are dead loads in the reference configuration.

    Returns
    -------
    FrameSolution
        ``cell_strain`` is the Green–Lagrange strain, ``cell_stress`` the Cauchy stress;
        ``extra_scalars`` hold Hencky principal strains, principal stretches, the largest
        fibre stretch and the volume ratio per cell and frame.
    """
    mesh = problem.mesh
    timings: dict[str, float] = {}
    start = time.perf_counter()
    loads = np.stack([_frame_load(mesh, quadrature, frame) for frame in frames.frames])
    timings["loads"] = time.perf_counter() - start
    solve_start = time.perf_counter()
    solution = problem.solve_frames(loads, condition, settings=settings)
    timings["solve"] = time.perf_counter() - solve_start
    fields_start = time.perf_counter()
    fields = problem.frame_cell_fields(solution.displacements)
    timings["fields"] = time.perf_counter() - fields_start
    base = mesh.nodes_on_face("bottom")
    reaction = solution.reactions[:, base, :].sum(axis=1)
    newton = [
        {
            "frame": float(stats.frame),
            "increments": float(stats.converged_increments),
            "cutbacks": float(stats.cutbacks),
            "newton_iterations": float(stats.newton_iterations),
            "seconds": float(stats.seconds),
        }
        for stats in solution.statistics
    ]
    statistics = SolveStatistics(
        method="newton",
        setup_seconds=0.0,
        iterations=[int(item["newton_iterations"]) for item in newton],
        relative_residuals=[],
        solve_seconds=timings["solve"],
    )
    return FrameSolution(
        displacement=solution.displacements,
        cell_strain=fields.green_lagrange,
        cell_stress=fields.cauchy_stress,
        cell_energy_density=fields.energy_density,
        applied_force=loads.sum(axis=1),
        base_reaction=reaction,
        statistics=statistics,
        timings=timings,
        extra_scalars={
            "max_hencky_strain": fields.hencky_principal[..., 0],
            "min_hencky_strain": fields.hencky_principal[..., 2],
            "max_principal_stretch": fields.principal_stretches[..., 0],
            "min_principal_stretch": fields.principal_stretches[..., 2],
            "fibre_stretch": fields.fibre_stretch.max(axis=-1),
            "volume_ratio": fields.volume_ratio,
        },
        newton=newton,
    )
