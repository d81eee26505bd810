"""Run a cell model at every material point over a treatment course.

Inside a session every model input equals its stimulus feature value at that point;
outside sessions it is 0. The time line is cut into segments at every session start and
end, so integrator steps land exactly on these discontinuities. Points are integrated in
chunks (default 8192 points) by :class:`~tissue_sim.biology._integrator.ChunkIntegrator`;
all chunks advance together from one output time to the next, so per-group summaries are
computed on the fly and the full ``(T, P, S)`` history is never stored.
"""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from tissue_sim.biology._diffusion import (
    CellGraph,
    Diffusion,
    cell_graph,
    check_diffusion_mesh,
    file_diffusivities,
    model_diffusivities,
)
from tissue_sim.biology._distinct import (
    Distinct,
    StandIns,
    canonical_features,
    distinct_rows,
    identity_rows,
    point_keys,
    stand_ins,
)
from tissue_sim.biology._integrator import ChunkIntegrator, NonFiniteRate, Segment, SolverStats
from tissue_sim.biology._kernels import Kernels, kernels_for, numba_available
from tissue_sim.biology._sparse_lu import SparseLU
from tissue_sim.biology._summaries import GroupSummarizer
from tissue_sim.biology.model import CellModel
from tissue_sim.errors import InputError, SolverError

if TYPE_CHECKING:
    from tissue_sim.biology._compiled import CompiledSummarizer

__all__ = [
    "SUMMARY_STATISTICS",
    "BiologyResult",
    "check_diffusion_mesh",
    "diffusion_cells",
    "file_diffusivities",
    "session_segments",
    "simulate",
    "species_diffusion",
]

FloatArray = npt.NDArray[np.float64]

#: Default longest operator-splitting step [s] with diffusion. Assumption: 15 min, below
#: the half-life of the soluble cytokines that spread (IL-6 23 min, TNF-α 30 min; FACTS §8);
#: the splitting is second order in it (tests/biology/test_bio_diffusion.py). Measured on
#: a 0.25-mm grid of 1600 cells (IL-6 diffusing at 5.2e-8 cm²/s from a 4-mm loaded patch,
#: default models, 2 days, rtol 1e-6): halving it to 450 s changes IL-6 by at most 2.9e-4
#: (relative to healthy) where the diffusion itself moves it by 1.5e-2; lower it (the
#: ``diffusion_step`` argument) when that matters.
DIFFUSION_STEP = 900.0

#: Order of the last axis of :attr:`BiologyResult.summaries`.
SUMMARY_STATISTICS: tuple[str, str, str] = ("mean", "p10", "p90")


@dataclass
class BiologyResult:
    """Result of :func:`simulate`.

    Attributes
    ----------
    time
        Summary times ``(T,)`` [s].
    summaries
        ``{species: array (T, G, 3)}``: weighted mean, 10th and 90th weighted percentile
        (see :data:`SUMMARY_STATISTICS`) per group.
    group_labels
        The group label of each of the ``G`` summary groups (sorted).
    field_times
        Times ``(K,)`` [s] of the stored full fields.
    fields
        States at ``field_times``, shape ``(K, P, S)``.
    final_state
        State at ``t_end``, shape ``(P, S)``.
    species
        Species names (order of the last axis of ``fields``).
    units
        Unit of each species.
    stats
        Integrator counters (steps, rejections, evaluations, factorisations).
    control_summaries
        With ``control=True``: the untreated course (no sessions), summarised like
        ``summaries`` (same shapes); else ``None``.
    control_fields
        With ``control=True``: untreated states at ``field_times``, ``(K, P, S)``.
    control_final_state
        With ``control=True``: untreated state at ``t_end``, ``(P, S)``.
    n_points
        Number of points ``P``.
    n_distinct
        Distinct treated points (integrated once each).
    n_integrated
        Points actually integrated: the distinct treated points plus the untreated ones
        that no treated point shares.
    """

    time: FloatArray
    summaries: dict[str, FloatArray]
    group_labels: npt.NDArray[np.int64]
    field_times: FloatArray
    fields: FloatArray
    final_state: FloatArray
    species: tuple[str, ...]
    units: tuple[str, ...]
    stats: SolverStats = field(default_factory=SolverStats)
    control_summaries: dict[str, FloatArray] | None = None
    control_fields: FloatArray | None = None
    control_final_state: FloatArray | None = None
    n_points: int = 0
    n_distinct: int = 0
    n_integrated: int = 0


