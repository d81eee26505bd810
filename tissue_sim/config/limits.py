"""Size limits: a scenario's predicted size is estimated when it is read, and refused
beyond the limits, so that a typo (``mesh.size: 0.05 mm``, ``days: 1e7``,
``summary_interval: 1 ms``) costs a clear message at ``check``, not a machine that runs
out of memory an hour later.

The limits have defaults (:data:`DEFAULT_LIMITS`) and are set per scenario in its
``limits:`` section (or ``--set limits.memory="64 GiB"``)::

    limits:
      cells: 2000000            # mesh cells
      unknowns: 6000000         # displacement (+ pressure) unknowns of one solve
      frames: 20000             # load frames of one session, all techniques
      summary_samples: 1000000  # time points of the per-layer biology time courses
      field_values: 200000000   # values of the stored biology fields (times x cells x species)
      memory: "16 GiB"          # predicted peak memory of the run

The estimate (:func:`estimate_size`) uses the same graded axes as the mesher, so the
cell and unknown counts are exact; the memory is a deliberately rough upper estimate
(documented in ``docs/reliability.md``): the stiffness matrix and its factor or
preconditioner, the fields of every load frame, the stimulus features, the biology
states, Jacobian blocks, time courses and stored fields.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, Final

from tissue_sim.config.reader import MappingReader
from tissue_sim.config.units import check_unit_text, unit_registry
from tissue_sim.errors import LimitError, brief

if TYPE_CHECKING:
    from tissue_sim.config.scenario import Scenario

__all__ = [
    "DEFAULT_LIMITS",
    "MAX_COUNTS",
    "Limits",
    "SizeEstimate",
    "check_limits",
    "estimate_size",
    "read_limits",
]

#: Hard upper bounds of counts given in a file, checked before anything is built from
#: them (a count beyond these is a typo whatever the limits say).
MAX_COUNTS: Final[dict[str, int]] = {
    "frames": 1_000_000,
    "sessions_per_day": 1440,
    "days": 1_000_000,
    "weeks": 100_000,
    "treatment_day": 1_000_000,
    "min_layer_elements": 10_000,
    "max_iterations": 10_000_000,
}

#: Elements along one axis of the block beyond which the estimate stops counting.
_AXIS_ELEMENTS: Final[int] = 100_000

#: Species assumed by the memory estimate when the cell models are not loaded yet.
_SPECIES: Final[int] = 16


@dataclass(frozen=True)
class Limits:
    """Largest predicted size of a run that is accepted.

    Attributes
    ----------
    cells
        Mesh cells [-].
    unknowns
        Unknowns of one linear solve [-].
    frames
        Load frames of one session, all techniques together [-].
    summary_samples
        Time points of the per-layer biology time courses [-].
    field_values
        Values of the stored biology fields: output times × cells × species [-].
    memory
        Predicted peak memory [bytes].
    """

    cells: int = 2_000_000
    unknowns: int = 6_000_000
    frames: int = 20_000
    summary_samples: int = 1_000_000
    field_values: int = 200_000_000
    memory: float = 16.0 * 2**30


#: The limits of a scenario without a ``limits:`` section.
DEFAULT_LIMITS: Final = Limits()

_LIMIT_KEYS: Final = {
    "cells": "mesh cells",
    "unknowns": "unknowns of one solve",
    "frames": "load frames per session",
    "summary_samples": "biology summary samples",
    "field_values": "values of the stored biology fields",
    "memory": "memory",
}

_HINTS: Final = {
    "cells": "a coarser mesh.size or a smaller tissue.size lowers it; ",
    "unknowns": "a coarser mesh.size or a smaller tissue.size lowers it; ",
    "memory": "a coarser mesh, fewer frames or days lower it; ",
    "summary_samples": "a longer summary_interval or session_resolution lowers it; ",
    "field_values": "fewer output_times or days lower it; ",
}

_HOW_TO_RAISE: Final = "raise limits.{key} (docs/reliability.md) if this is intended"


def read_limits(reader: MappingReader) -> Limits:
    """Read a ``limits:`` section (absent keys keep their defaults).

    Raises
    ------
    InputError
        For an unknown key, a count that is not a whole number >= 1, or a memory that is
        not an amount such as ``"16 GiB"``.
    """
    values: dict[str, Any] = {}
    for item in fields(Limits):
        if not reader.has(item.name):
            continue
        if item.name == "memory":
            values["memory"] = _read_memory(reader)
        else:
            values[item.name] = reader.integer(item.name, minimum=1)
    reader.finish()
    return Limits(**values)


def _read_memory(reader: MappingReader) -> float:
    value = reader.raw("memory")
    expected = "an amount of memory such as '16 GiB' or '500 MB'"
    if not isinstance(value, str):
        raise reader.error("memory", f"expected {expected}, got {brief(value)}")
    problem = check_unit_text(value.strip(), leading_number=True)
    if problem:
        raise reader.error("memory", f"expected {expected}: {problem}")
    registry = unit_registry()
    try:
        amount = float(registry.Quantity(value.strip()).to("byte").magnitude)
    except Exception:  # pint raises several unrelated types on bad text
        raise reader.error("memory", f"expected {expected}, got {brief(value)}") from None
    if not (math.isfinite(amount) and amount > 0):
        raise reader.error("memory", f"expected a positive amount, got {brief(value)}")
    return amount


@dataclass(frozen=True)
class SizeEstimate:
    """Predicted size of a run.

    Attributes
    ----------
    cells, points, unknowns
        Mesh cells, mesh nodes and unknowns of one solve [-].
    frames
        Load frames of one session [-].
    summary_samples
        Time points of the biology time courses [-].
    field_values
        Values of the stored biology fields [-].
    memory
        Predicted peak memory [bytes].
    """

    cells: int
    points: int
    unknowns: int
    frames: int
    summary_samples: int
    field_values: int
    memory: float

    def describe(self) -> str:
        """One line for ``tissue-sim check``."""
        return (
            f"{self.cells} cells, {self.unknowns} unknowns, {self.frames} frame(s), "
            f"{self.summary_samples} summary samples, about {_bytes(self.memory)}"
        )


def _bytes(amount: float) -> str:
    for unit, scale in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("kiB", 2**10)):
        if amount >= scale:
            return f"{amount / scale:.3g} {unit}"
    return f"{amount:.0f} B"


def _axis_elements(length: float, fine: float, fine_size: float, growth: float, big: float) -> int:
    """Elements of a graded axis (as :func:`tissue_sim.geometry.axes.graded_axis`)."""
    from tissue_sim.geometry.axes import graded_axis

    if length / fine_size > _AXIS_ELEMENTS:
        return int(min(length / fine_size, 1e12))
    half = 0.5 * length
    low, high = max(-half, -0.5 * fine), min(half, 0.5 * fine)
    nodes = graded_axis(-half, half, low, high, fine_size, growth=growth, max_size=big)
    return int(nodes.size - 1)


def _mesh_counts(scenario: Scenario) -> tuple[int, int, int]:
    """(cells, points, unknowns) of the scenario's mesh, before it is built."""
    from tissue_sim.geometry.axes import graded_layers
    from tissue_sim.loading import technique_footprint

    mesh = scenario.mesh
    tissue = scenario.tissue
    size = mesh.size
    big = 6.0 * size if mesh.max_size is None else mesh.max_size
    boxes = [technique_footprint(step.technique) for step in scenario.loading.steps]
    width_x = max(b[1] for b in boxes) - min(b[0] for b in boxes) + 2.0 * mesh.margin
    width_y = max(b[3] for b in boxes) - min(b[2] for b in boxes) + 2.0 * mesh.margin
    nx = _axis_elements(tissue.size[0], width_x, size, mesh.growth, big)
    ny = _axis_elements(tissue.size[1], width_y, size, mesh.growth, big)
    thicknesses = [layer.thickness for layer in tissue.layers]
    top = min(size, thicknesses[0] / mesh.min_layer_elements)
    if tissue.depth / top > _AXIS_ELEMENTS:
        nz = int(min(tissue.depth / top, 1e12))
    else:
        _, counts = graded_layers(
            thicknesses,
            top,
            growth=mesh.growth,
            max_size=big,
            min_elements_per_layer=mesh.min_layer_elements,
        )
        nz = int(sum(counts))
    hexes = nx * ny * nz
    quadratic = mesh.element in ("Q2", "P2")
    cells = hexes * (6 if mesh.element.startswith("P") else 1)
    per_axis = 2 if quadratic else 1
    points = (per_axis * nx + 1) * (per_axis * ny + 1) * (per_axis * nz + 1)
    if mesh.element == "Q2":  # serendipity-free Q2: every node of the 3x3x3 lattice
        points = (2 * nx + 1) * (2 * ny + 1) * (2 * nz + 1)
    pressure = (nx + 1) * (ny + 1) * (nz + 1) if scenario.mechanics.formulation == "mixed" else 0
    return cells, points, 3 * points + pressure


