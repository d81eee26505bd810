"""Scenario → result: the only place that strings the stages together.

``run(scenario)`` builds the mesh, solves the mechanics of every load frame of the
session's techniques, turns each material point's strain history into dose features,
integrates the cell-response models over the treatment course, and returns a
:class:`~tissue_sim.io.RunResult`. ``run_to_directory`` also writes ``result.h5``,
the XDMF files, the figures and the report.

Material points are the cells of the mesh: strains and stresses are volume-averaged
over each cell's quadrature points, and the biology runs once per cell with the cell
volume as its weight.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from tissue_sim.biology import CellModel, list_presets, load_model, model_inputs, simulate
from tissue_sim.biology.simulate import (
    DIFFUSION_STEP,
    check_diffusion_mesh,
    diffusion_cells,
    file_diffusivities,
    species_diffusion,
)
from tissue_sim.config import Scenario
from tissue_sim.errors import InputError
from tissue_sim.geometry.block import BlockSpec, mesh_block
from tissue_sim.geometry.layer_statistics import layer_tables
from tissue_sim.geometry.mesh import Mesh
from tissue_sim.io import (
    BiologyOutput,
    LoadingOutput,
    MechanicsOutput,
    RunResult,
    StimulusOutput,
    mesh_output,
    provenance,
    write_result,
    write_xdmf,
)
from tissue_sim.loading import (
    course_duration,
    session_intervals,
    smallest_load_feature,
    step_intervals,
    technique_footprint,
)
from tissue_sim.mechanics.frames import FrameLoads, FrameSolution
from tissue_sim.mechanics.materials import Material
from tissue_sim.mechanics.session import (
    CELL_SCALAR_UNITS,
    MechanicsSettings,
    SessionMechanics,
    layer_materials,
    session_loads,
    solve_session_mechanics,
)
from tissue_sim.remodelling import RemodellingCourse, check_remodelling
from tissue_sim.stimulus import FEATURE_UNITS, compute_features, feature_unit
from tissue_sim.stimulus.course import PhaseCourse, expand_phases, step_courses

__all__ = [
    "CELL_SCALAR_UNITS",
    "PreparedRun",
    "StageTimer",
    "build_mesh",
    "prepare",
    "run",
    "run_to_directory",
]

FloatArray = NDArray[np.float64]

#: progress(stage, fraction in [0, 1]) — called as the run advances
ProgressCallback = Callable[[str, float], None]


@dataclass
class StageTimer:
    """Wall time per stage [s]."""

    timings: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time the enclosed block as stage ``name``."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = self.timings.get(name, 0.0) + time.perf_counter() - start


def build_mesh(scenario: Scenario) -> Mesh:
    """Mesh the scenario's block, refined under the footprint of all its techniques."""
    tissue = scenario.tissue
    block = BlockSpec(
        tissue.size, tissue.layer_names, tuple(lay.thickness for lay in tissue.layers)
    )
    boxes = np.array([technique_footprint(step.technique) for step in scenario.loading.steps])
    footprint = (boxes[:, 0].min(), boxes[:, 1].max(), boxes[:, 2].min(), boxes[:, 3].max())
    return mesh_block(
        block,
        element=scenario.mesh.element,
        size=scenario.mesh.size,
        footprint=footprint,
        margin=scenario.mesh.margin,
        growth=scenario.mesh.growth,
        max_size=scenario.mesh.max_size,
        min_layer_elements=scenario.mesh.min_layer_elements,
    )


def _materials(scenario: Scenario) -> list[Material]:
    """The small-strain material of every layer."""
    return layer_materials(scenario.tissue.layers, "linear", file=scenario.source_file)