def session_segments(
    session_intervals: npt.ArrayLike | Sequence[npt.ArrayLike], t_end: float
) -> list[Segment]:
    """Cut ``[0, t_end]`` [s] into segments with the stimulus on (in a session) or off.

    Parameters
    ----------
    session_intervals
        Shape ``(N, 2)``: start and end of each session [s], sorted, not overlapping. Or a
        sequence of such arrays, one per stimulus (e.g. per technique of a session): the
        segments then carry the index of the stimulus that is on.
    t_end
        End of the simulation [s].
    """
    if isinstance(session_intervals, list | tuple) and (
        len(session_intervals) == 0 or np.ndim(session_intervals[0]) == 2
    ):
        per_stimulus = [np.asarray(i, dtype=np.float64).reshape(-1, 2) for i in session_intervals]
    else:
        per_stimulus = [np.asarray(session_intervals, dtype=np.float64).reshape(-1, 2)]
    labelled = [
        (float(start), float(end), index)
        for index, intervals in enumerate(per_stimulus)
        for start, end in intervals
    ]
    labelled.sort()
    intervals = np.array([(a, b) for a, b, _ in labelled], dtype=np.float64).reshape(-1, 2)
    if not np.all(np.isfinite(intervals)):
        raise InputError("session intervals must be finite times")
    if np.any(intervals[:, 1] <= intervals[:, 0]):
        raise InputError("every session must end after it starts")
    if np.any(intervals[1:, 0] < intervals[:-1, 1]):
        raise InputError("sessions must be sorted and must not overlap")
    if intervals.size and (intervals[0, 0] < 0.0 or intervals[-1, 1] > t_end):
        raise InputError(f"sessions must lie within [0, {t_end:g}] s")
    segments: list[Segment] = []
    time = 0.0
    for start, end, index in labelled:
        if start > time:
            segments.append(Segment(time, start, False))
        segments.append(Segment(start, end, True, index))
        time = end
    if time < t_end:
        segments.append(Segment(time, float(t_end), False))
    return segments