def _summary_samples(scenario: Scenario) -> tuple[int, int]:
    """(summary time points, stored field times) of the biology, without building them."""
    from tissue_sim.loading import course_duration

    biology = scenario.biology
    schedule = scenario.schedule
    course = course_duration(schedule)
    treatment_days = (
        schedule.days if schedule.treatment_days is None else len(schedule.treatment_days)
    )
    sessions = treatment_days * schedule.sessions_per_day
    coarse = course / biology.summary_interval
    fine = sessions * schedule.session_duration / biology.session_resolution
    samples = int(min(coarse + fine + 2 * sessions + 1, 1e18))
    field_times = (
        int(course // 86400.0) if biology.output_times is None else len(biology.output_times)
    )
    return samples, field_times


#: Solver methods that keep no factor (``fem.solvers``: AMG-preconditioned CG, PETSc
#: CG + GAMG). Every other method (``auto``, ``direct``, ``pardiso``, ``cholmod``,
#: ``superlu``, ``mumps``) may factor the matrix and is estimated as direct: a method
#: added later errs on the large side.
ITERATIVE_SOLVERS: Final = ("amg", "petsc")


def estimate_size(scenario: Scenario) -> SizeEstimate:
    """Predict the size of a scenario's run (mesh, frames, biology, memory).

    Parameters
    ----------
    scenario
        A validated scenario.

    Returns
    -------
    SizeEstimate
        The counts and the memory estimate [bytes].
    """
    cells, points, unknowns = _mesh_counts(scenario)
    frames = sum(step.n_frames for step in scenario.loading.steps)
    samples, field_times = (0, 0)
    if scenario.biology.enabled:
        samples, field_times = _summary_samples(scenario)
    species = _SPECIES
    layers = len(scenario.tissue.layers)
    quadratic = scenario.mesh.element in ("Q2", "P2")
    coupling = 375 if quadratic else 81  # nonzeros per row of the stiffness matrix
    matrix = unknowns * coupling * 12.0
    solver = 3.0 if scenario.mechanics.solver in ITERATIVE_SOLVERS else 8.0
    per_frame = 8.0 * (3 * points + cells * (9 + 9 + 12))
    mechanics = matrix * solver + frames * per_frame
    stimulus = 8.0 * cells * 16 * max(1, len(scenario.loading.steps))
    biology = 0.0
    if scenario.biology.enabled:
        biology = 8.0 * (
            cells * species * (species + 8) * 3  # states, block Jacobians, LU, control run
            + samples * layers * species * 3 * 2  # layer time courses, treated and control
            + field_times * cells * species * 2  # stored fields, treated and control
            + samples * 4
        )
    memory = 200 * 2**20 + mechanics + stimulus + biology
    return SizeEstimate(
        cells=cells,
        points=points,
        unknowns=unknowns,
        frames=frames,
        summary_samples=samples,
        field_values=field_times * cells * (species if scenario.biology.enabled else 0),
        memory=float(memory),
    )


def check_limits(scenario: Scenario, limits: Limits, *, file: str | None = None) -> SizeEstimate:
    """Estimate a scenario's size and refuse it beyond ``limits``.

    Raises
    ------
    LimitError
        Naming the file, the key that drives the size (``mesh.size``, ``schedule.days``,
        ``biology.summary_interval``, ...) and the limit, with how to raise it.
    """
    estimate = estimate_size(scenario)
    checks: list[tuple[str, float, float, str]] = [
        ("cells", estimate.cells, limits.cells, "mesh.size"),
        ("unknowns", estimate.unknowns, limits.unknowns, "mesh.size"),
        ("frames", estimate.frames, limits.frames, "loading.frames"),
        (
            "summary_samples",
            estimate.summary_samples,
            limits.summary_samples,
            "biology.summary_interval",
        ),
        ("field_values", estimate.field_values, limits.field_values, "biology.output_times"),
        ("memory", estimate.memory, limits.memory, "mesh.size"),
    ]
    for name, value, limit, key in checks:
        if value > limit:
            shown = _bytes(value) if name == "memory" else f"{value:.4g}"
            allowed = _bytes(limit) if name == "memory" else f"{limit:.4g}"
            culprit = _culprit(scenario, name, key)
            hint = _HINTS.get(name, "")
            raise LimitError(
                f"the run would need {shown} {_LIMIT_KEYS[name]}, more than the limit of "
                f"{allowed} ({estimate.describe()}); {hint}" + _HOW_TO_RAISE.format(key=name),
                file=file,
                key=culprit,
            )
    return estimate


def _culprit(scenario: Scenario, name: str, default: str) -> str:
    """The key that most likely drives the size that broke the limit."""
    raw: Mapping[str, Any] = scenario.raw
    schedule = raw.get("schedule") if isinstance(raw.get("schedule"), Mapping) else {}
    biology = raw.get("biology") if isinstance(raw.get("biology"), Mapping) else {}
    assert isinstance(schedule, Mapping) and isinstance(biology, Mapping)
    if name == "summary_samples":
        if "summary_interval" in biology:
            return "biology.summary_interval"
        if "session_resolution" in biology:
            return "biology.session_resolution"
        return "schedule.days"
    if name == "field_values":
        return "biology.output_times" if "output_times" in biology else "schedule.days"
    if name == "memory":
        estimate_days = scenario.schedule.days
        if estimate_days > 3650:
            return "schedule.days"
    return default
