r"""Newton's method with line search and adaptive load increments for the load frames.

Each frame :math:`k` (nodal loads :math:`f_k`, prescribed values :math:`\bar u_k`) is
reached from the converged state of the previous frame along the straight path
:math:`f(s) = f_{k-1} + s(f_k - f_{k-1})`, :math:`\bar u(s) = \bar u_{k-1} + s(\bar u_k -
\bar u_{k-1})`, :math:`s\in[0, 1]`, in increments :math:`\Delta s`:

* every increment is solved by Newton's method: :math:`K\,\delta u = -R` on the free
  degrees of freedom, with :math:`\delta u = \bar u(s) - u` on the prescribed ones
  (so the first iteration carries the boundary motion into the interior);
* a line search damps the step: with dead loads the residual is the gradient of the
  potential, so the step is chosen where the slope :math:`\delta u\cdot R(u + s\,\delta u)`
  has dropped to a fraction of its initial (negative) value (energy line search,
  Crisfield 1991; Bonet & Wood 2008), by safeguarded regula falsi; trial states with
  an inverted element (det F ≤ 0) count as overshooting. If the tangent is not
  positive definite along the step, an Armijo backtracking on
  :math:`\tfrac12\|R_{free}\|^2` (for which the exact Newton direction is always a
  descent direction) is used instead;
* convergence: :math:`\|R_{free}\| \le \max(\text{rtol}\cdot f_{ref}, \text{atol})`
  with :math:`f_{ref}` the largest of :math:`\|f(s)\|`, :math:`\|f_{int}\|` (which
  includes the reactions) and every such norm met earlier in the solve (so that
  unloading to zero load has a meaningful scale), and the prescribed values reached
  exactly;
* inexact Newton: each linear system is solved only as accurately as the nonlinear
  residual warrants (Eisenstat–Walker forcing terms), so iterative solves far from
  the solution are cheap;
* every increment after the first of a frame starts from the secant extrapolation of
  the previous one (a predictor along the load path);
* an increment that fails (no convergence within ``max_iterations``, a stalled line
  search, no residual reduction over ``stagnation_window`` iterations, an inversion
  caused by the prescribed boundary motion or that the line search cannot avoid, a
  linear-solver failure) is retried with half
  the increment; after an easy increment (≤ ``fast_iterations``) the increment grows
  by ``growth``. Below ``min_step`` a :class:`~tissue_sim.errors.SolverError` says
  which frame could not be reached, how far it got and why.

The Newton systems are solved by :func:`tissue_sim.fem.solvers.make_solver`
(sparse direct for small systems, AMG-preconditioned CG with rigid-body modes for
large ones).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

from tissue_sim.errors import SolverError
from tissue_sim.fem.dirichlet import DirichletCondition, apply_dirichlet
from tissue_sim.fem.solvers import make_solver
from tissue_sim.geometry.mesh import InvertedElementError

if TYPE_CHECKING:
    from tissue_sim.mechanics.hyperelastic.problem import Evaluation, HyperelasticProblem

__all__ = [
    "FrameSolution",
    "FrameStatistics",
    "IncrementStatistics",
    "NewtonSettings",
    "forcing_term",
    "solve_frames",
]

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True)
class NewtonSettings:
    """Tolerances and load-stepping controls of the nonlinear solver.

    Attributes
    ----------
    rtol
        Relative residual tolerance (against the larger of the external and the
        internal force norms) [-].
    atol
        Absolute residual tolerance [N].
    max_iterations
        Newton iterations per increment before it counts as failed.
    line_search
        Use the backtracking line search (else full steps, halved only to avoid
        inverted elements).
    max_line_search
        Trial steps per Newton iteration.
    line_search_tolerance
        η of the energy line search: accept ``|δu·R(s)| ≤ η |δu·R(0)|``.
    sufficient_decrease
        Armijo constant ``c`` of the fallback search, ``‖R(s)‖² ≤ (1 − 2cs)‖R(0)‖²``.
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
        consecutive line-search steps shorter than ``stall_step``: the tangent of the
        current state is a poor model of the increment.
    stagnation_window
        An increment also fails when the residual norm is not below its value this
        many iterations earlier (0 disables the check).
    predictor
        Start every increment after the first of a frame from the secant extrapolation
        of the previous increment along the load path (kept only if it inverts no
        element); else from the previous converged state.
    linear_solver
        ``"auto"``, ``"direct"`` or ``"amg"`` (see :func:`~tissue_sim.fem.solvers.make_solver`).
    linear_rtol
        Smallest relative tolerance of the iterative linear solver.
    direct_dof_limit
        ``linear_solver="auto"`` uses the direct solver up to this many unknowns.
        Lower than the linear path's limit, where one factorisation serves every
        frame: Newton refactors every iteration, and inexact AMG-CG solves are
        cheaper above ~10k unknowns (measured at 15k: 1.0 s direct vs 0.25–0.6 s
        AMG-CG to 1e-2–1e-6; at 28k: 3.2 s vs 0.55–1.3 s).
    inexact
        Inexact Newton: solve each Newton system only as accurately as the current
        nonlinear residual warrants (Eisenstat–Walker forcing terms, see
        :func:`forcing_term`); ignored by the direct solver.
    max_forcing
        Loosest relative tolerance of an inexact linear solve.
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
    growth: float = 1.5
    fast_iterations: int = 6
    stall_step: float = 0.1
    stall_iterations: int = 3
    stagnation_window: int = 4
    predictor: bool = True
    linear_solver: str = "auto"
    linear_rtol: float = 1e-8
    direct_dof_limit: int = 10_000
    inexact: bool = True
    max_forcing: float = 0.1

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
        if self.linear_solver not in ("auto", "direct", "amg"):
            raise ValueError("linear_solver must be auto, direct or amg")


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
        Line-search step of every Newton iteration.
    linear_iterations
        Krylov iterations of all linear solves (0 for the direct solver).
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
    seconds: float
    failure: str | None = None
    predicted: bool = False

    @property
    def iterations(self) -> int:
        """Newton iterations (linear solves) of the increment."""
        return len(self.step_lengths)


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
    def iterations_per_increment(self) -> tuple[int, ...]:
        """Newton iterations of each converged increment."""
        return tuple(inc.iterations for inc in self.increments if inc.converged)


