"""The sweep summary: one row per design point, from the runs on disk.

Writes, into the sweep folder:

* ``summary.csv`` — columns ``index``, ``run`` (the run's config hash), one column per
  parameter (``path [unit]``, in the axis unit), one per output (``name [unit]``),
  ``status`` (``ok``, ``failed`` or ``pending``: not run yet), ``error`` and
  ``wall_time [s]``; rows in design order. Outputs of runs that did not finish are empty.
* ``summary.h5`` — the same columns as datasets with a ``units`` attribute
  (``/parameters/<path>``, ``/outputs/<name>``, ``/index``, ``/run``, ``/status``,
  ``/error``, ``/wall_time``) and, for Sobol designs, ``/sensitivity/<output>/`` with
  ``S1``, ``S1_conf``, ``ST``, ``ST_conf`` (one value per parameter, attribute
  ``parameters``); for Morris designs, ``/morris/<output>/`` with ``mu_star``, ``mu``,
  ``sigma`` and their ``*_conf`` half-widths (in the output's unit per parameter range).
* ``sensitivity.csv`` (Sobol designs) — one row per output and parameter.
* ``morris.csv`` (Morris designs) — one row per output and parameter, most influential
  parameter (largest μ*) first.
* ``plots/`` — see :mod:`tissue_sim.sweep.plots`.

Everything is rebuilt from ``design.json`` and ``runs/``: ``tissue-sim sweep --summarise
DIR`` gives the same files as the end of the sweep.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h5py
import numpy as np
from numpy.typing import NDArray

from tissue_sim.io import atomic_path
from tissue_sim.sweep.designs import DesignPoint
from tissue_sim.sweep.outputs import extract_from_file, parse_output_path
from tissue_sim.sweep.sensitivity import (
    MorrisIndices,
    SobolIndices,
    morris_indices,
    saltelli_blocks,
    sobol_indices,
)
from tissue_sim.sweep.store import (
    RESULT_NAME,
    read_manifest,
    read_state,
    run_directory,
    write_text_atomic,
)

__all__ = ["SweepSummary", "summarise", "unit_label"]

FloatArray = NDArray[np.float64]


def unit_label(name: str, unit: str) -> str:
    """``name [unit]``, or just ``name`` for dimensionless quantities."""
    return f"{name} [{unit}]" if unit and unit != "1" else name


@dataclass
class SweepSummary:
    """The summary table of a sweep.

    Attributes
    ----------
    directory
        The sweep folder.
    name, design
        Sweep name and design type.
    axes
        Axis records of ``design.json`` (path, kind, unit, label).
    outputs
        Output records (name, path, unit).
    parameters
        ``(n_points, n_axes)`` values in the axis units (floats, or text for categories).
    values
        ``(n_points, n_outputs)`` outputs; NaN where a run did not finish.
    status, errors, hashes
        Per point.
    wall_time
        Per point [s].
    points
        The design points (blocks of a Sobol design, trajectories of a Morris design).
    sensitivity
        Output name → Sobol indices (Sobol designs).
    morris
        Output name → Morris statistics (Morris designs).
    files
        Files written.
    """

    directory: Path
    name: str
    design: str
    axes: list[dict[str, Any]]
    outputs: list[dict[str, Any]]
    parameters: list[list[Any]]
    values: FloatArray
    status: list[str]
    errors: list[str]
    hashes: list[str]
    wall_time: FloatArray
    points: list[DesignPoint]
    sensitivity: dict[str, SobolIndices] = field(default_factory=dict)
    morris: dict[str, MorrisIndices] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)

    def _runs(self, status: str) -> int:
        return len({h for h, s in zip(self.hashes, self.status, strict=True) if s == status})

    @property
    def ok(self) -> int:
        """Runs (distinct scenarios) that finished."""
        return self._runs("ok")

    @property
    def failed(self) -> int:
        """Runs that failed."""
        return self._runs("failed")

    @property
    def pending(self) -> int:
        """Runs not attempted yet (or interrupted)."""
        return self._runs("pending")

    @property
    def all_ok(self) -> bool:
        """Whether every run finished."""
        return self.failed == 0 and self.pending == 0

    @property
    def output_labels(self) -> list[str]:
        """``name [unit]`` of every output (the column headers and the plots' axes)."""
        return [unit_label(output["name"], output["unit"]) for output in self.outputs]

    def describe(self) -> str:
        """A short report for the terminal."""
        lines = [f"{self.name}: {self.ok} run(s) ok, {self.failed} failed, {self.pending} not run"]
        failures = [
            f"  point {index} failed: {error}"
            for index, (status, error) in enumerate(zip(self.status, self.errors, strict=True))
            if status == "failed"
        ]
        lines.extend(failures[:10])
        if len(failures) > 10:
            lines.append(f"  … and {len(failures) - 10} more (see summary.csv)")
        written = ", ".join(str(path.relative_to(self.directory)) for path in self.files)
        lines.append(f"wrote {written} in {self.directory}")
        return "\n".join(lines)


def _point(record: dict[str, Any]) -> DesignPoint:
    return DesignPoint(
        int(record["index"]),
        tuple(record["values"]),
        tuple(record["display"]),
        str(record["block"]),
        int(record["sample"]),
        int(record["axis"]),
        tuple(float(x) for x in record.get("unit", ())),
    )


def summarise(directory: str | Path, *, plots: bool = True) -> SweepSummary:
    """Build the summary of a sweep folder from ``design.json`` and the runs on disk.

    Parameters
    ----------
    directory
        The sweep folder.
    plots
        Draw the plots into ``plots/``.

    Returns
    -------
    SweepSummary
        The table (also written as ``summary.csv`` and ``summary.h5``).

    Raises
    ------
    InputError
        If ``directory`` holds no sweep.
    """
    directory = Path(directory).resolve()
    manifest = read_manifest(directory)
    outputs = manifest["outputs"]
    paths = [parse_output_path(output["path"]) for output in outputs]
    states: dict[str, tuple[str, str, float, list[float]]] = {}
    for record in manifest["points"]:
        config_hash = record["hash"]
        if config_hash in states:
            continue
        folder = run_directory(directory, config_hash)
        state = read_state(folder)
        values = [math.nan] * len(paths)
        status, error = state.status, state.error
        if status == "ok":
            try:
                values = extract_from_file(folder / RESULT_NAME, paths)
            except (KeyError, OSError, ValueError) as exc:
                status, error = "failed", f"cannot read the outputs from {RESULT_NAME}: {exc}"
        states[config_hash] = (status, error, state.wall_time, values)
    rows = [states[record["hash"]] for record in manifest["points"]]
    summary = SweepSummary(
        directory=directory,
        name=str(manifest["name"]),
        design=str(manifest["design"]["type"]),
        axes=list(manifest["axes"]),
        outputs=list(outputs),
        parameters=[list(record["display"]) for record in manifest["points"]],
        values=np.array([row[3] for row in rows], dtype=float).reshape(len(rows), len(paths)),
        status=[row[0] for row in rows],
        errors=[row[1] for row in rows],
        hashes=[record["hash"] for record in manifest["points"]],
        wall_time=np.array([row[2] for row in rows], dtype=float),
        points=[_point(record) for record in manifest["points"]],
    )
    if summary.design == "sobol":
        summary.sensitivity = _sensitivity(summary, manifest["design"])
    elif summary.design == "morris":
        summary.morris = _morris(summary, manifest["design"])
    summary.files.append(_write_csv(summary))
    summary.files.append(_write_hdf5(summary, manifest))
    if summary.sensitivity:
        summary.files.append(_write_sensitivity_csv(summary))
    if summary.morris:
        summary.files.append(_write_morris_csv(summary))
    if plots:
        from tissue_sim.sweep.plots import plot_summary

        summary.files.extend(plot_summary(summary, directory / "plots"))
    return summary


def _sensitivity(summary: SweepSummary, design: dict[str, Any]) -> dict[str, SobolIndices]:
    indices = {}
    for column, output in enumerate(summary.outputs):
        f_a, f_b, f_ab = saltelli_blocks(
            summary.points, summary.values[:, column], len(summary.axes)
        )
        if f_a.shape[0] < 2:
            continue
        indices[output["name"]] = sobol_indices(
            f_a,
            f_b,
            f_ab,
            confidence=float(design.get("confidence", 0.95)),
            resamples=int(design.get("resamples", 1000)),
            seed=int(design.get("seed", 0)),
        )
    return indices


def _morris(summary: SweepSummary, design: dict[str, Any]) -> dict[str, MorrisIndices]:
    unit = np.array([point.unit for point in summary.points], dtype=float)
    statistics = {}
    for column, output in enumerate(summary.outputs):
        indices = morris_indices(
            unit,
            summary.values[:, column],
            levels=int(design["levels"]),
            confidence=float(design.get("confidence", 0.95)),
            resamples=int(design.get("resamples", 1000)),
            seed=int(design.get("seed", 0)),
        )
        if indices.trajectories >= 2:
            statistics[output["name"]] = indices
    return statistics


#: The statistics of ``morris.csv`` and ``/morris/<output>/`` (attributes of
#: :class:`~tissue_sim.sweep.sensitivity.MorrisIndices`).
_MORRIS_STATISTICS = ("mu_star", "mu_star_conf", "mu", "mu_conf", "sigma", "sigma_conf")


def _write_morris_csv(summary: SweepSummary) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        ["output", "parameter", "unit", *_MORRIS_STATISTICS, "rank", "confidence", "trajectories"]
    )
    units = {output["name"]: output["unit"] for output in summary.outputs}
    for name, indices in summary.morris.items():
        for rank, i in enumerate(indices.ranking(), start=1):
            writer.writerow(
                [name, summary.axes[i]["path"], units[name]]
                + [repr(float(getattr(indices, key)[i])) for key in _MORRIS_STATISTICS]
                + [rank, indices.confidence, indices.trajectories]
            )
    return write_text_atomic(summary.directory / "morris.csv", buffer.getvalue())