def _mechanics(
    scenario: Scenario,
    mesh: Mesh,
    prepared: PreparedRun,
    progress: ProgressCallback | None,
    loads: list[FrameLoads] | None = None,
) -> SessionMechanics:
    """Solve the load frames of every technique of the session (linear or finite strain).

    ``loads``: a cache of the steps' skin loads, filled on the first call and reused by the
    next ones on a mesh of the same geometry (remodelling re-solves)."""
    config = scenario.mechanics
    from tissue_sim.fem.solvers import available_methods

    if config.solver not in available_methods():
        raise InputError(
            f"solver {config.solver!r} is not installed here (installed: "
            f"{', '.join(available_methods())}; petsc and mumps come with "
            "`make install-petsc`, pardiso with the mkl wheel, cholmod with cvxopt)",
            file=scenario.source_file,
            key="mechanics.solver",
        )
    materials = prepared.hyperelastic_materials or _materials(scenario)
    settings = MechanicsSettings(
        model=config.model,
        formulation=config.formulation,
        sides=config.sides,
        solver=config.solver,
        rtol=config.rtol,
        max_iterations=config.max_iterations,
        solver_options=dict(config.solver_options),
    )
    if config.viscoelastic.enabled:  # Prony layers in real time (mechanics.viscoelastic)
        from tissue_sim.mechanics.viscoelastic import solve_session_viscoelastic, tissue_prony

        return solve_session_viscoelastic(
            mesh,
            materials,
            scenario.loading.steps,
            settings,
            smallest_feature=smallest_load_feature(scenario.loading.techniques),
            prony=tissue_prony(scenario.tissue.layers, mesh.layer_names),
            cycles=config.viscoelastic.cycles,
            max_step=config.viscoelastic.max_step,
            progress=None if progress is None else (lambda done: progress("mechanics", done)),
        )
    smallest = smallest_load_feature(scenario.loading.techniques)
    if loads is not None and not loads:
        loads.extend(
            session_loads(mesh, scenario.loading.steps, settings, smallest_feature=smallest)
        )
    return solve_session_mechanics(
        mesh,
        materials,
        scenario.loading.steps,
        settings,
        smallest_feature=smallest,
        progress=None if progress is None else (lambda done: progress("mechanics", done)),
        loads=loads or None,
    )


@dataclass
class PreparedRun:
    """What is checked and loaded before any computation.

    Attributes
    ----------
    scenario
        The scenario.
    cell_model
        The composed cell model (``None`` when the biology is off).
    hyperelastic_materials
        One finite-strain law per layer (``None`` for linear mechanics).
    """

    scenario: Scenario
    cell_model: CellModel | None
    hyperelastic_materials: list[Material] | None = None


def _hyperelastic_materials(scenario: Scenario) -> list[Material]:
    """The finite-strain law of every layer, read from the (preset) ``hyperelastic`` blocks."""
    return layer_materials(scenario.tissue.layers, "hyperelastic", file=scenario.source_file)


def prepare(scenario: Scenario) -> PreparedRun:
    """Check the parts of a scenario that depend on model files, before anything runs.

    Loads and composes the cell models with the scenario's parameter overrides and checks
    the initial-state preset, so that ``tissue-sim check`` and ``run`` report these
    mistakes up front.

    Raises
    ------
    InputError
        Naming the scenario file and the ``biology`` key at fault.
    """
    file = scenario.source_file
    materials = (
        _hyperelastic_materials(scenario) if scenario.mechanics.model == "hyperelastic" else None
    )
    biology = scenario.biology
    if not biology.enabled:
        return PreparedRun(scenario, None, materials)
    try:
        # the preset is checked on the files as read, before the (slower) compilation
        presets = list_presets(list(biology.models))
        if biology.initial_state not in presets:
            raise InputError(
                f"no initial-state preset {biology.initial_state!r}; "
                f"available: {', '.join(presets)}",
                file=file,
                key="biology.initial_state",
            )
        model = load_model(list(biology.models), dict(biology.parameters))
    except InputError as error:
        if error.file and error.file != file and error.line:
            raise  # a problem inside a model file: it names that file and line
        key = error.key if error.key and error.key.startswith("biology.") else "biology.models"
        raise InputError(error.message, file=file, key=key) from None
    if biology.remodelling is not None:  # species and layer names, at check
        layers = [layer.name for layer in scenario.tissue.layers]
        check_remodelling(biology.remodelling, model.species_names, layers, file=file)
    if biology.diffusion:  # hexahedra only (InputError); warns when the cells are too coarse
        check_diffusion_mesh(
            scenario.mesh.element,
            scenario.mesh.size,
            file_diffusivities(model),
            DIFFUSION_STEP,
            file=file,
        )
    course = course_duration(scenario.schedule)
    if biology.output_times is not None and any(t > course for t in biology.output_times):
        raise InputError(
            f"output times must lie within the course ({course / 86400:g} days)",
            file=file,
            key="biology.output_times",
        )
    return PreparedRun(scenario, model, materials)


