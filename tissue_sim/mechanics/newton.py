r"""Newton's method over a sequence of quasi-static load frames.

The nonlinear system (internal minus external forces, and their derivative) is any
object with the :class:`NonlinearSystem` interface; this module knows nothing of
meshes or materials. Each frame :math:`k` is reached from the converged state of the
previous frame along the straight load path :math:`s \in [0, 1]` between the two
frames' loads and prescribed values, in increments :math:`\Delta s`:

* every increment is solved by Newton's method: :math:`K\,\delta u = -R` on the free
  degrees of freedom, with :math:`\delta u = \bar u(s) - u` on the prescribed ones;
* the full Newton step is taken whenever it reduces the residual norm; only when it
  does not (or it inverts an element) does a line search along it choose the step
  (energy line search on the slope :math:`\delta u\cdot R(u + s\,\delta u)`, see
  :meth:`_Newton.line_search`);
* convergence: :math:`\|R_{free}\| \le \max(\text{rtol}\cdot f_{ref}, \text{atol},
  r_{noise})` with :math:`f_{ref}` the largest of the external and internal force
  norms met so far (so that unloading to zero load keeps a scale) and
  :math:`r_{noise}` the system's floating-point noise floor (below it the residual
  cannot fall: a tiny load with a tight ``rtol`` would otherwise never converge), and
  the prescribed values reached exactly;
* with an iterative (AMG) preconditioner, inexact Newton: each linear system is solved
  only as accurately as the nonlinear residual warrants (Eisenstat–Walker forcing
  terms); with a factorisation, to ``linear_rtol``;
* the linear systems are solved by GMRES preconditioned by a factorisation (or AMG
  hierarchy) of an earlier tangent, rebuilt only when that pays
  (:mod:`~tissue_sim.mechanics._tangent_solver`): ordering and pattern are computed
  once, the factorisation is reused across iterations and frames;
* every increment after the first of a frame starts from the secant extrapolation of
  the previous one where that is less out of balance than the last converged state
  (in compressed fat the secant overshoots, up to inverting elements; across frames,
  :math:`2u_{k-1} - u_{k-2}` was measured on the baseline stroke: it lands closer but
  with a larger residual, and saves no iteration);
* increments adapt: an increment that fails (no convergence within
  ``max_iterations``, no residual reduction over ``stagnation_window`` iterations, a
  stalled line search, an element inversion the line search cannot avoid, a
  linear-solver failure) is retried with half the size, an easy one
  (≤ ``fast_iterations``) lets the next grow by ``growth``. A new frame's first
  increment is scaled to start no more out of balance than the last converged
  increment did, never below the carried size (:func:`_frame_step`). Below ``min_step`` a
  :class:`~tissue_sim.errors.SolverError` says which frame could not be reached, how
  far it got and why;
* a frame without load and without prescribed motion starts from the reference state
  (stress free), so it converges at once.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from tissue_sim.errors import SolverError
from tissue_sim.fem.dirichlet import DirichletCondition, apply_dirichlet
from tissue_sim.fem.solvers import METHODS
from tissue_sim.geometry.mesh import InvertedElementError
from tissue_sim.mechanics._tangent_solver import TangentSolver

__all__ = [
    "FrameStatistics",
    "IncrementStatistics",
    "NewtonResult",
    "NewtonSettings",
    "NewtonStatistics",
    "NonlinearSystem",
    "SystemState",
    "forcing_term",
    "solve_nonlinear_frames",
]

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

#: Linear-solver methods that solve iteratively (inexact Newton pays with these).
_ITERATIVE = ("amg", "petsc")


@dataclass(frozen=True)
class NewtonSettings:
    """Tolerances, load stepping and linear-solver controls of Newton's method.

    Attributes
    ----------
    rtol
        Relative residual tolerance (against the largest force norm met) [-].
    atol
        Absolute residual tolerance [N].
    max_iterations
        Newton iterations per increment before it counts as failed.
    line_search
        Shorten a full step that does not reduce the residual (else only steps that
        invert an element are shortened).
    max_line_search
        Trial steps per Newton iteration.
    line_search_tolerance
        η of the energy line search: accept ``|δu·R(s)| ≤ η |δu·R(0)|``.
    sufficient_decrease
        Armijo constant ``c`` of the line search, ``‖R(s)‖² ≤ (1 − 2cs)‖R(0)‖²``.
    initial_step
        First increment, as a fraction of the first frame.
    min_step
        Smallest increment (fraction of a frame) before giving up.
    growth
        Increment growth factor after an easy increment.
    fast_iterations
        An increment converging within this many iterations is easy.
    stall_step, stall_iterations
        An increment fails early (and is cut back) after ``stall_iterations``
        consecutive steps shorter than ``stall_step`` of the Newton correction: the
        tangent of the current state is a poor model of the increment.
    stagnation_window
        An increment fails when the residual norm is not below its value this many
        iterations earlier (0 disables the check).
    predictor
        Start every increment after the first of a frame from the secant extrapolation
        of the previous increment (kept only if it inverts no element).
    linear_solver
        Any method of :func:`~tissue_sim.fem.solvers.make_solver` (``"auto"``,
        ``"direct"``, ``"pardiso"``, ``"cholmod"``, ``"superlu"``, ``"amg"``,
        ``"petsc"``, ``"mumps"``): the solver set up for the tangent.
    linear_options
        Options of that solver (PETSc options, pyamg keywords; see
        :func:`~tissue_sim.fem.solvers.make_solver`).
    linear_rtol
        Smallest relative tolerance of a linear solve.
    direct_dof_limit
        ``linear_solver="auto"`` factorises up to this many unknowns, AMG above.
    inexact
        Eisenstat–Walker forcing terms (see :func:`forcing_term`): worth it when every
        Krylov iteration is expensive (AMG); with a factorisation as the preconditioner a
        tight solve costs one or two GMRES iterations more, and loose solves after a
        step that increased the residual (common at the first step of a frame) cost
        whole Newton iterations (measured on the baseline stroke: 5 instead of 4 per
        frame). ``None`` (default): on for the iterative solvers (``"amg"``,
    ``"petsc"``), off otherwise.
    max_forcing
        Loosest relative tolerance of an inexact linear solve.
    reuse_factorisation
        Keep the factorisation (or hierarchy) across iterations and frames as the
        preconditioner of GMRES, rebuilding it only when that pays; else set up the
        solver for every linear solve.
    max_krylov
        GMRES iterations of one linear solve before the set-up is rebuilt.
    rebuild_rate
        GMRES iterations per decade of residual reduction above which the set-up is
        rebuilt for the next linear solve (a count, so runs are reproducible).
    """

    rtol: float = 1e-8
    atol: float = 0.0
    max_iterations: int = 20
    line_search: bool = True
    max_line_search: int = 8
    line_search_tolerance: float = 0.5
    sufficient_decrease: float = 1e-4
    initial_step: float = 1.0
    min_step: float = 1.0 / 256.0
    growth: float = 2.0
    fast_iterations: int = 5
    stall_step: float = 0.1
    stall_iterations: int = 3
    stagnation_window: int = 4
    predictor: bool = True
    linear_solver: str = "auto"
    linear_options: Mapping[str, Any] = field(default_factory=dict)
    linear_rtol: float = 1e-8
    direct_dof_limit: int = 120_000
    inexact: bool | None = None
    max_forcing: float = 0.1
    reuse_factorisation: bool = True
    max_krylov: int = 60
    rebuild_rate: float = 2.0

    def __post_init__(self) -> None:
        if not (self.rtol >= 0.0 and self.atol >= 0.0 and self.rtol + self.atol > 0.0):
            raise ValueError("rtol and atol must be non-negative and not both zero")
        if self.stagnation_window < 0:
            raise ValueError("stagnation_window must be ≥ 0")
        if not 0.0 <= self.stall_step < 1.0 or self.stall_iterations < 1:
            raise ValueError("need 0 ≤ stall_step < 1 and stall_iterations ≥ 1")
        if self.max_iterations < 1 or self.max_line_search < 0:
            raise ValueError("max_iterations must be ≥ 1 and max_line_search ≥ 0")
        if not 0.0 < self.min_step <= self.initial_step <= 1.0:
            raise ValueError("need 0 < min_step ≤ initial_step ≤ 1")
        if not self.growth >= 1.0:
            raise ValueError("growth must be ≥ 1")
        if not 0.0 < self.line_search_tolerance < 1.0:
            raise ValueError("line_search_tolerance must lie in (0, 1)")
        if not 0.0 < self.sufficient_decrease < 0.5:
            raise ValueError("sufficient_decrease must lie in (0, 0.5)")
        if self.direct_dof_limit < 0:
            raise ValueError("direct_dof_limit must be ≥ 0")
        if not 0.0 < self.linear_rtol <= self.max_forcing < 1.0:
            raise ValueError("need 0 < linear_rtol ≤ max_forcing < 1")
        if self.linear_solver not in METHODS:
            raise ValueError(f"linear_solver must be one of {', '.join(METHODS)}")
        if self.max_krylov < 2:
            raise ValueError("max_krylov must be ≥ 2")
        if not self.rebuild_rate > 0.0:
            raise ValueError("rebuild_rate must be positive")


@dataclass(frozen=True)
class SystemState:
    """The nonlinear system at one state.

    Attributes
    ----------
    residual
        Out-of-balance forces ``f_int − f_ext`` over all dofs ``(N,)`` [N].
    tangent
        ``∂R/∂u`` (3×3 BSR) or ``None`` when not requested.
    force_scale
        Size of the forces at this state, ``max(‖f_ext‖, ‖f_int‖)`` [N].
    symmetric
        Whether ``tangent`` is symmetric.
    level
        The load level ``(frame, fraction)`` of the residual.
    """

    residual: FloatArray
    tangent: sp.bsr_matrix | None
    force_scale: float
    symmetric: bool = True
    level: tuple[int, float] = (-1, 0.0)


class NonlinearSystem(Protocol):
    """What Newton's method needs of a problem: residuals and tangents of its frames."""

    @property
    def num_dofs(self) -> int:
        """Number of unknowns."""
        ...

    @property
    def points(self) -> FloatArray:
        """Node coordinates ``(num_dofs / 3, 3)`` [m] (rigid-body modes for AMG)."""
        ...

    @property
    def round_off_force(self) -> float:
        """Floating-point noise of the residual norm [N]."""
        ...

    def evaluate(self, u: FloatArray, frame: int, fraction: float, *, tangent: bool) -> SystemState:
        """The system at ``u`` with loads ``(1 − s) · frame k−1 + s · frame k``.

        Raises ``InvertedElementError`` for an inadmissible state.
        """
        ...

    def unloaded(self, frame: int) -> bool:
        """Whether frame ``frame`` carries no load (the reference state solves it)."""
        ...


