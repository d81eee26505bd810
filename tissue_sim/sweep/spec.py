"""Sweep files: YAML → validated, frozen dataclasses.

A sweep file names a base scenario, the parameter axes (dotted scenario keys with values
or ranges in units), a design and the named outputs to summarise::

    name: pressure_x_adipose
    base: ../baseline.yaml            # relative to this file
    set:                              # fixed overrides applied to every run
      mesh.size: coarse
      schedule.days: 2
      tissue.size: ["6 cm", "6 cm"]     # a value is a YAML scalar or a list of them
    parameters:
      loading.pressure: {values: ["5 kPa", "10 kPa", "20 kPa"]}
      tissue.layers.adipose.thickness: {range: ["5 mm", "25 mm"], steps: 3}
    design: grid                      # or {type: sobol, samples: 64, seed: 1}
                                      # or {type: morris, trajectories: 10, levels: 4}
    outputs:
      fascia_tgfb1: biology.layers.fascia.tgfb1_active.final.mean
      adipose_shear: mechanics.layer_stats.adipose.max_shear_strain.max
    limits:                           # optional
      design_points: 10000            # most design points (default 10000)

Only the sweep file's own structure is checked here; :func:`tissue_sim.sweep.plan_sweep`
then builds and validates the scenario of every design point before anything runs.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tissue_sim.config.overrides import parse_override
from tissue_sim.config.reader import MappingReader
from tissue_sim.config.units import check_unit_text, unit_registry
from tissue_sim.config.yaml_io import read_yaml
from tissue_sim.errors import InputError, brief
from tissue_sim.sweep.outputs import OutputPath, parse_output_path

__all__ = [
    "AXIS_KINDS",
    "DEFAULT_MAX_POINTS",
    "DESIGN_KINDS",
    "MORRIS_LEVELS",
    "Axis",
    "DesignSpec",
    "OutputSpec",
    "SweepSpec",
    "design_point_count",
    "load_sweep",
    "sweep_from_mapping",
    "yaml_scalar",
]

#: Designs: ``grid`` (every combination), ``zip`` (the i-th value of every axis
#: together), ``latin_hypercube``, ``sobol`` (Saltelli's scheme for Sobol indices) and
#: ``morris`` (trajectories of one-at-a-time steps for Morris screening).
DESIGN_KINDS = ("grid", "zip", "latin_hypercube", "sobol", "morris")

#: Axis kinds: values with units, bare numbers, or categories (any other YAML scalar).
AXIS_KINDS = ("quantity", "number", "category")

_SAMPLED = ("latin_hypercube", "sobol", "morris")
#: What a sampled design needs beside its type, for the error of a bare ``design: <kind>``.
_SIZE_KEY = {"latin_hypercube": "samples", "sobol": "samples", "morris": "trajectories"}

#: Default grid levels p of a Morris design (even; Saltelli et al. 2004, *Sensitivity
#: Analysis in Practice*, Wiley, recommend p = 4 with about r = 10 trajectories).
MORRIS_LEVELS = 4

#: Most design points of a sweep unless its ``limits: {design_points: N}`` says otherwise.
DEFAULT_MAX_POINTS = 10_000
#: Hard bounds checked before anything is built from a count.
_MAX_STEPS = 1_000_000
_MAX_SAMPLES = 1 << 24
_MAX_RESAMPLES = 100_000
_MAX_LEVELS = 1000
#: Most bootstrap draws (resamples x trajectories) of a Morris design: SALib draws them
#: all at once per parameter (8 bytes each).
_MAX_MORRIS_DRAWS = 10**8
_MAX_SEED = 2**32 - 1
_NUMBER_AND_UNIT = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*?)\s*$")
_OUTPUT_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")


@dataclass(frozen=True)
class Axis:
    """One swept scenario key.

    Attributes
    ----------
    path
        Dotted scenario key, e.g. ``loading.pressure``.
    kind
        ``quantity`` (values with a unit), ``number`` (bare numbers) or ``category``.
    unit
        Display unit of the axis (the unit of its first value or lower bound; ``""`` for
        numbers and categories). Summaries give the axis in this unit.
    values
        Explicit values as written (YAML scalars), or ``None`` for a range.
    low, high
        Range bounds in ``unit`` (``None`` for explicit values).
    steps
        Number of evenly spaced values of a range in a grid or zip design.
    scale
        ``linear`` or ``log`` spacing/sampling of a range.
    integer
        Round sampled values to whole numbers (e.g. ``schedule.days``).
    """

    path: str
    kind: str
    unit: str
    values: tuple[Any, ...] | None = None
    low: float | None = None
    high: float | None = None
    steps: int | None = None
    scale: str = "linear"
    integer: bool = False

    @property
    def label(self) -> str:
        """Column label: the path with its unit, e.g. ``loading.pressure [kPa]``."""
        return f"{self.path} [{self.unit}]" if self.unit else self.path

    def override_value(self, magnitude: float) -> Any:
        """The YAML value that sets this axis to ``magnitude`` (in :attr:`unit`)."""
        if self.integer:
            magnitude = float(round(magnitude))
        if self.kind == "quantity":
            number = int(magnitude) if self.integer else float(magnitude)
            return f"{number!r} {self.unit}"
        return int(magnitude) if self.integer else float(magnitude)

    def display_value(self, value: Any) -> float | str:
        """An explicit value in the axis unit (a float), or its text for a category."""
        if self.kind == "category":
            return str(value)
        if self.kind == "number":
            return float(value)
        return _quantity_in(value, self.unit)


@dataclass(frozen=True)
class OutputSpec:
    """A named scalar extracted from every run's result.

    Attributes
    ----------
    name
        Column name in the summary.
    path
        The parsed output path (see :mod:`tissue_sim.sweep.outputs`).
    """

    name: str
    path: OutputPath


@dataclass(frozen=True)
class DesignSpec:
    """How the design points are chosen.

    Attributes
    ----------
    kind
        One of :data:`DESIGN_KINDS`.
    samples
        Latin hypercube: number of points. Sobol: number of base samples N (a power of
        two); the design has N·(k + 2) points for k parameters. ``None`` otherwise.
    seed
        Seed of the sampler (sampled designs are reproducible).
    confidence
        Confidence level of the Sobol-index or Morris intervals.
    resamples
        Bootstrap resamples of those intervals.
    trajectories
        Morris: number of trajectories r; the design has r·(k + 1) points.
    levels
        Morris: grid levels p per parameter (even).
    """

    kind: str = "grid"
    samples: int | None = None
    seed: int = 0
    confidence: float = 0.95
    resamples: int = 1000
    trajectories: int | None = None
    levels: int = MORRIS_LEVELS


@dataclass(frozen=True)
class SweepSpec:
    """A validated sweep file.

    Attributes
    ----------
    name, description
        Identification.
    file
        The sweep file (``None`` when built from a mapping).
    base
        Absolute path of the base scenario file.
    fixed
        ``key=value`` overrides applied to every run (the ``set:`` section).
    axes
        The swept parameters, in file order.
    design
        The design.
    outputs
        The named outputs, in file order.
    max_points
        Most design points accepted (``limits: {design_points: N}``).
    """

    name: str
    description: str
    file: str | None
    base: Path
    fixed: tuple[str, ...]
    axes: tuple[Axis, ...]
    design: DesignSpec
    outputs: tuple[OutputSpec, ...]
    max_points: int = DEFAULT_MAX_POINTS


def design_point_count(design: DesignSpec, axes: tuple[Axis, ...]) -> int:
    """Points of a design, computed without building them: grid = product of the axis
    lengths, zip = their length, Latin hypercube = samples, Sobol = samples·(k + 2),
    Morris = trajectories·(k + 1)."""
    if design.kind == "grid":
        return math.prod(_axis_length(axis) for axis in axes)
    if design.kind == "zip":
        return _axis_length(axes[0]) if axes else 0
    if design.kind == "morris":
        assert design.trajectories is not None
        return design.trajectories * (len(axes) + 1)
    assert design.samples is not None
    return design.samples * (len(axes) + 2) if design.kind == "sobol" else design.samples


def yaml_scalar(value: Any) -> str:
    """Text that YAML (as read by ``--set`` overrides) parses back to ``value`` exactly.

    >>> yaml_scalar(1e-05), yaml_scalar("20 kPa"), yaml_scalar("true"), yaml_scalar(3)
    ('1.0e-05', '20 kPa', '"true"', '3')
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"cannot write a non-finite value {brief(value)}")
        text = repr(value)
        if "e" in text:  # YAML 1.1 floats need a dot and a signed exponent: 1.0e-05
            mantissa, exponent = text.split("e")
            if "." not in mantissa:
                mantissa += ".0"
            if exponent[0] not in "+-":
                exponent = "+" + exponent
            text = f"{mantissa}e{exponent}"
        return text
    if isinstance(value, str):
        try:
            if yaml.safe_load(value) == value and "\n" not in value:
                return value
        except yaml.YAMLError:
            pass
        return json.dumps(value)
    raise TypeError(f"not a YAML scalar: {brief(value)}")