def run(scenario: Scenario, *, progress: ProgressCallback | None = None) -> RunResult:
    """Run a scenario through every stage and return its result (nothing is written).

    Parameters
    ----------
    scenario
        A validated scenario (see :func:`tissue_sim.load_config`).
    progress
        Optional callback ``progress(stage, fraction)``.

    Returns
    -------
    RunResult
        Mesh, mechanics per frame, stimulus features, biology, provenance, timings.

    Raises
    ------
    tissue_sim.errors.RunError
        If a solver fails or an element inverts.
    """
    prepared = prepare(scenario)
    timer = StageTimer()
    with timer.stage("mesh"):
        mesh = build_mesh(scenario)
    if progress is not None:
        progress("mesh", 1.0)
    remodel = _remodelling(scenario, mesh, prepared)
    with timer.stage("mechanics"):
        session = _mechanics(scenario, mesh, prepared, progress)
        solutions, volume = session.steps, session.cell_volume
        mechanics = MechanicsOutput(
            frame_time=session.frame_time,
            frame_step=session.frame_step,
            step_names=session.step_names,
            displacement=session.displacement,
            cell_strain=session.cell_strain,
            cell_stress=session.cell_stress,
            cell_scalars=session.cell_scalars,
            applied_force=session.applied_force,
            base_reaction=session.base_reaction,
            layer_stats=layer_tables(
                session.cell_scalars, mesh.cell_layer, volume, mesh.layer_names
            ),
            units=session.units,
            solver=_solver_summary(session),
            model=session.model,
        )
    with timer.stage("stimulus"):
        per_step = _step_features(scenario, mesh, solutions)
        courses = _courses(scenario, mesh, solutions, per_step)
        stimulus = _stimulus(scenario, mesh, per_step, volume)
    if progress is not None:
        progress("stimulus", 1.0)
    biology = None
    if prepared.cell_model is not None:
        with timer.stage("biology"):
            biology = _biology(
                scenario, prepared.cell_model, mesh, per_step, volume, progress, courses, remodel
            )
    config_hash = scenario.config_hash()
    return RunResult(
        name=scenario.name,
        config=scenario.resolved_yaml(),
        config_source=scenario.source_yaml(),
        config_hash=config_hash,
        mesh=mesh_output(mesh, volume),
        mechanics=mechanics,
        stimulus=stimulus,
        biology=biology,
        loading=LoadingOutput.from_steps(scenario.loading.steps),
        provenance=provenance(config_hash),
        timings=dict(timer.timings),
        sources=dict(scenario.tissue.sources),
    )


def _solver_summary(session: SessionMechanics) -> dict[str, object]:
    """The mechanics solver summary, with the small-strain validity check."""
    summary: dict[str, object] = dict(session.solver)
    if session.check is not None:
        summary["peak_strain"] = session.check.peak_strain
        summary["peak_strain_layer"] = session.check.layer
        summary["small_strain_limit"] = session.check.limit
        summary["outside_small_strain"] = session.check.exceeded
        summary["small_strain_warning"] = session.check.message()
    return summary