def _text(value: Any) -> str:
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _write_csv(summary: SweepSummary) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        ["index", "run"]
        + [axis["label"] for axis in summary.axes]
        + [unit_label(output["name"], output["unit"]) for output in summary.outputs]
        + ["status", "error", "wall_time [s]"]
    )
    for index in range(len(summary.status)):
        ok = summary.status[index] == "ok"
        writer.writerow(
            [index, summary.hashes[index]]
            + [_text(value) for value in summary.parameters[index]]
            + [_text(float(value)) if ok else "" for value in summary.values[index]]
            + [
                summary.status[index],
                summary.errors[index],
                "" if math.isnan(summary.wall_time[index]) else f"{summary.wall_time[index]:.3f}",
            ]
        )
    return write_text_atomic(summary.directory / "summary.csv", buffer.getvalue())


def _write_sensitivity_csv(summary: SweepSummary) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        ["output", "parameter", "S1", "S1_conf", "ST", "ST_conf", "confidence", "samples"]
    )
    for name, indices in summary.sensitivity.items():
        for i, axis in enumerate(summary.axes):
            writer.writerow(
                [
                    name,
                    axis["path"],
                    repr(float(indices.first_order[i])),
                    repr(float(indices.first_order_conf[i])),
                    repr(float(indices.total[i])),
                    repr(float(indices.total_conf[i])),
                    indices.confidence,
                    indices.samples,
                ]
            )
    return write_text_atomic(summary.directory / "sensitivity.csv", buffer.getvalue())