def load_sweep(path: str | Path) -> SweepSpec:
    """Read and validate a sweep file.

    Parameters
    ----------
    path
        The sweep YAML file.

    Returns
    -------
    SweepSpec
        The validated sweep (the base scenario path made absolute).

    Raises
    ------
    InputError
        Naming the file, the key path and what was expected.
    """
    data = read_yaml(path)
    return sweep_from_mapping(data, file=str(path))


def sweep_from_mapping(data: Mapping[str, Any], *, file: str | None = None) -> SweepSpec:
    """Validate a sweep mapping (as read from YAML) into a :class:`SweepSpec`.

    Relative ``base`` paths are resolved against the folder of ``file`` (or the current
    folder when ``file`` is ``None``).
    """
    root = MappingReader(data, file=file)
    name = root.string("name", Path(file).stem if file else "sweep")
    description = root.string("description", "")
    base = _read_base(root, file)
    fixed = _read_fixed(root)
    design = _read_design(root)
    max_points = _read_limits(root)
    axes = _read_axes(root, design, fixed, max_points)
    outputs = _read_outputs(root)
    root.finish()
    count = design_point_count(design, axes)
    if count > max_points:
        raise root.error(
            "parameters" if design.kind in ("grid", "zip") else f"design.{_SIZE_KEY[design.kind]}",
            f"the design has {count:.4g} points, more than the limit of {max_points}; "
            "raise limits.design_points if this is intended",
        )
    return SweepSpec(name, description, file, base, fixed, axes, design, outputs, max_points)