def simulate(
    model: CellModel,
    stimulus: Mapping[str, npt.ArrayLike] | Sequence[Mapping[str, npt.ArrayLike]],
    session_intervals: npt.ArrayLike | Sequence[npt.ArrayLike],
    t_end: float,
    *,
    initial_state: str | npt.ArrayLike = "healthy",
    summary_times: npt.ArrayLike | None = None,
    field_times: npt.ArrayLike | None = None,
    groups: npt.ArrayLike | None = None,
    weights: npt.ArrayLike | None = None,
    rtol: float = 1e-5,
    atol: float | Mapping[str, float] = 1e-8,
    max_step: float = np.inf,
    chunk_size: int | None = None,
    threads: int | None = None,
    control: bool = False,
    deduplicate: bool = True,
    engine: str = "auto",
    cells: CellGraph | None = None,
    diffusivity: Mapping[str, float] | None = None,
    diffusion_step: float = DIFFUSION_STEP,
) -> BiologyResult:
    """Integrate the cell model at every point over a treatment course.

    Parameters
    ----------
    model
        The composed cell model (:func:`~tissue_sim.biology.load_model`).
    stimulus
        Feature name → values ``(P,)`` (or a scalar for all points); must hold every name
        in ``model.inputs`` (others are ignored). A sequence of such mappings gives one
        stimulus per technique of a session, paired with ``session_intervals``.
    session_intervals
        ``(N, 2)`` session start and end times [s]; or, with several stimuli, a sequence
        of ``(N_s, 2)`` arrays saying when each one is on.
    t_end
        End time [s].
    initial_state
        A preset name, a state ``(S,)`` for every point, or states ``(P, S)``.
    summary_times
        Times ``(T,)`` [s] of the per-group summaries; default every hour and ``t_end``.
    field_times
        Times ``(K,)`` [s] at which full fields are kept; default none.
    groups
        Integer group (layer) label per point ``(P,)``; default one group.
    weights
        Volume weight per point ``(P,)``; default 1.
    rtol, atol
        Relative and absolute tolerances of the local error (``atol`` may map species
        names to values; missing species use 1e-8).
    max_step
        Largest integrator step [s].
    chunk_size
        Points per chunk: they share one step size, and a chunk's work arrays should stay
        in cache. Default 1024 with the compiled engine, 4096 with numpy.
    threads
        Worker threads that advance the chunks; the calling thread computes the summaries
        of one output time while the workers advance to the next. Default 1; 0 runs
        everything in the calling thread. More than one worker was slower in measurements
        (the per-point arrays are small, so the GIL dominates).
    control
        Also integrate the untreated course (no sessions: every input zero throughout)
        from the same initial states, returned as ``control_summaries``,
        ``control_fields`` and ``control_final_state``. The treated results do not
        depend on this flag.
    deduplicate
        Integrate bit-for-bit identical points (same initial state, same features) once
        (see the module docstring), after setting to 0 the features that have no effect
        at a point (those the rates no longer read once the point's zero features are
        substituted: the cycle frequency where the strain is 0;
        :func:`~._distinct.canonical_features`). ``False`` integrates every point with
        its features as given.
    engine
        ``"compiled"``: the numba kernels of :mod:`._kernels` (generated from the model,
        compiled once per machine and model structure, then cached); ``"numpy"``: numpy
        passes over the chunk; ``"auto"`` (default): compiled when numba is installed and
        at least :data:`COMPILE_FROM_POINTS` points are integrated (the environment variable
        ``TISSUE_SIM_BIOLOGY_ENGINE`` may name the engine ``"auto"`` picks). Both make the
        same decisions with the same floating-point operations: results agree to
        round-off.
    cells
        The finite-volume geometry of the points (:func:`~._diffusion.cell_graph` of the
        mesh cells). With it, the species that diffuse spread between the points (see
        below); without it every point is an isolated system.
    diffusivity
        ``{species: D}`` [m²/s]; default the ``diffusion`` entries of the model files.
        Species not named do not diffuse; with no positive ``D`` the course is the same as
        without ``cells``.
    diffusion_step
        Longest operator-splitting step [s] when species diffuse.

    Notes
    -----
    Diffusion (:mod:`._diffusion`) is coupled to the reactions by Strang splitting: over
    every step ``[t, t + Δt]`` (cut at session starts and ends and at the output times,
    at most ``diffusion_step`` long) half a step of diffusion (Crank–Nicolson), the full
    step of the batched stiff reaction integrator from the diffused state, and the other
    half of diffusion; second order in ``Δt``. Coupled points are not deduplicated (their
    neighbours differ); the untreated control still integrates once when its initial
    state is uniform (diffusion leaves a uniform field unchanged). Nothing corrects the
    mass after a diffusion step: it is conserved by the scheme up to the linear solves'
    tolerance, and a solve that does not converge raises
    :class:`~tissue_sim.errors.SolverError` naming the species and the time.

    Returns
    -------
    BiologyResult
    """
    if not np.isfinite(t_end) or t_end <= 0.0:
        raise InputError(f"t_end must be a positive time in seconds, got {t_end!r}")
    if not (0.0 < rtol < 1.0):
        raise InputError(f"rtol must lie in (0, 1), got {rtol!r}")
    if chunk_size is not None and chunk_size < 1:
        raise InputError("chunk_size must be at least 1")
    if engine not in ENGINES:
        raise InputError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    stimuli = [stimulus] if isinstance(stimulus, Mapping) else list(stimulus)
    if not stimuli:
        raise InputError("at least one stimulus is needed")
    if len(stimuli) > 1 and (
        not isinstance(session_intervals, list | tuple) or len(session_intervals) != len(stimuli)
    ):
        raise InputError("give one array of session intervals per stimulus")
    n_points = _count_points(stimuli[0], initial_state, groups, weights, model.n_species)
    per_stimulus = [_stimulus_arrays(model, one, n_points) for one in stimuli]
    if deduplicate:  # values without effect (where the strain is 0) set to 0: shared atoms
        read = model.system.inputs_read_when_zero
        per_stimulus = [canonical_features(read, one) for one in per_stimulus]
    y0 = _initial_states(model, initial_state, n_points)
    labels = _group_labels(groups, n_points)
    point_weights = _weights(weights, n_points)
    atol_vector = _atol_vector(model, atol)
    segments = session_segments(session_intervals, t_end)
    times = _times(summary_times, t_end, default_hourly=True)
    stored_times = _times(field_times, t_end, default_hourly=False)
    diffusion = _diffusion_operator(model, cells, diffusivity, n_points)
    if diffusion is not None and not (np.isfinite(diffusion_step) and diffusion_step > 0.0):
        raise InputError(f"diffusion_step must be a positive time, got {diffusion_step!r}")
    atoms = _Atoms.build(
        model, y0, per_stimulus, segments, control, deduplicate, coupled=diffusion is not None
    )
    lu = SparseLU(
        model.n_species,
        zip(model.system.jacobian_rows.tolist(), model.system.jacobian_cols.tolist(), strict=True),
    )
    kernels = _kernels(engine, model, lu, atoms.count)
    compiled = kernels is not None
    treated_summary = _PointSummary(
        atoms.treated_of_point, labels, point_weights, model, compiled=compiled
    )
    control_summary = (
        _PointSummary(atoms.control_of_point, labels, point_weights, model, compiled=compiled)
        if atoms.control_of_point is not None
        else None
    )
    if chunk_size is None:
        chunk_size = COMPILED_CHUNK if kernels is not None else NUMPY_CHUNK
    chunks = atoms.chunks(chunk_size)
    with _rates_named_by(model):
        integrators = [
            ChunkIntegrator(
                model.system,
                lu,
                np.ascontiguousarray(atoms.states[chunk].T),
                segments,
                [
                    {name: np.ascontiguousarray(values[chunk]) for name, values in features.items()}
                    for features in atoms.features
                ],
                rtol=rtol,
                atol=atol_vector,
                max_step=max_step,
                kernels=kernels,
            )
            for chunk in chunks
        ]
        stops = np.union1d(np.union1d(times, stored_times), [float(t_end)])
        n_groups = treated_summary.n_groups
        summaries = np.empty((times.size, n_groups, model.n_species, 3))
        fields = np.empty((stored_times.size, n_points, model.n_species))
        control_summaries = np.empty_like(summaries) if control_summary is not None else None
        control_fields = np.empty_like(fields) if control_summary is not None else None
        # states of the atoms, species-major (S, A): each chunk writes its own columns
        buffers = [np.empty((model.n_species, atoms.count)) for _ in range(2)]

        def record(stop: float, state: FloatArray) -> None:
            for index in np.flatnonzero(times == stop):
                summaries[index] = treated_summary.summarize(state)
                if control_summary is not None and control_summaries is not None:
                    control_summaries[index] = control_summary.summarize(state)
            for index in np.flatnonzero(stored_times == stop):
                fields[index] = state[:, atoms.treated_of_point].T
                if control_fields is not None and atoms.control_of_point is not None:
                    control_fields[index] = state[:, atoms.control_of_point].T

        def advance(members: list[int], stop: float, state: FloatArray) -> None:
            for member in members:
                integrators[member].advance_into(stop, state[:, chunks[member]])

        workers = min(threads if threads is not None else _default_threads(), len(chunks))
        everything = list(range(len(chunks)))
        if diffusion is not None:
            state = buffers[0]
            state[...] = atoms.states.T
            coupled = atoms.coupled_blocks()
            time = 0.0
            if 0.0 in stops:
                record(0.0, state)
            for stop in _split_stops(stops, segments, diffusion_step):
                half = 0.5 * (stop - time)
                for block in coupled:
                    diffusion.step(state[:, block].T, half, time=time)
                for member in everything:
                    integrators[member].restart(state[:, chunks[member]])
                    integrators[member].advance_into(stop, state[:, chunks[member]], exact=True)
                for block in coupled:
                    diffusion.step(state[:, block].T, half, time=time + half)
                time = stop
                if stop in stops:
                    record(stop, state)
        elif workers < 1:
            state = buffers[0]
            for stop in stops:
                advance(everything, float(stop), state)
                record(float(stop), state)
        else:
            shares = [everything[worker::workers] for worker in range(workers)]
            previous: tuple[float, FloatArray] | None = None
            with ThreadPoolExecutor(max_workers=workers) as pool:
                for step_index, stop in enumerate(stops):
                    state = buffers[step_index % 2]
                    futures = [pool.submit(advance, share, float(stop), state) for share in shares]
                    if previous is not None:
                        record(*previous)
                    for future in futures:
                        future.result()
                    previous = (float(stop), state)
            assert previous is not None
            record(*previous)
            state = previous[1]
    stats = SolverStats()
    for integrator in integrators:
        stats.add(integrator.stats)

    def by_species(table: FloatArray) -> dict[str, FloatArray]:
        return {
            name: np.ascontiguousarray(table[:, :, index, :])
            for index, name in enumerate(model.species_names)
        }

    return BiologyResult(
        time=times,
        summaries=by_species(summaries),
        group_labels=treated_summary.labels.astype(np.int64),
        field_times=stored_times,
        fields=fields,
        final_state=np.ascontiguousarray(state[:, atoms.treated_of_point].T),
        species=model.species_names,
        units=tuple(s.unit for s in model.species),
        stats=stats,
        control_summaries=by_species(control_summaries) if control_summaries is not None else None,
        control_fields=control_fields,
        control_final_state=np.ascontiguousarray(state[:, atoms.control_of_point].T)
        if atoms.control_of_point is not None
        else None,
        n_points=n_points,
        n_distinct=atoms.n_treated,
        n_integrated=atoms.count,
    )


