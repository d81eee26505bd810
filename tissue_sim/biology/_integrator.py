"""Batched ESDIRK3(2) integrator for many independent stiff ODE systems at once.

Method: the L-stable, stiffly accurate ESDIRK3(2)4L[2]SA of Kennedy & Carpenter (2003;
the implicit half of ARK3(2)4L[2]SA): four stages, the first explicit, three implicit with
the same diagonal γ ≈ 0.4359, third order with an embedded second-order error estimate.

All points of a chunk advance together with one step size (the error norm is the worst
point's RMS norm), so every operation is a numpy operation over the points. Stage
equations are solved by simplified Newton with the per-point matrices ``I − hγJ``,
factorised by the batched sparse LU of :mod:`._sparse_lu`; the Jacobian is reused across
steps until Newton converges slowly or fails. The error estimate is filtered by
``(I − hγJ)⁻¹`` (Hairer & Wanner, *Solving ODEs II*, IV.8) so stiff components do not
reject steps needlessly. Step boundaries land exactly on the segment ends (session starts
and ends, where the inputs jump). Values between step ends come from cubic Hermite
interpolation of ``y`` and ``f`` at both ends (third order, like the method).

Two interchangeable back ends evaluate a step: numpy passes over the chunk (always
available), or the compiled kernels of :mod:`._kernels` (numba), which make the same
chunk-wide decisions in the same floating-point operations with one pass over the points
per Newton iteration.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields

import numpy as np
import numpy.typing as npt

from tissue_sim.biology._kernels import LANES, Kernels, work_rows
from tissue_sim.biology._kernels import pack as kernels_pack
from tissue_sim.biology._program import Env
from tissue_sim.biology._sparse_lu import SparseLU
from tissue_sim.biology._system import CompiledSystem
from tissue_sim.errors import SolverError

__all__ = [
    "ESDIRK_A",
    "ESDIRK_B",
    "ESDIRK_B_HAT",
    "ESDIRK_C",
    "ChunkIntegrator",
    "Segment",
    "SolverStats",
]

FloatArray = npt.NDArray[np.float64]

_GAMMA = 1767732205903 / 4055673282236
#: Butcher matrix of ESDIRK3(2)4L[2]SA (Kennedy & Carpenter 2003).
ESDIRK_A: npt.NDArray[np.float64] = np.array(
    [
        [0.0, 0.0, 0.0, 0.0],
        [_GAMMA, _GAMMA, 0.0, 0.0],
        [2746238789719 / 10658868560708, -640167445237 / 6845629431997, _GAMMA, 0.0],
        [
            1471266399579 / 7840856788654,
            -4482444167858 / 7529755066697,
            11266239266428 / 11593286722821,
            _GAMMA,
        ],
    ]
)
#: Weights (stiffly accurate: the last row of ``ESDIRK_A``).
ESDIRK_B = ESDIRK_A[3].copy()
#: Embedded second-order weights.
ESDIRK_B_HAT: npt.NDArray[np.float64] = np.array(
    [
        2756255671327 / 12835298489170,
        -10771552573575 / 22201958757719,
        9247589265047 / 10645013368117,
        2193209047091 / 5459859503100,
    ]
)
#: Stage times.
ESDIRK_C: npt.NDArray[np.float64] = ESDIRK_A.sum(axis=1)

_ERROR_WEIGHTS = ESDIRK_B - ESDIRK_B_HAT
_SAFETY = 0.9
_MIN_FACTOR = 0.2
_MAX_FACTOR = 5.0
_KEEP_STEP_BELOW = 1.5
_NEWTON_MAX_ITERATIONS = 6
_ERROR_EXPONENT = -1.0 / 3.0


@dataclass
class SolverStats:
    """Counters of the integrator (summed over chunks).

    Attributes
    ----------
    n_steps, n_rejected
        Accepted and rejected (error test) steps.
    n_newton_failures
        Steps retried because Newton did not converge.
    n_rhs, n_jacobian, n_factorizations
        Right-hand-side evaluations, Jacobian evaluations and LU factorisations (each over
        one chunk of points).
    n_dense_fallbacks
        Factorisations that fell back to dense solves (near-zero sparse pivot).
    n_chunks
        Number of point chunks.
    """

    n_steps: int = 0
    n_rejected: int = 0
    n_newton_failures: int = 0
    n_rhs: int = 0
    n_jacobian: int = 0
    n_factorizations: int = 0
    n_dense_fallbacks: int = 0
    n_chunks: int = 0

    def add(self, other: SolverStats) -> None:
        """Add another chunk's counters to these."""
        for item in fields(self):
            setattr(self, item.name, getattr(self, item.name) + getattr(other, item.name))

    def as_dict(self) -> dict[str, int]:
        """The counters as a plain dict."""
        return {item.name: int(getattr(self, item.name)) for item in fields(self)}