def _read_limits(root: MappingReader) -> int:
    reader = root.sub("limits")
    value = reader.integer("design_points", DEFAULT_MAX_POINTS, minimum=1, maximum=10**9)
    reader.finish()
    return value


def _read_base(root: MappingReader, file: str | None) -> Path:
    text = root.string("base")
    folder = Path(file).parent if file else Path.cwd()
    base = (folder / text).resolve()
    if not text.endswith((".yaml", ".yml")):
        raise root.error("base", f"expected the path of a .yaml scenario file, got {brief(text)}")
    if not base.is_file():
        raise root.error(
            "base", f"base scenario file not found (or not a regular file): {brief(text)}"
        )
    if file and base == Path(file).resolve():
        raise root.error("base", "the sweep file names itself as its base scenario")
    return base


def _read_fixed(root: MappingReader) -> tuple[str, ...]:
    if not root.has("set"):
        return ()
    value = root.raw("set")
    items: list[str] = []
    if isinstance(value, Mapping):
        for key, item in value.items():
            scalars = item if isinstance(item, list) else [item]
            for scalar in scalars:
                if isinstance(scalar, Mapping | list):
                    raise root.error(
                        f"set.{key}",
                        f"expected a YAML scalar or a list of scalars, got {brief(item)}",
                    )
                if isinstance(scalar, float) and not math.isfinite(scalar):
                    raise root.error(f"set.{key}", f"expected a finite number, got {brief(item)}")
            if isinstance(item, list):
                items.append(f"{key}=[{', '.join(_flow_item(scalar) for scalar in scalars)}]")
            else:
                items.append(f"{key}={yaml_scalar(item)}")
    elif isinstance(value, list) and all(isinstance(item, str) for item in value):
        items = list(value)
    else:
        raise root.error("set", f"expected a mapping of dotted keys to values, got {brief(value)}")
    for index, text in enumerate(items):
        try:
            parse_override(text)
        except InputError as error:
            raise root.error(f"set[{index}]", error.message) from None
    return tuple(items)