@dataclass
class _Atoms:
    """The distinct points that are integrated, and the atom of every treated and untreated
    point. Treated atoms come first (in key order), then the untreated atoms that no
    treated atom shares, so the chunks of the treated atoms do not depend on ``control``."""

    states: FloatArray
    features: list[dict[str, FloatArray]]
    treated_of_point: npt.NDArray[np.intp]
    control_of_point: npt.NDArray[np.intp] | None
    n_treated: int
    coupled: bool = False

    @property
    def count(self) -> int:
        return int(self.states.shape[0])

    @classmethod
    def build(
        cls,
        model: CellModel,
        y0: FloatArray,
        per_stimulus: list[dict[str, FloatArray]],
        segments: Sequence[Segment],
        control: bool,
        deduplicate: bool,
        *,
        coupled: bool = False,
    ) -> _Atoms:
        """Atoms of the course. ``coupled`` (species diffuse): every treated point is its
        own atom, in point order; the control is one atom if its points are all alike (a
        uniform field does not diffuse), else again every point, after the treated ones."""
        used = sorted({s.stimulus_index for s in segments if s.stimulus_on})
        columns = [per_stimulus[i][name] for i in used for name in model.inputs]
        n_points = y0.shape[0]
        keys = point_keys(y0, columns)
        treated = distinct_rows(keys) if deduplicate and not coupled else identity_rows(n_points)
        states = y0[treated.first]
        features = [{name: v[treated.first] for name, v in one.items()} for one in per_stimulus]
        if not control:
            return cls(states, features, treated.inverse, None, treated.count, coupled)
        zero_keys = point_keys(y0, [np.zeros(n_points) for _ in columns])
        untreated = distinct_rows(zero_keys) if deduplicate else identity_rows(n_points)
        if coupled:
            if untreated.count != 1:
                untreated = identity_rows(n_points)
            shared = np.full(untreated.count, -1, dtype=np.intp)
        else:
            shared = _shared_atoms(keys[treated.first], zero_keys[untreated.first], deduplicate)
        new = np.flatnonzero(shared < 0)
        shared[new] = treated.count + np.arange(new.size)
        extra = untreated.first[new]
        states = np.concatenate([states, y0[extra]])
        features = [
            {name: np.concatenate([v, np.zeros(extra.size)]) for name, v in one.items()}
            for one in features
        ]
        return cls(
            states, features, treated.inverse, shared[untreated.inverse], treated.count, coupled
        )

    def coupled_blocks(self) -> list[slice]:
        """The atom ranges that are point fields coupled by diffusion (treated; control
        unless it is one uniform atom)."""
        if not self.coupled:
            return []
        n_points = self.treated_of_point.size
        blocks = [slice(0, n_points)]
        if self.count - self.n_treated == n_points and n_points > 1:
            blocks.append(slice(n_points, 2 * n_points))
        return blocks

    def chunks(self, size: int) -> list[slice]:
        """Chunks of at most ``size`` atoms; treated and untreated-only atoms apart."""
        parts = [(0, self.n_treated), (self.n_treated, self.count)]
        return [
            slice(start, min(start + size, end))
            for begin, end in parts
            for start in range(begin, end, size)
        ]


