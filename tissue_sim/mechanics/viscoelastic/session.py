r"""The mechanics stage of a session with viscoelastic layers (small or finite strain).

:func:`solve_session_viscoelastic` has the signature of
:func:`~tissue_sim.mechanics.session.solve_session_mechanics` plus the layers' Prony
series and returns the same :class:`~tissue_sim.mechanics.session.SessionMechanics`.
Each technique step is integrated over ``cycles`` cycles of its load history in real
time (:func:`~.technique.technique_history`, sub-steps of at most ``max_step``), and its
frames are those of the **last** cycle, at the technique's own frame times. The stimulus
and the biology read them as they read elastic frames: a hold's frames (start, end of
the hold) carry the creep reached by then, a kneading cycle's frames the cycle after
``cycles − 1`` others. With every series empty (or τ → 0) the frames are the elastic
ones. The energy density of a frame is :math:`\tfrac12\bar\sigma:\bar\varepsilon` of
the cell averages (a viscoelastic solid has no strain energy of its state alone).

Finite strain (``settings.model == "hyperelastic"``): the same history, each time a
Newton frame of the body with :class:`~.finite.ViscoelasticLaw` layers
(:func:`~.finite_history.solve_viscoelastic_finite`), follower skin tractions, Newton
settings as :func:`~tissue_sim.mechanics.session.solve_session_mechanics` sets them, the
tangent solver carried from one technique to the next.

The pipeline calls it for a run with ``mechanics.viscoelastic`` on
(``tissue_sim.pipeline._mechanics``; docs/viscoelasticity.md).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from tissue_sim.fem.solvers import SolveStatistics
from tissue_sim.geometry.mesh import Mesh
from tissue_sim.loading import TechniqueStep
from tissue_sim.mechanics._tangent_solver import TangentSolver
from tissue_sim.mechanics.body import SolidBody
from tissue_sim.mechanics.fields import CellFields
from tissue_sim.mechanics.frames import FrameLoads, FrameSolution, base_condition, skin_quadrature
from tissue_sim.mechanics.materials import LinearElasticMaterial, Material
from tissue_sim.mechanics.newton import NewtonSettings
from tissue_sim.mechanics.session import (
    CELL_SCALAR_UNITS,
    MechanicsSettings,
    SessionMechanics,
    cell_scalars,
    small_strain_check,
)
from tissue_sim.mechanics.viscoelastic.finite import viscoelastic_laws
from tissue_sim.mechanics.viscoelastic.finite_history import solve_viscoelastic_finite
from tissue_sim.mechanics.viscoelastic.history import solve_viscoelastic
from tissue_sim.mechanics.viscoelastic.prony import PronySeries
from tissue_sim.mechanics.viscoelastic.technique import LoadHistory, technique_history

__all__ = ["SingleFrameWarning", "solve_session_viscoelastic", "viscoelastic_lines"]


class SingleFrameWarning(UserWarning):
    """A technique with one frame: its viscoelastic frames are the instantaneous response."""


def viscoelastic_lines(solver: dict[str, object]) -> list[str]:
    """One plain sentence for the report of a viscoelastic run (none for other runs).

    Parameters
    ----------
    solver
        The ``/mechanics`` ``solver`` record of a run.
    """
    if solver.get("method") != "viscoelastic":
        return []
    cycles = solver.get("cycles", 1) or "all the session's"
    strain = "finite strain" if solver.get("model") == "hyperelastic" else "small strain"
    return [
        "Viscoelastic layers (the tissue file's Prony series; the shipped presets' fat "
        f"relaxes over about 700 s, muscle over about 6 s; {strain}): each technique was "
        f"integrated over real time ({cycles} cycle(s), time steps of at most "
        f"{solver.get('max_step', 0.0):g} s); its frames carry the creep or relaxation "
        "reached at their times."
    ]


def solve_session_viscoelastic(
    mesh: Mesh,
    materials: Sequence[Material],
    steps: Sequence[TechniqueStep],
    settings: MechanicsSettings,
    *,
    smallest_feature: float,
    prony: Sequence[PronySeries],
    cycles: int = 1,
    max_step: float | None = 1.0,
    progress: Callable[[float], None] | None = None,
) -> SessionMechanics:
    """Solve every technique of a session with viscoelastic layers.

    Parameters
    ----------
    mesh, materials, steps, settings, smallest_feature, progress
        As for :func:`~tissue_sim.mechanics.session.solve_session_mechanics`
        (the materials carry the presets' moduli, instantaneous unless a series says
        ``moduli="relaxed"``: linear-elastic ones for
        ``settings.model == "linear"``, the hyperelastic laws for ``"hyperelastic"``, which
        are wrapped by :class:`~.finite.ViscoelasticLaw` where a layer has Prony terms).
    prony
        One Prony series per layer (no terms: elastic), e.g. :func:`~.prony.tissue_prony`
        of the tissue's layers. Required: there is no fallback by layer name.
    cycles
        Cycles of each technique integrated before its frames are read (the last one);
        0: all the cycles of its session (``step.cycles_per_session``, at least 1).
    max_step
        Largest time step [s] between the technique's frames.

    Returns
    -------
    SessionMechanics
    """
    series = list(prony)
    for step in steps:
        frames = step.frames()
        if frames.frame_times.size == 1 and any(p.terms for p in series):
            warnings.warn(
                f"mechanics.viscoelastic: {step.technique.name} has one frame (at "
                f"{float(frames.frame_times[0]):g} s), the instantaneous response: nothing "
                "after it is integrated, so its frame shows no creep or relaxation",
                SingleFrameWarning,
                stacklevel=2,
            )
    if settings.model == "hyperelastic":
        return _finite_strain_session(
            mesh,
            materials,
            steps,
            settings,
            series,
            smallest_feature=smallest_feature,
            cycles=cycles,
            max_step=max_step,
            progress=progress,
        )
    linear_materials = [_linear(m) for m in materials]
    condition = base_condition(mesh, settings.sides)
    quadrature = skin_quadrature(mesh, smallest_feature)
    solutions: list[FrameSolution] = []
    seconds = 0.0
    factorisations = 0
    for index, step in enumerate(steps):
        frames = step.frames()
        history = technique_history(
            frames, quadrature, mesh.num_points, cycles=_cycles(step, cycles), max_step=max_step
        )
        at_frames = np.flatnonzero(history.frame_index >= 0)
        stored = at_frames[-frames.frame_times.size :]  # the last cycle's frames
        end = int(stored[-1]) + 1  # nothing after the last frame read is integrated
        history = LoadHistory(
            history.times[:end],
            history.factors[:end],
            history.patterns,
            history.frame_index[:end],
        )
        began = time.perf_counter()
        result = solve_viscoelastic(
            mesh,
            linear_materials,
            series,
            history,
            None,
            condition,
            solver=settings.solver if settings.solver != "auto" else "direct",
            formulation=settings.formulation,
            stored=stored,
        )
        seconds += time.perf_counter() - began
        factorisations += result.factorisations
        residual = result.internal_force - result.external_force
        fixed = condition.fixed.reshape(-1, 3)
        reactions = np.where(fixed[None], residual, 0.0)
        base = mesh.nodes_on_face("bottom")
        energy = 0.5 * np.einsum("kmij,kmij->km", result.cell_stress, result.cell_strain)
        solutions.append(
            FrameSolution(
                displacement=result.displacement,
                fields=CellFields(result.cell_strain, result.cell_stress, energy),
                applied_force=result.external_force.sum(axis=1),
                base_reaction=residual[:, base, :].sum(axis=1),
                reactions=reactions,
                statistics=SolveStatistics(method="viscoelastic"),
                timings={"solve": time.perf_counter() - began},
            )
        )
        if progress is not None:
            progress((index + 1) / len(steps))
    return _session(
        mesh,
        steps,
        solutions,
        SolidBody(mesh, linear_materials).cell_volumes(),
        {
            "method": "viscoelastic",
            "unknowns": 3 * mesh.num_points,
            "solve_seconds": seconds,
            "factorisations": factorisations,
            "cycles": cycles,
            "max_step": max_step if max_step is not None else 0.0,
        },
        "linear",
    )


def _session(
    mesh: Mesh,
    steps: Sequence[TechniqueStep],
    solutions: list[FrameSolution],
    cell_volumes: NDArray[np.float64],
    solver: dict[str, Any],
    model: str,
) -> SessionMechanics:
    """The session's frames (techniques concatenated), their scalars and the check."""
    strain = np.concatenate([s.cell_strain for s in solutions])
    stress = np.concatenate([s.cell_stress for s in solutions])
    energy = np.concatenate([s.cell_energy_density for s in solutions])
    scalars = cell_scalars(strain, stress, energy)
    extra_names = list(solutions[0].extra_scalars)
    for name in extra_names:
        scalars[name] = np.concatenate([s.extra_scalars[name] for s in solutions])
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
        cell_volume=cell_volumes,
        solver=solver,
        check=small_strain_check(scalars, mesh, model),
        model=model,
    )