@dataclass(frozen=True)
class FrameSolution:
    """Converged state of every load frame.

    Attributes
    ----------
    displacements
        Nodal displacements, ``(K, n, 3)`` [m].
    reactions
        Reaction forces ``f_int − f_ext`` on the prescribed dofs (zero elsewhere),
        ``(K, n, 3)`` [N].
    statistics
        Newton statistics per frame.
    """

    displacements: FloatArray
    reactions: FloatArray
    statistics: tuple[FrameStatistics, ...]

    @property
    def newton_iterations(self) -> int:
        """Newton iterations over all frames (failed attempts included)."""
        return sum(frame.newton_iterations for frame in self.statistics)


@dataclass
class _Outcome:
    displacement: FloatArray
    evaluation: Evaluation | None
    converged: bool
    residual_norms: list[float]
    reference_force: float
    step_lengths: list[float]
    linear_iterations: int
    failure: str | None


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


def _residual_norms(
    evaluation: Evaluation, load: FloatArray, free: BoolArray, force_scale: float = 0.0
) -> tuple[FloatArray, float, float]:
    internal = evaluation.internal_force.reshape(-1)
    residual = internal - load
    norm = float(np.linalg.norm(residual[free]))
    reference = max(float(np.linalg.norm(load)), float(np.linalg.norm(internal)), force_scale)
    return residual, norm, reference


def _evaluate_trial(
    problem: HyperelasticProblem,
    u: FloatArray,
    correction: FloatArray,
    step: float,
    fixed: BoolArray,
    target: FloatArray,
    load: FloatArray,
    tangent: bool,
) -> tuple[Evaluation | None, FloatArray | None, str | None]:
    """Evaluation and residual at ``u + step·δu`` (``None`` and the reason if invalid)."""
    trial = u + step * correction
    if step == 1.0:
        trial[fixed] = target[fixed]
    try:
        evaluation = problem.evaluate(trial.reshape(-1, 3), tangent=tangent)
    except InvertedElementError as exc:
        return None, None, str(exc)
    residual = evaluation.internal_force.reshape(-1) - load
    if not np.all(np.isfinite(residual)):
        return None, None, "non-finite residual (a fibre or volumetric energy overflowed)"
    return evaluation, residual, None