def _shared_atoms(
    treated_keys: FloatArray, untreated_keys: FloatArray, deduplicate: bool
) -> npt.NDArray[np.intp]:
    """For each untreated key, the treated atom with the same key (or -1)."""
    if not deduplicate:
        return np.full(untreated_keys.shape[0], -1, dtype=np.intp)
    both: Distinct = distinct_rows(np.concatenate([treated_keys, untreated_keys]))
    lookup = np.full(both.count, -1, dtype=np.intp)
    lookup[both.inverse[: treated_keys.shape[0]]] = np.arange(treated_keys.shape[0])
    return lookup[both.inverse[treated_keys.shape[0] :]]


class _PointSummary:
    """Per-group summaries of the points from the states of their atoms (stand-ins).

    A group whose weighted points all share one atom (e.g. the untreated control of a
    uniform initial state) is uniform: its mean and percentiles are that atom's state,
    taken directly.
    """

    def __init__(
        self,
        atom_of_point: npt.NDArray[np.intp],
        labels: npt.NDArray[np.intp],
        weights: FloatArray,
        model: CellModel,
        *,
        compiled: bool = False,
    ) -> None:
        self.stand_ins: StandIns = stand_ins(atom_of_point, labels, weights)
        ins = self.stand_ins
        self.summarizer = GroupSummarizer(ins.group, ins.weight, model.n_species)
        self.compiled: CompiledSummarizer | None = None
        if compiled:
            from tissue_sim.biology._compiled import CompiledSummarizer

            self.compiled = CompiledSummarizer(ins.atom, ins.group, ins.weight, model.n_species)
        self.labels = self.summarizer.labels
        self.n_groups = self.summarizer.n_groups
        self.uniform_atoms: npt.NDArray[np.intp] | None = None
        weighted = self.stand_ins.weight > 0.0
        atoms = []
        for label in self.labels:
            members = np.unique(self.stand_ins.atom[weighted & (self.stand_ins.group == label)])
            if members.size != 1:
                return
            atoms.append(int(members[0]))
        self.uniform_atoms = np.array(atoms, dtype=np.intp)

    def summarize(self, atom_states: FloatArray) -> FloatArray:
        """``(G, S, 3)`` summaries from the atom states, species-major ``(S, A)``."""
        if self.uniform_atoms is not None:
            return np.repeat(atom_states[:, self.uniform_atoms].T[:, :, None], 3, axis=2)
        if self.compiled is not None:
            result = self.compiled.summarize(atom_states)
            if result is not None:
                return result
            self.compiled = None  # a NaN: the numpy summariser orders it as numpy does
        return self.summarizer.summarize(atom_states[:, self.stand_ins.atom].T)


