r"""Finite-strain viscoelastic layers: a load history integrated in real time by Newton.

:func:`solve_viscoelastic_finite` takes a finite-strain body whose relaxing layers are
:class:`~.finite.ViscoelasticLaw` and the load frames of a history at their real
times. Every time :math:`t_{n+1}` is one frame of Newton's method
(:func:`~tissue_sim.mechanics.newton.solve_nonlinear_frames`: each frame from the
previous converged state, load increments and cut-backs as for elastic frames, the
factorisation reused): the laws know the step :math:`\Delta t = t_{n+1} - t_n`
(:meth:`~.finite.ViscoelasticLaw.begin_step`), so the residual is the equilibrium of
the time-discrete problem

.. math::

    R(u^{n+1}) = \int_{\Omega_0} \big(P_{iso}^{visc}(F^{n+1}; Q^n, \Delta t)
    + \tilde p\,\operatorname{cof}F^{n+1}\big) : \nabla_X\delta u\,dV
    - f_{ext}^{n+1}(u^{n+1}) = 0,

and the converged state is committed (:meth:`~.finite.ViscoelasticLaw.commit`) before
the next frame starts: internal variables change only between converged steps. The
first frame starts from the unloaded, relaxed state (a step to its load is the
instantaneous, :math:`\Delta t = 0`, response). Skin tractions are follower loads as
in :func:`~tissue_sim.mechanics.frames.solve_frames`.
"""

from __future__ import annotations

import time

import numpy as np
from numpy.typing import ArrayLike, NDArray

from tissue_sim.fem.dirichlet import DirichletCondition
from tissue_sim.fem.solvers import SolveStatistics
from tissue_sim.mechanics._tangent_solver import TangentSolver
from tissue_sim.mechanics.body import SolidBody
from tissue_sim.mechanics.fields import CellFields
from tissue_sim.mechanics.frames import FrameLoads, FrameSolution, _BodySystem
from tissue_sim.mechanics.newton import NewtonSettings, solve_nonlinear_frames
from tissue_sim.mechanics.viscoelastic.finite import ViscoelasticLaw

__all__ = ["solve_viscoelastic_finite"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


class _HistorySystem(_BodySystem):
    """The body under the history's loads, as Newton's method sees it.

    The elastic frames' system (:mod:`tissue_sim.mechanics.frames`) with two
    differences: body evaluations are cached only within a time step (:meth:`forget`
    after every commit: the same displacement carries another stress once the internal
    variables have moved on), and no frame counts as unloaded (a relaxing body is not
    stress free at u = 0 while it remembers).
    """

    def unloaded(self, frame: int) -> bool:
        return False

    def forget(self) -> None:
        """Drop the cached evaluations (the internal variables changed)."""
        self._cache.clear()


def viscoelastic_laws_of(body: SolidBody) -> list[ViscoelasticLaw]:
    """The body's relaxing layers."""
    return [m for m in body.materials if isinstance(m, ViscoelasticLaw)]


def solve_viscoelastic_finite(
    body: SolidBody,
    loads: FrameLoads,
    times: ArrayLike,
    condition: DirichletCondition,
    *,
    settings: NewtonSettings | None = None,
    stored: ArrayLike | None = None,
    solver: TangentSolver | None = None,
) -> tuple[FrameSolution, TangentSolver]:
    """Integrate a load history in time on a finite-strain body with relaxing layers.

    Parameters
    ----------
    body
        Finite-strain body; its :class:`~.finite.ViscoelasticLaw` layers carry the
        history (they are reset to rest here).
    loads
        The loads of every time ``(K, B)`` factors (follower skin tractions unless
        ``loads.follower`` is false).
    times
        ``(K,)`` [s], non-decreasing.
    condition
        Prescribed displacements (one for all times).
    settings
        Newton settings.
    stored
        Indices of the times whose fields are returned (default: all); every time is
        integrated.
    solver
        A tangent solver to reuse (an earlier technique's).

    Returns
    -------
    solution, solver
        The stored frames (displacements, cell fields, resultants, Newton statistics of
        every time step) and the tangent solver.
    """
    if body.is_linear:
        raise ValueError("solve_viscoelastic_finite needs a finite-strain body")
    t = np.asarray(times, dtype=float).reshape(-1)
    if t.size != loads.num_frames:
        raise ValueError(f"{loads.num_frames} load frames but {t.size} times")
    if np.any(np.diff(t) < 0.0) or not np.all(np.isfinite(t)):
        raise ValueError("times must be finite and non-decreasing")
    keep = np.arange(t.size) if stored is None else np.asarray(stored, dtype=np.int64)
    settings = settings or NewtonSettings()
    if solver is None:
        solver = TangentSolver(
            method=settings.linear_solver,
            points=body.mesh.points,
            direct_dof_limit=settings.direct_dof_limit,
            reuse=settings.reuse_factorisation,
            max_krylov=settings.max_krylov,
            rebuild_rate=settings.rebuild_rate,
            options=settings.linear_options,
        )
    laws = viscoelastic_laws_of(body)
    for law in laws:
        law.reset()
    system = _HistorySystem(body, loads)
    wanted = set(keep.tolist())
    fields: dict[int, CellFields] = {}
    seconds = {"commit": 0.0, "fields": 0.0}

    def commit(frame: int, u: FloatArray) -> None:
        mark = time.perf_counter()
        if laws:
            body.evaluate(u.reshape(-1, 3), tangent=False)  # record S_iso at the converged u
            for law in laws:
                law.commit()
            system.forget()
        seconds["commit"] += time.perf_counter() - mark
        if frame in wanted:
            mark = time.perf_counter()
            fields[frame] = body.cell_fields(u.reshape(-1, 3))
            seconds["fields"] += time.perf_counter() - mark
        if frame + 1 < t.size:
            for law in laws:
                law.begin_step(float(t[frame + 1] - t[frame]))

    started = time.perf_counter()
    result = solve_nonlinear_frames(
        system, t.size, condition, settings=settings, linear=solver, on_frame=commit
    )
    elapsed = time.perf_counter() - started
    applied = np.zeros((keep.size, 3))
    for slot, k in enumerate(keep):
        u = result.displacements[k].reshape(-1)
        external, _, _ = system.external(u, loads.weights(int(k), 1.0), tangent=False)
        applied[slot] = external.reshape(-1, 3).sum(axis=0)
    base = body.mesh.nodes_on_face("bottom")
    reactions = result.reactions[keep]
    statistics = SolveStatistics(
        method="newton",
        setup_seconds=result.statistics.setup_seconds,
        iterations=list(result.statistics.iterations_per_frame),
        relative_residuals=[],
        solve_seconds=elapsed - seconds["fields"],
    )
    solution = FrameSolution(
        displacement=result.displacements[keep],
        fields=CellFields.stack([fields[int(k)] for k in keep]),
        applied_force=applied,
        base_reaction=reactions[:, base, :].sum(axis=1),
        reactions=reactions,
        statistics=statistics,
        newton=result.statistics,
        timings={
            "solve": elapsed - seconds["fields"],
            "commit": seconds["commit"],
            "fields": seconds["fields"],
        },
    )
    return solution, solver
