r"""The remodelled course: biology and mechanics taking turns (private).

:class:`RemodellingCourse` is called exactly like :func:`tissue_sim.biology.simulate`
(the pipeline swaps one for the other). The course is cut at the update times
:math:`t_0 = 0 < t_1 < \dots` (every ``every``; an update that would fall inside a
session moves to that session's end). At each :math:`t_k`:

1. the stiffness factor of every cell follows from its state by the law
   (:mod:`tissue_sim.remodelling.law`); cells of layers that do not remodel keep 1;
2. the cells are grouped into stiffness classes (:mod:`tissue_sim.remodelling.stiffness`)
   and the session's mechanics is re-solved through the ``dose`` callback the pipeline
   gives (mechanics → dose features; the mechanics never sees the biology);
3. the biology integrates :math:`[t_k, t_{k+1}]` from the state reached, with the
   new dose during that part's sessions.

At :math:`t_0` with every factor 1 the dose the pipeline already computed is used (no
re-solve). The untreated control (no sessions) does not depend on the mechanics; it is
integrated in the same parts, each cell beside a control copy that carries no dose, so a
cell that gets no dose integrates together with its control (deduplication) and its
treatment effect is exactly zero, as in a run without remodelling. (With diffusion the
control is integrated separately over the whole course.)
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from tissue_sim.biology import CellModel, simulate
from tissue_sim.biology.simulate import BiologyResult
from tissue_sim.config.remodelling import RemodellingConfig
from tissue_sim.errors import InputError
from tissue_sim.geometry.mesh import Mesh
from tissue_sim.mechanics.materials import Material
from tissue_sim.remodelling.law import CollagenPowerLaw
from tissue_sim.remodelling.output import RemodellingOutput
from tissue_sim.remodelling.stiffness import stiffness_classes

FloatArray = npt.NDArray[np.float64]
Features = list[dict[str, FloatArray]]
#: dose(mesh with stiffness classes, one material per class) → dose features per step
DoseCallback = Callable[[Mesh, Sequence[Material]], Features]

_STRAIN_FEATURE = "effective_strain_peak"


def update_times(every: float, t_end: float, intervals: Sequence[npt.ArrayLike]) -> FloatArray:
    """Times of the mechanics updates [s]: 0, then every ``every`` before ``t_end``, an
    update inside a session moved to the session's end.

    ``intervals`` are the on-intervals of every stimulus; touching ones (the techniques
    or phases of one session) are merged into their session first.
    """
    sessions = _merged(
        np.concatenate([np.asarray(i, dtype=float).reshape(-1, 2) for i in intervals])
    )
    times = [0.0]
    count = int(np.ceil(t_end / every))
    for k in range(1, count + 1):
        t = k * every
        inside = (sessions[:, 0] < t) & (t < sessions[:, 1])
        if np.any(inside):
            t = float(sessions[inside, 1].max())
        if times[-1] < t < t_end:
            times.append(t)
    return np.asarray(times)


def _merged(intervals: FloatArray) -> FloatArray:
    """Sorted intervals ``(N, 2)`` with touching or overlapping ones joined."""
    ordered = intervals[np.argsort(intervals[:, 0], kind="stable")]
    merged: list[list[float]] = []
    for start, end in ordered:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], float(end))
        else:
            merged.append([float(start), float(end)])
    return np.asarray(merged, dtype=float).reshape(-1, 2)


def _clip_intervals(intervals: FloatArray, start: float, end: float) -> FloatArray:
    """The parts of ``intervals`` ``(N, 2)`` inside ``[start, end]``, shifted by ``-start``."""
    lower = np.maximum(intervals[:, 0], start)
    upper = np.minimum(intervals[:, 1], end)
    keep = upper > lower
    return np.stack([lower[keep] - start, upper[keep] - start], axis=1).reshape(-1, 2)


def _with_control(features: dict[str, FloatArray], n_cells: int) -> dict[str, FloatArray]:
    """Each feature for the cells, then zero for their control copies ``(2m,)``."""
    return {
        name: np.concatenate([np.broadcast_to(values, (n_cells,)), np.zeros(n_cells)])
        for name, values in features.items()
    }


def _split(result: BiologyResult, n_cells: int) -> tuple[BiologyResult, BiologyResult]:
    """A part integrated with its control copies → the treated part and the control."""
    groups = result.group_labels.size // 2  # control labels follow the treated ones
    halves = []
    for rows, columns in (
        (slice(0, n_cells), slice(0, groups)),
        (slice(n_cells, None), slice(groups, None)),
    ):
        halves.append(
            BiologyResult(
                time=result.time,
                summaries={name: table[:, columns] for name, table in result.summaries.items()},
                group_labels=result.group_labels[:groups],
                field_times=result.field_times,
                fields=result.fields[:, rows],
                final_state=result.final_state[rows],
                species=result.species,
                units=result.units,
                stats=result.stats if rows.start == 0 else type(result.stats)(),
                n_points=n_cells,
                n_distinct=result.n_distinct,
                n_integrated=result.n_integrated if rows.start == 0 else 0,
            )
        )
    return halves[0], halves[1]


def _select(times: FloatArray, start: float, end: float, last: bool) -> FloatArray:
    mask = (times >= start) & ((times <= end) if last else (times < end))
    return times[mask]


def check_remodelling(
    config: RemodellingConfig,
    species_names: Sequence[str],
    layer_names: Sequence[str],
    *,
    file: str | None = None,
) -> None:
    """Check the species and layer names of ``biology.remodelling`` (``tissue-sim check``).

    Parameters
    ----------
    config
        The ``biology.remodelling`` settings.
    species_names
        Species of the composed cell model.
    layer_names
        Layers of the tissue.
    file
        The scenario file (for error messages).

    Raises
    ------
    InputError
        Naming ``biology.remodelling.collagen`` / ``.myofibroblast`` (a species the
        models do not have) or ``biology.remodelling.layers`` (a layer the tissue does
        not have), with the names available.
    """
    key = "biology.remodelling"
    for role, name in (("collagen", config.collagen), ("myofibroblast", config.myofibroblast)):
        if name not in species_names:
            raise InputError(
                f"the cell models have no species {name!r} (the {role} the stiffness "
                f"law reads); species: {', '.join(species_names)}",
                file=file,
                key=f"{key}.{role}",
            )
    unknown = [n for n in config.layers or () if n not in layer_names]
    if unknown:
        raise InputError(
            f"no layer {unknown[0]!r}; layers: {', '.join(layer_names)}",
            file=file,
            key=f"{key}.layers",
        )


class RemodellingCourse:
    """A drop-in for :func:`~tissue_sim.biology.simulate` that re-solves the mechanics
    at the update times with the stiffness the fibrosis state gives (module description).

    Parameters
    ----------
    config
        The ``biology.remodelling`` settings.
    model
        The composed cell model (must have the collagen and myofibroblast species).
    mesh
        The mesh of the run.
    materials
        One material per layer (the layers' laws at factor 1).
    dose
        Mechanics → dose features (the pipeline's stages, see :data:`DoseCallback`).
    file
        The scenario file (for error messages).

    Attributes
    ----------
    output
        The updates of the last call (``None`` before).

    Raises
    ------
    InputError
        Naming ``biology.remodelling`` and what is missing (species, layers).
    """

    def __init__(
        self,
        config: RemodellingConfig,
        model: CellModel,
        mesh: Mesh,
        materials: Sequence[Material],
        dose: DoseCallback,
        *,
        file: str | None = None,
    ) -> None:
        check_remodelling(config, model.species_names, mesh.layer_names, file=file)
        self.config = config
        self.model = model
        self.mesh = mesh
        self.materials = tuple(materials)
        self.dose = dose
        self.law = CollagenPowerLaw(config.exponent, config.myofibroblast_weight)
        names = config.layers or mesh.layer_names
        self.remodels = np.isin(
            np.asarray(mesh.layer_names)[mesh.cell_layer], np.asarray(names, dtype=object)
        )
        self.output: RemodellingOutput | None = None

    def factors(self, state: FloatArray, initial: FloatArray) -> FloatArray:
        """Stiffness factor per cell ``(m,)`` of the states ``(m, S)``."""
        collagen = self.model.species_index(self.config.collagen)
        myofibroblast = self.model.species_index(self.config.myofibroblast)
        reference = (
            initial if self.config.reference == "initial" else self.model.initial_state("healthy")
        )
        reference = np.broadcast_to(reference, state.shape)
        factor = self.law.factor(
            state[:, collagen],
            state[:, myofibroblast],
            reference[:, collagen],
            reference[:, myofibroblast],
        )
        return np.where(self.remodels, factor, 1.0)

    def __call__(
        self,
        model: CellModel,
        stimulus: Mapping[str, npt.ArrayLike] | Sequence[Mapping[str, npt.ArrayLike]],
        session_intervals: npt.ArrayLike | Sequence[npt.ArrayLike],
        t_end: float,
        *,
        initial_state: str | npt.ArrayLike = "healthy",
        summary_times: npt.ArrayLike | None = None,
        field_times: npt.ArrayLike | None = None,
        weights: npt.ArrayLike | None = None,
        control: bool = False,
        **options: Any,
    ) -> BiologyResult:
        """Integrate the course with mechanics updates (arguments as for ``simulate``)."""
        several = not isinstance(stimulus, Mapping)
        given: list[Mapping[str, npt.ArrayLike]] = (
            [stimulus] if isinstance(stimulus, Mapping) else list(stimulus)
        )
        stimuli: Features = [
            {name: np.asarray(values, dtype=np.float64) for name, values in one.items()}
            for one in given
        ]
        if several:
            intervals = [np.asarray(i, dtype=float).reshape(-1, 2) for i in session_intervals]  # type: ignore[union-attr]
        else:
            intervals = [np.asarray(session_intervals, dtype=float).reshape(-1, 2)]
        n_cells = self.mesh.num_cells
        volume = np.ones(n_cells) if weights is None else np.asarray(weights, dtype=float)
        if isinstance(initial_state, str):
            initial = np.broadcast_to(
                model.initial_state(initial_state), (n_cells, model.n_species)
            )
        else:
            initial = np.broadcast_to(
                np.asarray(initial_state, dtype=float), (n_cells, model.n_species)
            )
        initial = np.array(initial)
        summaries = (
            np.union1d(np.arange(0.0, t_end, 3600.0), [t_end])
            if summary_times is None
            else np.asarray(summary_times, dtype=float)
        )
        stored = np.empty(0) if field_times is None else np.asarray(field_times, dtype=float)
        starts = update_times(self.config.every, t_end, intervals)
        ends = np.append(starts[1:], t_end)
        groups = options.pop("groups", None)
        labels = np.zeros(n_cells, np.int64) if groups is None else np.asarray(groups, np.int64)
        # the control rides along in every part (its copies carry no dose), so a cell
        # that gets no dose integrates together with its control, to the last bit
        together = control and options.get("cells") is None
        state, control_state = initial, initial.copy()
        parts: list[BiologyResult] = []
        control_parts: list[BiologyResult] = []
        record: dict[str, list[Any]] = {
            k: [] for k in ("factor", "strain", "resolved", "classes", "seconds")
        }
        for k, (start, end) in enumerate(zip(starts, ends, strict=True)):
            factor = self.factors(state, initial)
            classes = stiffness_classes(
                self.mesh, self.materials, factor, volume, resolution=self.config.resolution
            )
            began = time.perf_counter()
            resolved = not (k == 0 and classes.unchanged)
            if resolved:
                stimuli = self.dose(classes.mesh, classes.materials)
            record["seconds"].append(time.perf_counter() - began)
            record["factor"].append(classes.cell_factor)
            record["strain"].append(np.max([s[_STRAIN_FEATURE] for s in stimuli], axis=0))
            record["resolved"].append(resolved)
            record["classes"].append(len(classes.materials))
            last = k == len(starts) - 1
            part_intervals = [_clip_intervals(i, start, end) for i in intervals]
            part_stimuli = stimuli
            part_state, part_labels, part_weights = state, labels, volume
            if together:
                part_stimuli = [_with_control(one, n_cells) for one in stimuli]
                part_state = np.vstack([state, control_state])
                part_labels = np.concatenate([labels, labels + int(labels.max()) + 1])
                part_weights = np.concatenate([volume, volume])
            part = simulate(
                model,
                part_stimuli if several else part_stimuli[0],
                part_intervals if several else part_intervals[0],
                end - start,
                initial_state=part_state,
                summary_times=np.clip(
                    _select(summaries, start, end, last) - start, 0.0, end - start
                ),
                field_times=np.clip(_select(stored, start, end, last) - start, 0.0, end - start),
                groups=part_labels,
                weights=part_weights,
                control=False,
                **options,
            )
            if together:
                part, untreated_part = _split(part, n_cells)
                control_parts.append(untreated_part)
                control_state = untreated_part.final_state
            parts.append(part)
            state = part.final_state
        untreated: BiologyResult | None = None
        if together:
            untreated = self._stitch(control_parts, summaries, stored, None)
        elif control:
            untreated = simulate(
                model,
                stimuli[0],
                np.zeros((0, 2)),
                t_end,
                initial_state=initial_state,
                summary_times=summaries,
                field_times=stored,
                groups=groups,
                weights=volume,
                control=False,
                **options,
            )
        self.output = self._output(starts, record, volume)
        return self._stitch(parts, summaries, stored, untreated)

    def _output(
        self, starts: FloatArray, record: dict[str, list[Any]], volume: FloatArray
    ) -> RemodellingOutput:
        cell_factor = np.stack(record["factor"])
        cell_strain = np.stack(record["strain"])
        layer_factor: dict[str, FloatArray] = {}
        layer_strain: dict[str, FloatArray] = {}
        for index, name in enumerate(self.mesh.layer_names):
            cells = self.mesh.cell_layer == index
            if not np.any(cells):
                continue
            w = volume[cells] / volume[cells].sum()
            layer_factor[name] = cell_factor[:, cells] @ w
            layer_strain[name] = cell_strain[:, cells] @ w
        c = self.config
        settings = {
            "law": c.law,
            "exponent": c.exponent,
            "myofibroblast_weight": c.myofibroblast_weight,
            "reference": c.reference,
            "every": c.every,
            "resolution": c.resolution,
            "remodelling_layers": ",".join(c.layers or self.mesh.layer_names),
        }
        return RemodellingOutput(
            time=starts,
            cell_factor=cell_factor,
            cell_strain=cell_strain,
            layer_factor=layer_factor,
            layer_strain=layer_strain,
            resolved=np.asarray(record["resolved"], dtype=bool),
            classes=np.asarray(record["classes"], dtype=np.int64),
            seconds=np.asarray(record["seconds"], dtype=float),
            settings=settings,
        )

    @staticmethod
    def _stitch(
        parts: list[BiologyResult],
        summaries: FloatArray,
        stored: FloatArray,
        untreated: BiologyResult | None,
    ) -> BiologyResult:
        first = parts[0]
        stats = type(first.stats)()
        for part in parts:
            stats.add(part.stats)
        fields = [p.fields for p in parts if p.fields.shape[0]]
        return BiologyResult(
            time=summaries,
            summaries={
                name: np.concatenate([p.summaries[name] for p in parts]) for name in first.species
            },
            group_labels=first.group_labels,
            field_times=stored,
            fields=np.concatenate(fields) if fields else first.fields,
            final_state=parts[-1].final_state,
            species=first.species,
            units=first.units,
            stats=stats,
            control_summaries=None if untreated is None else untreated.summaries,
            control_fields=None if untreated is None else untreated.fields,
            control_final_state=None if untreated is None else untreated.final_state,
            n_points=first.n_points,
            n_distinct=max(p.n_distinct for p in parts),
            n_integrated=sum(p.n_integrated for p in parts)
            + (0 if untreated is None else untreated.n_integrated),
        )