@contextmanager
def _rates_named_by(model: CellModel) -> Iterator[None]:
    """Turn a :class:`~._integrator.NonFiniteRate` of the integration into a
    :class:`~tissue_sim.errors.SolverError` naming the species, its model file and the
    line of its rate, the time and the point's state and inputs."""
    try:
        yield
    except NonFiniteRate as error:
        raise SolverError(_non_finite_message(model, error)) from None


def _non_finite_message(model: CellModel, error: NonFiniteRate) -> str:
    species = model.species[error.species]
    where = f"cell model {species.model!r}"
    for file in getattr(model, "_files", ()):
        if file.name == species.model and species.name in file.rates:
            where += f" ({file.path}:{file.rates[species.name][2]}, rates.{species.name})"
    values = ", ".join(f"{k} = {v:.6g}" for k, v in (error.inputs | error.state).items())
    return (
        f"{where}: the rate of species {species.name!r} is {error.value} at "
        f"t = {error.time:.6g} s (day {error.time / 86400.0:.3f}) at {error.count} point(s), "
        f"e.g. where {values}; a rate must stay finite at every state and input the course "
        "reaches (a division by zero or a logarithm of zero?)"
    )


def diffusion_cells(
    model: CellModel, points: npt.ArrayLike, cells: npt.ArrayLike, volumes: npt.ArrayLike
) -> CellGraph | None:
    """The ``cells`` argument of :func:`simulate` for a mesh, or ``None`` when no species
    of ``model`` diffuses (no ``diffusion`` entry with a positive D in its files: then the
    course is today's, and the mesh geometry is not even built).

    Parameters
    ----------
    model
        The composed cell model.
    points
        Vertex coordinates ``(N, 3)`` [m].
    cells
        Vertex indices of every cell (basix order, vertices only), ``(P, 4 or 8)``.
    volumes
        Cell volumes ``(P,)`` [m³] (the material points' weights).
    """
    if not file_diffusivities(model):
        return None
    return cell_graph(points, cells, volumes)