def _flow_item(value: Any) -> str:
    """:func:`yaml_scalar` text that also reads back inside a YAML flow list ``[...]``."""
    text = yaml_scalar(value)
    if isinstance(value, str):
        try:
            same = yaml.safe_load(f"[{text}]") == [value]
        except yaml.YAMLError:
            same = False
        if not same:
            text = json.dumps(value)
    return text


def _read_design(root: MappingReader) -> DesignSpec:
    value = root.raw("design", "grid")
    if isinstance(value, str):
        if value not in DESIGN_KINDS:
            raise root.error(
                "design", f"expected one of {', '.join(DESIGN_KINDS)}, got {brief(value)}"
            )
        if value in _SAMPLED:
            size = _SIZE_KEY[value]
            raise root.error(
                "design",
                f"a {value} design needs {size}: write {{type: {value}, {size}: N}}",
            )
        return DesignSpec(kind=value)
    reader = root.sub("design")
    kind = reader.choice("type", DESIGN_KINDS)
    if kind not in _SAMPLED:
        reader.finish()
        return DesignSpec(kind=kind)
    if kind == "morris":
        return _read_morris(reader)
    samples = reader.integer("samples", minimum=2, maximum=_MAX_SAMPLES)
    if kind == "sobol" and samples & (samples - 1):
        raise reader.error(
            "samples",
            f"a sobol design needs a power of two of base samples (e.g. "
            f"{1 << max(1, samples.bit_length() - 1)} or {1 << samples.bit_length()}), "
            f"got {samples}",
        )
    seed = reader.integer("seed", 0, minimum=0, maximum=_MAX_SEED)
    confidence, resamples = _read_bootstrap(reader) if kind == "sobol" else (0.95, 1000)
    reader.finish()
    return DesignSpec(kind, samples, seed, confidence, resamples)


def _read_bootstrap(reader: MappingReader) -> tuple[float, int]:
    """``confidence`` (default 0.95) and ``resamples`` (default 1000) of the bootstrap."""
    confidence = reader.number("confidence", 0.95, positive=True, maximum=0.999)
    resamples = reader.integer("resamples", 1000, minimum=10, maximum=_MAX_RESAMPLES)
    return confidence, resamples


def _read_morris(reader: MappingReader) -> DesignSpec:
    """``{type: morris, trajectories: r, levels: p, seed, confidence, resamples}``."""
    trajectories = reader.integer("trajectories", minimum=2, maximum=_MAX_SAMPLES)
    levels = reader.integer("levels", MORRIS_LEVELS, minimum=2, maximum=_MAX_LEVELS)
    if levels % 2:
        raise reader.error(
            "levels",
            f"a morris design needs an even number of levels (e.g. {levels - 1} or "
            f"{levels + 1}), so that every step of Δ = p / (2 (p - 1)) stays on the grid; "
            f"got {levels}",
        )
    seed = reader.integer("seed", 0, minimum=0, maximum=_MAX_SEED)
    confidence, resamples = _read_bootstrap(reader)
    reader.finish()
    if resamples * trajectories > _MAX_MORRIS_DRAWS:
        raise reader.error(
            "resamples",
            f"{resamples} resamples of {trajectories} trajectories are more than "
            f"{_MAX_MORRIS_DRAWS:.0e} bootstrap draws; use fewer resamples",
        )
    return DesignSpec(
        "morris", None, seed, confidence, resamples, trajectories=trajectories, levels=levels
    )