def _cycles(step: TechniqueStep, cycles: int) -> int:
    """The cycles integrated for a step (0: all of its session's)."""
    return cycles if cycles > 0 else max(1, step.cycles_per_session)


def _linear(material: Material) -> LinearElasticMaterial:
    if not isinstance(material, LinearElasticMaterial):
        raise TypeError(f"mechanics model linear needs linear materials, got {material!r}")
    return material


def _finite_strain_session(
    mesh: Mesh,
    materials: Sequence[Material],
    steps: Sequence[TechniqueStep],
    settings: MechanicsSettings,
    series: Sequence[PronySeries],
    *,
    smallest_feature: float,
    cycles: int,
    max_step: float | None,
    progress: Callable[[float], None] | None,
) -> SessionMechanics:
    """The session's techniques on a finite-strain body with relaxing layers."""
    body = SolidBody(
        mesh,
        viscoelastic_laws(materials, series, mesh.cell_layer),
        formulation=settings.formulation,
        tangent_tolerance=settings.tangent_tolerance,
    )
    if body.is_linear:
        raise ValueError("mechanics model hyperelastic needs finite-strain materials")
    condition = base_condition(mesh, settings.sides)
    quadrature = skin_quadrature(mesh, smallest_feature)
    newton = NewtonSettings(  # as solve_session_mechanics sets them
        rtol=settings.newton_rtol,
        initial_step=settings.initial_step,
        linear_solver=settings.solver,
        linear_options=settings.solver_options,
        max_krylov=max(2, min(60, settings.max_iterations)),
        linear_rtol=min(max(settings.rtol, 1e-1 * settings.newton_rtol), 0.01),
    )
    solver: TangentSolver | None = None
    solutions: list[FrameSolution] = []
    time_steps = 0
    for index, step in enumerate(steps):
        frames = step.frames()
        history = technique_history(
            frames, quadrature, mesh.num_points, cycles=_cycles(step, cycles), max_step=max_step
        )
        elastic = FrameLoads.from_technique(frames, quadrature, follower=settings.follower)
        at_frames = np.flatnonzero(history.frame_index >= 0)
        stored = at_frames[-frames.frame_times.size :]  # the last cycle's frames
        end = int(stored[-1]) + 1  # nothing after the last frame read is integrated
        loads = FrameLoads(
            history.factors[:end],
            nodal=elastic.nodal,
            quadrature=elastic.quadrature,
            tractions=elastic.tractions,
            follower=elastic.follower,
        )
        solution, solver = solve_viscoelastic_finite(
            body,
            loads,
            history.times[:end],
            condition,
            settings=newton,
            stored=stored,
            solver=solver,
        )
        time_steps += end
        solutions.append(solution)
        if progress is not None:
            progress((index + 1) / len(steps))
    newton_stats = [s.newton for s in solutions if s.newton is not None]
    summary: dict[str, Any] = {
        "method": "viscoelastic",
        "model": "hyperelastic",
        "unknowns": 3 * mesh.num_points,
        "solve_seconds": float(sum(s.timings.get("solve", 0.0) for s in solutions)),
        "time_steps": time_steps,
        "newton_iterations": int(sum(n.newton_iterations for n in newton_stats)),
        "tangent_setups": int(sum(n.setups for n in newton_stats)),
        "tangent_method": newton_stats[-1].method if newton_stats else "",
        "cycles": cycles,
        "max_step": max_step if max_step is not None else 0.0,
    }
    return _session(mesh, steps, solutions, body.cell_volumes(), summary, "hyperelastic")