def _write_hdf5(summary: SweepSummary, manifest: dict[str, Any]) -> Path:
    path = summary.directory / "summary.h5"
    strings = h5py.string_dtype()
    with atomic_path(path) as temporary, h5py.File(temporary, "w") as f:
        f.attrs["name"] = summary.name
        f.attrs["design"] = summary.design
        f.attrs["base"] = str(manifest.get("base", ""))
        f.attrs["sweep_file"] = str(manifest.get("sweep_file") or "")
        f.attrs["fixed"] = "\n".join(manifest.get("fixed", []))
        f.create_dataset("index", data=np.arange(len(summary.status)))
        f.create_dataset("run", data=np.array(summary.hashes, dtype=object), dtype=strings)
        f.create_dataset("status", data=np.array(summary.status, dtype=object), dtype=strings)
        f.create_dataset("error", data=np.array(summary.errors, dtype=object), dtype=strings)
        wall = f.create_dataset("wall_time", data=summary.wall_time)
        wall.attrs["units"] = "s"
        parameters = f.create_group("parameters")
        for i, axis in enumerate(summary.axes):
            column = [row[i] for row in summary.parameters]
            if axis["kind"] == "category":
                data = parameters.create_dataset(
                    axis["path"], data=np.array(column, dtype=object), dtype=strings
                )
            else:
                data = parameters.create_dataset(axis["path"], data=np.array(column, float))
            data.attrs["units"] = axis["unit"] or "1"
            data.attrs["kind"] = axis["kind"]
        outputs = f.create_group("outputs")
        for i, output in enumerate(summary.outputs):
            data = outputs.create_dataset(output["name"], data=summary.values[:, i])
            data.attrs["units"] = output["unit"]
            data.attrs["path"] = output["path"]
        if summary.sensitivity:
            group = f.create_group("sensitivity")
            for name, indices in summary.sensitivity.items():
                sub = group.create_group(name)
                sub.attrs["parameters"] = np.array([a["path"] for a in summary.axes], dtype="S")
                sub.attrs["confidence"] = indices.confidence
                sub.attrs["samples"] = indices.samples
                for key, array in (
                    ("S1", indices.first_order),
                    ("S1_conf", indices.first_order_conf),
                    ("ST", indices.total),
                    ("ST_conf", indices.total_conf),
                ):
                    sub.create_dataset(key, data=array).attrs["units"] = "1"
        if summary.morris:
            group = f.create_group("morris")
            units = {output["name"]: output["unit"] for output in summary.outputs}
            for name, statistics in summary.morris.items():
                sub = group.create_group(name)
                sub.attrs["parameters"] = np.array([a["path"] for a in summary.axes], dtype="S")
                sub.attrs["confidence"] = statistics.confidence
                sub.attrs["trajectories"] = statistics.trajectories
                sub.attrs["levels"] = int(manifest["design"]["levels"])
                for key in _MORRIS_STATISTICS:
                    data = sub.create_dataset(key, data=getattr(statistics, key))
                    data.attrs["units"] = units[name]  # output unit per parameter range
    return path