def species_diffusion(model: CellModel) -> list[tuple[str, str, float, str]]:
    """``(model file, species, D [m²/s], source)`` of every species of ``model`` whose
    file gives it a positive diffusivity (the ``diffusion`` key), in file order."""
    return [
        (file.name, name, float(definition.diffusivity), str(definition.diffusion_source))
        for file in getattr(model, "_files", ())
        for name, definition in file.species.items()
        if float(getattr(definition, "diffusivity", 0.0)) > 0.0
    ]


def _diffusion_operator(
    model: CellModel,
    cells: CellGraph | None,
    diffusivity: Mapping[str, float] | None,
    n_points: int,
) -> Diffusion | None:
    """The diffusion of the run, or ``None`` when no species diffuses."""
    if cells is None:
        if diffusivity:
            raise InputError("diffusivities need the cells' geometry (cells=...)")
        return None
    if cells.n_points != n_points:
        raise InputError(f"cells describe {cells.n_points} points, the run has {n_points}")
    values = diffusivity if diffusivity is not None else file_diffusivities(model)
    coefficients = model_diffusivities(model.species_names, values)
    if not np.any(coefficients > 0.0):
        return None
    return Diffusion(cells, coefficients, names=model.species_names)


def _split_stops(stops: FloatArray, segments: Sequence[Segment], step: float) -> FloatArray:
    """Ends of the splitting steps: the output times, the segment ends and enough points
    in between that no step is longer than ``step``."""
    edges = np.union1d(stops, [segment.end for segment in segments])
    edges = np.union1d(edges, [0.0])
    pieces = [edges[-1:]]
    for start, end in itertools.pairwise(edges):
        count = max(1, math.ceil((end - start) / step - 1e-9))
        pieces.append(start + (end - start) * np.arange(1, count + 1) / count)
    result = np.unique(np.concatenate(pieces))
    return result[result > 0.0]


def _default_threads() -> int:
    return 1


#: ``engine="auto"`` compiles when at least this many points are integrated (a first run
#: of a model structure pays ~10 s of compilation, later runs load it in ~0.3 s).
COMPILE_FROM_POINTS = 1024

#: Default points per chunk of each engine (measured: the compiled engine is fastest when
#: a chunk's work arrays fit a core's L2 cache; numpy passes amortise better over more).
COMPILED_CHUNK = 1024
NUMPY_CHUNK = 4096

ENGINES = ("auto", "numpy", "compiled")


def _kernels(engine: str, model: CellModel, lu: SparseLU, n_integrated: int) -> Kernels | None:
    if engine == "auto":
        chosen = os.environ.get("TISSUE_SIM_BIOLOGY_ENGINE", "auto").strip().lower()
        if chosen not in ENGINES:
            raise InputError(
                f"TISSUE_SIM_BIOLOGY_ENGINE must be one of {', '.join(ENGINES)}, got {chosen!r}"
            )
        engine = chosen
    if engine == "numpy" or (engine == "auto" and n_integrated < COMPILE_FROM_POINTS):
        return None
    if not numba_available():
        if engine == "compiled":
            raise InputError("engine='compiled' needs numba (pip install numba)")
        return None
    return kernels_for(model.system, lu)