@dataclass(frozen=True)
class IncrementStatistics:
    """One load increment (converged or failed).

    Attributes
    ----------
    frame
        Frame index.
    start, end
        Load fraction of the frame at the start and the target of the increment.
    converged
        Whether Newton converged.
    residual_norms
        ``‖R_free‖`` before every iteration and at the end [N].
    reference_force
        Force scale of the relative tolerance at the last iterate [N].
    step_lengths
        Step length of every Newton iteration (1: full step).
    linear_iterations
        GMRES iterations of all linear solves.
    setups
        Factorisations (or AMG set-ups) during the increment.
    evaluations
        Residual evaluations (line-search trials included).
    tangents
        Evaluations that assembled the tangent.
    seconds
        Wall time [s].
    failure
        Why the increment failed (``None`` if it converged).
    predicted
        Whether Newton started from the secant predictor.
    """

    frame: int
    start: float
    end: float
    converged: bool
    residual_norms: tuple[float, ...]
    reference_force: float
    step_lengths: tuple[float, ...]
    linear_iterations: int
    setups: int
    evaluations: int
    tangents: int
    seconds: float
    failure: str | None = None
    predicted: bool = False

    @property
    def iterations(self) -> int:
        """Newton iterations (linear solves) of the increment."""
        return len(self.step_lengths)

    @property
    def line_search_trials(self) -> int:
        """Residual evaluations beyond one per iteration (shortened steps)."""
        return max(self.evaluations - self.iterations, 0)