def _read_axes(
    root: MappingReader, design: DesignSpec, fixed: tuple[str, ...], max_points: int
) -> tuple[Axis, ...]:
    parameters = root.sub("parameters", required=True)
    names = parameters.key_names()
    if not names:
        raise parameters.error(None, "expected at least one parameter axis")
    fixed_keys = {text.partition("=")[0].strip() for text in fixed}
    axes = []
    for path in names:
        try:
            parse_override(f"{path}=0")
        except InputError:
            raise parameters.error(
                path, "expected a dotted scenario key such as loading.pressure"
            ) from None
        if path in fixed_keys:
            raise parameters.error(path, "this key is also fixed under set:; keep one of the two")
        value = parameters.raw(path)
        if isinstance(value, list):  # shorthand: the list of values
            value = {"values": value}
        if not isinstance(value, Mapping):
            raise parameters.error(
                path,
                f"expected {{values: [...]}} or {{range: [low, high], ...}}, got {brief(value)}",
            )
        axes.append(
            _read_axis(
                MappingReader(value, file=root.file, path=f"parameters.{path}"),
                path,
                design,
                max_points,
            )
        )
    parameters.finish()
    if design.kind == "zip":
        lengths = {axis.path: _axis_length(axis) for axis in axes}
        if len(set(lengths.values())) > 1:
            listing = ", ".join(f"{path}: {count}" for path, count in lengths.items())
            raise parameters.error(
                None, f"a zip design needs the same number of values on every axis ({listing})"
            )
    return tuple(axes)


def _axis_length(axis: Axis) -> int:
    if axis.values is not None:
        return len(axis.values)
    assert axis.steps is not None
    return axis.steps


def _read_axis(reader: MappingReader, path: str, design: DesignSpec, max_points: int) -> Axis:
    sampled = design.kind in _SAMPLED
    if reader.has("values") == reader.has("range"):
        raise reader.error(None, "give either values: [...] or range: [low, high]")
    if reader.has("values"):
        if sampled:
            raise reader.error(
                "values",
                f"a {design.kind} design samples ranges: give range: [low, high] instead",
            )
        values = reader.sequence("values")
        if not values:
            raise reader.error("values", "expected at least one value")
        if len(values) > max_points:
            raise reader.error(
                "values",
                f"{len(values)} values, more than the limit of {max_points} design points; "
                "raise limits.design_points if this is intended",
            )
        kind, unit = _classify(reader, "values", values)
        reader.finish()
        return Axis(path, kind, unit, values=tuple(values))
    bounds = reader.sequence("range")
    if len(bounds) != 2:
        raise reader.error("range", f"expected [low, high], got {brief(bounds)}")
    kind, unit = _classify(reader, "range", bounds)
    if kind == "category":
        raise reader.error(
            "range", f"expected numbers or quantities with units, got {brief(bounds)}"
        )
    low = float(bounds[0]) if kind == "number" else _quantity_in(bounds[0], unit)
    high = float(bounds[1]) if kind == "number" else _quantity_in(bounds[1], unit)
    if not low < high:
        raise reader.error("range", f"expected low < high, got {brief(bounds)}")
    scale = reader.choice("scale", ("linear", "log"), "linear")
    if scale == "log" and low <= 0.0:
        raise reader.error("scale", f"a log scale needs a positive range, got {brief(bounds)}")
    integer = reader.boolean("integer", False)
    if integer and design.kind == "morris":
        whole = math.floor(high) - math.ceil(low) + 1
        if whole < design.levels:
            raise reader.error(
                "range",
                f"an integer axis of a morris design with {design.levels} levels needs at "
                f"least {design.levels} whole numbers in its range, got {whole} "
                f"({brief(bounds)}); widen the range or use fewer levels",
            )
    steps = None
    if not sampled:
        steps = reader.integer("steps", minimum=2, maximum=_MAX_STEPS)
    reader.finish()
    return Axis(path, kind, unit, low=low, high=high, steps=steps, scale=scale, integer=integer)