@dataclass(frozen=True)
class Segment:
    """A time interval with constant inputs: ``[start, end]`` [s], stimulus on or off.

    ``stimulus_index`` says which of several stimuli (one per technique of a session) is
    on during the segment.
    """

    start: float
    end: float
    stimulus_on: bool
    stimulus_index: int = 0


class NonFiniteRate(SolverError):
    """A rate of the cell model is NaN or infinite at a state the integration reached.

    Attributes
    ----------
    species
        Index of the first species whose rate is not finite.
    point
        Index (within the chunk) of the first such point.
    count
        Number of the chunk's points where that rate is not finite.
    time
        Time [s].
    value
        The rate's value there (``nan``, ``inf`` or ``-inf``).
    state, inputs
        The point's species values and stimulus inputs (by name).
    """

    def __init__(
        self,
        species: int,
        point: int,
        count: int,
        time: float,
        value: float,
        state: dict[str, float],
        inputs: dict[str, float],
    ) -> None:
        self.species, self.point, self.count = species, point, count
        self.time, self.value = time, value
        self.state, self.inputs = state, inputs
        names = list(state)
        super().__init__(f"the rate of species {names[species]!r} is {value} at t = {time:.6g} s")


class _NewtonFailure(Exception):
    pass


class ChunkIntegrator:
    """Integrate one chunk of points across segments, stopping at requested times.

    Parameters
    ----------
    system
        The compiled ODE system.
    lu
        Symbolic LU for the pattern of ``I − hγJ``.
    y0
        Initial states, shape ``(S, P)`` (species-major).
    segments
        Consecutive segments covering ``[0, t_end]``.
    stimulus
        Input values during sessions, each an array ``(P,)``; zero outside sessions. A
        sequence of such mappings gives one stimulus per ``Segment.stimulus_index``.
    rtol, atol
        Relative and absolute tolerances (``atol`` scalar or per species ``(S,)``).
    max_step
        Largest step [s].
    kernels
        Compiled kernels of ``system`` (:func:`~._kernels.kernels_for`); ``None`` runs the
        numpy back end.
    """

    def __init__(
        self,
        system: CompiledSystem,
        lu: SparseLU,
        y0: FloatArray,
        segments: Sequence[Segment],
        stimulus: Mapping[str, FloatArray] | Sequence[Mapping[str, FloatArray]],
        *,
        rtol: float,
        atol: FloatArray,
        max_step: float,
        kernels: Kernels | None = None,
    ) -> None:
        self.system = system
        self.lu = lu
        self.segments = list(segments)
        self.rtol = rtol
        self.atol = atol.reshape(-1, 1)
        self.max_step = max_step
        self.stats = SolverStats(n_chunks=1)
        n_species, n_points = y0.shape
        self.n_species, self.n_points = n_species, n_points
        self._atol_vector = np.broadcast_to(
            np.asarray(atol, dtype=np.float64).reshape(-1), (n_species,)
        ).copy()
        self._stimuli = [stimulus] if isinstance(stimulus, Mapping) else list(stimulus)
        self._kernels = kernels
        self._dense_inverse: FloatArray | None = None
        self._eta = 1.0
        self._history_valid = False
        self._stop = math.inf
        self.newton_tolerance = max(10 * np.finfo(float).eps / rtol, min(0.03, rtol**0.5))
        if kernels is None:
            self._allocate_numpy()
            y = y0.copy()
        else:
            y = self._allocate_compiled(kernels, y0)
        # Current step state.
        self.t = self.segments[0].start
        self.y = y
        self.f = np.empty(self.shape)
        self.t_previous = self.t
        self.y_previous = self.y.copy()
        self.f_previous = np.empty(self.shape)
        self.f_step_end = np.empty(self.shape)
        self.segment_index = 0
        self.h = 0.0
        self._factored_h = math.nan
        self._jacobian_fresh = False
        self._start_segment()
        self.f_previous[...] = self.f
        self.f_step_end[...] = self.f

    def _prepare_all(self, n_points: int, padded: int) -> None:
        system = self.system
        # numpy scalars, not Python floats: a rate that divides by an input that is zero
        # outside the sessions gives inf (reported by _check_rates), not ZeroDivisionError
        zeros = {name: np.float64(0.0) for name in system.input_names}
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            self._prepared_off = system.prepare(zeros)
            self._prepared_on = [
                system.prepare(
                    {name: _pad(one[name], n_points, padded) for name in system.input_names}
                )
                for one in self._stimuli
            ]

    def _allocate_numpy(self) -> None:
        """Buffers of the numpy back end: species-major ``(S, P)``."""
        system, lu = self.system, self.lu
        n_species, n_points = self.n_species, self.n_points
        self.shape: tuple[int, ...] = (n_species, n_points)
        self._prepare_all(n_points, n_points)
        self._jacobian_map = np.array(
            [
                lu.position[(int(i), int(j))]
                for i, j in zip(system.jacobian_rows, system.jacobian_cols, strict=True)
            ],
            dtype=np.intp,
        )
        self._jacobian_values = np.empty((system.n_jacobian_entries, n_points))
        self._jacobian_lu_layout = np.zeros((lu.nnz, n_points))
        self._lu_values = np.empty((lu.nnz, n_points))
        self._inverse_pivots = np.empty((n_species, n_points))
        self._stages: FloatArray = np.empty((4, n_species, n_points))
        self._work = tuple(np.empty((n_species, n_points)) for _ in range(5))
        self._inverse_scale = np.empty((n_species, n_points))
        self._scratch = np.empty(n_points)
        # The last step's Hermite data, stacked (y₀, f₀, y₁, f₁), and the stage predictors
        # built from it with one matrix product per attempt.
        self._history = np.empty((4, n_species, n_points))
        self._predictors = np.empty((3, n_species, n_points))

    def _allocate_compiled(self, kernels: Kernels, y0: FloatArray) -> FloatArray:
        """Buffers of the compiled back end: blocks of :data:`~._kernels.LANES` points,
        ``(B, rows, LANES)``; the last block is padded with copies of the last point (they
        follow its trajectory exactly, so they change no decision). Returns the blocked
        initial state."""
        system = self.system
        n_species, n_points = self.n_species, self.n_points
        blocks = -(-n_points // LANES)
        padded = blocks * LANES
        self.shape = (blocks, n_species, LANES)
        self._prepare_all(n_points, padded)
        rows = work_rows(n_species)
        self._rows = rows
        self._packed_off = self._pack(kernels, self._prepared_off, padded)
        self._packed_on = [self._pack(kernels, one, padded) for one in self._prepared_on]
        self._jacobian_values = np.empty((blocks, system.n_jacobian_entries, LANES))
        self._factor_values = np.empty((blocks, kernels.n_lu + n_species, LANES))
        self._block_work = np.empty((blocks, rows["total"], LANES))
        stages = self._block_work[:, : 4 * n_species].reshape(blocks, 4, n_species, LANES)
        self._stages = np.asarray(stages.transpose(1, 0, 2, 3), dtype=np.float64)
        self._atol_rows = np.repeat(self._atol_vector, LANES)
        return _to_blocks(_pad(y0, n_points, padded), LANES)

    def _pack(
        self, kernels: Kernels, prepared: tuple[Env, Env], padded: int
    ) -> tuple[FloatArray, FloatArray]:
        return (
            _to_blocks(kernels_pack(prepared[0], kernels.rhs_prepared, padded), LANES),
            _to_blocks(kernels_pack(prepared[1], kernels.jacobian_prepared, padded), LANES),
        )

    def _species_major(self, values: FloatArray) -> FloatArray:
        """``values`` in this chunk's layout as ``(S, P)``."""
        if values.ndim == 2:
            return values
        return values.transpose(1, 0, 2).reshape(self.n_species, -1)[:, : self.n_points]

    def _switch_to_numpy(self) -> None:
        """Continue with the numpy back end (which has the dense fallback), from the same
        state, Hermite data and Jacobian: the integration goes on unchanged."""
        keep = [self.y, self.f, self.y_previous, self.f_previous, self.f_step_end]
        jacobian = self._jacobian_values
        self._kernels = None
        self._allocate_numpy()
        self.y, self.f, self.y_previous, self.f_previous = (
            np.ascontiguousarray(self._species_major(a)) for a in keep[:4]
        )
        self.f_step_end = (
            self.f if keep[4] is keep[1] else np.ascontiguousarray(self._species_major(keep[4]))
        )
        for row, values in enumerate((self.y_previous, self.f_previous, self.y, self.f_step_end)):
            self._history[row] = values
        self._jacobian_values[...] = jacobian.transpose(1, 0, 2).reshape(jacobian.shape[1], -1)[
            :, : self.n_points
        ]
        self._jacobian_lu_layout[self._jacobian_map] = self._jacobian_values
        self._factored_h = math.nan

    # -- public -------------------------------------------------------------------------
    def advance_to(self, time: float) -> FloatArray:
        """Integrate until ``time`` is reached and return the state there, shape ``(S, P)``."""
        end = self.segments[-1].end
        if time > end * (1 + 1e-12) + 1e-12:
            raise ValueError(f"time {time} beyond the end of the integration {end}")
        while self.t < time and not self._at_end():
            self._step()
        if time >= self.t:
            return np.array(self._species_major(self.y))
        return np.asarray(self._species_major(self._interpolate(time)))

    def advance_into(self, time: float, out: FloatArray, *, exact: bool = False) -> None:
        """:meth:`advance_to` ``time``, writing the state into ``out`` ``(S, P)``.

        ``exact``: the last step ends on ``time`` (an operator-splitting step ends there),
        so the state is the integrator's own, not an interpolation.
        """
        end = self.segments[-1].end
        if time > end * (1 + 1e-12) + 1e-12:
            raise ValueError(f"time {time} beyond the end of the integration {end}")
        self._stop = time if exact else math.inf
        try:
            while self.t < time and not self._at_end():
                self._step()
        finally:
            self._stop = math.inf
        if time >= self.t:
            out[...] = self._species_major(self.y)
        elif self._kernels is None:
            out[...] = self._interpolate(time)
        else:
            from tissue_sim.biology._compiled import hermite_to_points

            hermite_to_points(
                self._hermite_weights(time),
                self.y_previous,
                self.f_previous,
                self.y,
                self.f_step_end,
                out,
            )

    def restart(self, values: FloatArray) -> None:
        """Go on from the states ``values`` ``(S, P)`` at the current time (an operator
        splitting step changed them): the right-hand side is re-evaluated and the Hermite
        history dropped; the step size and the Jacobian are kept."""
        if self._kernels is None:
            self.y = np.array(values, dtype=np.float64)
        else:
            padded = self.shape[0] * LANES
            self.y = _to_blocks(_pad(np.asarray(values), self.n_points, padded), LANES)
        self.f = self._rhs(self.y, np.empty(self.shape))
        self.f_step_end = self.f
        self._history_valid = False

    # -- segments -----------------------------------------------------------------------
    def _at_end(self) -> bool:
        return self.segment_index >= len(self.segments) - 1 and self.t >= self.segments[-1].end

    def _prepared(self) -> tuple[Env, Env]:
        segment = self.segments[self.segment_index]
        if segment.stimulus_on:
            return self._prepared_on[segment.stimulus_index]
        return self._prepared_off

    def _packed(self) -> tuple[FloatArray, FloatArray]:
        segment = self.segments[self.segment_index]
        if segment.stimulus_on:
            return self._packed_on[segment.stimulus_index]
        return self._packed_off

    def _start_segment(self) -> None:
        self._history_valid = False
        self.f = self._rhs(self.y, np.empty(self.shape))
        self._check_rates(self.y, self.f)
        self._update_jacobian()
        segment = self.segments[self.segment_index]
        self.h = min(self._initial_step(), segment.end - segment.start, self.max_step)

    def _initial_step(self) -> float:
        """Starting step from the norms of y, f and a finite-difference f' (Hairer I, II.4)."""
        scale = self.atol + self.rtol * np.abs(self.y)
        d0 = _max_rms(self.y / scale)
        d1 = _max_rms(self.f / scale)
        h0 = 1e-6 if d0 < 1e-5 or d1 < 1e-5 else 0.01 * d0 / d1
        segment = self.segments[self.segment_index]
        h0 = min(h0, segment.end - segment.start)
        y1 = self.y + h0 * self.f
        f1 = np.empty(self.shape)
        self._rhs(y1, f1)
        d2 = _max_rms((f1 - self.f) / scale) / h0
        if d1 <= 1e-15 and d2 <= 1e-15:
            h1 = max(1e-6, h0 * 1e-3)
            if d1 == 0.0 and d2 == 0.0:
                h1 = segment.end - segment.start
        else:
            h1 = (0.01 / max(d1, d2)) ** (1.0 / 3.0)
        return min(100 * h0, h1)

    def _check_rates(self, y: FloatArray, f: FloatArray) -> None:
        """Raise :class:`NonFiniteRate` if a rate ``f`` at the states ``y`` is NaN or
        infinite (a division by zero, a logarithm of zero…): the integration cannot go on
        and the step-size control would only report a collapsing step."""
        if np.isfinite(f).all():
            return
        rates = self._species_major(f)
        states = self._species_major(y)
        bad = ~np.isfinite(rates)
        species = int(np.flatnonzero(bad.any(axis=1))[0])
        point = int(np.flatnonzero(bad[species])[0])
        segment = self.segments[self.segment_index]
        stimulus = self._stimuli[segment.stimulus_index] if segment.stimulus_on else None
        inputs = {
            name: float(np.asarray(stimulus[name])[point]) if stimulus is not None else 0.0
            for name in self.system.input_names
        }
        raise NonFiniteRate(
            species,
            point,
            int(np.count_nonzero(bad[species])),
            float(self.t),
            float(rates[species, point]),
            {
                name: float(states[index, point])
                for index, name in enumerate(self.system.species_names)
            },
            inputs,
        )

    def _probe_rates(self) -> None:
        """After the step size collapsed: the rates at the current state and at states
        just ahead of it along ``f`` (where the Newton iterates went), checked by
        :meth:`_check_rates` (raises :class:`NonFiniteRate` naming the species)."""
        f = self._rhs(self.y, np.empty(self.shape))
        self._check_rates(self.y, f)
        reach = max(self.t - self.t_previous, 1.0)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            for step in np.geomspace(1e-9 * reach, reach, 10):
                trial = self.y + step * f
                self._check_rates(trial, self._rhs(trial, np.empty(self.shape)))

    # -- evaluations --------------------------------------------------------------------
    def _rhs(self, y: FloatArray, out: FloatArray) -> FloatArray:
        self.stats.n_rhs += 1
        if self._kernels is not None:
            kernels = self._kernels
            kernels.module.rhs_all(
                _flat(np.ascontiguousarray(y)),
                _flat(self._packed()[0]),
                kernels.rhs_constants,
                _flat(out),
            )
            return out
        return self.system.rhs_into(self._prepared()[0], y, out)

    def _update_jacobian(self) -> None:
        self.stats.n_jacobian += 1
        if self._kernels is not None:
            kernels = self._kernels
            kernels.module.jacobian_all(
                _flat(self.y),
                _flat(self._packed()[1]),
                kernels.jacobian_constants,
                _flat(self._jacobian_values),
            )
        else:
            self.system.jacobian_into(self._prepared()[1], self.y, self._jacobian_values)
            self._jacobian_lu_layout[self._jacobian_map] = self._jacobian_values
        self._jacobian_fresh = True
        self._factored_h = math.nan

    def _factor(self, h: float) -> None:
        self.stats.n_factorizations += 1
        if self._kernels is not None:
            ok = bool(
                self._kernels.module.factor_all(
                    _flat(self._jacobian_values), -h * _GAMMA, _flat(self._factor_values)
                )
            )
            self._factored_h = h
            if ok:
                return
            # a pivot near zero: the numpy back end continues, with its dense fallback
            self._switch_to_numpy()
        values = self._lu_values
        np.multiply(self._jacobian_lu_layout, -h * _GAMMA, out=values)
        values[self.lu.diagonal] += 1.0
        self._inverse_pivots, ok = self.lu.factor(values)
        self._dense_inverse = None
        if not ok:
            self.stats.n_dense_fallbacks += 1
            n_species, n_points = self.shape
            dense = np.zeros((n_points, n_species, n_species))
            dense[:, np.arange(n_species), np.arange(n_species)] = 1.0
            dense[:, self.system.jacobian_rows, self.system.jacobian_cols] -= (
                h * _GAMMA * self._jacobian_values.T
            )
            try:
                self._dense_inverse = np.asarray(np.linalg.inv(dense), dtype=np.float64)
            except np.linalg.LinAlgError:
                raise SolverError(
                    "the Newton matrix I − hγJ of the cell model is singular at some point"
                ) from None
        self._factored_h = h

    def _solve(self, rhs: FloatArray) -> FloatArray:
        if self._dense_inverse is not None:
            rhs[...] = np.einsum("pij,jp->ip", self._dense_inverse, rhs)
            return rhs
        return self.lu.solve(self._lu_values, self._inverse_pivots, rhs, self._scratch)

    # -- one step -----------------------------------------------------------------------
    def _step(self) -> None:
        segment = self.segments[self.segment_index]
        end = min(segment.end, self._stop)
        while True:
            remaining = end - self.t
            h = min(self.h, self.max_step)
            if h >= remaining or self.t + 1.05 * h >= end:
                h = remaining
            if h <= 1e-10 * max(1.0, abs(self.t)):
                self._probe_rates()  # rates that are not finite just ahead: say which
                raise SolverError(
                    f"cell-model step size fell to {h:.3g} s at t = {self.t:.6g} s; the "
                    "model may be ill-posed (negative or exploding concentrations)"
                )
            if h != self._factored_h:
                self._factor(h)
            try:
                y_new, error = self._attempt(h)
            except _NewtonFailure:
                self.stats.n_newton_failures += 1
                if not self._jacobian_fresh:
                    self._update_jacobian()
                else:
                    self.h = 0.5 * h
                continue
            factor = _SAFETY * error**_ERROR_EXPONENT if error > 0.0 else _MAX_FACTOR
            if error > 1.0:
                self.stats.n_rejected += 1
                self.h = h * max(_MIN_FACTOR, min(0.9, factor))
                continue
            self._accept(h, y_new)
            if factor > _KEEP_STEP_BELOW:
                self.h = h * min(_MAX_FACTOR, factor)
            elif factor < 1.0:
                self.h = h * max(_MIN_FACTOR, factor)
            else:
                self.h = h
            return

    def _accept(self, h: float, y_new: FloatArray) -> None:
        self.stats.n_steps += 1
        self.t_previous = self.t
        self.y_previous, self.y = self.y, y_new
        self.f_previous, self.f = self.f, self._stages[3].copy()
        self.f_step_end = self.f
        segment = self.segments[self.segment_index]
        self.t = self.t + h
        self._jacobian_fresh = False
        self._history_valid = True
        if self._kernels is None:  # the compiled attempt reads the four arrays themselves
            for row, values in enumerate(
                (self.y_previous, self.f_previous, self.y, self.f_step_end)
            ):
                self._history[row] = values
        if self.t >= segment.end - 1e-9 * max(1.0, abs(segment.end)):
            self.t = segment.end
            if self.segment_index < len(self.segments) - 1:
                self.segment_index += 1
                self._start_segment()
        elif self.t >= self._stop - 1e-9 * max(1.0, abs(self._stop)):
            self.t = self._stop

    def _attempt(self, h: float) -> tuple[FloatArray, float]:
        if self._kernels is not None:
            return self._attempt_compiled(h)
        stages = self._stages
        base, z, f_z, delta, scaled = self._work
        stages[0] = self.f
        self._eta = max(self._eta, 1e-16) ** 0.8
        hg = h * _GAMMA
        inverse_scale = self._inverse_scale
        np.abs(self.y, out=inverse_scale)
        inverse_scale *= self.rtol
        inverse_scale += self.atol
        np.divide(1.0, inverse_scale, out=inverse_scale)
        n_values = base.size
        stage_rows = stages.reshape(4, n_values)
        if self._history_valid:
            coefficients = self._hermite_coefficients(self.t + ESDIRK_C[1:] * h)
            np.dot(
                coefficients,
                self._history.reshape(4, n_values),
                out=self._predictors.reshape(3, n_values),
            )
        for i in range(1, 4):
            np.dot(h * ESDIRK_A[i, :i], stage_rows[:i], out=base.reshape(n_values))
            base += self.y
            if self._history_valid:
                z[...] = self._predictors[i - 1]
            else:
                np.multiply(stages[i - 1], hg, out=z)
                z += base
            eta = self._eta
            previous_norm = math.inf
            converged = False
            for iteration in range(_NEWTON_MAX_ITERATIONS):
                self._rhs(z, f_z)
                np.multiply(f_z, hg, out=delta)
                delta += base
                delta -= z
                self._solve(delta)
                np.multiply(delta, inverse_scale, out=scaled)
                norm = _max_rms(scaled)
                if iteration > 0:
                    rate = norm / previous_norm
                    if rate >= 1.0 or (
                        rate ** (_NEWTON_MAX_ITERATIONS - iteration) / (1.0 - rate) * norm
                        > self.newton_tolerance
                    ):
                        raise _NewtonFailure
                    eta = rate / (1.0 - rate)
                z += delta
                if norm == 0.0 or eta * norm < self.newton_tolerance:
                    converged = True
                    break
                previous_norm = norm
            if not converged or not math.isfinite(norm):
                raise _NewtonFailure
            self._eta = eta
            np.subtract(z, base, out=stages[i])
            stages[i] *= 1.0 / hg
        y_new = z.copy()
        error = delta
        np.dot(h * _ERROR_WEIGHTS, stage_rows, out=error.reshape(n_values))
        self._solve(error)
        np.abs(self.y, out=scaled)
        np.abs(y_new, out=base)
        np.maximum(scaled, base, out=scaled)
        scaled *= self.rtol
        scaled += self.atol
        np.divide(error, scaled, out=scaled)
        return y_new, _max_rms(scaled)

    def _attempt_compiled(self, h: float) -> tuple[FloatArray, float]:
        """:meth:`_attempt` by the compiled kernel (same decisions and operations)."""
        assert self._kernels is not None
        kernels = self._kernels
        self._eta = max(self._eta, 1e-16) ** 0.8
        if self._history_valid:
            coefficients = self._hermite_coefficients(self.t + ESDIRK_C[1:] * h)
        else:
            coefficients = np.zeros((3, 4))
        failed, error, eta, n_rhs = kernels.module.attempt(
            h * _GAMMA,
            h * ESDIRK_A,
            h * _ERROR_WEIGHTS,
            self._history_valid,
            coefficients,
            _flat(self.y),
            _flat(self.f),
            _flat(self.y_previous),
            _flat(self.f_previous),
            _flat(self.y),
            _flat(self.f_step_end),
            _flat(self._block_work),
            _flat(self._packed()[0]),
            kernels.rhs_constants,
            _flat(self._factor_values),
            self.rtol,
            self._atol_rows,
            self._eta,
            self.newton_tolerance,
            _NEWTON_MAX_ITERATIONS,
        )
        self.stats.n_rhs += int(n_rhs)
        self._eta = float(eta)
        if failed:
            raise _NewtonFailure
        z = self._rows["z"]
        return self._block_work[:, z : z + self.n_species].copy(), float(error)

    def _hermite_coefficients(self, times: FloatArray) -> FloatArray:
        """Weights of (y₀, f₀, y₁, f₁) of the last step's cubic Hermite polynomial at
        ``times`` (beyond its end: the stage predictors), shape ``(len(times), 4)``."""
        return np.array([self._hermite_weights(float(time)) for time in times])

    def _hermite_weights(self, time: float) -> tuple[float, float, float, float]:
        """Weights of (y₀, f₀, y₁, f₁) of the last step's cubic Hermite polynomial."""
        h = self.t - self.t_previous
        theta = (time - self.t_previous) / h
        rest = 1.0 - theta
        h00 = (1.0 + 2.0 * theta) * (rest * rest)
        h10 = theta * (rest * rest)
        h01 = (theta * theta) * (3.0 - 2.0 * theta)
        h11 = (theta * theta) * (theta - 1.0)
        return h00, h10 * h, h01, h11 * h

    def _interpolate(self, time: float) -> FloatArray:
        c0, c1, c2, c3 = self._hermite_weights(time)
        return c0 * self.y_previous + c1 * self.f_previous + c2 * self.y + c3 * self.f_step_end


def _max_rms(scaled: FloatArray) -> float:
    """Largest per-point root-mean-square over species (axis -2); overwrites ``scaled``."""
    if scaled.size == 0:
        return 0.0
    np.square(scaled, out=scaled)
    value = math.sqrt(float(np.max(np.add.reduce(scaled, axis=-2))) / scaled.shape[-2])
    return value if math.isfinite(value) else math.inf


def _flat(values: FloatArray) -> FloatArray:
    """A blocked array ``(B, rows, LANES)`` as the ``(B, rows · LANES)`` view the kernels
    take."""
    return values.reshape(values.shape[0], -1)


def _pad(values: FloatArray | float, n_points: int, padded: int) -> FloatArray | float:
    """Values of ``n_points`` points along the last axis, padded to ``padded`` with copies
    of the last point (scalars unchanged)."""
    array = np.asarray(values, dtype=np.float64)
    if array.ndim == 0 or padded == n_points:
        return values
    extra = np.repeat(array[..., -1:], padded - n_points, axis=-1)
    return np.concatenate([array, extra], axis=-1)


def _to_blocks(values: FloatArray | float, lanes: int) -> FloatArray:
    """``(rows, B · lanes)`` species-major values as ``(B, rows, lanes)`` blocks."""
    array = np.asarray(values, dtype=np.float64)
    rows = array.shape[0]
    # the block count from the columns, not ``-1``: a model whose Jacobian reads no
    # prepared value packs ``(0, B · lanes)``, which ``reshape(0, -1, lanes)`` rejects
    blocks = array.shape[-1] // lanes
    return np.ascontiguousarray(array.reshape(rows, blocks, lanes).transpose(1, 0, 2))
