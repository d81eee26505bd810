r"""The mechanics stage of a run: every technique of a session on one mesh.

:func:`solve_session_mechanics` takes the mesh, one material per layer, the session's
technique steps and :class:`MechanicsSettings`, and returns one plain
:class:`SessionMechanics`: displacements, cell strains, stresses and derived scalars of
every load frame (techniques concatenated), the load resultants, the solver summary
(Newton iterations per frame for finite strain) and the small-strain validity check.

Small strain (``model="linear"``): one body, one constrained stiffness and one solver
set-up serve every technique (frames by superposition). Finite strain
(``model="hyperelastic"``): Newton over each technique's frames, the tangent solver
(its factorisation) carried from one technique to the next, skin tractions as
follower loads.

**Validity of small strain.** Small-strain theory drops the quadratic term
:math:`\tfrac12\nabla u^T\nabla u` of the Green–Lagrange strain, an error of about
:math:`\varepsilon/2` relative to a principal strain ε, and the linear laws hold the
moduli fixed while living fat stiffens in compression (Hatt 2023, FACTS §9:
:math:`G^* \propto C_{yy}^{-1.18}`, already 13 % above its rest value at 5 %
compression). A linear run whose largest principal strain magnitude exceeds
:data:`SMALL_STRAIN_LIMIT` = 5 % (2.5 % strain error, 13 % modulus error) is
flagged outside its valid range.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from tissue_sim.errors import InputError
from tissue_sim.fem.solvers import METHODS, LinearSolver
from tissue_sim.geometry.mesh import Mesh
from tissue_sim.loading import TechniqueStep
from tissue_sim.mechanics._tangent_solver import TangentSolver
from tissue_sim.mechanics.body import SolidBody
from tissue_sim.mechanics.frames import (
    FrameLoads,
    FrameSolution,
    LinearSettings,
    base_condition,
    skin_quadrature,
    solve_frames,
)
from tissue_sim.mechanics.materials import LinearElasticMaterial, Material
from tissue_sim.mechanics.newton import NewtonSettings
from tissue_sim.mechanics.strain_measures import (
    octahedral_shear_strain,
    principal_strains,
    volumetric_strain,
    von_mises_stress,
)

__all__ = [
    "CELL_SCALAR_UNITS",
    "MODELS",
    "SMALL_STRAIN_LIMIT",
    "MechanicsSettings",
    "SessionMechanics",
    "SmallStrainCheck",
    "cell_scalars",
    "layer_materials",
    "session_loads",
    "small_strain_check",
    "small_strain_message",
    "solve_session_mechanics",
    "summary_lines",
]

FloatArray = NDArray[np.float64]

#: Mechanics models.
MODELS = ("linear", "hyperelastic")

#: Largest principal strain magnitude [-] up to which small-strain results are valid
#: (see the module description).
SMALL_STRAIN_LIMIT = 0.05

#: Units of the derived per-cell scalar fields.
CELL_SCALAR_UNITS = {
    "max_principal_strain": "1",
    "mid_principal_strain": "1",
    "min_principal_strain": "1",
    "max_shear_strain": "1",
    "octahedral_shear_strain": "1",
    "volumetric_strain": "1",
    "von_mises_stress": "Pa",
    "pressure": "Pa",
    "strain_energy_density": "J/m**3",
}

#: progress(fraction of the mechanics done, in [0, 1])
ProgressCallback = Callable[[float], None]


@dataclass(frozen=True)
class MechanicsSettings:
    """How the mechanics of a session is solved.

    Attributes
    ----------
    model
        ``"hyperelastic"`` (finite strain) or ``"linear"`` (small strain).
    formulation
        ``"mixed"`` (locking-free, default) or ``"displacement"``.
    sides
        Lateral boundary: ``"roller"`` or ``"free"``.
    solver
        Any method of :func:`~tissue_sim.fem.solvers.make_solver` (``"auto"``,
        ``"direct"``, ``"pardiso"``, ``"cholmod"``, ``"superlu"``, ``"amg"``,
        ``"petsc"``, ``"mumps"``), for the stiffness (linear) or the Newton tangents.
    solver_options
        Options of that solver (PETSc options, pyamg keywords).
    rtol
        Relative residual tolerance of the linear (CG / GMRES) solves.
    max_iterations
        Largest number of CG iterations per linear solve (finite strain: of GMRES per
        Newton correction, at most 60).
    follower
        Skin tractions follow the deformed skin (finite strain).
    newton_rtol
        Relative residual tolerance of Newton's method [-], against the applied force.
        1e-3 is five times tighter than the force criterion of common FE codes
        (Abaqus: 5e-3 of the time-averaged force) and, being met inside Newton's
        quadratic phase, leaves cell strains within 1.3e-4 of their peak value of the
        1e-6 solution (measured: coarse baseline stroke, 8 frames, strains up to 0.41,
        largest difference 5e-5; 49 s instead of 69 s of CPU).
    initial_step
        First load increment of a session's first frame, as a fraction of it (a
        moving-hand load applied at once from rest strains fat by tens of percent).
        Measured on the baseline's first frame (loaded from rest, fat strained to 0.6):
        0.25 → 4 increments, 22 Newton iterations, 36 s CPU; 0.5 → 2 increments, 14
        iterations, 23 s; 1.0 fails, is cut back to 0.5 and costs 75 s.
    tangent_tolerance
        Cells whose deformation gradient moved by less than this since their element
        matrix was computed keep it (see :class:`~tissue_sim.mechanics.body.SolidBody`).
        ``None`` (default): every tangent is assembled in full. With the compiled
        kernels a full tangent costs little, and kept element matrices (1e-3) made every
        second frame of the baseline stroke converge linearly (4 Newton iterations
        instead of 2: 91 instead of 69 in all, measured).
    """

    model: str = "hyperelastic"
    formulation: str = "mixed"
    sides: str = "roller"
    solver: str = "auto"
    rtol: float = 1e-8
    max_iterations: int = 2000
    follower: bool = True
    newton_rtol: float = 1e-3
    initial_step: float = 0.5
    tangent_tolerance: float | None = None
    solver_options: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.model not in MODELS:
            raise ValueError(f"model must be one of {MODELS}, got {self.model!r}")
        if self.solver not in METHODS:
            raise ValueError(f"solver must be one of {METHODS}, got {self.solver!r}")


@dataclass(frozen=True)
class SmallStrainCheck:
    """Whether the strains stay where small-strain theory holds.

    Attributes
    ----------
    peak_strain
        Largest principal strain magnitude of any cell and frame [-].
    layer
        The layer where it occurs.
    limit
        The validity limit [-] (:data:`SMALL_STRAIN_LIMIT`).
    exceeded
        ``True`` for a linear (small-strain) run whose peak strain exceeds the limit.
    """

    peak_strain: float
    layer: str
    limit: float
    exceeded: bool

    def message(self) -> str:
        """One line for the run summary (empty when there is nothing to say)."""
        return small_strain_message(self.peak_strain, self.layer, self.limit, self.exceeded)


def small_strain_message(peak: float, layer: str, limit: float, exceeded: bool) -> str:
    """The warning of a linear run outside the small-strain range (empty if inside).

    Parameters
    ----------
    peak
        Largest principal strain magnitude [-].
    layer
        Where it occurs.
    limit
        Validity limit [-].
    exceeded
        Whether the run is linear and ``peak > limit``.
    """
    if not exceeded:
        return ""
    return (
        f"linear elasticity: {layer} max principal strain {peak:.0%} "
        f"(> {limit:.0%} validity), use mechanics.model: hyperelastic"
    )


def summary_lines(solver: dict[str, Any]) -> list[str]:
    """What a run summary says about its mechanics, from the solver summary.

    The small-strain warning (a linear run outside its range, see
    :func:`small_strain_message`) and, for finite strain, Newton's iterations per
    frame. ``solver`` is the ``solver`` summary of the result (plain numbers).
    """
    lines = []
    warning = solver.get("small_strain_warning") or ""
    if warning:
        lines.append(f"warning: {warning}")
    per_frame = [int(count) for count in solver.get("newton_iterations_per_frame", [])]
    if per_frame:
        lines.append(
            f"finite strain: Newton iterations per frame {' '.join(map(str, per_frame))} "
            f"(total {sum(per_frame)}, {int(solver.get('tangent_setups', 0))} tangent "
            f"set-ups, {solver.get('tangent_method', '')})"
        )
    return lines


@dataclass
class SessionMechanics:
    """The mechanics of every load frame of a session (techniques concatenated).

    Attributes
    ----------
    steps
        One frame solution per technique step.
    step_names
        Technique name of each step.
    frame_time
        Time of each frame within its technique's cycle ``(K,)`` [s].
    frame_step
        Index of the step each frame belongs to ``(K,)``.
    displacement
        ``(K, n, 3)`` [m].
    cell_strain, cell_stress
        ``(K, m, 3, 3)``: small strain or Green–Lagrange [-]; Cauchy stress [Pa].
    cell_scalars
        Derived per-cell scalars ``name → (K, m)`` (see :func:`cell_scalars`), plus the
        finite-strain ones (Hencky strains, stretches, fibre stretch, volume ratio).
    units
        Unit of every cell scalar.
    applied_force, base_reaction
        ``(K, 3)`` [N].
    cell_volume
        Reference cell volumes ``(m,)`` [m³].
    solver
        Solver summary (plain numbers; Newton iterations per frame for finite strain).
    check
        The small-strain validity check.
    model
        ``"linear"`` or ``"hyperelastic"``.
    """

    steps: list[FrameSolution]
    step_names: tuple[str, ...]
    frame_time: FloatArray
    frame_step: NDArray[np.int32]
    displacement: FloatArray
    cell_strain: FloatArray
    cell_stress: FloatArray
    cell_scalars: dict[str, FloatArray]
    units: dict[str, str]
    applied_force: FloatArray
    base_reaction: FloatArray
    cell_volume: FloatArray
    solver: dict[str, Any] = field(default_factory=dict)
    check: SmallStrainCheck | None = None
    model: str = "hyperelastic"


def layer_materials(
    layers: Sequence[Any], model: str, *, file: str | None = None
) -> list[Material]:
    """One material per layer of a tissue configuration.

    Parameters
    ----------
    layers
        Layer configurations (``name``, ``youngs_modulus`` [Pa], ``poisson_ratio``,
        ``hyperelastic`` law parameters of :mod:`tissue_sim.config.materials` or ``None``).
    model
        ``"linear"``: :class:`~tissue_sim.mechanics.materials.LinearElasticMaterial` from E, ν;
        ``"hyperelastic"``: the law of each layer's ``hyperelastic`` block.
    file
        The scenario file (for error messages).

    Raises
    ------
    InputError
        A layer without a hyperelastic block for ``model="hyperelastic"``, or a bad block
        (naming the file and the key path).
    """
    if model == "linear":
        return [
            LinearElasticMaterial(layer.youngs_modulus, layer.poisson_ratio) for layer in layers
        ]
    from tissue_sim.mechanics.hyperelastic.preset import hyperelastic_material

    materials: list[Material] = []
    for layer in layers:
        path = f"tissue.layers.{layer.name}.hyperelastic"
        if layer.hyperelastic is None:
            raise InputError(
                "mechanics.model is hyperelastic but this layer has no hyperelastic material; "
                "add a block (law: neo_hookean | ogden | hgo | compression_stiffening, see "
                "docs/hyperelasticity.md) or use mechanics.model: linear",
                file=file,
                key=path,
            )
        materials.append(hyperelastic_material(layer.hyperelastic))
    return materials


def cell_scalars(
    strain: FloatArray, stress: FloatArray, energy: FloatArray
) -> dict[str, FloatArray]:
    """Derived scalar fields of cell strains ``(..., 3, 3)``, stresses and energies.

    Principal, maximum-shear, octahedral and volumetric strains [-] (see
    :mod:`~tissue_sim.mechanics.strain_measures`), von Mises stress and pressure
    ``−tr σ/3`` [Pa], strain-energy density [J/m³]; units in :data:`CELL_SCALAR_UNITS`.
    """
    principal = principal_strains(strain)
    return {
        "max_principal_strain": principal[..., 0],
        "mid_principal_strain": principal[..., 1],
        "min_principal_strain": principal[..., 2],
        "max_shear_strain": principal[..., 0] - principal[..., 2],
        "octahedral_shear_strain": octahedral_shear_strain(strain),
        "volumetric_strain": volumetric_strain(strain),
        "von_mises_stress": von_mises_stress(stress),
        "pressure": -np.trace(stress, axis1=-2, axis2=-1) / 3.0,
        "strain_energy_density": energy,
    }


def small_strain_check(
    scalars: dict[str, FloatArray], mesh: Mesh, model: str, *, limit: float = SMALL_STRAIN_LIMIT
) -> SmallStrainCheck:
    """The largest principal strain magnitude over cells and frames, against ``limit``.

    Parameters
    ----------
    scalars
        Cell scalars with ``max_principal_strain`` and ``min_principal_strain`` ``(K, m)``.
    mesh
        The mesh (layer of every cell).
    model
        ``"linear"`` or ``"hyperelastic"``: only a linear run can be outside its range.
    limit
        Validity limit [-].
    """
    magnitude = np.maximum(
        np.abs(scalars["max_principal_strain"]), np.abs(scalars["min_principal_strain"])
    )
    if magnitude.size == 0:
        return SmallStrainCheck(0.0, "", limit, False)
    per_cell = magnitude.reshape(-1, mesh.num_cells).max(axis=0)
    cell = int(np.argmax(per_cell))
    peak = float(per_cell[cell])
    layer = mesh.layer_names[int(mesh.cell_layer[cell])]
    return SmallStrainCheck(peak, layer, limit, model == "linear" and peak > limit)


def _solver_summary(solutions: list[FrameSolution], mesh: Mesh) -> dict[str, Any]:
    statistics = solutions[-1].statistics
    summary: dict[str, Any] = {
        "method": statistics.method,
        "unknowns": 3 * mesh.num_points,
        "setup_seconds": float(sum(s.statistics.setup_seconds for s in solutions))
        if statistics.method == "newton"
        else statistics.setup_seconds,
        "solve_seconds": float(sum(s.timings.get("solve", 0.0) for s in solutions)),
        "iterations": [int(it) for s in solutions for it in s.statistics.iterations],
        "max_relative_residual": max(statistics.relative_residuals, default=0.0),
        "newton": [],
    }
    newton = [s.newton for s in solutions if s.newton is not None]
    if newton:
        frames = []
        for step, stats in enumerate(newton):
            for frame in stats.frames:
                frames.append(
                    {
                        "step": float(step),
                        "frame": float(frame.frame),
                        "increments": float(frame.converged_increments),
                        "cutbacks": float(frame.cutbacks),
                        "newton_iterations": float(frame.newton_iterations),
                        "linear_iterations": float(frame.linear_iterations),
                        "tangent_setups": float(frame.setups),
                        "seconds": float(frame.seconds),
                    }
                )
        per_frame = [it for stats in newton for it in stats.iterations_per_frame]
        summary.update(
            {
                "newton": frames,
                "newton_iterations_per_frame": per_frame,
                "newton_iterations": int(sum(per_frame)),
                "linear_iterations": int(sum(stats.linear_iterations for stats in newton)),
                "tangent_setups": int(sum(stats.setups for stats in newton)),
                "tangent_method": newton[-1].method,
                "residual_evaluations": int(sum(stats.evaluations for stats in newton)),
                "tangent_assemblies": int(sum(stats.tangents for stats in newton)),
            }
        )
    return summary


def session_loads(
    mesh: Mesh,
    steps: Sequence[TechniqueStep],
    settings: MechanicsSettings,
    *,
    smallest_feature: float,
) -> list[FrameLoads]:
    """The skin loads of every technique step (one :class:`FrameLoads` per step).

    They depend on the mesh geometry (its points and skin facets) and the steps only, not
    on the materials, so a re-solve with new stiffness (remodelling) may reuse them.

    Parameters
    ----------
    mesh, steps, settings, smallest_feature
        As for :func:`solve_session_mechanics`.
    """
    quadrature = skin_quadrature(mesh, smallest_feature)
    return [
        FrameLoads.from_technique(step.frames(), quadrature, follower=settings.follower)
        for step in steps
    ]


def solve_session_mechanics(
    mesh: Mesh,
    materials: Sequence[Material],
    steps: Sequence[TechniqueStep],
    settings: MechanicsSettings,
    *,
    smallest_feature: float,
    progress: ProgressCallback | None = None,
    loads: Sequence[FrameLoads] | None = None,
) -> SessionMechanics:
    """Solve the load frames of every technique of a session.

    Parameters
    ----------
    mesh
        The mesh.
    materials
        One material per layer (see :func:`layer_materials`); their kind (small or
        finite strain) must match ``settings.model``.
    steps
        The session's technique steps, in order.
    settings
        How to solve.
    smallest_feature
        Smallest load feature [m] (patch semi-axis or edge band): sets the resolution
        of the skin quadrature.
    progress
        Called with the fraction of steps done.
    loads
        The steps' skin loads (:func:`session_loads`) from an earlier call on a mesh
        with the same points and skin; default: built here.

    Returns
    -------
    SessionMechanics
        Every frame's fields, resultants, the solver summary and the validity check.

    Raises
    ------
    tissue_sim.errors.SolverError
        If a linear solve fails or Newton cannot reach a frame.
    """
    body = SolidBody(
        mesh,
        materials,
        formulation=settings.formulation,
        tangent_tolerance=settings.tangent_tolerance,
    )
    if body.is_linear != (settings.model == "linear"):
        raise ValueError(f"the materials do not match mechanics model {settings.model!r}")
    condition = base_condition(mesh, settings.sides)
    if loads is None:
        loads = session_loads(mesh, steps, settings, smallest_feature=smallest_feature)
    if len(loads) != len(steps):
        raise ValueError(f"{len(loads)} step loads given for {len(steps)} steps")
    newton = NewtonSettings(
        rtol=settings.newton_rtol,
        initial_step=settings.initial_step,
        linear_solver=settings.solver,
        linear_options=settings.solver_options,
        max_krylov=max(2, min(60, settings.max_iterations)),
        # a linear solve to 1e-4 of the residual leaves an error 10x below the Newton
        # tolerance (1e-3 of the force); 1e-5 cost 84 more GMRES iterations and 4 more
        # set-ups on the baseline stroke for the same Newton iterations (measured)
        linear_rtol=min(max(settings.rtol, 1e-1 * settings.newton_rtol), 0.01),
    )
    linear = LinearSettings(
        method=settings.solver,
        rtol=settings.rtol,
        maxiter=settings.max_iterations,
        options=settings.solver_options,
    )
    solver: LinearSolver | TangentSolver | None = None
    solutions: list[FrameSolution] = []
    for index, step_loads in enumerate(loads):
        solution, solver = solve_frames(
            body, step_loads, condition, newton=newton, linear=linear, solver=solver
        )
        solutions.append(solution)
        if progress is not None:
            progress((index + 1) / len(steps))
    strain = np.concatenate([s.cell_strain for s in solutions])
    stress = np.concatenate([s.cell_stress for s in solutions])
    energy = np.concatenate([s.cell_energy_density for s in solutions])
    scalars = cell_scalars(strain, stress, energy)
    extra_names = list(solutions[0].extra_scalars)
    for name in extra_names:
        scalars[name] = np.concatenate([s.extra_scalars[name] for s in solutions])
    check = small_strain_check(scalars, mesh, settings.model)
    return SessionMechanics(
        steps=solutions,
        step_names=tuple(step.technique.name for step in steps),
        frame_time=np.concatenate([step.frames().frame_times for step in steps]),
        frame_step=np.concatenate(
            [np.full(s.displacement.shape[0], i, dtype=np.int32) for i, s in enumerate(solutions)]
        ),
        displacement=np.concatenate([s.displacement for s in solutions]),
        cell_strain=strain,
        cell_stress=stress,
        cell_scalars=scalars,
        units=dict(CELL_SCALAR_UNITS) | {name: "1" for name in extra_names},
        applied_force=np.concatenate([s.applied_force for s in solutions]),
        base_reaction=np.concatenate([s.base_reaction for s in solutions]),
        cell_volume=body.cell_volumes(),
        solver=_solver_summary(solutions, mesh),
        check=check,
        model=settings.model,
    )