def _step_features(
    scenario: Scenario, mesh: Mesh, solutions: list[FrameSolution]
) -> list[dict[str, FloatArray]]:
    """Dose features per cell for each technique step (one dict of ``(m,)`` arrays each):
    every feature of ``FEATURE_NAMES`` and the level features the cell models read."""
    per_layer = scenario.tissue.fibre_directions()
    fibres = None if per_layer is None else per_layer[mesh.cell_layer]
    biology = scenario.biology
    levels = model_inputs(list(biology.models)) if biology.enabled else ()
    per_step = []
    for step, solution in zip(scenario.loading.steps, solutions, strict=True):
        frames = step.frames()
        per_step.append(
            compute_features(
                solution.cell_strain,
                frames.frame_times,
                cycle_period=frames.cycle_period,
                threshold=scenario.stimulus.threshold,
                session_duration=step.duration,
                effective_measure=scenario.stimulus.effective_measure,
                fibre_directions=fibres,
                green_lagrange=scenario.mechanics.model == "hyperelastic",
                level_features=[name for name in levels if name not in FEATURE_UNITS],
            )
        )
    return per_step


def _courses(
    scenario: Scenario,
    mesh: Mesh,
    solutions: list[FrameSolution],
    per_step: list[dict[str, FloatArray]],
) -> list[PhaseCourse | None]:
    """Time-course features (tissue pressure, capillary closure, skin strain) per phase of
    each step, when the cell models read them; their cycle means join ``per_step``."""
    biology = scenario.biology
    names = model_inputs(list(biology.models)) if biology.enabled else ()
    return step_courses(mesh, solutions, scenario.loading.steps, names, per_step)


def _stimulus(
    scenario: Scenario, mesh: Mesh, per_step: list[dict[str, FloatArray]], volume: FloatArray
) -> StimulusOutput:
    names = tuple(per_step[0])
    if len(per_step) == 1:
        features = dict(per_step[0])
    else:
        features = {name: np.stack([f[name] for f in per_step]) for name in names}
    return StimulusOutput(
        features=features,
        units={name: feature_unit(name) for name in names},
        layer_stats=layer_tables(features, mesh.cell_layer, volume, mesh.layer_names),
        effective_measure=scenario.stimulus.effective_measure,
    )


def _summary_times(scenario: Scenario, course: float) -> FloatArray:
    """Hourly (``summary_interval``) through the course, finer inside sessions."""
    biology = scenario.biology
    coarse = np.arange(0.0, course, biology.summary_interval)
    sessions = session_intervals(scenario.schedule)
    fine = [np.arange(start, end, biology.session_resolution) for start, end in sessions]
    edges = sessions.reshape(-1)
    return np.unique(np.concatenate([coarse, *fine, edges, [course]]))