@dataclass(frozen=True)
class FrameStatistics:
    """What the solver did for one frame.

    Attributes
    ----------
    frame
        Frame index.
    increments
        Every attempted increment, in order (failed attempts included).
    seconds
        Wall time of the frame [s].
    """

    frame: int
    increments: tuple[IncrementStatistics, ...]
    seconds: float

    @property
    def converged_increments(self) -> int:
        """Number of converged increments."""
        return sum(1 for inc in self.increments if inc.converged)

    @property
    def cutbacks(self) -> int:
        """Number of failed increments that were retried with a smaller step."""
        return sum(1 for inc in self.increments if not inc.converged)

    @property
    def newton_iterations(self) -> int:
        """Newton iterations of all attempts."""
        return sum(inc.iterations for inc in self.increments)

    @property
    def linear_iterations(self) -> int:
        """GMRES iterations of all attempts."""
        return sum(inc.linear_iterations for inc in self.increments)

    @property
    def setups(self) -> int:
        """Factorisations (or AMG set-ups) during the frame."""
        return sum(inc.setups for inc in self.increments)

    @property
    def evaluations(self) -> int:
        """Residual evaluations during the frame."""
        return sum(inc.evaluations for inc in self.increments)

    @property
    def tangents(self) -> int:
        """Tangent assemblies during the frame."""
        return sum(inc.tangents for inc in self.increments)

    @property
    def iterations_per_increment(self) -> tuple[int, ...]:
        """Newton iterations of each converged increment."""
        return tuple(inc.iterations for inc in self.increments if inc.converged)


