r"""The mechanics stage of a session with viscoelastic layers (small strain).

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

The pipeline calls it for a linear run with ``mechanics.viscoelastic`` on
(``tissue_sim.pipeline._mechanics``; docs/viscoelasticity.md).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np

from tissue_sim.fem.solvers import SolveStatistics
from tissue_sim.geometry.mesh import Mesh
from tissue_sim.loading import TechniqueStep
from tissue_sim.mechanics.body import SolidBody
from tissue_sim.mechanics.fields import CellFields
from tissue_sim.mechanics.frames import FrameSolution, base_condition, skin_quadrature
from tissue_sim.mechanics.materials import LinearElasticMaterial
from tissue_sim.mechanics.session import (
    CELL_SCALAR_UNITS,
    MechanicsSettings,
    SessionMechanics,
    cell_scalars,
    small_strain_check,
)
from tissue_sim.mechanics.viscoelastic.history import solve_viscoelastic
from tissue_sim.mechanics.viscoelastic.prony import PronySeries, layer_prony
from tissue_sim.mechanics.viscoelastic.technique import technique_history

__all__ = ["solve_session_viscoelastic", "viscoelastic_lines"]


def viscoelastic_lines(solver: dict[str, object]) -> list[str]:
    """One plain sentence for the report of a viscoelastic run (none for other runs).

    Parameters
    ----------
    solver
        The ``/mechanics`` ``solver`` record of a run.
    """
    if solver.get("method") != "viscoelastic":
        return []
    cycles = solver.get("cycles", 1)
    return [
        "Viscoelastic layers (Prony series: fat relaxes over about 700 s, muscle over about "
        f"6 s): each technique was integrated over real time ({cycles} cycle(s), time steps "
        f"of at most {solver.get('max_step', 0.0):g} s); its frames carry the creep or "
        "relaxation reached at their times."
    ]


def solve_session_viscoelastic(
    mesh: Mesh,
    materials: Sequence[LinearElasticMaterial],
    steps: Sequence[TechniqueStep],
    settings: MechanicsSettings,
    *,
    smallest_feature: float,
    prony: Sequence[PronySeries] | None = None,
    cycles: int = 1,
    max_step: float | None = 1.0,
    progress: Callable[[float], None] | None = None,
) -> SessionMechanics:
    """Solve every technique of a session with viscoelastic layers.

    Parameters
    ----------
    mesh, materials, steps, settings, smallest_feature, progress
        As for :func:`~tissue_sim.mechanics.session.solve_session_mechanics`
        (``settings.model`` must be ``"linear"``; the materials carry the relaxed moduli).
    prony
        One Prony series per layer (default :func:`~.prony.layer_prony` of the layer names).
    cycles
        Cycles of each technique integrated before its frames are read (the last one).
    max_step
        Largest time step [s] between the technique's frames.

    Returns
    -------
    SessionMechanics
    """
    if settings.model != "linear":
        raise ValueError("viscoelastic layers are small strain: use mechanics.model linear")
    series = list(prony) if prony is not None else layer_prony(mesh.layer_names)
    condition = base_condition(mesh, settings.sides)
    quadrature = skin_quadrature(mesh, smallest_feature)
    solutions: list[FrameSolution] = []
    seconds = 0.0
    factorisations = 0
    for index, step in enumerate(steps):
        frames = step.frames()
        history = technique_history(
            frames, quadrature, mesh.num_points, cycles=cycles, max_step=max_step
        )
        at_frames = np.flatnonzero(history.frame_index >= 0)
        stored = at_frames[-frames.frame_times.size :]  # the last cycle's frames
        began = time.perf_counter()
        result = solve_viscoelastic(
            mesh,
            materials,
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
    strain = np.concatenate([s.cell_strain for s in solutions])
    stress = np.concatenate([s.cell_stress for s in solutions])
    energy = np.concatenate([s.cell_energy_density for s in solutions])
    scalars = cell_scalars(strain, stress, energy)
    cell_volumes = SolidBody(mesh, materials).cell_volumes()
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
        units=dict(CELL_SCALAR_UNITS),
        applied_force=np.concatenate([s.applied_force for s in solutions]),
        base_reaction=np.concatenate([s.base_reaction for s in solutions]),
        cell_volume=cell_volumes,
        solver={
            "method": "viscoelastic",
            "unknowns": 3 * mesh.num_points,
            "solve_seconds": seconds,
            "factorisations": factorisations,
            "cycles": cycles,
            "max_step": max_step if max_step is not None else 0.0,
        },
        check=small_strain_check(scalars, mesh, "linear"),
        model="linear",
    )
