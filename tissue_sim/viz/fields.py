"""Per-cell fields of a result, by name, in display units; the frame and cut to show.

Names a picture can show (``tissue-sim view --field NAME``):

* mechanics (one load frame, ``--frame K``): every ``result.mechanics.cell_scalars`` name
  (``max_principal_strain``, ``max_shear_strain``, ``von_mises_stress``, …) and
  ``displacement`` (magnitude, averaged over each cell's vertices);
* stimulus (dose features over one cycle): every ``result.stimulus.features`` name;
* biology (one output time, ``--time T``): every species name and every derived quantity
  the model files declare (``report`` entries with an ``expression``, e.g. an M2 share),
  ``<name>_effect`` (treated ÷ untreated − 1 per cell, %: against the run's untreated
  control) and ``<name>_change`` (change from the start of the course, %).

Strains are shown in %, stresses in kPa, displacements in mm; normalised species are
dimensionless (healthy tissue = 1, or what the model file says 1 is).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from tissue_sim.errors import InputError
from tissue_sim.io import BiologyOutput, RunResult
from tissue_sim.viz._grid import CutPlane, snap_offset
from tissue_sim.viz._loads import SkinLoads
from tissue_sim.viz._quantities import (
    available_quantities,
    cell_values,
    initial_value,
    quantity_label,
    quantity_unit,
)
from tissue_sim.viz._style import measure_label

__all__ = [
    "CellField",
    "available_fields",
    "choose_cut",
    "deformation_scale",
    "display_unit",
    "effective_measure",
    "peak_frame",
    "resolve_field",
]

FloatArray = NDArray[np.float64]

_NOT_STRAIN = {"cycles_per_session", "fibre_stretch_peak", "cycle_frequency"}


@dataclass
class CellField:
    """One per-cell field ready to draw.

    Attributes
    ----------
    name
        Field name as asked for.
    label
        Plain-language name.
    unit
        Display unit (``%``, ``kPa``, ``mm``, ``–``).
    values
        Per-cell values ``(m,)`` in the display unit.
    when
        Plain description of the moment shown (frame and technique, or day).
    frame
        Mechanics frame shown (also the deformed shape), or ``None`` for biology fields.
    diverging
        True for signed changes (draw with a colour map centred on zero).
    """

    name: str
    label: str
    unit: str
    values: FloatArray
    when: str
    frame: int | None
    diverging: bool = False

    @property
    def title(self) -> str:
        """``label [unit]`` for scalar bars and axes."""
        return f"{self.label} [{self.unit}]"


def display_unit(name: str, unit: str) -> tuple[float, str]:
    """Factor from SI to the display unit, and that unit, for a quantity.

    Parameters
    ----------
    name
        Quantity name (strains become %).
    unit
        Its SI unit as stored in the result.
    """
    if unit == "Pa":
        return 1e-3, "kPa"
    if unit == "m":
        return 1e3, "mm"
    if unit == "J/m**3":
        return 1.0, "J/m³"
    if unit == "1/s":
        return 100.0, "%/s"
    if unit in ("1", ""):
        if name in _NOT_STRAIN:
            return 1.0, "–"
        return 100.0, "%"
    return 1.0, unit


def effective_measure(result: RunResult) -> str:
    """The strain measure the run's dose features use (default: largest principal)."""
    measure = result.stimulus.effective_measure if result.stimulus else "max_principal_strain"
    return measure if measure in result.mechanics.cell_scalars else "max_principal_strain"


def peak_frame(result: RunResult, measure: str | None = None, step: int | None = None) -> int:
    """The loaded frame with the largest strain anywhere (optionally within one technique).

    Parameters
    ----------
    result
        The run.
    measure
        Cell scalar to rank frames by (default :func:`effective_measure`).
    step
        Only frames of this technique step.
    """
    values = result.mechanics.cell_scalars[measure or effective_measure(result)]
    per_frame = np.max(np.abs(values), axis=1)
    if step is not None:
        per_frame = np.where(result.mechanics.frame_step == step, per_frame, -np.inf)
    return int(np.argmax(per_frame))