def _biology(
    scenario: Scenario,
    model: CellModel,
    mesh: Mesh,
    stimuli: list[dict[str, FloatArray]],
    volume: FloatArray,
    progress: ProgressCallback | None,
    courses: list[PhaseCourse | None] | None = None,
    remodel: RemodellingCourse | None = None,
) -> BiologyOutput:
    """Integrate the cell models at every cell over the course, each technique's dose
    features switched on during its part of every session, and the untreated control
    (the same course without sessions) beside it."""
    course = course_duration(scenario.schedule)
    intervals = list(step_intervals(scenario.loading, scenario.schedule))
    if courses is not None:  # slow steps split into their phases (stimulus.course)
        stimuli, intervals = expand_phases(stimuli, intervals, courses)
    if scenario.biology.output_times is None:
        days = round(course / 86400.0)
        field_times = np.arange(1, days + 1, dtype=float) * 86400.0
        field_times = field_times[field_times <= course]
    else:
        field_times = np.asarray(scenario.biology.output_times, dtype=float)
    summary_times = _summary_times(scenario, course)
    initial = scenario.biology.initial_state
    # species with a ``diffusion`` entry in their model file spread between the cells
    # (``biology.diffusion: false``: every cell an isolated system)
    cells = (
        diffusion_cells(model, mesh.points, mesh.linear_cells(), volume)
        if scenario.biology.diffusion
        else None
    )
    result = (simulate if remodel is None else remodel)(
        model,
        stimuli if len(stimuli) > 1 else stimuli[0],
        intervals if len(intervals) > 1 else intervals[0],
        course,
        initial_state=initial,
        summary_times=summary_times,
        field_times=field_times,
        groups=mesh.cell_layer,
        weights=volume,
        rtol=scenario.biology.rtol,
        control=True,
        cells=cells,
    )
    if progress is not None:
        progress("biology", 1.0)
    names = result.species
    layer_of_group = {int(label): g for g, label in enumerate(result.group_labels)}

    def per_layer(summaries: dict[str, FloatArray]) -> dict[str, dict[str, FloatArray]]:
        return {
            mesh.layer_names[label]: {name: summaries[name][:, group, :] for name in names}
            for label, group in layer_of_group.items()
        }

    layers = per_layer(result.summaries)
    control = per_layer(result.control_summaries) if result.control_summaries else None
    fields = {name: result.fields[:, :, index] for index, name in enumerate(names)}
    control_fields = (
        {name: result.control_fields[:, :, index] for index, name in enumerate(names)}
        if result.control_fields is not None
        else {}
    )
    parameters = {
        f"{info.model}.{info.name}": (float(info.value), info.unit, info.source)
        for info in model.parameters.values()
    } | {  # the diffusivities of the species that diffuse (model files' diffusion key)
        f"{owner}.{name}.diffusivity": (d, "m^2/s", source)
        for owner, name, d, source in (species_diffusion(model) if cells is not None else ())
    }
    stats = {
        key: value for key, value in vars(result.stats).items() if isinstance(value, int | float)
    }
    stats |= {
        "points": result.n_points,
        "distinct_points": result.n_distinct,
        "integrated_points": result.n_integrated,
    }
    return BiologyOutput(
        time=result.time,
        species=tuple(names),
        layers=layers,
        field_times=result.field_times,
        fields=fields,
        final_state=result.final_state,
        units=dict(zip(names, result.units, strict=True))
        | {name: unit for name, (_, unit) in model.report_derived.items()},
        models=tuple(scenario.biology.models),
        initial_state=initial,
        session_intervals=session_intervals(scenario.schedule),
        parameters=parameters,
        statistics=stats,
        control=control,
        control_fields=control_fields,
        report_species=model.report_species,
        species_labels=dict(model.species_labels),
        report_scales=dict(model.report_scales),
        derived={name: text for name, (text, _) in model.report_derived.items()},
        remodelling=None if remodel is None else remodel.output,
    )


def _remodelling(scenario: Scenario, mesh: Mesh, prepared: PreparedRun) -> RemodellingCourse | None:
    """With ``biology.remodelling``: the course that re-solves the mechanics with the
    stiffness the fibrosis state gives (a drop-in for ``simulate``; tissue_sim.remodelling)."""
    config = scenario.biology.remodelling
    if config is None or prepared.cell_model is None:
        return None
    intervals = list(step_intervals(scenario.loading, scenario.schedule))
    loads: list[FrameLoads] = []  # the skin loads do not depend on the stiffness: built once

    def dose(classes: Mesh, materials: Sequence[Material]) -> list[dict[str, FloatArray]]:
        solved = PreparedRun(scenario, prepared.cell_model, list(materials))
        steps = _mechanics(scenario, classes, solved, None, loads).steps
        per_step = _step_features(scenario, mesh, steps)
        return expand_phases(per_step, intervals, _courses(scenario, mesh, steps, per_step))[0]

    materials = prepared.hyperelastic_materials or _materials(scenario)
    return RemodellingCourse(
        config, prepared.cell_model, mesh, materials, dose, file=scenario.source_file
    )