@dataclass(frozen=True)
class NewtonStatistics:
    """What Newton's method did over all frames.

    Attributes
    ----------
    frames
        Per-frame statistics.
    setups
        Factorisations (or AMG set-ups) of the tangent.
    setup_seconds, solve_seconds
        Wall time of the set-ups and of all linear solves (set-ups included) [s].
    method
        The linear solver set up for the tangent (``direct`` or ``amg``; empty if
        none was needed).
    seconds
        Wall time of the whole solve [s].
    """

    frames: tuple[FrameStatistics, ...] = ()
    setups: int = 0
    setup_seconds: float = 0.0
    solve_seconds: float = 0.0
    method: str = ""
    seconds: float = 0.0

    @property
    def iterations_per_frame(self) -> tuple[int, ...]:
        """Newton iterations of every frame (failed attempts included)."""
        return tuple(frame.newton_iterations for frame in self.frames)

    @property
    def newton_iterations(self) -> int:
        """Newton iterations over all frames."""
        return sum(self.iterations_per_frame)

    @property
    def linear_iterations(self) -> int:
        """GMRES iterations over all frames."""
        return sum(frame.linear_iterations for frame in self.frames)

    @property
    def evaluations(self) -> int:
        """Residual evaluations over all frames."""
        return sum(frame.evaluations for frame in self.frames)

    @property
    def tangents(self) -> int:
        """Tangent assemblies over all frames."""
        return sum(frame.tangents for frame in self.frames)

    def summary(self) -> dict[str, Any]:
        """Plain numbers for the result file's solver summary."""
        return {
            "newton_iterations_per_frame": list(self.iterations_per_frame),
            "newton_iterations": self.newton_iterations,
            "increments_per_frame": [frame.converged_increments for frame in self.frames],
            "cutbacks": sum(frame.cutbacks for frame in self.frames),
            "linear_iterations": self.linear_iterations,
            "residual_evaluations": self.evaluations,
            "tangent_assemblies": self.tangents,
            "tangent_setups": self.setups,
            "tangent_method": self.method,
            "setup_seconds": self.setup_seconds,
            "solve_seconds": self.solve_seconds,
            "seconds": self.seconds,
        }


@dataclass(frozen=True)
class NewtonResult:
    """Converged state of every load frame.

    Attributes
    ----------
    displacements
        Nodal displacements, ``(K, n, 3)`` [m].
    reactions
        Reaction forces ``f_int − f_ext`` on the prescribed dofs (zero elsewhere),
        ``(K, n, 3)`` [N].
    statistics
        What the solver did.
    """

    displacements: FloatArray
    reactions: FloatArray
    statistics: NewtonStatistics


@dataclass
class _Outcome:
    displacement: FloatArray
    state: SystemState | None
    converged: bool
    residual_norms: list[float] = field(default_factory=list)
    reference_force: float = 0.0
    step_lengths: list[float] = field(default_factory=list)
    linear_iterations: int = 0
    setups: int = 0
    evaluations: int = 0
    tangents: int = 0
    failure: str | None = None


def forcing_term(
    settings: NewtonSettings,
    norms: Sequence[float],
    previous: float,
    target: float,
    *,
    first: bool,
) -> float:
    r"""Relative tolerance of the next linear solve (Eisenstat & Walker 1996, choice 2).

    :math:`\eta_k = 0.9\,(\|R_k\|/\|R_{k-1}\|)^2`, kept ≥ :math:`0.9\,\eta_{k-1}^2` when
    that exceeds 0.1, capped at ``max_forcing`` (also the value of the first iteration)
    and floored at ``linear_rtol`` and at :math:`\tfrac12\,\text{target}/\|R_k\|` (no
    need to solve below the nonlinear tolerance). The outer iteration stays
    superlinear; far from the solution the linear solves are cheap.

    Parameters
    ----------
    settings
        Solver settings (``inexact``, ``max_forcing``, ``linear_rtol``).
    norms
        Residual norms of the increment so far, the current one last [N].
    previous
        Forcing term of the previous iteration.
    target
        Absolute residual the Newton iteration must reach [N].
    first
        Whether this is the first iteration of the increment.
    """
    inexact = settings.inexact
    if inexact is None:
        inexact = settings.linear_solver in _ITERATIVE
    if not inexact:
        return settings.linear_rtol
    if first or len(norms) < 2 or norms[-2] <= 0.0:
        eta = settings.max_forcing
    else:
        eta = 0.9 * (norms[-1] / norms[-2]) ** 2
        safeguard = 0.9 * previous**2
        if safeguard > 0.1:
            eta = max(eta, safeguard)
    if norms[-1] > 0.0:
        eta = max(eta, 0.5 * target / norms[-1])
    return float(min(max(eta, settings.linear_rtol), settings.max_forcing))