def _line_search(
    problem: HyperelasticProblem,
    u: FloatArray,
    correction: FloatArray,
    residual: FloatArray,
    load: FloatArray,
    fixed: BoolArray,
    target: FloatArray,
    boundary_moving: bool,
    settings: NewtonSettings,
    rejected: list[str],
) -> tuple[float, Evaluation | None, str | None]:
    """Step length and the evaluation at the accepted point (or the reason of failure).

    Inversions met by rejected trial steps are appended to ``rejected``.

    Energy line search: with dead loads the residual is the gradient of the potential,
    so ``g(s) = δu·R(u + s δu)`` (free dofs) is the slope of the potential along the
    step. ``g(0) = −δu·K δu < 0`` for a positive definite tangent; the step is
    accepted when ``|g(s)| ≤ η|g(0)|`` (η = ``line_search_tolerance``) or when the
    potential still decreases at the full step; otherwise the minimum is bracketed and
    found by safeguarded regula falsi. An inverted trial state counts as overshooting.
    If ``g(0) ≥ 0`` (indefinite tangent) an Armijo backtracking on ``½‖R_free‖²``
    is used instead. While prescribed values are still moving, the full step is taken
    if it is valid; if it inverts an element the increment fails (and is cut back).
    """
    free = ~fixed
    norm = float(np.linalg.norm(residual[free]))
    slope0 = float(np.dot(correction[free], residual[free]))
    energy_search = settings.line_search and not boundary_moving and slope0 < 0.0
    low, slope_low = 0.0, slope0
    high, slope_high = math.inf, math.inf
    step = 1.0
    best: tuple[float, Evaluation, float] | None = None
    reason: str | None = None
    for _ in range(settings.max_line_search + 1):
        evaluation, trial_residual, failure = _evaluate_trial(
            problem, u, correction, step, fixed, target, load, False
        )
        if evaluation is None or trial_residual is None:
            if boundary_moving:
                return 0.0, None, failure
            reason = failure
            if failure and failure.startswith("element inversion"):
                rejected.append(failure)
            high, slope_high = step, math.inf
            step = 0.5 * (low + step)
            continue
        if not settings.line_search or boundary_moving:
            return step, evaluation, None
        trial_norm = float(np.linalg.norm(trial_residual[free]))
        if energy_search:
            slope = float(np.dot(correction[free], trial_residual[free]))
            if abs(slope) <= settings.line_search_tolerance * abs(slope0) or (
                slope < 0.0 and step == 1.0
            ):
                return step, evaluation, None
            if best is None or abs(slope) < best[2]:
                best = (step, evaluation, abs(slope))
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
            return step, evaluation, None
        if best is None or trial_norm < best[2]:
            best = (step, evaluation, trial_norm)
        # minimiser of the quadratic through h(0), h'(0) = -|R|^2 and h(step)
        h0, h_step = 0.5 * norm**2, 0.5 * trial_norm**2
        curvature = h_step - h0 + norm**2 * step
        candidate = norm**2 * step**2 / (2.0 * curvature) if curvature > 0.0 else 0.5 * step
        step = min(max(candidate, 0.1 * step), 0.5 * step)
    if best is not None and (energy_search or best[2] < norm):
        return best[0], best[1], None
    return 0.0, None, reason or "the line search found no decrease of the residual"


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
    if not settings.inexact:
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