def run_to_directory(
    scenario: Scenario,
    directory: str | Path,
    *,
    figures: bool | None = None,
    report: bool | None = None,
    progress: ProgressCallback | None = None,
) -> tuple[RunResult, Path]:
    """Run a scenario and publish its files as one folder ``directory``.

    Writes ``result.h5``, ``result.xdmf`` (and ``biology.xdmf``), the pictures in
    ``figures/`` and ``report.html`` (each skipped when ``figures`` / ``report`` is
    false; ``None`` follows the scenario's ``output`` section) into a private staging
    folder beside ``directory`` and swaps it into place in one step
    (:mod:`tissue_sim.io.publish`): a kill at any moment leaves the old complete set or
    the new one. The result's provenance records the content digests of the model
    files it used and its run key (:mod:`tissue_sim.io.provenance`).

    Returns
    -------
    result, path
        The result and the path of ``result.h5``.

    Raises
    ------
    InputError
        If ``directory`` holds files that are not a run's (it is replaced whole).
    RunError
        If the computation fails, including numbers that stop being finite.
    """
    from tissue_sim.io.provenance import input_digests, run_key_of
    from tissue_sim.io.publish import check_target, kill_point, staged_directory

    directory = check_target(directory)  # refused before hours of computing, not after
    inputs = input_digests(scenario)
    result = _run_reporting_numerics(scenario, progress)
    result.provenance["inputs"] = inputs
    result.provenance["run_key"] = run_key_of(
        result.config_hash, inputs, str(result.provenance["versions"]["tissue_sim"])
    )
    timer = StageTimer(result.timings)
    make_figures = scenario.output.figures if figures is None else figures
    make_report = scenario.output.report if report is None else report
    with staged_directory(directory) as staging:
        with timer.stage("output"):
            path = write_result(result, staging / "result.h5")
            kill_point("after-result")
            write_xdmf(result, path)
            kill_point("after-xdmf")
        if progress is not None:
            progress("output", 1.0)
        figure_paths: list[Path] = []
        if make_figures:
            from tissue_sim.viz import write_figures

            with timer.stage("figures"):
                figure_paths = write_figures(result, staging / "figures")
        if make_report:
            from tissue_sim.viz import write_report

            with timer.stage("report"):
                write_report(result, staging / "report.html", figures=figure_paths)
        kill_point("after-figures")
    if progress is not None:
        progress("figures", 1.0)
    return result, directory / "result.h5"


def _run_reporting_numerics(scenario: Scenario, progress: ProgressCallback | None) -> RunResult:
    """:func:`run`, with arithmetic failures (NaN, overflow, division by zero in a rate
    or a solver) turned into a :class:`~tissue_sim.errors.RunError` with a clear line."""
    from tissue_sim.errors import RunError

    hint = (
        "a rate expression or parameter may produce NaN or infinite values (check the "
        "model files), or the load is beyond what the mechanics can solve"
    )
    try:
        result = run(scenario, progress=progress)
    except (ArithmeticError, FloatingPointError) as error:
        raise RunError(
            f"the computation stopped: {type(error).__name__} ({error}); {hint}"
        ) from None
    for where, values in _float_arrays(result):
        if not np.all(np.isfinite(values)):
            raise RunError(f"the run produced non-finite values in {where}; {hint}")
    return result


def _float_arrays(item: object, where: str = "") -> Iterator[tuple[str, NDArray[np.floating]]]:
    """Every floating-point array of a result, with its path (``biology.fields.m2``)."""
    import dataclasses

    if isinstance(item, np.ndarray):
        if item.dtype.kind == "f":
            yield where, item
    elif dataclasses.is_dataclass(item) and not isinstance(item, type):
        for entry in dataclasses.fields(item):
            child = f"{where}.{entry.name}" if where else entry.name
            yield from _float_arrays(getattr(item, entry.name), child)
    elif isinstance(item, dict):
        for key, value in item.items():
            yield from _float_arrays(value, f"{where}.{key}" if where else str(key))