class _Newton:
    """Newton iterations of one solve: shared counters, the linear solver and the system."""

    def __init__(
        self, system: NonlinearSystem, settings: NewtonSettings, linear: TangentSolver
    ) -> None:
        self.system = system
        self.settings = settings
        self.linear = linear
        self.evaluations = 0
        self.tangents = 0

        #: The last inadmissible state met (an element inversion), for failure messages.
        self.rejected: str | None = None

    def evaluate(
        self, u: FloatArray, frame: int, fraction: float, *, tangent: bool
    ) -> tuple[SystemState | None, str | None]:
        """The state at ``u`` (``None`` and the reason if inadmissible)."""
        self.evaluations += 1
        self.tangents += int(tangent)
        try:
            state = self.system.evaluate(u, frame, fraction, tangent=tangent)
        except InvertedElementError as exc:
            self.rejected = str(exc)
            return None, str(exc)
        if not np.all(np.isfinite(state.residual)):
            return None, "non-finite residual (a fibre or volumetric energy overflowed)"
        return state, None

    def line_search(
        self,
        u: FloatArray,
        correction: FloatArray,
        residual: FloatArray,
        free: BoolArray,
        frame: int,
        fraction: float,
        boundary_moving: bool,
        full: tuple[SystemState | None, str | None],
    ) -> tuple[float, SystemState | None, str | None]:
        """Step length along a full step that did not reduce the residual.

        ``full`` is the evaluation of the full step. Energy line search (Crisfield 1991;
        Bonet & Wood 2008): ``g(s) = δu·R(u + s δu)`` (free dofs) is the slope of the
        potential along the step for dead loads, and a good merit function for follower
        loads too; ``g(0) = −δu·K δu < 0`` for a positive definite tangent. A step is
        accepted when ``|g(s)| ≤ η|g(0)|`` (η = ``line_search_tolerance``) or when the
        potential still decreases at the full step; otherwise the root of ``g`` is
        bracketed and found by safeguarded regula falsi. An inadmissible trial state
        (inverted element) counts as overshooting. If ``g(0) ≥ 0`` (indefinite tangent),
        an Armijo backtracking on ``½‖R_free‖²`` is used instead. While prescribed values
        still move, only the full step is admissible.
        """
        settings = self.settings
        state, failure = full
        if boundary_moving:
            return (1.0, state, None) if state is not None else (0.0, None, failure)
        norm = float(np.linalg.norm(residual[free]))
        slope0 = float(np.dot(correction[free], residual[free]))
        energy_search = settings.line_search and slope0 < 0.0
        low, slope_low = 0.0, slope0
        high, slope_high = math.inf, math.inf
        step = 1.0
        best: tuple[float, SystemState, float] | None = None
        reason = failure
        for trial_number in range(settings.max_line_search + 1):
            if trial_number > 0:
                state, failure = self.evaluate(
                    u + step * correction, frame, fraction, tangent=False
                )
            if state is None:
                reason = failure
                high, slope_high = step, math.inf
                step = 0.5 * (low + step)
                continue
            if not settings.line_search:
                return step, state, None
            trial_residual = state.residual
            trial_norm = float(np.linalg.norm(trial_residual[free]))
            if energy_search:
                slope = float(np.dot(correction[free], trial_residual[free]))
                if abs(slope) <= settings.line_search_tolerance * abs(slope0) or (
                    slope < 0.0 and step == 1.0
                ):
                    return step, state, None
                if best is None or abs(slope) < best[2]:
                    best = (step, state, abs(slope))
                if slope < 0.0:
                    low, slope_low = step, slope
                else:
                    high, slope_high = step, slope
                width = high - low
                if math.isfinite(slope_high):
                    candidate = low - slope_low * width / (slope_high - slope_low)
                    step = min(max(candidate, low + 0.1 * width), high - 0.1 * width)
                else:
                    step = 0.5 * (low + high)
                continue
            if trial_norm**2 <= (1.0 - 2.0 * settings.sufficient_decrease * step) * norm**2:
                return step, state, None
            if best is None or trial_norm < best[2]:
                best = (step, state, trial_norm)
            # minimiser of the quadratic through h(0), h'(0) = −‖R‖² and h(step)
            curvature = 0.5 * trial_norm**2 - 0.5 * norm**2 + norm**2 * step
            candidate = norm**2 * step**2 / (2.0 * curvature) if curvature > 0.0 else 0.5 * step
            step = min(max(candidate, 0.1 * step), 0.5 * step)
        if best is not None and (energy_search or best[2] < norm):
            return best[0], best[1], None
        return 0.0, None, reason or "the line search found no decrease of the residual"

    def increment(
        self,
        u0: FloatArray,
        state: SystemState | None,
        frame: int,
        fraction: float,
        fixed: BoolArray,
        target: FloatArray,
        force_scale: float,
    ) -> _Outcome:
        """Newton iterations from ``u0`` at the load level ``(frame, fraction)``."""
        settings = self.settings
        u = u0.copy()
        free = ~fixed
        result = _Outcome(u, state, False)
        evaluations_before = self.evaluations
        tangents_before = self.tangents
        setups_before = self.linear.statistics.setups
        krylov_before = self.linear.statistics.krylov_iterations

        self.rejected = None

        def finish(converged: bool, failure: str | None) -> _Outcome:
            if failure is not None and self.rejected and not failure.startswith("element"):
                failure = f"{failure}; the line search rejected steps with {self.rejected}"
            result.displacement = u
            result.converged = converged
            result.failure = failure
            result.evaluations = self.evaluations - evaluations_before
            result.tangents = self.tangents - tangents_before
            result.setups = self.linear.statistics.setups - setups_before
            result.linear_iterations = self.linear.statistics.krylov_iterations - krylov_before
            return result

        if state is None or state.level != (frame, fraction):
            state, failure = self.evaluate(u, frame, fraction, tangent=True)
            if state is None:
                return finish(False, failure)
        target_scale = max(float(np.linalg.norm(target[fixed])), float(np.linalg.norm(u)), 1e-300)
        noise = self.system.round_off_force
        forcing = settings.max_forcing
        norms = result.residual_norms
        for iteration in range(settings.max_iterations + 1):
            result.state = state
            residual = state.residual
            norm = float(np.linalg.norm(residual[free]))
            norms.append(norm)
            reference = max(force_scale, state.force_scale)
            result.reference_force = reference
            gap = np.where(fixed, target - u, 0.0)
            boundary_moving = float(np.linalg.norm(gap)) > 1e-14 * target_scale
            goal = max(settings.rtol * reference, settings.atol, noise)
            if not math.isfinite(norm):
                return finish(False, "non-finite residual")
            if not boundary_moving and norm <= goal:
                return finish(True, None)
            window = settings.stagnation_window
            if window and iteration > window and norm >= norms[-1 - window]:
                return finish(
                    False, f"the residual did not decrease over {window} Newton iterations"
                )
            if iteration == settings.max_iterations:
                relative = norm / reference if reference > 0.0 else math.inf
                return finish(
                    False,
                    f"Newton did not converge in {settings.max_iterations} iterations "
                    f"(relative residual {relative:.2e}, required {settings.rtol:.1e})",
                )
            if state.tangent is None:
                fresh, failure = self.evaluate(u, frame, fraction, tangent=True)
                if fresh is None:
                    return finish(False, failure)
                state = fresh
            assert state.tangent is not None
            matrix, rhs = apply_dirichlet(state.tangent, -residual, DirichletCondition(fixed, gap))
            forcing = forcing_term(settings, norms, forcing, goal, first=iteration == 0)
            try:
                correction, _ = self.linear.solve(matrix, rhs, forcing, symmetric=state.symmetric)
            except SolverError as exc:
                return finish(False, f"linear solver: {exc}")
            correction[fixed] = gap[fixed]
            trial = u + correction
            trial[fixed] = target[fixed]
            full = self.evaluate(trial, frame, fraction, tangent=True)
            step, accepted, reason = 1.0, full[0], full[1]
            reduced = accepted is not None and (
                float(np.linalg.norm(accepted.residual[free])) < norm or boundary_moving
            )
            if not reduced:
                step, accepted, reason = self.line_search(
                    u, correction, residual, free, frame, fraction, boundary_moving, full
                )
            if accepted is None:
                return finish(False, reason)
            u = trial if step == 1.0 else u + step * correction
            state = accepted
            result.step_lengths.append(step)
            recent = result.step_lengths[-settings.stall_iterations :]
            if len(recent) == settings.stall_iterations and max(recent) < settings.stall_step:
                return finish(
                    False,
                    f"the line search stalled ({settings.stall_iterations} consecutive steps "
                    f"shorter than {settings.stall_step:g} of the Newton correction)",
                )
        raise AssertionError("unreachable")  # pragma: no cover