def deformation_scale(displacement: FloatArray, height: float) -> float:
    """Factor for drawing a displacement: true scale unless it would be invisible.

    Returns 1 when the largest displacement is at least 2 % of the block height, else a
    round factor (1, 2, 5 × 10ⁿ) that makes it about 5 % of the height.

    Parameters
    ----------
    displacement
        Node displacements ``(n, 3)`` [m].
    height
        Block height [m].
    """
    largest = float(np.max(np.linalg.norm(displacement, axis=-1))) if displacement.size else 0.0
    if largest <= 0.0 or largest >= 0.02 * height:
        return 1.0
    wanted = 0.05 * height / largest
    exponent = np.floor(np.log10(wanted))
    for mantissa in (5.0, 2.0, 1.0):
        if mantissa * 10**exponent <= wanted:
            return float(mantissa * 10**exponent)
    return float(10**exponent)


def choose_cut(result: RunResult, frame: int, loads: SkinLoads) -> CutPlane:
    """The vertical cut through the centre of the load of a frame.

    The centre is the pressure-weighted centre of the skin load (or, without load frames,
    of the skin's downward displacement); the cut runs along the direction of the
    tangential load (along ``x`` when there is none).
    """
    points = result.mesh.points
    top = np.isclose(points[:, 2], loads.top, rtol=0.0, atol=1e-9 * max(loads.top, 1e-12))
    skin = points[top]
    traction = loads.traction(frame, skin[:, :2])
    if traction is not None:
        weight = np.clip(-traction[:, 2], 0.0, None)
    else:
        sink = np.clip(-result.mechanics.displacement[frame][top, 2], 0.0, None)
        weight = np.where(sink >= 0.5 * sink.max(), sink, 0.0) if sink.max() > 0 else sink
    if weight.sum() > 0:
        centre = (weight @ skin[:, :2]) / weight.sum()
    else:
        centre = 0.5 * (points[:, :2].min(axis=0) + points[:, :2].max(axis=0))
    force = result.mechanics.applied_force[frame]
    normal_axis = 0 if abs(force[1]) > abs(force[0]) else 1
    offset = snap_offset(points[:, normal_axis], float(centre[normal_axis]))
    return CutPlane(normal_axis, offset, (float(centre[0]), float(centre[1])))


def available_fields(result: RunResult) -> dict[str, str]:
    """Field names a picture can show → ``mechanics``, ``stimulus`` or ``biology``."""
    names = {name: "mechanics" for name in result.mechanics.cell_scalars}
    names["displacement"] = "mechanics"
    if result.stimulus is not None:
        names.update({name: "stimulus" for name in result.stimulus.features})
    if result.biology is not None:
        quantities = available_quantities(result.biology)
        names.update({name: "biology" for name in quantities})
        names.update({f"{name}_change": "biology" for name in quantities})
        if result.biology.control_fields:
            names.update({f"{name}_effect": "biology" for name in quantities})
    return names


def _frame_when(result: RunResult, frame: int) -> str:
    mech = result.mechanics
    step = int(mech.frame_step[frame])
    technique = mech.step_names[step].replace("_", " ")
    return f"frame {frame} ({technique}, t = {mech.frame_time[frame]:.2f} s into its cycle)"


def _check_frame(result: RunResult, frame: int | None) -> int:
    count = result.mechanics.frame_time.shape[0]
    if frame is None:
        return peak_frame(result)
    if not 0 <= frame < count:
        raise InputError(
            f"no frame {frame}: this result has frames 0 to {count - 1}", key="--frame"
        )
    return frame


def _days(seconds: float) -> str:
    days = seconds / 86400.0
    return f"day {days:g}" if abs(days - round(days)) < 1e-9 else f"{days:.3g} days"


def _field_time_index(biology: BiologyOutput, time_text: str | None) -> int:
    times = biology.field_times
    if times.size == 0:
        raise InputError("this result stores no biology fields", key="--field")
    if time_text is None:
        return int(times.size - 1)
    from tissue_sim.config import parse_quantity

    wanted = parse_quantity(time_text, "time", key="--time")
    index = int(np.argmin(np.abs(times - wanted)))
    if abs(times[index] - wanted) > max(60.0, 1e-6 * abs(wanted)):
        listed = ", ".join(f"{t / 86400:g} d" for t in times)
        raise InputError(
            f"no biology field at {time_text}; fields are stored at {listed}", key="--time"
        )
    return index


