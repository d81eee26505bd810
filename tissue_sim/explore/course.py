r"""The live biology of the explorer: the treated course and its untreated control.

A run integrates the cell models at every cell; the explorer integrates a few
**dose classes** per layer instead, so that a change of a control is answered in about a
second. In every layer the cells are ordered by their dose (the peak effective strain
over a cycle) and cut where either their volume quantile or their dose (as a fraction of
the layer's largest) crosses a multiple of ``1/classes``: at most ``2 classes`` groups,
equal-volume ones where the dose is spread evenly and small ones at a hot spot. Each
group is represented by one real cell of it (the one at the group's volume median, with
all of that cell's dose features) and weighted by the group's volume. The layer summaries
are then the volume-weighted statistics of the representatives: a stratified sample of
the layer.
``tests/explore/test_explore_course.py`` measures it against the integration of every
cell.

The untreated control is the same course with no sessions, from the same initial
state (:func:`tissue_sim.biology.simulate` with ``control=True``); the effect is the one
against the other (:class:`tissue_sim.io.BiologyOutput`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from tissue_sim.biology import CellModel, simulate
from tissue_sim.config import Scenario
from tissue_sim.io import BiologyOutput
from tissue_sim.loading import course_duration, session_intervals, step_intervals

__all__ = [
    "MAX_SUMMARY_TIMES",
    "DoseClasses",
    "biology_engine",
    "dose_classes",
    "integrate_course",
    "summary_times",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class DoseClasses:
    """Representative cells of equal-volume dose classes, layer by layer.

    Attributes
    ----------
    cells
        ``(R,)`` index of each representative cell.
    layer
        ``(R,)`` its layer index.
    weight
        ``(R,)`` volume of the class it stands for [m³].
    """

    cells: IntArray
    layer: NDArray[np.int32]
    weight: FloatArray


def dose_classes(
    dose: FloatArray, layer: NDArray[np.int32], volume: FloatArray, classes: int = 12
) -> DoseClasses:
    """Cut every layer into classes of increasing ``dose`` (equal volume and equal dose
    steps, see the module description).

    Parameters
    ----------
    dose
        ``(m,)`` dose of every cell (e.g. the peak effective strain) [-].
    layer
        ``(m,)`` layer index of every cell.
    volume
        ``(m,)`` cell volumes [m³].
    classes
        Volume quantiles and dose steps per layer (at most ``2 classes - 1`` classes;
        fewer when a layer has fewer cells).

    Returns
    -------
    DoseClasses
        One representative per non-empty class: the cell at the class's volume median.

    Notes
    -----
    Classes are contiguous runs of the dose-sorted cells; a representative's features are
    all its own (a real cell), so the classes never mix features of different cells.
    """
    cells: list[IntArray] = []
    layers: list[NDArray[np.int32]] = []
    weights: list[FloatArray] = []
    for label in np.unique(layer):  # a loop over the few layers, not over cells
        members = np.flatnonzero(layer == label)
        members = members[np.argsort(dose[members], kind="stable")]
        cumulative = np.cumsum(volume[members])
        total = cumulative[-1]
        centre = (cumulative - 0.5 * volume[members]) / total  # volume quantile of each cell
        by_volume = np.minimum((centre * classes).astype(np.int64), classes - 1)
        # and equal steps of dose, so that a small hot spot (the cells right under the
        # hand) has classes of its own instead of hiding in the top volume class
        top = float(dose[members[-1]])
        scaled = dose[members] / top if top > 0.0 else np.zeros(members.size)
        by_dose = np.minimum((scaled * classes).astype(np.int64), classes - 1)
        group = by_volume * classes + by_dose  # both rise with the dose: one sorted key
        edges = np.flatnonzero(np.diff(group)) + 1
        starts = np.concatenate([[0], edges])
        ends = np.concatenate([edges, [members.size]])
        class_volume = np.add.reduceat(volume[members], starts)
        # the volume median of each class: first cell whose cumulative volume passes half
        before = np.concatenate([[0.0], cumulative])[starts]
        half = before + 0.5 * class_volume
        median = np.searchsorted(cumulative, half, side="left")
        median = np.clip(median, starts, ends - 1)
        cells.append(members[median])
        layers.append(np.full(starts.size, label, dtype=np.int32))
        weights.append(class_volume)
    return DoseClasses(
        np.concatenate(cells).astype(np.int64),
        np.concatenate(layers),
        np.concatenate(weights),
    )


#: Most summary times of a course (the plot shows days; the integrator's steps do not
#: depend on them).
MAX_SUMMARY_TIMES = 80


def biology_engine() -> str:
    """``"compiled"`` (numba kernels) when numba is installed, else ``"numpy"``.

    The explorer integrates ~100 points, below the size at which ``engine="auto"``
    compiles; the compiled kernels still answer a 14-day course in about 0.5 s against
    3–5 s for numpy passes (measured at load ~9; the results agree to 1e-13). The first
    answer pays the compilation once per model structure (~10 s on a quiet machine, 104 s
    measured at load ~9), later processes load the cached kernels (~0.3–3 s). The
    environment variable ``TISSUE_SIM_BIOLOGY_ENGINE`` (``numpy`` or ``compiled``) chooses.
    """
    import importlib.util
    import os

    chosen = os.environ.get("TISSUE_SIM_BIOLOGY_ENGINE", "").strip().lower()
    if chosen in ("numpy", "compiled"):
        return chosen
    return "compiled" if importlib.util.find_spec("numba") is not None else "numpy"


def summary_times(scenario: Scenario) -> FloatArray:
    """Regular times through the course (at least hourly up to :data:`MAX_SUMMARY_TIMES`
    of them) and every session start and end [s]."""
    course = course_duration(scenario.schedule)
    interval = max(3600.0, course / MAX_SUMMARY_TIMES)
    regular = np.arange(0.0, course, interval)
    edges = session_intervals(scenario.schedule).reshape(-1)
    return np.unique(np.concatenate([regular, edges, [course]]))


def integrate_course(
    scenario: Scenario,
    model: CellModel,
    features: dict[str, FloatArray],
    classes: DoseClasses,
    layer_names: Sequence[str],
    *,
    engine: str | None = None,
) -> BiologyOutput:
    """Integrate the treated course and the untreated control of the representatives.

    Parameters
    ----------
    scenario
        The scenario (schedule, initial state, tolerance).
    model
        The composed cell model.
    features
        Dose features of every cell ``name → (m,)`` (one technique).
    classes
        The representatives (:func:`dose_classes`).
    layer_names
        Layer names, indexed by layer label.
    engine
        Integrator engine of :func:`tissue_sim.biology.simulate` (default
        :func:`biology_engine`).

    Returns
    -------
    BiologyOutput
        Layer summaries of the treated course and of the control (no fields: the
        representatives are not the mesh's cells).
    """
    course = course_duration(scenario.schedule)
    intervals = step_intervals(scenario.loading, scenario.schedule)[0]
    # One more point with no dose, in a group of its own: the untreated control shares its
    # integration (a point whose features are all zero *is* its control, to the last bit;
    # docs/results-format.md), so treated and control advance in one chunk, not two.
    unloaded_group = len(layer_names)
    stimulus = {
        name: np.append(np.asarray(values)[classes.cells], 0.0) for name, values in features.items()
    }
    result = simulate(
        model,
        stimulus,
        intervals,
        course,
        initial_state=scenario.biology.initial_state,
        summary_times=summary_times(scenario),
        groups=np.append(classes.layer, unloaded_group),
        weights=np.append(classes.weight, 1.0),
        rtol=scenario.biology.rtol,
        control=True,
        threads=0,  # a few dozen points: the calling thread alone is fastest
        engine=engine or biology_engine(),
    )
    names = result.species
    group_of_layer = {
        int(label): g for g, label in enumerate(result.group_labels) if label != unloaded_group
    }

    def per_layer(summaries: dict[str, FloatArray]) -> dict[str, dict[str, FloatArray]]:
        return {
            layer_names[label]: {name: summaries[name][:, group, :] for name in names}
            for label, group in group_of_layer.items()
        }

    assert result.control_summaries is not None
    return BiologyOutput(
        time=result.time,
        species=tuple(names),
        layers=per_layer(result.summaries),
        field_times=np.zeros(0),
        fields={},
        final_state=result.final_state,
        units=dict(zip(names, result.units, strict=True)),
        models=tuple(scenario.biology.models),
        initial_state=scenario.biology.initial_state,
        session_intervals=session_intervals(scenario.schedule),
        statistics={
            "points": int(classes.cells.size),
            "distinct_points": result.n_distinct,
            "integrated_points": result.n_integrated,
        },
        control=per_layer(result.control_summaries),
        report_species=tuple(getattr(model, "report_species", ()) or ()),
        species_labels=dict(getattr(model, "species_labels", {}) or {}),
    )
