"""Plan a sweep (validate every point up front) and run it, resuming where it stopped.

:func:`plan_sweep` builds the scenario of every design point from the base scenario and
the point's overrides, checks the model-file-dependent parts (:func:`tissue_sim.pipeline
.prepare`) and every output path against it, and keys each run by its run key (the
resolved scenario, the content of every model file and preset it uses, the version;
an edited model file is never served from a stale run) — all before anything runs, so
a mistake in the sweep file costs seconds, not a night of computing. :func:`run_sweep`
runs the runs that are not complete yet on the chosen executor and writes the summary.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tissue_sim.config import Scenario, read_yaml, scenario_from_mapping
from tissue_sim.errors import InputError
from tissue_sim.loading import course_duration
from tissue_sim.sweep.designs import Design, DesignPoint, build_design
from tissue_sim.sweep.executors import make_executor
from tissue_sim.sweep.outputs import check_output_path
from tissue_sim.sweep.spec import SweepSpec, yaml_scalar
from tissue_sim.sweep.store import (
    is_complete,
    record_failure,
    run_directory,
    write_manifest,
)
from tissue_sim.sweep.summary import SweepSummary, summarise

__all__ = ["PlannedRun", "SweepPlan", "plan_sweep", "run_sweep"]


@dataclass(frozen=True)
class PlannedRun:
    """One design point with its validated scenario key.

    Attributes
    ----------
    point
        The design point.
    overrides
        ``key=value`` overrides applied to the base scenario (fixed, then axes).
    config_hash
        The run key (:func:`tissue_sim.io.provenance.run_key`: the resolved scenario,
        the content of every model file and tissue preset it uses and the tissue_sim
        version): the run's folder name.
    """

    point: DesignPoint
    overrides: tuple[str, ...]
    config_hash: str


@dataclass(frozen=True)
class SweepPlan:
    """A validated sweep: every point's scenario built and checked.

    Attributes
    ----------
    spec
        The sweep file.
    design
        Its design points.
    runs
        One planned run per design point, in design order.
    base_data
        The base scenario mapping (sent to the workers).
    output_units
        Unit of every output, in the order of ``spec.outputs``.
    """

    spec: SweepSpec
    design: Design
    runs: tuple[PlannedRun, ...]
    base_data: Mapping[str, Any]
    output_units: tuple[str, ...]

    def unique_hashes(self) -> list[str]:
        """Run keys in design order, each once (points may share a scenario)."""
        return list(dict.fromkeys(run.config_hash for run in self.runs))

    def manifest(self) -> dict[str, Any]:
        """Plain data written to ``design.json``: all ``--summarise`` needs."""
        spec = self.spec
        return {
            "name": spec.name,
            "description": spec.description,
            "sweep_file": str(Path(spec.file).resolve()) if spec.file else None,
            "base": str(spec.base),
            "fixed": list(spec.fixed),
            "design": {
                "type": spec.design.kind,
                "samples": spec.design.samples,
                "seed": spec.design.seed,
                "confidence": spec.design.confidence,
                "resamples": spec.design.resamples,
                "trajectories": spec.design.trajectories,
                "levels": spec.design.levels,
            },
            "axes": [
                {"path": axis.path, "kind": axis.kind, "unit": axis.unit, "label": axis.label}
                for axis in spec.axes
            ],
            "outputs": [
                {"name": output.name, "path": output.path.text, "unit": unit}
                for output, unit in zip(spec.outputs, self.output_units, strict=True)
            ],
            "points": [
                {
                    "index": run.point.index,
                    "values": list(run.point.values),
                    "display": list(run.point.display),
                    "block": run.point.block,
                    "sample": run.point.sample,
                    "axis": run.point.axis,
                    "unit": list(run.point.unit),
                    "hash": run.config_hash,
                    "overrides": list(run.overrides),
                }
                for run in self.runs
            ],
        }


def _related(error_key: str | None, path: str) -> bool:
    key = error_key or ""
    return bool(key) and (key == path or key.startswith(path + ".") or path.startswith(key + "."))


def _point_error(spec: SweepSpec, point: DesignPoint, error: InputError) -> InputError:
    """Re-locate a scenario error of one design point in the sweep file."""
    assignments = ", ".join(
        f"{axis.path}={value}" for axis, value in zip(spec.axes, point.values, strict=True)
    )
    where = f"at design point {point.index} ({assignments}) of base scenario {spec.base.name}"
    for axis in spec.axes:
        if _related(error.key, axis.path):
            return InputError(
                f"{error.message} ({where})", file=spec.file, key=f"parameters.{axis.path}"
            )
    inside = f"{error.key}: " if error.key else ""
    return InputError(f"{inside}{error.message} ({where})", file=spec.file, key="parameters")


def _base_error(spec: SweepSpec, error: InputError) -> InputError:
    """Re-locate an error of the base scenario with the fixed overrides."""
    for text in spec.fixed:
        key = text.partition("=")[0].strip()
        if _related(error.key, key):
            return InputError(
                f"{error.message} (in base scenario {spec.base.name})",
                file=spec.file,
                key=f"set.{key}",
            )
    return InputError(f"in the base scenario: {error}", file=spec.file, key="base")


class _Checker:
    """Checks scenarios against model files and output paths, caching what repeats."""

    def __init__(self, spec: SweepSpec) -> None:
        self.spec = spec
        self._prepared: dict[str, dict[str, str] | None] = {}
        self._outputs: dict[str, tuple[str, ...]] = {}
        self._digests: dict[str, dict[str, str]] = {}

    def run_key(self, scenario: Scenario) -> str:
        """The run key (scenario + model files' content + version), digests cached."""
        from tissue_sim import __version__
        from tissue_sim.io.provenance import input_digests, run_key_of

        inputs_key = json.dumps(
            [scenario.tissue.preset, scenario.biology.enabled, list(scenario.biology.models)]
        )
        if inputs_key not in self._digests:
            self._digests[inputs_key] = input_digests(scenario)
        return run_key_of(scenario.config_hash(), self._digests[inputs_key], __version__)

    def species_units(self, scenario: Scenario) -> dict[str, str] | None:
        from tissue_sim.pipeline import prepare

        resolved = scenario.resolved()
        key = json.dumps([resolved["biology"], resolved["schedule"]], sort_keys=True, default=str)
        if key not in self._prepared:
            model = prepare(scenario).cell_model
            self._prepared[key] = None if model is None else {s.name: s.unit for s in model.species}
        return self._prepared[key]

    def output_units(self, scenario: Scenario) -> tuple[str, ...]:
        species = self.species_units(scenario)
        layers = scenario.tissue.layer_names
        course = course_duration(scenario.schedule)
        key = json.dumps([layers, species, course], sort_keys=True)
        if key not in self._outputs:
            units = []
            for output in self.spec.outputs:
                try:
                    units.append(
                        check_output_path(
                            output.path, layers=layers, species_units=species, course=course
                        )
                    )
                except InputError as error:
                    raise InputError(
                        error.message, file=self.spec.file, key=f"outputs.{output.name}"
                    ) from None
            self._outputs[key] = tuple(units)
        return self._outputs[key]


def plan_sweep(spec: SweepSpec, *, progress: bool = False) -> SweepPlan:
    """Build and validate the scenario of every design point, before anything runs.

    Parameters
    ----------
    spec
        The sweep.
    progress
        Show a progress bar while checking (useful for large designs).

    Returns
    -------
    SweepPlan
        The design with every point's overrides and run key.

    Raises
    ------
    InputError
        Naming the sweep file, the key path (``parameters.<path>``, ``set.<key>`` or
        ``outputs.<name>``), the design point and what was expected.
    """
    from tissue_sim.pipeline import prepare

    base_data = read_yaml(spec.base)
    base_file = str(spec.base)
    checker = _Checker(spec)
    try:
        base = scenario_from_mapping(base_data, file=base_file, overrides=spec.fixed)
        prepare(base)
    except InputError as error:
        raise _base_error(spec, error) from None
    design = build_design(spec)
    units = checker.output_units(base)
    runs = []
    points: Sequence[DesignPoint] = design.points
    if progress:
        from tqdm import tqdm

        points = tqdm(points, desc="checking", unit="point", file=sys.stderr, leave=False)
    for point in points:
        overrides = spec.fixed + tuple(
            f"{axis.path}={yaml_scalar(value)}"
            for axis, value in zip(spec.axes, point.values, strict=True)
        )
        try:
            scenario = scenario_from_mapping(base_data, file=base_file, overrides=overrides)
            checker.output_units(scenario)
        except InputError as error:
            raise _point_error(spec, point, error) from None
        runs.append(PlannedRun(point, overrides, checker.run_key(scenario)))
    return SweepPlan(spec, design, tuple(runs), base_data, units)


def run_sweep(
    sweep: SweepSpec | SweepPlan,
    directory: str | Path,
    *,
    workers: int | None = None,
    executor: str = "local",
    address: str | None = None,
    quiet: bool = False,
    plots: bool = True,
) -> SweepSummary:
    """Run a sweep into ``directory`` (resuming an earlier attempt) and summarise it.

    Every point is validated first (:func:`plan_sweep`). Runs whose ``result.h5``
    exists are not recomputed; failed runs of an earlier attempt are tried again. A run
    that fails is recorded (``error.txt``) and the sweep goes on.

    Parameters
    ----------
    sweep
        The sweep, or its plan from :func:`plan_sweep` (then it is not planned again).
    directory
        The sweep folder (created if needed).
    workers
        Worker processes (default: the CPUs available).
    executor
        ``local`` (process pool) or ``dask``.
    address
        Scheduler address for ``dask`` (default: a new LocalCluster).
    quiet
        No progress bar or messages.
    plots
        Draw the summary plots.

    Returns
    -------
    SweepSummary
        The summary (also written to ``directory``); ``failed`` counts failed runs.
    """
    from tissue_sim.sweep._worker import RunTask, run_task

    runner = make_executor(executor, workers=workers, address=address)
    plan = sweep if isinstance(sweep, SweepPlan) else plan_sweep(sweep, progress=not quiet)
    spec = plan.spec
    directory = Path(directory).resolve()
    directory.mkdir(parents=True, exist_ok=True)
    write_manifest(directory, plan.manifest())
    overrides = {run.config_hash: run.overrides for run in plan.runs}
    hashes = plan.unique_hashes()
    todo = [h for h in hashes if not is_complete(run_directory(directory, h))]
    tasks = [
        RunTask(plan.base_data, str(spec.base), overrides[h], h, str(run_directory(directory, h)))
        for h in todo
    ]
    if not quiet:
        print(
            f"{spec.name}: {len(plan.runs)} design points, {len(hashes)} runs "
            f"({len(hashes) - len(todo)} already complete, {len(todo)} to run)",
            file=sys.stderr,
        )
    if tasks:
        from tqdm import tqdm

        with (
            runner,
            tqdm(total=len(tasks), desc="sweep", unit="run", file=sys.stderr, disable=quiet) as bar,
        ):
            if not quiet:
                bar.write(f"running on {runner.description}", file=sys.stderr)
            failed = 0
            for task, outcome in runner.run(run_task, tasks):
                if isinstance(outcome, BaseException):
                    message = f"the worker running this point failed: {type(outcome).__name__}"
                    record_failure(task.run_dir, f"{message}: {outcome}".replace("\n", " "))
                    failed += 1
                elif not outcome.ok:
                    failed += 1
                bar.update(1)
                if failed:
                    bar.set_postfix(failed=failed)
    summary = summarise(directory, plots=plots)
    if not quiet:
        print(summary.describe(), file=sys.stderr)
    return summary