def resolve_field(
    result: RunResult,
    name: str | None = None,
    frame: int | None = None,
    time: str | None = None,
) -> CellField:
    """A named per-cell field at a frame or an output time, in display units.

    Parameters
    ----------
    result
        The run.
    name
        Field name (see the module docstring); default: the effective strain.
    frame
        Mechanics frame (default: the frame with the largest strain).
    time
        Biology output time with a unit, e.g. ``"7 d"`` (default: the last).

    Raises
    ------
    InputError
        Unknown field, frame or time, or a frame given for a biology field (and a time
        for a mechanics field).
    """
    fields = available_fields(result)
    name = name or effective_measure(result)
    if name not in fields:
        raise InputError(
            f"no field {name!r} in this result; available: {', '.join(sorted(fields))}",
            key="--field",
        )
    kind = fields[name]
    if kind == "biology":
        if frame is not None:
            raise InputError(f"{name} is a biology field: give --time, not --frame")
        return _biology_field(result, name, time)
    if time is not None:
        raise InputError(f"{name} is a {kind} field: give --frame, not --time")
    shown = _check_frame(result, frame)
    if kind == "stimulus":
        return _stimulus_field(result, name, shown)
    mech = result.mechanics
    if name == "displacement":
        per_node = np.linalg.norm(mech.displacement[shown], axis=1)
        raw = per_node[result.mesh.linear_cells].mean(axis=1)
        unit = "m"
    else:
        raw = mech.cell_scalars[name][shown]
        unit = mech.units.get(name, "1")
    factor, shown_unit = display_unit(name, unit)
    return CellField(
        name, measure_label(name), shown_unit, factor * raw, _frame_when(result, shown), shown
    )


def _stimulus_field(result: RunResult, name: str, frame: int) -> CellField:
    assert result.stimulus is not None
    values = result.stimulus.features[name]
    step = int(result.mechanics.frame_step[frame])
    if values.ndim == 2:
        values = values[step]
    factor, unit = display_unit(name, result.stimulus.units.get(name, "1"))
    technique = result.mechanics.step_names[step].replace("_", " ")
    return CellField(
        name, measure_label(name), unit, factor * values, f"one {technique} cycle", frame
    )


def _biology_field(result: RunResult, name: str, time: str | None) -> CellField:
    biology = result.biology
    assert biology is not None
    index = _field_time_index(biology, time)
    when = f"{_days(float(biology.field_times[index]))} of the course"
    quantities = available_quantities(biology)
    if name.endswith("_effect") and name not in quantities:
        quantity = name.removesuffix("_effect")
        treated = cell_values(biology, quantity, index)
        untreated = cell_values(biology, quantity, index, control=True)
        label = f"{quantity_label(biology, quantity)}: treated vs untreated"
        if np.any(untreated == 0.0):  # no ratio to zero: show the difference
            unit = quantity_unit(biology, quantity)
            return CellField(name, label, unit, treated - untreated, when, None, diverging=True)
        effect = 100.0 * (treated / untreated - 1.0)
        return CellField(name, label, "%", effect, when, None, diverging=True)
    if name.endswith("_change") and name not in quantities:
        quantity = name.removesuffix("_change")
        start = initial_value(biology, quantity)
        label = f"change of {quantity_label(biology, quantity)} from the start"
        change = cell_values(biology, quantity, index) - start
        if start == 0.0:  # no relative change from zero: show the absolute change
            unit = quantity_unit(biology, quantity)
            return CellField(name, label, unit, change, when, None, diverging=True)
        return CellField(name, label, "%", 100.0 * change / start, when, None, diverging=True)
    return CellField(
        name,
        quantity_label(biology, name),
        quantity_unit(biology, name),
        cell_values(biology, name, index),
        when,
        None,
    )
