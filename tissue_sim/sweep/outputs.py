"""Named scalar outputs of a run: the output-path grammar, its validation and extraction.

Grammar (segments separated by dots; ``[...]`` is optional)::

    mechanics.layer_stats.<layer>.<quantity>[.<frames>].<column>
    stimulus.layer_stats.<layer>.<feature>[.<steps>].<column>
    biology.layers.<layer>.<species>[.<time>].<column>          the treated course
    biology.control.<layer>.<species>[.<time>].<column>         the untreated control
    biology.effect.<layer>.<species>[.<time>].<column>          treated − untreated
    biology.effect_ratio.<layer>.<species>[.<time>].<column>    treated ÷ untreated

``<layer>``
    A layer of the scenario's tissue (e.g. ``skin``, ``adipose``, ``fascia``, ``muscle``).
``<quantity>``
    A per-cell mechanics scalar of :data:`tissue_sim.pipeline.CELL_SCALAR_UNITS`
    (``max_principal_strain``, ``max_shear_strain``, ``von_mises_stress``, …).
``<feature>``
    A stimulus feature of :data:`tissue_sim.stimulus.FEATURE_NAMES`.
``<species>``
    A species of the scenario's composed cell model (``tgfb1_active``, ``collagen``, …).
``<column>``
    The volume-weighted statistic over the layer's cells: ``mean``, ``max``, ``p10``,
    ``p50`` or ``p90`` for mechanics and stimulus; ``mean``, ``p10`` or ``p90`` for biology.
``<frames>``
    How the load frames of the session's techniques are reduced: ``max`` (default: the
    peak over the cycle), ``min``, ``mean``, ``first`` or ``last``.
``<steps>``
    How the techniques (session steps) of a stimulus are reduced: ``max`` (default),
    ``min``, ``mean``, ``first`` or ``last``.
``<time>``
    Which time of the biology course: ``final`` (default), ``initial``, ``max``, ``min``,
    ``mean`` (time average over the course) or ``day<N>`` (the value N days after the
    start, e.g. ``day7``; linear interpolation between stored times).

The untreated control is the same course from the same initial state without sessions
(every run has it). ``effect`` is the treated statistic minus the untreated one (for
``mean``: the difference of the layer means, in the species' unit), ``effect_ratio`` the
treated statistic divided by the untreated one (1 = no effect; NaN where the untreated
value is 0). The ``<time>`` selector applies to the difference or ratio series (e.g.
``effect_ratio...max.mean`` is the largest ratio of the layer means over the course).

Examples: ``biology.effect.fascia.tgfb1_active.final.mean``,
``biology.effect_ratio.adipose.il6.day7.mean``,
``biology.layers.fascia.tgfb1_active.final.mean``,
``mechanics.layer_stats.adipose.max_shear_strain.max`` (peak over frames of the layer
maximum), ``stimulus.layer_stats.fascia.effective_strain_peak.p90``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np
from numpy.typing import NDArray

from tissue_sim.errors import InputError
from tissue_sim.geometry.layer_statistics import stat
from tissue_sim.io.result import BIOLOGY_COLUMNS, STATISTICS_COLUMNS, BiologyOutput

__all__ = [
    "BIOLOGY_COLUMNS",
    "BIOLOGY_TABLES",
    "BIOLOGY_TIMES",
    "FRAME_REDUCTIONS",
    "STAT_COLUMNS",
    "OutputPath",
    "check_output_path",
    "extract_from_file",
    "extract_from_result",
    "parse_output_path",
]

FloatArray = NDArray[np.float64]

#: Columns of the mechanics and stimulus layer statistics (those of the result).
STAT_COLUMNS = STATISTICS_COLUMNS
#: Reductions over load frames (mechanics) or technique steps (stimulus).
FRAME_REDUCTIONS = ("max", "min", "mean", "first", "last")
#: Named times of the biology course (besides ``day<N>``).
BIOLOGY_TIMES = ("final", "initial", "max", "min", "mean")

#: Biology tables an output path can name, and where each lives in ``result.h5``.
BIOLOGY_TABLES = {
    "layers": "biology/layers",
    "control": "biology/control/layers",
    "effect": "biology/effect/difference",
    "effect_ratio": "biology/effect/ratio",
}

_STAGES = {"mechanics": "layer_stats", "stimulus": "layer_stats", "biology": "layers"}
_DEFAULT_SELECTOR = {"mechanics": "max", "stimulus": "max", "biology": "final"}
_DAY = re.compile(r"^day(\d+(?:_\d+)?)$")


@dataclass(frozen=True)
class OutputPath:
    """A parsed output path.

    Attributes
    ----------
    text
        The path as written.
    stage
        ``mechanics``, ``stimulus`` or ``biology``.
    table
        ``layer_stats`` (mechanics, stimulus) or one of :data:`BIOLOGY_TABLES`.
    layer
        Layer name.
    name
        Mechanics quantity, stimulus feature or species.
    selector
        Frame/step reduction or biology time (the stage's default when omitted).
    column
        Statistic over the layer's cells.
    """

    text: str
    stage: str
    layer: str
    name: str
    selector: str
    column: str
    table: str = ""

    @property
    def dataset(self) -> str:
        """The HDF5 dataset the output is read from."""
        if self.stage == "biology":
            return f"{BIOLOGY_TABLES[self.table or 'layers']}/{self.layer}/{self.name}"
        return f"{self.stage}/{_STAGES[self.stage]}/{self.layer}/{self.name}"

    @property
    def day(self) -> float | None:
        """The day of a ``day<N>`` selector (``day1_5`` is 1.5 days), else ``None``."""
        match = _DAY.match(self.selector)
        return float(match.group(1).replace("_", ".")) if match else None


def parse_output_path(text: str) -> OutputPath:
    """Parse an output path (grammar in the module docstring).

    Raises
    ------
    InputError
        Saying which segment is wrong and what was expected (no file or key: the caller
        adds them).
    """
    parts = text.strip().split(".")
    stages = ", ".join(_STAGES)
    if not parts or parts[0] not in _STAGES:
        raise InputError(f"output path {text!r} must start with one of {stages}")
    stage = parts[0]
    tables = tuple(BIOLOGY_TABLES) if stage == "biology" else (_STAGES[stage],)
    table = parts[1] if len(parts) > 1 else ""
    shape = f"{stage}.{'|'.join(tables)}.<layer>.<name>[.<selector>].<column>"
    if len(parts) not in (5, 6) or table not in tables:
        raise InputError(f"output path {text!r} does not match {shape}")
    if any(not part for part in parts):
        raise InputError(f"output path {text!r} has an empty segment")
    layer, name = parts[2], parts[3]
    selector = parts[4] if len(parts) == 6 else _DEFAULT_SELECTOR[stage]
    column = parts[-1]
    columns = BIOLOGY_COLUMNS if stage == "biology" else STAT_COLUMNS
    if column not in columns:
        raise InputError(
            f"output path {text!r}: unknown column {column!r}; expected one of {', '.join(columns)}"
        )
    if stage == "biology":
        if selector not in BIOLOGY_TIMES and not _DAY.match(selector):
            raise InputError(
                f"output path {text!r}: unknown time {selector!r}; expected one of "
                f"{', '.join(BIOLOGY_TIMES)} or day<N> (e.g. day7)"
            )
    elif selector not in FRAME_REDUCTIONS:
        what = "frame reduction" if stage == "mechanics" else "step reduction"
        raise InputError(
            f"output path {text!r}: unknown {what} {selector!r}; expected one of "
            f"{', '.join(FRAME_REDUCTIONS)}"
        )
    return OutputPath(text.strip(), stage, layer, name, selector, column, table)


def check_output_path(
    path: OutputPath,
    *,
    layers: Sequence[str],
    species_units: Mapping[str, str] | None,
    course: float,
) -> str:
    """Check an output path against one scenario and return the output's unit.

    Parameters
    ----------
    path
        The parsed path.
    layers
        Layer names of the scenario's tissue.
    species_units
        Species → unit of the scenario's composed cell model (``None``: biology is off).
    course
        Length of the treatment course [s] (bounds ``day<N>``).

    Raises
    ------
    InputError
        Naming what does not exist and what does.
    """
    from tissue_sim.pipeline import CELL_SCALAR_UNITS
    from tissue_sim.stimulus import FEATURE_NAMES, FEATURE_UNITS

    if path.layer not in layers:
        raise InputError(
            f"output path {path.text!r}: no layer {path.layer!r}; layers: {', '.join(layers)}"
        )
    if path.stage == "mechanics":
        _require_known(path, CELL_SCALAR_UNITS, "mechanics quantity")
        return CELL_SCALAR_UNITS[path.name]
    if path.stage == "stimulus":
        _require_known(path, FEATURE_NAMES, "stimulus feature")
        return FEATURE_UNITS[path.name]
    if species_units is None:
        raise InputError(
            f"output path {path.text!r}: the scenario's biology is disabled (biology.enabled)"
        )
    if path.name not in species_units:
        raise InputError(
            f"output path {path.text!r}: no species {path.name!r} in the cell model; "
            f"species: {', '.join(species_units)}"
        )
    day = path.day
    if day is not None and day * 86400.0 > course * (1.0 + 1e-12):
        raise InputError(
            f"output path {path.text!r}: day {day:g} lies after the end of the course "
            f"({course / 86400.0:g} days)"
        )
    return "1" if path.table == "effect_ratio" else species_units[path.name]


def _require_known(path: OutputPath, names: Sequence[str] | Mapping[str, str], what: str) -> None:
    """Refuse a path whose quantity is not one of ``names`` (a ``what``, e.g. stimulus feature)."""
    if path.name not in names:
        raise InputError(
            f"output path {path.text!r}: no {what} {path.name!r}; expected one "
            f"of {', '.join(names)}"
        )


def _reduce_rows(table: FloatArray, selector: str, column: int) -> float:
    values = np.atleast_2d(table)[:, column]
    if selector == "first":
        return float(values[0])
    if selector == "last":
        return float(values[-1])
    if selector == "max":
        return float(np.max(values))
    if selector == "min":
        return float(np.min(values))
    return float(np.mean(values))


def _biology_value(path: OutputPath, table: FloatArray, time: FloatArray) -> float:
    values = stat(table, path.column, BIOLOGY_COLUMNS)
    selector = path.selector
    if selector == "final":
        return float(values[-1])
    if selector == "initial":
        return float(values[0])
    if selector == "max":
        return float(np.max(values))
    if selector == "min":
        return float(np.min(values))
    if selector == "mean":
        span = float(time[-1] - time[0])
        if span <= 0.0:
            return float(values[-1])
        area = np.sum(np.diff(time) * (values[1:] + values[:-1])) / 2.0
        return float(area / span)
    day = path.day
    assert day is not None
    return float(np.interp(day * 86400.0, time, values))


def _value(path: OutputPath, table: FloatArray, time: FloatArray | None) -> float:
    if path.stage == "biology":
        assert time is not None
        return _biology_value(path, table, time)
    return _reduce_rows(table, path.selector, STAT_COLUMNS.index(path.column))


def extract_from_file(result_file: str | Path, paths: Sequence[OutputPath]) -> list[float]:
    """Read the outputs from a ``result.h5`` (only the datasets they need).

    Raises
    ------
    KeyError
        If the file lacks a dataset an output needs.
    """
    values = []
    with h5py.File(result_file, "r") as f:
        time = f["biology/time"][()] if any(p.stage == "biology" for p in paths) else None
        for path in paths:
            table = f[path.dataset][()]
            values.append(_value(path, np.asarray(table, dtype=float), time))
    return values


def extract_from_result(result: object, paths: Sequence[OutputPath]) -> list[float]:
    """The outputs of an in-memory :class:`~tissue_sim.io.RunResult`."""
    from tissue_sim.io import RunResult

    assert isinstance(result, RunResult)
    values = []
    for path in paths:
        time = None
        if path.stage == "mechanics":
            table = result.mechanics.layer_stats[path.layer][path.name]
        elif path.stage == "stimulus":
            if result.stimulus is None:
                raise KeyError("the result has no stimulus")
            table = result.stimulus.layer_stats[path.layer][path.name]
        else:
            if result.biology is None:
                raise KeyError("the result has no biology")
            table = _biology_table(result.biology, path.table or "layers")[path.layer][path.name]
            time = result.biology.time
        values.append(_value(path, np.asarray(table, dtype=float), time))
    return values


def _biology_table(biology: BiologyOutput, table: str) -> dict[str, dict[str, FloatArray]]:
    if table == "layers":
        return biology.layers
    if biology.control is None:
        raise KeyError("the result has no untreated control (a format-version-1 file)")
    if table == "control":
        return biology.control
    return biology.effect_difference if table == "effect" else biology.effect_ratio