def _conditions(
    dirichlet: DirichletCondition | Sequence[DirichletCondition], frames: int, num_dofs: int
) -> list[DirichletCondition]:
    if isinstance(dirichlet, DirichletCondition):
        conditions = [dirichlet] * frames
    else:
        conditions = list(dirichlet)
        if len(conditions) != frames:
            raise ValueError(f"{frames} load frames but {len(conditions)} Dirichlet conditions")
    if not conditions:
        return conditions
    mask = np.asarray(conditions[0].fixed, dtype=bool)
    if mask.shape != (num_dofs,):
        raise ValueError(f"Dirichlet mask must have shape ({num_dofs},), got {mask.shape}")
    for condition in conditions:
        if not np.array_equal(np.asarray(condition.fixed, dtype=bool), mask):
            raise ValueError("every frame's Dirichlet condition must fix the same dofs")
        if np.shape(condition.values) != (num_dofs,):
            raise ValueError(f"Dirichlet values must have shape ({num_dofs},)")
    return conditions


def _predict(
    newton: _Newton,
    u: FloatArray,
    history: tuple[FloatArray, float],
    span: float,
    fixed: BoolArray,
    target: FloatArray,
    frame: int,
    fraction: float,
) -> tuple[FloatArray, SystemState] | None:
    """Secant extrapolation of the last increment (``None`` if it inverts an element)."""
    previous, previous_span = history
    candidate = u + (span / previous_span) * (u - previous)
    candidate[fixed] = target[fixed]
    state, _ = newton.evaluate(candidate, frame, fraction, tangent=True)
    if state is None:
        return None
    return candidate, state