def _newton(
    problem: HyperelasticProblem,
    u0: FloatArray,
    evaluation: Evaluation | None,
    load: FloatArray,
    fixed: BoolArray,
    target: FloatArray,
    settings: NewtonSettings,
    force_scale: float,
) -> _Outcome:
    u = u0.copy()
    free = ~fixed
    norms: list[float] = []
    steps: list[float] = []
    linear_iterations = 0
    reference = 0.0

    rejected: list[str] = []

    def outcome(converged: bool, failure: str | None) -> _Outcome:
        if failure is not None and rejected and not failure.startswith("element inversion"):
            failure = f"{failure}; the line search rejected steps with {rejected[-1]}"
        return _Outcome(
            u, evaluation, converged, norms, reference, steps, linear_iterations, failure
        )

    if evaluation is None:
        try:
            evaluation = problem.evaluate(u.reshape(-1, 3), tangent=True)
        except InvertedElementError as exc:
            return outcome(False, str(exc))
    target_scale = max(float(np.linalg.norm(target[fixed])), float(np.linalg.norm(u)), 1e-300)
    forcing = settings.max_forcing
    for iteration in range(settings.max_iterations + 1):
        residual, norm, reference = _residual_norms(evaluation, load, free, force_scale)
        norms.append(norm)
        gap = np.where(fixed, target - u, 0.0)
        boundary_moving = float(np.linalg.norm(gap)) > 1e-14 * target_scale
        if not math.isfinite(norm):
            return outcome(False, "non-finite residual")
        if not boundary_moving and norm <= max(settings.rtol * reference, settings.atol):
            return outcome(True, None)
        window = settings.stagnation_window
        if window and iteration > window and norm >= norms[-1 - window]:
            return outcome(False, f"the residual did not decrease over {window} Newton iterations")
        if iteration == settings.max_iterations:
            relative = norm / reference if reference > 0.0 else math.inf
            return outcome(
                False,
                f"Newton did not converge in {settings.max_iterations} iterations "
                f"(relative residual {relative:.2e}, required {settings.rtol:.1e})",
            )
        if evaluation.tangent is None:
            evaluation = problem.evaluate(u.reshape(-1, 3), tangent=True)
        assert evaluation.tangent is not None
        matrix, rhs = apply_dirichlet(evaluation.tangent, -residual, DirichletCondition(fixed, gap))
        forcing = forcing_term(
            settings, norms, forcing, settings.rtol * reference, first=iteration == 0
        )
        try:
            solver = make_solver(
                matrix,
                method=settings.linear_solver,
                rtol=forcing,
                points=problem.mesh.points,
                direct_dof_limit=settings.direct_dof_limit,
            )
            correction = np.asarray(solver.solve(rhs))
        except SolverError as exc:
            return outcome(False, f"linear solver: {exc}")
        if solver.method == "amg":
            linear_iterations += int(sum(solver.statistics.iterations))
        correction[fixed] = gap[fixed]
        step, trial, reason = _line_search(
            problem,
            u,
            correction,
            residual,
            load,
            fixed,
            target,
            boundary_moving,
            settings,
            rejected,
        )
        if trial is None:
            return outcome(False, reason)
        u = u + step * correction
        if step == 1.0:
            u[fixed] = target[fixed]
        evaluation = trial
        steps.append(step)
        recent = steps[-settings.stall_iterations :]
        if len(recent) == settings.stall_iterations and max(recent) < settings.stall_step:
            return outcome(
                False,
                f"the line search stalled ({settings.stall_iterations} consecutive steps "
                f"shorter than {settings.stall_step:g} of the Newton correction)",
            )
    raise AssertionError("unreachable")  # pragma: no cover


def _predict(
    problem: HyperelasticProblem,
    u: FloatArray,
    history: tuple[FloatArray, float],
    span: float,
    fixed: BoolArray,
    target: FloatArray,
) -> tuple[FloatArray, Evaluation] | None:
    """Secant extrapolation of the last increment (``None`` if it inverts an element)."""
    previous, previous_span = history
    candidate = u + (span / previous_span) * (u - previous)
    candidate[fixed] = target[fixed]
    try:
        evaluation = problem.evaluate(candidate.reshape(-1, 3), tangent=False)
    except InvertedElementError:
        return None
    if not np.all(np.isfinite(evaluation.internal_force)):
        return None
    return candidate, evaluation