def _classify(reader: MappingReader, key: str, values: list[Any]) -> tuple[str, str]:
    """Kind and display unit of a list of axis values; mixed kinds are an error."""
    kinds = []
    for index, value in enumerate(values):
        if isinstance(value, Mapping | list) or value is None:
            raise reader.error(f"{key}[{index}]", f"expected a YAML scalar, got {brief(value)}")
        if isinstance(value, bool):
            kinds.append("category")
        elif isinstance(value, int | float):
            if not math.isfinite(value):
                raise reader.error(
                    f"{key}[{index}]", f"expected a finite number, got {brief(value)}"
                )
            kinds.append("number")
        elif isinstance(value, str) and _NUMBER_AND_UNIT.match(value):
            kinds.append("quantity")
        else:
            kinds.append("category")
    if len(set(kinds)) > 1:
        raise reader.error(
            key,
            f"mixes {' and '.join(sorted(set(kinds)))} values ({brief(values)}); give every value "
            "the same form, e.g. all with a unit",
        )
    kind = kinds[0]
    if kind != "quantity":
        return kind, ""
    match = _NUMBER_AND_UNIT.match(values[0])
    assert match is not None
    unit = match.group(2)
    for index, value in enumerate(values):
        try:
            _quantity_in(value, unit)
        except ValueError as error:
            raise reader.error(f"{key}[{index}]", str(error)) from None
    return kind, unit


@functools.lru_cache(maxsize=8192)
def _quantity_in(text: Any, unit: str) -> float:
    """Magnitude of the quantity ``text`` (e.g. ``"2 cm"``) in ``unit`` (e.g. ``"mm"``)."""
    registry = unit_registry()
    problem = check_unit_text(str(text).strip(), leading_number=True) or (
        check_unit_text(unit) if unit else None
    )
    if problem:
        raise ValueError(
            f"expected a quantity convertible to {unit or 'a bare number'!r}: {problem}"
        )
    try:
        quantity: Any = registry.Quantity(str(text).strip().replace("%", " percent"))
        target = unit.replace("%", "percent") or "dimensionless"
        if not isinstance(quantity, registry.Quantity):
            quantity = registry.Quantity(float(quantity), "")
        magnitude = float(quantity.to(target).magnitude)
    except Exception as exc:  # pint raises several unrelated types on bad text
        raise ValueError(
            f"expected a quantity convertible to {unit or 'a bare number'!r}, got {brief(text)} "
            f"({type(exc).__name__})"
        ) from None
    if not math.isfinite(magnitude):
        raise ValueError(f"expected a finite value, got {brief(text)}")
    return magnitude


def _read_outputs(root: MappingReader) -> tuple[OutputSpec, ...]:
    value = root.raw("outputs")
    if isinstance(value, list):
        pairs = []
        for index, item in enumerate(value):
            if not isinstance(item, str):
                raise root.error(f"outputs[{index}]", f"expected an output path, got {brief(item)}")
            pairs.append((item, item, f"outputs[{index}]"))
    elif isinstance(value, Mapping):
        pairs = [(str(key), item, f"outputs.{key}") for key, item in value.items()]
    else:
        raise root.error(
            "outputs", f"expected a mapping of names to output paths, got {brief(value)}"
        )
    if not pairs:
        raise root.error("outputs", "expected at least one output")
    outputs = []
    for name, text, key in pairs:
        if not _OUTPUT_NAME.match(name):
            raise root.error(key, "expected an output name of letters, digits, _, . or -")
        if not isinstance(text, str):
            raise root.error(key, f"expected an output path, got {brief(text)}")
        try:
            outputs.append(OutputSpec(name, parse_output_path(text)))
        except InputError as error:
            raise root.error(key, error.message) from None
    return tuple(outputs)