def _count_points(
    stimulus: Mapping[str, npt.ArrayLike],
    initial_state: str | npt.ArrayLike,
    groups: npt.ArrayLike | None,
    weights: npt.ArrayLike | None,
    n_species: int,
) -> int:
    sizes = {np.asarray(v).shape[0] for v in stimulus.values() if np.ndim(v) == 1}
    for item in (groups, weights):
        if item is not None:
            sizes.add(np.asarray(item).reshape(-1).shape[0])
    if not isinstance(initial_state, str) and np.ndim(initial_state) == 2:
        sizes.add(np.asarray(initial_state).shape[0])
    if len(sizes) > 1:
        raise InputError(
            f"stimulus, groups, weights and states disagree on the point count: {sorted(sizes)}"
        )
    if not sizes:
        return 1
    count = sizes.pop()
    if count < 1:
        raise InputError("no material points given")
    return int(count)


def _stimulus_arrays(
    model: CellModel, stimulus: Mapping[str, npt.ArrayLike], n_points: int
) -> dict[str, FloatArray]:
    features: dict[str, FloatArray] = {}
    for name in model.inputs:
        if name not in stimulus:
            raise InputError(
                f"stimulus feature {name!r} is needed by the cell model but was not provided"
            )
        values = np.asarray(stimulus[name], dtype=np.float64)
        if values.ndim > 1:
            raise InputError(f"stimulus feature {name!r} must have shape (P,)")
        if not np.all(np.isfinite(values)):
            raise InputError(f"stimulus feature {name!r} has non-finite values")
        features[name] = np.broadcast_to(values, (n_points,)).astype(np.float64)
    return features


def _initial_states(
    model: CellModel, initial_state: str | npt.ArrayLike, n_points: int
) -> FloatArray:
    if isinstance(initial_state, str):
        state = model.initial_state(initial_state)
    else:
        state = np.asarray(initial_state, dtype=np.float64)
    if state.shape not in ((model.n_species,), (n_points, model.n_species)):
        raise InputError(
            f"initial state must have shape ({model.n_species},) or "
            f"({n_points}, {model.n_species}), got {state.shape}"
        )
    if not np.all(np.isfinite(state)):
        raise InputError("initial state has non-finite values")
    return np.broadcast_to(state, (n_points, model.n_species)).copy()


def _group_labels(groups: npt.ArrayLike | None, n_points: int) -> npt.NDArray[np.intp]:
    if groups is None:
        return np.zeros(n_points, dtype=np.intp)
    labels = np.asarray(groups)
    if labels.shape != (n_points,) or not np.issubdtype(labels.dtype, np.integer):
        raise InputError(f"groups must be integers of shape ({n_points},)")
    return labels.astype(np.intp)


def _weights(weights: npt.ArrayLike | None, n_points: int) -> FloatArray:
    if weights is None:
        return np.ones(n_points)
    values = np.asarray(weights, dtype=np.float64)
    if values.shape != (n_points,) or not np.all(np.isfinite(values)) or np.any(values < 0):
        raise InputError(f"weights must be finite, non-negative and of shape ({n_points},)")
    return values


def _atol_vector(model: CellModel, atol: float | Mapping[str, float]) -> FloatArray:
    if isinstance(atol, Mapping):
        unknown = set(atol) - set(model.species_names)
        if unknown:
            raise InputError(f"atol given for unknown species {sorted(unknown)}")
        vector = np.array([float(atol.get(name, 1e-8)) for name in model.species_names])
    else:
        vector = np.full(model.n_species, float(atol))
    if np.any(vector <= 0.0) or not np.all(np.isfinite(vector)):
        raise InputError("atol must be positive")
    return vector


def _times(values: npt.ArrayLike | None, t_end: float, *, default_hourly: bool) -> FloatArray:
    if values is None:
        if not default_hourly:
            return np.empty(0)
        return np.union1d(np.arange(0.0, t_end, 3600.0), [t_end])
    times = np.asarray(values, dtype=np.float64).reshape(-1)
    if not np.all(np.isfinite(times)) or np.any(times < 0.0) or np.any(times > t_end):
        raise InputError(f"output times must lie within [0, {t_end:g}] s")
    if np.any(np.diff(times) <= 0.0):
        raise InputError("output times must be strictly increasing")
    return times