def _better_start(
    newton: _Newton,
    predicted: SystemState,
    u: FloatArray,
    free: BoolArray,
    frame: int,
    fraction: float,
) -> bool:
    """Whether the predicted state is out of balance less than the unpredicted start ``u``.

    A secant step overshoots where the body stiffens (compressed fat: doubling the
    displacement of the last increment can invert elements); Newton then starts from
    the last converged state instead (whose evaluation at the new load level the
    increment needs anyway).
    """
    plain, _ = newton.evaluate(u, frame, fraction, tangent=True)
    if plain is None:  # pragma: no cover - u is a converged (admissible) state
        return True
    return bool(np.linalg.norm(predicted.residual[free]) < np.linalg.norm(plain.residual[free]))


def _frame_step(
    newton: _Newton,
    u: FloatArray,
    state: SystemState | None,
    frame: int,
    free: BoolArray,
    step: float,
    last_start: float,
) -> tuple[float, SystemState | None]:
    """First increment of a new frame, from the out-of-balance force its load puts on ``u``.

    The increment size carried over from the previous frame measures how far the load
    path could be followed there; a frame whose whole load change puts less out of
    balance on the converged state than the last converged increment started with is no
    harder than that increment. Scaled to that force (``s ≈ last_start / ‖R(u, frame,
    1)‖``, the out-of-balance force being about proportional to the load fraction), the
    first increment is never smaller than the carried one. Measured on the baseline
    stroke: frame 0 (loaded from rest) needs two half increments, starting 0.51 N out of
    balance; frame 1's whole move puts 0.13 N on its converged state and converges in 3
    iterations at once instead of 4 in two halves.

    Returns the size of the frame's first increment (the carried ``step`` is left for
    the later ones) and the state to start from (the evaluation at the full frame when
    the increment is the whole frame, else the unchanged ``state``).
    """
    probe, _ = newton.evaluate(u, frame, 1.0, tangent=True)
    if probe is None:  # pragma: no cover - u is a converged (admissible) state
        return step, state
    out_of_balance = float(np.linalg.norm(probe.residual[free]))
    scaled = last_start / out_of_balance if out_of_balance > 0.0 else 1.0
    first = min(1.0, max(step, scaled))
    return first, probe if first >= 1.0 else state