def solve_frames(
    problem: HyperelasticProblem,
    loads: Sequence[ArrayLike],
    dirichlet: DirichletCondition | Sequence[DirichletCondition],
    *,
    initial: ArrayLike | None = None,
    settings: NewtonSettings | None = None,
) -> FrameSolution:
    """Solve the load frames in order, each from the previous converged state.

    Parameters
    ----------
    problem
        The hyperelastic problem.
    loads
        Nodal load vectors ``(n, 3)`` per frame [N].
    dirichlet
        One condition for all frames or one per frame (same mask) [m].
    initial
        Starting displacement ``(n, 3)`` [m] (default zero).
    settings
        Solver settings (default :class:`NewtonSettings`).

    Returns
    -------
    FrameSolution
        Displacements, reactions and statistics of every frame.

    Raises
    ------
    SolverError
        If a frame cannot be reached (see the module description).
    """
    settings = settings or NewtonSettings()
    n_dofs = problem.num_dofs
    vectors = [np.asarray(load, dtype=float).reshape(-1) for load in loads]
    if any(v.size != n_dofs for v in vectors):
        raise ValueError(f"every load vector needs {n_dofs} entries")
    conditions = _conditions(dirichlet, len(vectors), n_dofs)
    u = np.zeros(n_dofs) if initial is None else np.array(initial, dtype=float).reshape(-1).copy()
    if u.size != n_dofs:
        raise ValueError(f"the initial displacement needs {n_dofs} entries")
    previous_load = np.zeros(n_dofs)
    previous_values = u.copy()
    evaluation: Evaluation | None = None
    force_scale = 0.0  # largest force norm met so far: the scale of the relative tolerance
    step = settings.initial_step
    displacements: list[FloatArray] = []
    reactions: list[FloatArray] = []
    statistics: list[FrameStatistics] = []
    for frame, (load, condition) in enumerate(zip(vectors, conditions, strict=True)):
        fixed = np.asarray(condition.fixed, dtype=bool)
        values = np.asarray(condition.values, dtype=float)
        frame_start = time.perf_counter()
        records: list[IncrementStatistics] = []
        reached = 0.0
        history: tuple[FloatArray, float] | None = None  # (start state, span) of last increment
        while reached < 1.0:
            end = min(1.0, reached + step)
            if 1.0 - end < 1e-9:
                end = 1.0
            target_load = previous_load + end * (load - previous_load)
            target = np.where(fixed, previous_values + end * (values - previous_values), 0.0)
            started = time.perf_counter()
            start, start_evaluation, predicted = u, evaluation, False
            if settings.predictor and history is not None:
                candidate = _predict(problem, u, history, end - reached, fixed, target)
                if candidate is not None:
                    start, start_evaluation = candidate
                    predicted = True
            result = _newton(
                problem, start, start_evaluation, target_load, fixed, target, settings, force_scale
            )
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
                    seconds=time.perf_counter() - started,
                    failure=result.failure,
                    predicted=predicted,
                )
            )
            if result.converged:
                history = (u, end - reached)
                u = result.displacement
                evaluation = result.evaluation
                reached = end
                if len(result.step_lengths) <= settings.fast_iterations:
                    step = min(1.0, step * settings.growth)
                continue
            step *= 0.5
            if step < settings.min_step:
                raise SolverError(
                    f"hyperelastic solve: could not reach load frame {frame} of {len(vectors)}: "
                    f"reached {reached:.3g} of the frame after cutting the increment "
                    f"{sum(not r.converged for r in records)} times (smallest tried "
                    f"{2.0 * step:.2e} of the frame, minimum {settings.min_step:.2e}). "
                    f"Last failure: {result.failure}"
                )
        assert evaluation is not None
        residual = evaluation.internal_force.reshape(-1) - load
        displacements.append(u.reshape(-1, 3).copy())
        reactions.append(np.where(fixed, residual, 0.0).reshape(-1, 3))
        statistics.append(FrameStatistics(frame, tuple(records), time.perf_counter() - frame_start))
        previous_load = load
        previous_values = np.where(fixed, values, u)
    shape = (len(displacements), n_dofs // 3, 3)
    return FrameSolution(
        displacements=np.asarray(displacements).reshape(shape),
        reactions=np.asarray(reactions).reshape(shape),
        statistics=tuple(statistics),
    )
