"""Read one cell-model file (``models/cells/NAME.yaml``) into a validated definition.

The file format (every key is checked; unknown keys are errors)::

    name: tgfb1_fibrosis              # must equal the file name without .yaml
    title: TGF-β1 activation and fibrosis
    description: |                    # the equations, in words and symbols
      ...
    inputs: [effective_strain_peak]   # stimulus features this model reads
    species:                          # the state variables this model owns
      collagen: {unit: "1", initial: 1.0, description: collagen index}
      tnfa:                           # optional: a soluble species that diffuses
        {unit: "1", initial: 0.1, description: TNF-α,
         diffusion: {value: 5.2e-8, unit: cm^2/s, source: "… (FACTS §8)"}}
    external:                         # species owned by another model, read here;
      m2: {unit: "1", healthy: 0.6, description: ...}  # held at `healthy` when absent
    parameters:
      k_act: {value: 0.5, unit: 1/h, source: "assumption: reason"}
      k_decay: {half_life: 2.5 min, source: "Wakefield 1990 (FACTS §5)"}
    expressions:                      # named helper expressions (parameters, species, inputs)
      drive: "hill(effective_strain_peak, K, 2)"
    rates:                            # d(species)/dt, one per owned species
      collagen: "k_syn * myofibroblast - k_deg * collagen"
    presets:                          # named initial states (values of owned species)
      chronic_overuse: {collagen: 1.8}
    report:                           # optional: what reports show of this model, in order
      collagen: {label: collagen, relative_to: healthy collagen}
      drive_share: {label: share driven, expression: "myofibroblast / (1 + myofibroblast)"}
      myofibroblast: {label: myofibroblasts, show: false}    # a label only

``report`` names the quantities the report, the figures and the run summary show first,
in this order (composed models: in model load order), and how to call them. Each key is a
species this file owns, or a new name with an ``expression``: a *derived* quantity drawn
like a species (e.g. a share ``m2 / (m1 + m2)``), evaluated by the report from the stored
species (layer means, and per cell for the maps) with the safe expression parser; it may
read the file's own and external species (it is left out of a composition that lacks one
of them). Entry keys: ``label`` (plain-language name; default the name), ``relative_to``
(what 1 is, for dimensionless quantities: the axis reads ``× <relative_to>``; default
"healthy level" for species, none for derived ones), ``expression`` and ``unit`` (derived
quantities only; default ``"1"``), ``show`` (``false``: only a label, not shown first;
default ``true``). Species not listed are still stored, listed and viewable under their
own names; a model without ``report`` is shown by its first species.

Parameters are converted to SI base units with pint (``1/h`` → ``1/s``); a ``half_life``
becomes the first-order rate ``ln 2 / t½`` in ``1/s``.

A species' optional ``diffusion`` entry (``value``, ``unit`` of an area per time, and a
``source``) makes it spread between the material points with that diffusivity (converted
to m²/s) when a run gives the biology its mesh (zero-flux boundaries; see
:mod:`tissue_sim.biology._diffusion`); without it the species stays where it is made.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import pint
import sympy

from tissue_sim.biology._expressions import (
    FUNCTIONS,
    MAX_EXPANDED_NODES,
    expression_size,
    parse_expression,
)
from tissue_sim.biology._yaml_lines import LineMap, load_yaml_with_lines
from tissue_sim.config.units import check_unit_text, unit_registry
from tissue_sim.config.yaml_io import check_yaml_text, read_text_file
from tissue_sim.errors import InputError, ModelFileError, brief
from tissue_sim.stimulus._levels import parse_level_feature
from tissue_sim.stimulus.course import COURSE_FEATURE_NAMES

__all__ = [
    "KNOWN_STIMULUS_FEATURES",
    "ExternalDefinition",
    "ModelFile",
    "ParameterInfo",
    "ReportEntry",
    "SpeciesDefinition",
    "read_model_file",
    "to_si",
]

#: Stimulus features (per material point, over one cycle of the technique) that models may
#: declare as inputs; the stimulus stage provides every one of them.
KNOWN_STIMULUS_FEATURES: Final[tuple[str, ...]] = (
    "effective_strain_peak",
    "effective_strain_mean",
    "effective_strain_amplitude",
    "min_principal_strain",
    "volumetric_strain_peak",
    "strain_rate_peak",
    "cycle_frequency",
    "time_above_threshold",
    "fibre_stretch_peak",
    "strain_rate_mean",
    "strain_time_integral",
    "longest_time_above_threshold",
    *COURSE_FEATURE_NAMES,  # per-phase pressure, capillary closure, skin strain
)

_NAME: Final = re.compile(r"^[a-z][a-z0-9_]*$", re.IGNORECASE)
_TOP_KEYS: Final = (
    "name",
    "title",
    "description",
    "inputs",
    "species",
    "external",
    "parameters",
    "expressions",
    "rates",
    "presets",
    "report",
)


#: A number in exponent form without a decimal point (``3e-8``), which YAML 1.1 reads as text.
_EXPONENT_ONLY = re.compile(r"[-+]?[0-9]+[eE][-+]?[0-9]+")


@dataclass(frozen=True)
class SpeciesDefinition:
    """A species owned by one model file.

    Attributes
    ----------
    name, unit, description
        As in the file; ``unit`` is the SI base unit (``"1"`` when dimensionless).
    initial
        The healthy initial value (in ``unit``).
    line
        Line of the species entry.
    diffusivity
        Diffusion coefficient [m²/s] (0: the species does not diffuse).
    diffusion_source
        Where the diffusivity comes from (empty when it does not diffuse).
    """

    name: str
    unit: str
    description: str
    initial: float
    line: int
    diffusivity: float = 0.0
    diffusion_source: str = ""


@dataclass(frozen=True)
class ExternalDefinition:
    """A species of another model that this model reads (constant ``healthy`` when absent)."""

    name: str
    unit: str
    description: str
    healthy: float
    line: int


@dataclass(frozen=True)
class ParameterInfo:
    """One parameter of a model.

    Attributes
    ----------
    model, name
        Owning model and parameter name; overrides use ``"model.name"``.
    value
        Value in SI base units (rates in 1/s).
    unit
        The SI unit of ``value`` (``"1"`` when dimensionless).
    given
        The value as written in the file (e.g. ``"half-life 2.5 min"``).
    source
        A literature citation (FACTS.md) or ``"assumption: <reason>"``.
    note
        How the value was chosen, when the file says so.
    line
        Line of the parameter entry.
    """

    model: str
    name: str
    value: float
    unit: str
    given: str
    source: str
    note: str
    line: int


@dataclass(frozen=True)
class ReportEntry:
    """One quantity a report shows (the ``report`` section of a model file).

    Attributes
    ----------
    name
        A species of the file, or the name of a derived quantity.
    label
        Plain-language name (the name itself when the file gives none).
    relative_to
        What 1 is for a dimensionless quantity (``"healthy latent pool"``), or ``""``.
    expression
        For a derived quantity: the expression as written (species names only), else ``""``.
    reads
        Species a derived quantity reads (empty for a species).
    unit
        Unit of a derived quantity (``"1"``), or ``""`` for a species (its own unit).
    shown
        Whether reports show it first (``show: false``: a label only).
    line
        Line of the entry.
    """

    name: str
    label: str
    relative_to: str
    expression: str
    reads: tuple[str, ...]
    unit: str
    shown: bool
    line: int


@dataclass(frozen=True)
class ModelFile:
    """A parsed, locally validated model file (names not yet resolved across models)."""

    name: str
    path: str
    title: str
    description: str
    inputs: tuple[str, ...]
    input_lines: dict[str, int]
    species: dict[str, SpeciesDefinition]
    external: dict[str, ExternalDefinition]
    parameters: dict[str, ParameterInfo]
    expressions: dict[str, tuple[str, sympy.Expr, int]]
    rates: dict[str, tuple[str, sympy.Expr, int]]
    presets: dict[str, dict[str, float]]
    preset_lines: dict[str, int]
    report: tuple[ReportEntry, ...] = ()


def to_si(value: float, unit: str, *, file: str, line: int, what: str) -> tuple[float, str]:
    """Convert ``value`` in ``unit`` to SI base units.

    Returns
    -------
    tuple
        The SI magnitude and the SI unit text (``"1"`` when dimensionless).
    """
    registry = unit_registry()
    problem = check_unit_text(str(unit).strip() or "1")
    if problem:
        raise ModelFileError(f"{what}: cannot read the unit: {problem}", file=file, line=line)
    try:
        quantity = registry.Quantity(float(value), str(unit)).to_base_units()
    except Exception as exc:  # pint raises several unrelated types on bad text
        raise ModelFileError(
            f"{what}: cannot read unit {brief(unit)} ({type(exc).__name__})", file=file, line=line
        ) from None
    magnitude = float(quantity.magnitude)
    if not math.isfinite(magnitude):
        raise ModelFileError(f"{what}: value is not finite", file=file, line=line)
    text = f"{quantity.units:~}" if not quantity.dimensionless else "1"
    return magnitude, text.replace(" ", "") or "1"


def read_model_file(path: Path) -> ModelFile:
    """Read and locally validate one model file.

    Parameters
    ----------
    path
        Path of the YAML file.

    Raises
    ------
    ModelFileError
        Naming the file and the line of the first problem.
    """
    file = str(path)
    try:
        text = read_text_file(path, what="model file")
    except ModelFileError:
        raise
    except InputError as error:
        raise ModelFileError(error.message, file=error.file, line=error.line) from None
    digest = hashlib.sha256(f"{path.stem}\0{text}".encode()).hexdigest()
    cached = _PARSED.get(digest)
    if cached is not None:  # the same content read before (sweeps, tests): reuse its parse
        return dataclasses.replace(cached, path=file)
    # depth, alias expansion, duplicate keys and plain types, before anything is built
    check_yaml_text(text, file=file, error=ModelFileError)
    data = load_yaml_with_lines(text, file=file)
    if not isinstance(data, LineMap):
        raise ModelFileError("a model file must be a mapping of keys", file=file, line=1)
    parsed = _Reader(file, data, path.stem).read()
    if len(_PARSED) >= 64:
        _PARSED.clear()
    _PARSED[digest] = parsed  # only files that parsed: errors are never cached
    return parsed


#: Parsed model files by SHA-256 of (file stem, content); the parse is immutable.
_PARSED: dict[str, ModelFile] = {}


class _Reader:
    def __init__(self, file: str, data: LineMap, stem: str) -> None:
        self.file = file
        self.data = data
        self.stem = stem

    def error(self, message: str, line: int | None, key: str | None = None) -> ModelFileError:
        return ModelFileError(message, file=self.file, line=line, key=key)

    def mapping(self, parent: LineMap, key: str, *, required: bool) -> LineMap:
        if key not in parent:
            if required:
                raise self.error(f"required key {key!r} is missing", parent.line)
            return LineMap(line=parent.line)
        value = parent[key]
        if value is None:
            return LineMap(line=parent.line_of(key))
        if not isinstance(value, LineMap):
            raise self.error(f"{key!r} must be a mapping", parent.line_of(key), key)
        return value

    def check_keys(self, mapping: LineMap, allowed: tuple[str, ...], where: str) -> None:
        for key in mapping:
            if key not in allowed:
                raise self.error(
                    f"unknown key {key!r} in {where}; expected one of {', '.join(allowed)}",
                    mapping.line_of(key),
                    key,
                )

    def check_name(self, name: str, line: int, what: str) -> None:
        if not _NAME.match(name):
            raise self.error(
                f"{what} name {name!r} must start with a letter and use letters, digits, _",
                line,
            )
        if name in FUNCTIONS:
            raise self.error(f"{what} name {name!r} is a reserved function name", line)

    def text(self, mapping: LineMap, key: str, *, required: bool = True) -> str:
        if key not in mapping:
            if required:
                raise self.error(f"required key {key!r} is missing", mapping.line)
            return ""
        value = mapping[key]
        if not isinstance(value, str):
            raise self.error(f"{key!r} must be text, got {brief(value)}", mapping.line_of(key), key)
        return value

    def number(self, mapping: LineMap, key: str, what: str) -> float:
        if key not in mapping:
            raise self.error(f"{what}: required key {key!r} is missing", mapping.line)
        value = mapping[key]
        if isinstance(value, str) and _EXPONENT_ONLY.fullmatch(value.strip()):
            value = float(value)  # YAML 1.1 reads ``3e-8`` (no decimal point) as text
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(
                f"{what}: {key} must be a number, got {brief(value)}", mapping.line_of(key)
            )
        if not math.isfinite(float(value)):
            raise self.error(f"{what}: {key} must be finite", mapping.line_of(key))
        return float(value)

    def read(self) -> ModelFile:
        data = self.data
        self.check_keys(data, _TOP_KEYS, "a model file")
        name = self.text(data, "name")
        if name != self.stem:
            raise self.error(
                f"model name {name!r} must equal the file name {self.stem!r}", data.line_of("name")
            )
        title = self.text(data, "title")
        description = self.text(data, "description")
        inputs, input_lines = self.read_inputs()
        species = self.read_species()
        external = self.read_external(species)
        parameters = self.read_parameters(name)
        taken: dict[str, str] = {}
        for kind, names in (
            ("species", species),
            ("external species", external),
            ("input", {n: None for n in inputs}),
            ("parameter", parameters),
        ):
            for item in names:
                if item in taken:
                    line = self.line_of_name(item)
                    raise self.error(
                        f"duplicate definition: {item!r} is both a {taken[item]} and a {kind}",
                        line,
                    )
                taken[item] = kind
        expressions = self.read_expressions("expressions", taken)
        rates = self.read_expressions("rates", {})
        self.check_expanded_sizes(expressions, rates)
        for rate_name, (_, _, line) in rates.items():
            if rate_name not in species:
                raise self.error(
                    f"rate for {rate_name!r}, which is not a species of this model", line
                )
        for species_name, definition in species.items():
            if species_name not in rates:
                raise self.error(f"species {species_name!r} has no rate", definition.line)
        presets, preset_lines = self.read_presets(species)
        report = self.read_report(species, external, taken | {n: "expression" for n in expressions})
        return ModelFile(
            name=name,
            path=self.file,
            title=title,
            description=description,
            inputs=inputs,
            input_lines=input_lines,
            species=species,
            external=external,
            parameters=parameters,
            expressions=expressions,
            rates=rates,
            presets=presets,
            preset_lines=preset_lines,
            report=report,
        )

    def line_of_name(self, item: str) -> int:
        for section in ("species", "external", "parameters"):
            mapping = self.data.get(section)
            if isinstance(mapping, LineMap) and item in mapping:
                return mapping.line_of(item)
        return self.data.line_of("inputs")

    def read_inputs(self) -> tuple[tuple[str, ...], dict[str, int]]:
        if "inputs" not in self.data or self.data["inputs"] is None:
            return (), {}
        values = self.data["inputs"]
        line = self.data.line_of("inputs")
        if not isinstance(values, list):
            raise self.error("'inputs' must be a list of stimulus feature names", line)
        seen: dict[str, int] = {}
        for value in values:
            if not isinstance(value, str):
                raise self.error(f"input {brief(value)} is not a name", line)
            if value not in KNOWN_STIMULUS_FEATURES and parse_level_feature(value) is None:
                raise self.error(
                    f"input {brief(value)} is not provided by the stimulus stage; known features: "
                    + ", ".join(KNOWN_STIMULUS_FEATURES)
                    + ", and level features such as longest_time_above_40pct",
                    line,
                )
            if value in seen:
                raise self.error(f"duplicate input {brief(value)}", line)
            seen[value] = line
        return tuple(seen), seen

    def read_species(self) -> dict[str, SpeciesDefinition]:
        section = self.mapping(self.data, "species", required=True)
        if not section:
            raise self.error("a model needs at least one species", section.line)
        result: dict[str, SpeciesDefinition] = {}
        for name, entry in section.items():
            line = section.line_of(name)
            self.check_name(name, line, "species")
            if not isinstance(entry, LineMap):
                raise self.error(f"species {name!r} must be a mapping", line)
            self.check_keys(
                entry, ("unit", "initial", "description", "diffusion"), f"species {name}"
            )
            unit_text = self.text(entry, "unit")
            initial = self.number(entry, "initial", f"species {name}")
            value, unit = to_si(initial, unit_text, file=self.file, line=line, what=name)
            diffusivity, diffusion_source = (
                self.read_diffusion(entry, name, line) if "diffusion" in entry else (0.0, "")
            )
            result[name] = SpeciesDefinition(
                name=name,
                unit=unit,
                description=self.text(entry, "description"),
                initial=value,
                line=line,
                diffusivity=diffusivity,
                diffusion_source=diffusion_source,
            )
        return result

    def read_diffusion(self, entry: LineMap, name: str, line: int) -> tuple[float, str]:
        """A species' ``diffusion: {value, unit, source}``: D [m²/s] and its source."""
        what = f"species {name} diffusion"
        section = entry["diffusion"]
        if not isinstance(section, LineMap):
            raise self.error(f"{what} must be a mapping with value, unit and source", line)
        self.check_keys(section, ("value", "unit", "source"), what)
        source = self.text(section, "source").strip()
        if not source:
            raise self.error(f"{what} needs a source", line)
        number = self.number(section, "value", what)
        unit_text = self.text(section, "unit")
        value, unit = to_si(number, unit_text, file=self.file, line=line, what=what)
        registry = unit_registry()
        if (
            registry.Quantity(1.0, unit).dimensionality
            != registry.Quantity(1.0, "m^2/s").dimensionality
        ):
            raise self.error(f"{what}: expected an area per time such as cm^2/s, got {unit}", line)
        if not math.isfinite(value) or value < 0.0:
            raise self.error(f"{what} must be a finite, non-negative diffusivity", line)
        return value, source

    def read_external(self, species: dict[str, SpeciesDefinition]) -> dict[str, ExternalDefinition]:
        section = self.mapping(self.data, "external", required=False)
        result: dict[str, ExternalDefinition] = {}
        for name, entry in section.items():
            line = section.line_of(name)
            self.check_name(name, line, "external species")
            if name in species:
                raise self.error(
                    f"duplicate definition: {name!r} is both a species and an external species",
                    line,
                )
            if not isinstance(entry, LineMap):
                raise self.error(f"external species {name!r} must be a mapping", line)
            self.check_keys(entry, ("unit", "healthy", "description"), f"external {name}")
            healthy = self.number(entry, "healthy", f"external species {name}")
            value, unit = to_si(
                healthy, self.text(entry, "unit"), file=self.file, line=line, what=name
            )
            result[name] = ExternalDefinition(
                name=name,
                unit=unit,
                description=self.text(entry, "description"),
                healthy=value,
                line=line,
            )
        return result

    def read_parameters(self, model: str) -> dict[str, ParameterInfo]:
        section = self.mapping(self.data, "parameters", required=False)
        result: dict[str, ParameterInfo] = {}
        for name, entry in section.items():
            line = section.line_of(name)
            self.check_name(name, line, "parameter")
            if not isinstance(entry, LineMap):
                raise self.error(f"parameter {name!r} must be a mapping", line)
            self.check_keys(
                entry, ("value", "unit", "half_life", "source", "note"), f"parameter {name}"
            )
            source = self.text(entry, "source").strip()
            if not source:
                raise self.error(f"parameter {name!r} needs a source", line)
            if source.lower().startswith("assumption") and not re.match(
                r"(?i)^assumption\s*:\s*\S", source
            ):
                raise self.error(
                    f"parameter {name!r}: write 'assumption: <reason>' for assumed values", line
                )
            if "half_life" in entry:
                if "value" in entry or "unit" in entry:
                    raise self.error(
                        f"parameter {name!r}: give either value + unit or half_life", line
                    )
                half_life_text = self.text(entry, "half_life")
                value, unit, given = self.half_life(half_life_text, line, name)
            else:
                number = self.number(entry, "value", f"parameter {name}")
                unit_text = self.text(entry, "unit", required=False) or "1"
                value, unit = to_si(number, unit_text, file=self.file, line=line, what=name)
                given = f"{number:g} {unit_text}" if unit_text != "1" else f"{number:g}"
            result[name] = ParameterInfo(
                model=model,
                name=name,
                value=value,
                unit=unit,
                given=given,
                source=source,
                note=self.text(entry, "note", required=False).strip(),
                line=line,
            )
        return result

    def half_life(self, text: str, line: int, name: str) -> tuple[float, str, str]:
        registry = unit_registry()
        try:
            problem = check_unit_text(text.strip(), leading_number=True)
            if problem:
                raise ValueError(problem)
            quantity: pint.Quantity = registry.Quantity(text)
            seconds = float(quantity.to("s").magnitude)
        except Exception:  # pint raises several unrelated types on bad text
            raise self.error(
                f"parameter {name!r}: half_life must be a time such as '2.5 min', "
                f"got {brief(text)}",
                line,
            ) from None
        if not math.isfinite(seconds) or seconds <= 0.0:
            raise self.error(f"parameter {name!r}: half_life must be positive", line)
        return math.log(2.0) / seconds, "1/s", f"half-life {text}"

    def read_expressions(
        self, key: str, taken: dict[str, str]
    ) -> dict[str, tuple[str, sympy.Expr, int]]:
        section = self.mapping(self.data, key, required=key == "rates")
        result: dict[str, tuple[str, sympy.Expr, int]] = {}
        for name, text in section.items():
            line = section.line_of(name)
            self.check_name(name, line, "expression" if key == "expressions" else "rate")
            if name in taken:
                raise self.error(
                    f"duplicate definition: {name!r} is both a {taken[name]} and an expression",
                    line,
                )
            expression = parse_expression(text, file=self.file, line=line, key=f"{key}.{name}")
            result[name] = (str(text), expression, line)
        return result

    def check_expanded_sizes(
        self,
        expressions: dict[str, tuple[str, sympy.Expr, int]],
        rates: dict[str, tuple[str, sympy.Expr, int]],
    ) -> None:
        """Refuse expressions that grow past MAX_EXPANDED_NODES once helpers are substituted.

        Helper expressions are substituted into the rates by name, so 40 helpers each
        squaring the last would make a rate of 2⁴⁰ nodes: bounded here, before sympy.
        """
        sizes: dict[str, int] = {}

        def size(name: str, text: str, stack: tuple[str, ...]) -> int:
            if name in sizes:
                return sizes[name]
            nodes, names = expression_size(text)
            total = nodes
            for ref, count in names.items():
                if ref in expressions and ref not in stack:
                    total += count * (size(ref, expressions[ref][0], (*stack, ref)) - 1)
                    total = min(total, 10 * MAX_EXPANDED_NODES)
            sizes[name] = total
            return total

        for section, table in (("expressions", expressions), ("rates", rates)):
            for name, (text, _, line) in table.items():
                key = f"{section}:{name}" if section == "rates" else name
                if size(key, text, (name,)) > MAX_EXPANDED_NODES:
                    raise self.error(
                        f"{section}.{name} grows to more than {MAX_EXPANDED_NODES} operations "
                        "once its helper expressions are substituted; simplify the helpers",
                        line,
                    )

    def read_presets(
        self, species: dict[str, SpeciesDefinition]
    ) -> tuple[dict[str, dict[str, float]], dict[str, int]]:
        section = self.mapping(self.data, "presets", required=False)
        presets: dict[str, dict[str, float]] = {}
        lines: dict[str, int] = {}
        for preset, entry in section.items():
            line = section.line_of(preset)
            self.check_name(preset, line, "preset")
            if preset == "healthy":
                raise self.error(
                    "'healthy' is the species' initial values and cannot be redefined", line
                )
            if not isinstance(entry, LineMap):
                raise self.error(f"preset {preset!r} must map species to values", line)
            values: dict[str, float] = {}
            for species_name in entry:
                if species_name not in species:
                    raise self.error(
                        f"preset {preset!r} sets {species_name!r}, not a species of this model",
                        entry.line_of(species_name),
                    )
                number = self.number(entry, species_name, f"preset {preset}")
                scale, _ = to_si(
                    1.0,
                    _unit_text_of(self.data, species_name),
                    file=self.file,
                    line=line,
                    what=species_name,
                )
                values[species_name] = number * scale
            presets[preset] = values
            lines[preset] = line
        return presets, lines

    def read_report(
        self,
        species: dict[str, SpeciesDefinition],
        external: dict[str, ExternalDefinition],
        taken: dict[str, str],
    ) -> tuple[ReportEntry, ...]:
        section = self.mapping(self.data, "report", required=False)
        entries = []
        for name, entry in section.items():
            line = section.line_of(name)
            self.check_name(name, line, "report")
            if entry is None:
                entry = LineMap(line=line)
            if not isinstance(entry, LineMap):
                raise self.error(f"report entry {name!r} must be a mapping", line, "report")
            self.check_keys(
                entry,
                ("label", "relative_to", "expression", "unit", "show"),
                f"report entry {name}",
            )
            label = self.text(entry, "label", required=False).strip() or name
            shown = entry.get("show", True)
            if not isinstance(shown, bool):
                raise self.error(
                    f"report entry {name!r}: show must be true or false, got {brief(shown)}",
                    entry.line_of("show"),
                    "report",
                )
            relative_to = self.text(entry, "relative_to", required=False).strip()
            if "expression" not in entry:
                if name not in species:
                    raise self.error(
                        f"report entry {name!r} is not a species of this model; give an "
                        "'expression' for a derived quantity (species of other models are "
                        "labelled by their own file)",
                        line,
                        "report",
                    )
                if "unit" in entry:
                    raise self.error(
                        f"report entry {name!r}: a species has its own unit; 'unit' is for "
                        "derived quantities",
                        line,
                        "report",
                    )
                entries.append(ReportEntry(name, label, relative_to, "", (), "", shown, line))
                continue
            if name in taken:
                raise self.error(
                    f"duplicate definition: derived report quantity {name!r} is also a "
                    f"{taken[name]}",
                    line,
                    "report",
                )
            text = self.text(entry, "expression")
            expression = parse_expression(
                text, file=self.file, line=line, key=f"report.{name}.expression"
            )
            reads = tuple(sorted(str(symbol) for symbol in expression.free_symbols))
            for read in reads:
                if read not in species and read not in external:
                    raise self.error(
                        f"report entry {name!r}: {read!r} is not a species or external species "
                        "of this model (a derived quantity reads species only)",
                        line,
                        "report",
                    )
            unit_text = self.text(entry, "unit", required=False).strip() or "1"
            _, unit = to_si(1.0, unit_text, file=self.file, line=line, what=f"report.{name}")
            entries.append(ReportEntry(name, label, relative_to, text, reads, unit, shown, line))
        return tuple(entries)


def _unit_text_of(data: LineMap, species_name: str) -> str:
    entry: Any = data["species"][species_name]
    return str(entry["unit"])