def solve_nonlinear_frames(
    system: NonlinearSystem,
    num_frames: int,
    dirichlet: DirichletCondition | Sequence[DirichletCondition],
    *,
    initial: ArrayLike | None = None,
    settings: NewtonSettings | None = None,
    linear: TangentSolver | None = None,
    on_frame: Callable[[int, FloatArray], None] | None = None,
) -> NewtonResult:
    """Solve the load frames of ``system`` in order, each from the previous converged state.

    Parameters
    ----------
    system
        The nonlinear system (see :class:`NonlinearSystem`).
    num_frames
        Number of load frames.
    dirichlet
        One condition for all frames or one per frame (same mask) [m]; values are
        ramped with the load.
    initial
        Starting displacement ``(n, 3)`` [m] (default zero, the reference state).
    settings
        Solver settings (default :class:`NewtonSettings`).
    linear
        A tangent solver to reuse (e.g. from the previous technique of a session).
    on_frame
        Called with ``(frame, u)`` as soon as a frame has converged (``u`` ``(N,)``),
        e.g. to compute output fields while the system still holds that state.

    Returns
    -------
    NewtonResult
        Displacements, reactions and statistics of every frame.

    Raises
    ------
    SolverError
        If a frame cannot be reached (see the module description).
    """
    started = time.perf_counter()
    settings = settings or NewtonSettings()
    n_dofs = system.num_dofs
    conditions = _conditions(dirichlet, num_frames, n_dofs)
    u = np.zeros(n_dofs) if initial is None else np.array(initial, dtype=float).reshape(-1).copy()
    if u.size != n_dofs:
        raise ValueError(f"the initial displacement needs {n_dofs} entries")
    if linear is None:
        linear = TangentSolver(
            method=settings.linear_solver,
            points=system.points,
            direct_dof_limit=settings.direct_dof_limit,
            reuse=settings.reuse_factorisation,
            max_krylov=settings.max_krylov,
            rebuild_rate=settings.rebuild_rate,
            options=settings.linear_options,
        )
    setups_before = linear.statistics.setups
    setup_seconds_before = linear.statistics.setup_seconds
    solve_seconds_before = linear.statistics.solve_seconds
    newton = _Newton(system, settings, linear)
    previous_values = u.copy()
    state: SystemState | None = None
    force_scale = 0.0  # largest force norm met so far: the scale of the relative tolerance
    step = settings.initial_step
    last_start = 0.0  # out-of-balance force at the start of the last converged increment [N]
    displacements: list[FloatArray] = []
    reactions: list[FloatArray] = []
    statistics: list[FrameStatistics] = []
    for frame, condition in enumerate(conditions):
        fixed = np.asarray(condition.fixed, dtype=bool)
        values = np.asarray(condition.values, dtype=float)
        frame_start = time.perf_counter()
        records: list[IncrementStatistics] = []
        reached = 0.0
        history: tuple[FloatArray, float] | None = None
        frame_origin = u
        reset = system.unloaded(frame) and not np.any(values[fixed])
        if reset:
            u, state = np.zeros(n_dofs), None
            previous_values = np.zeros(n_dofs)
        first = step  # the frame's first increment (later ones: the carried step)
        moving = not np.array_equal(values[fixed], previous_values[fixed])
        if not reset and not moving and step < 1.0 and last_start > 0.0:
            first, state = _frame_step(newton, u, state, frame, ~fixed, step, last_start)
        while reached < 1.0:
            size = first if not records else step
            end = 1.0 if reset else min(1.0, reached + size)
            if 1.0 - end < 1e-9:
                end = 1.0
            target = np.where(fixed, previous_values + end * (values - previous_values), 0.0)
            increment_start = time.perf_counter()
            start, start_state, predicted = u, state, False
            if settings.predictor and history is not None:
                candidate = _predict(newton, u, history, end - reached, fixed, target, frame, end)
                if candidate is not None and _better_start(
                    newton, candidate[1], u, ~fixed, frame, end
                ):
                    start, start_state = candidate
                    predicted = True
            result = newton.increment(start, start_state, frame, end, fixed, target, force_scale)
            if result.converged:  # (a failed attempt's wild iterates set no scale)
                force_scale = max(force_scale, result.reference_force)
            records.append(
                IncrementStatistics(
                    frame=frame,
                    start=reached,
                    end=end,
                    converged=result.converged,
                    residual_norms=tuple(result.residual_norms),
                    reference_force=result.reference_force,
                    step_lengths=tuple(result.step_lengths),
                    linear_iterations=result.linear_iterations,
                    setups=result.setups,
                    evaluations=result.evaluations,
                    tangents=result.tangents,
                    seconds=time.perf_counter() - increment_start,
                    failure=result.failure,
                    predicted=predicted,
                )
            )
            if result.converged:
                last_start = result.residual_norms[0]
                history = (u, end - reached)
                u = result.displacement
                state = result.state
                reached = end
                if len(result.step_lengths) <= settings.fast_iterations:
                    step = min(1.0, step * settings.growth)
                continue
            if reset:  # the reference state did not solve the unloaded frame: step to it
                reset = False
                u, state = frame_origin, None
                continue
            step = 0.5 * size
            if step < settings.min_step:
                raise SolverError(
                    f"nonlinear solve: could not reach load frame {frame} of {num_frames}: "
                    f"reached {reached:.3g} of the frame after cutting the increment "
                    f"{sum(not r.converged for r in records)} times (smallest tried "
                    f"{2.0 * step:.2e} of the frame, minimum {settings.min_step:.2e}). "
                    f"Last failure: {result.failure}"
                )
        if state is None:
            state, failure = newton.evaluate(u, frame, 1.0, tangent=False)
            if state is None:  # pragma: no cover - the reference state is admissible
                raise SolverError(f"nonlinear solve: frame {frame}: {failure}")
        if on_frame is not None:
            on_frame(frame, u)
        displacements.append(u.reshape(-1, 3).copy())
        reactions.append(np.where(fixed, state.residual, 0.0).reshape(-1, 3))
        statistics.append(FrameStatistics(frame, tuple(records), time.perf_counter() - frame_start))
        previous_values = np.where(fixed, values, u)
    shape = (len(displacements), n_dofs // 3, 3)
    summary = NewtonStatistics(
        frames=tuple(statistics),
        setups=linear.statistics.setups - setups_before,
        setup_seconds=linear.statistics.setup_seconds - setup_seconds_before,
        solve_seconds=linear.statistics.solve_seconds - solve_seconds_before,
        method=linear.statistics.method,
        seconds=time.perf_counter() - started,
    )
    return NewtonResult(
        displacements=np.asarray(displacements).reshape(shape),
        reactions=np.asarray(reactions).reshape(shape),
        statistics=summary,
    )
