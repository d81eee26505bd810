"""Calibration targets as data: literature effects the cell models should reproduce.

A targets file (``models/calibration/targets.yaml`` ships with the package) holds::

    models: [fibroblast_mechanotransduction, tgfb1_fibrosis, macrophage_polarisation]
    waveforms:                        # one cycle of effective strain each
      rms: {times: ["0 s", "0.3 s", "0.6 s"], strains: [0, 0.1, 0], period: "1.6 s",
            source: "Anloague 2020 (FACTS §4)"}
    protocols:                        # what the experiment does to the tissue
      rms:
        end: "24 h"
        initial_state: healthy
        sessions: [{waveform: rms, duration: "8 h"}]
      rms_then_iomt: {...}
    targets:
      meltzer_standley_2007_il6_rms_then_iomt:
        statement: "RMS then a 60-s indirect technique lowers IL-6 by 46 % vs RMS alone"
        source: "Meltzer & Standley 2007 (FACTS §4)"
        measure: {kind: change, quantity: il6, protocol: rms_then_iomt,
                  reference: rms, time: "24 h"}
        target: -0.46
        tolerance: 0.05             # residual = (model - target) / tolerance
        status: calibrated          # calibrated (used by fits) or predicted
    out_of_scope:                   # numbers the models do not address, and why
      - {effect: "...", source: "...", reason: "..."}
    bounds:                         # optional fit bounds, model.parameter -> [low, high]
      fibroblast_mechanotransduction.k_fak_release: ["10 s", "10 min"]   # or SI numbers

Session blocks take ``waveform``, ``duration``, and optionally ``start``, ``every``,
``count`` and ``weekdays`` (see :class:`~tissue_sim.calibration.protocol.SessionBlock`).
Measures (``kind``):

``value``
    ``quantity`` at ``time`` in ``protocol``.
``ratio`` / ``change``
    ``quantity`` in ``protocol`` over (minus 1 for ``change``) the same in ``reference``,
    both at ``time``.
``peak_time``
    Time at which ``quantity`` is largest within ``window`` (two times), sampled every
    ``resolution`` [s], counted from the window's start; the target is a time.
``half_life``
    Time after ``window[0]`` at which the excess of ``quantity`` over its value at
    ``window[1]`` has halved (linear interpolation between samples ``resolution`` apart).
``parameter_half_life``
    ``ln 2 / k`` of the first-order rate ``parameter`` (``model.name``, SI 1/s): a number
    the models take from the literature as it is (``status: input``); no protocol is run.
    ``{kind: parameter_half_life, parameter: tgfb1_fibrosis.k_latent_clearance}``.

``quantity`` is a species (``il6``), a sum (``m0 + m1 + m2``) or a ratio of sums
(``m1 / m2``). Every error names the file and the key path.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from tissue_sim.calibration.protocol import Protocol, SessionBlock, Waveform
from tissue_sim.config.reader import MappingReader
from tissue_sim.config.yaml_io import read_yaml
from tissue_sim.errors import InputError, brief
from tissue_sim.resources import data_directory

__all__ = [
    "MEASURE_KINDS",
    "Measure",
    "OutOfScope",
    "Quantity",
    "Target",
    "TargetSet",
    "check_names",
    "read_targets",
    "shipped_targets_file",
]


def shipped_targets_file() -> Path:
    """The targets file shipped with the package (``models/calibration/targets.yaml``)."""
    return data_directory() / "models" / "calibration" / "targets.yaml"


#: Kinds of measure and whether their value is a time.
MEASURE_KINDS: Final[dict[str, bool]] = {
    "value": False,
    "ratio": False,
    "change": False,
    "peak_time": True,
    "half_life": True,
    "parameter_half_life": True,
}

_STATUS: Final = ("calibrated", "predicted", "input")
_NAME: Final = re.compile(r"^[a-z][a-z0-9_]*$")
_PARAMETER: Final = re.compile(r"^[a-z][a-z0-9_]*\.[A-Za-z][A-Za-z0-9_]*$")
_MAX_SESSIONS: Final = 10_000


@dataclass(frozen=True)
class Quantity:
    """A species, a sum of species or a ratio of two sums.

    Attributes
    ----------
    numerator
        Species summed above the fraction bar.
    denominator
        Species summed below it (empty: no fraction).
    text
        The quantity as written.
    """

    numerator: tuple[str, ...]
    denominator: tuple[str, ...] = ()
    text: str = ""

    @property
    def species(self) -> tuple[str, ...]:
        """Every species the quantity uses."""
        return self.numerator + self.denominator


@dataclass(frozen=True)
class Measure:
    """What a target measures (see the module docstring)."""

    kind: str
    quantity: Quantity
    protocol: str
    reference: str | None = None
    time: float | None = None
    window: tuple[float, float] | None = None
    resolution: float | None = None
    parameter: str | None = None


@dataclass(frozen=True)
class Target:
    """One literature effect with a number.

    Attributes
    ----------
    name
        Key in the file.
    statement, source
        The effect in words and where it comes from (FACTS.md entry).
    measure
        What the model computes for it.
    target
        The literature value (SI; times in seconds).
    tolerance
        Scale of the residual ``(model - target) / tolerance`` (same units).
    status
        ``calibrated`` (a parameter was fitted to it), ``input`` (a parameter is the
        number itself, e.g. a half-life) or ``predicted`` (nothing was chosen for it).
    fit
        Whether fits use it (default: calibrated targets only).
    factor
        The model value must lie within this factor of the target (magnitudes for
        changes); default 2.
    parameters
        The parameters it calibrates (documentation), ``model.parameter``.
    """

    name: str
    statement: str
    source: str
    measure: Measure
    target: float
    tolerance: float
    status: str = "predicted"
    fit: bool = False
    factor: float = 2.0
    parameters: tuple[str, ...] = ()


@dataclass(frozen=True)
class OutOfScope:
    """A number in FACTS.md the models do not address, and why."""

    effect: str
    source: str
    reason: str


@dataclass(frozen=True)
class TargetSet:
    """Everything a targets file holds."""

    file: str
    models: tuple[str, ...]
    waveforms: dict[str, Waveform]
    protocols: dict[str, Protocol]
    targets: dict[str, Target]
    out_of_scope: tuple[OutOfScope, ...] = ()
    bounds: dict[str, tuple[float | str, float | str]] = field(default_factory=dict)


def read_targets(path: str | Path) -> TargetSet:
    """Read and validate a targets file.

    Parameters
    ----------
    path
        The YAML file.

    Raises
    ------
    InputError
        Naming the file, the key path and what was expected.
    """
    file = str(path)
    root = MappingReader(read_yaml(path), file=file)
    models_value = root.raw("models", None)
    if models_value is None:
        from tissue_sim.biology import list_models

        models: tuple[str, ...] = tuple(list_models())
    else:
        if not isinstance(models_value, list) or not all(isinstance(m, str) for m in models_value):
            raise root.error("models", f"expected a list of model names, got {brief(models_value)}")
        models = tuple(models_value)
    waveforms = _read_waveforms(root.sub("waveforms", required=True))
    protocols = _read_protocols(root.sub("protocols", required=True), waveforms)
    targets = _read_target_section(root.sub("targets", required=True), protocols)
    out_of_scope = _read_out_of_scope(root)
    bounds = _read_bounds(root.sub("bounds"))
    root.finish()
    return TargetSet(file, models, waveforms, protocols, targets, out_of_scope, bounds)


def _check_name(reader: MappingReader, name: str, what: str) -> None:
    if not _NAME.match(name):
        raise reader.error(name, f"{what} names use lower-case letters, digits and _")


def _read_waveforms(reader: MappingReader) -> dict[str, Waveform]:
    waveforms: dict[str, Waveform] = {}
    for name in reader.key_names():
        _check_name(reader, name, "waveform")
        entry = reader.sub(name)
        times = entry.quantity_list("times", "time")
        strains = entry.sequence("strains")
        if any(isinstance(s, bool) or not isinstance(s, int | float) for s in strains):
            raise entry.error("strains", f"expected a list of numbers, got {brief(strains)}")
        period = entry.quantity("period", "time", positive=True)
        source = entry.string("source", "")
        entry.finish()
        try:
            waveforms[name] = Waveform(
                tuple(times), tuple(float(s) for s in strains), period, source
            )
        except ValueError as error:
            raise entry.error(None, str(error)) from None
    reader.finish()
    if not waveforms:
        raise reader.error(None, "expected at least one waveform")
    return waveforms


def _read_protocols(
    reader: MappingReader, waveforms: Mapping[str, Waveform]
) -> dict[str, Protocol]:
    protocols: dict[str, Protocol] = {}
    for name in reader.key_names():
        _check_name(reader, name, "protocol")
        entry = reader.sub(name)
        end = entry.quantity("end", "time", positive=True)
        initial = entry.string("initial_state", "healthy")
        blocks = []
        raw_sessions = entry.sequence("sessions", [])
        for index, raw in enumerate(raw_sessions):
            block = MappingReader(raw, file=reader.file, path=entry.key_path(f"sessions[{index}]"))
            waveform = block.string("waveform")
            if waveform not in waveforms:
                raise block.error(
                    "waveform",
                    f"no waveform {brief(waveform)}; defined: {', '.join(waveforms)}",
                )
            count = block.integer("count", 1, minimum=1, maximum=_MAX_SESSIONS)
            weekdays_value = block.raw("weekdays", None)
            weekdays: tuple[int, ...] | None = None
            if weekdays_value is not None:
                if not isinstance(weekdays_value, list) or not all(
                    isinstance(d, int) and not isinstance(d, bool) and 0 <= d <= 6
                    for d in weekdays_value
                ):
                    raise block.error(
                        "weekdays", f"expected a list of days 0-6, got {brief(weekdays_value)}"
                    )
                weekdays = tuple(weekdays_value)
            session = SessionBlock(
                waveform=waveform,
                duration=block.quantity("duration", "time", positive=True),
                start=block.quantity("start", "time", 0.0, non_negative=True),
                every=block.quantity("every", "time", 86400.0, positive=True),
                count=count,
                weekdays=weekdays,
            )
            block.finish()
            intervals = session.intervals()
            if intervals.size and intervals[-1, 1] > end:
                raise block.error(None, f"sessions run past the protocol's end ({end:g} s)")
            if count > 1 and session.every < session.duration:
                raise block.error("every", "sessions of a block must not overlap")
            blocks.append(session)
        entry.finish()
        protocols[name] = Protocol(end=end, initial_state=initial, sessions=tuple(blocks))
    reader.finish()
    if not protocols:
        raise reader.error(None, "expected at least one protocol")
    return protocols


def _read_quantity(reader: MappingReader) -> Quantity:
    text = reader.string("quantity")
    parts = [part.strip() for part in text.split("/")]
    if len(parts) > 2 or not all(parts):
        raise reader.error("quantity", f"expected a species, a sum or a ratio, got {brief(text)}")
    sums = []
    for part in parts:
        names = tuple(name.strip() for name in part.split("+"))
        if not all(_NAME.match(name) for name in names):
            raise reader.error("quantity", f"expected species names, got {brief(text)}")
        sums.append(names)
    return Quantity(sums[0], sums[1] if len(sums) == 2 else (), text)


def _read_measure(reader: MappingReader, protocols: Mapping[str, Protocol]) -> Measure:
    kind = reader.choice("kind", tuple(MEASURE_KINDS))
    if kind == "parameter_half_life":
        parameter = reader.string("parameter")
        if not _PARAMETER.match(parameter):
            raise reader.error("parameter", f"expected model.parameter, got {brief(parameter)}")
        reader.finish()
        return Measure(kind, Quantity((), (), ""), "", parameter=parameter)
    quantity = _read_quantity(reader)
    protocol = reader.string("protocol")
    if protocol not in protocols:
        raise reader.error(
            "protocol", f"no protocol {brief(protocol)}; defined: {', '.join(protocols)}"
        )
    end = protocols[protocol].end
    reference = None
    time = window = resolution = None
    if kind in ("ratio", "change"):
        reference = reader.string("reference")
        if reference not in protocols:
            raise reader.error(
                "reference", f"no protocol {brief(reference)}; defined: {', '.join(protocols)}"
            )
        end = min(end, protocols[reference].end)
    if kind in ("value", "ratio", "change"):
        time = reader.quantity("time", "time", non_negative=True, maximum=end)
    else:
        pair = reader.quantity_list("window", "time", length=2)
        if not (0.0 <= pair[0] < pair[1] <= end):
            raise reader.error("window", f"expected two increasing times within 0 and {end:g} s")
        window = (pair[0], pair[1])
        resolution = reader.quantity("resolution", "time", positive=True)
        if (pair[1] - pair[0]) / resolution > 100_000:
            raise reader.error("resolution", "more than 100 000 samples in the window")
    reader.finish()
    return Measure(kind, quantity, protocol, reference, time, window, resolution)


def _read_target_section(
    reader: MappingReader, protocols: Mapping[str, Protocol]
) -> dict[str, Target]:
    targets: dict[str, Target] = {}
    for name in reader.key_names():
        _check_name(reader, name, "target")
        entry = reader.sub(name)
        statement = entry.string("statement")
        source = entry.string("source")
        measure = _read_measure(entry.sub("measure", required=True), protocols)
        is_time = MEASURE_KINDS[measure.kind]
        if is_time:
            value = entry.quantity("target", "time", positive=True)
            tolerance = entry.quantity("tolerance", "time", positive=True)
        else:
            value = entry.number("target")
            tolerance = entry.number("tolerance", positive=True)
        status = entry.choice("status", _STATUS, "predicted")
        fit = entry.boolean("fit", status == "calibrated")
        factor = entry.number("factor", 2.0, minimum=1.0)
        parameters = entry.sequence("parameters", [])
        if not all(isinstance(p, str) for p in parameters):
            raise entry.error("parameters", "expected a list of model.parameter names")
        entry.finish()
        if measure.kind == "change" and value <= -1.0:
            raise entry.error("target", "a change is a fraction above -1 (−46 % is -0.46)")
        targets[name] = Target(
            name, statement, source, measure, value, tolerance, status, fit, factor,
            tuple(parameters),
        )  # fmt: skip
    reader.finish()
    if not targets:
        raise reader.error(None, "expected at least one target")
    return targets


def _read_out_of_scope(root: MappingReader) -> tuple[OutOfScope, ...]:
    items = root.sequence("out_of_scope", [])
    result = []
    for index, raw in enumerate(items):
        entry = MappingReader(raw, file=root.file, path=f"out_of_scope[{index}]")
        result.append(
            OutOfScope(entry.string("effect"), entry.string("source"), entry.string("reason"))
        )
        entry.finish()
    return tuple(result)


def _read_bounds(reader: MappingReader) -> dict[str, tuple[float | str, float | str]]:
    bounds: dict[str, tuple[float | str, float | str]] = {}
    for name in reader.key_names():
        pair = reader.sequence(name)
        if len(pair) != 2 or not all(
            isinstance(v, str) or (isinstance(v, int | float) and not isinstance(v, bool))
            for v in pair
        ):
            raise reader.error(name, f"expected [low, high], got {brief(pair)}")
        if all(isinstance(v, int | float) for v in pair) and not (
            math.isfinite(float(pair[0])) and math.isfinite(float(pair[1])) and pair[0] < pair[1]
        ):
            raise reader.error(name, f"expected finite low < high, got {brief(pair)}")
        bounds[name] = (pair[0], pair[1])
    reader.finish()
    return bounds


def check_names(
    targets: TargetSet, species: set[str], parameters: Mapping[str, float] | None = None
) -> None:
    """Raise an :class:`InputError` if a target names a species (or, given ``parameters``,
    a positive rate parameter) the models lack."""
    for name, target in targets.targets.items():
        chosen = target.measure.parameter
        if chosen is not None and parameters is not None:
            if chosen not in parameters:
                raise InputError(
                    f"unknown parameter {brief(chosen)} (expected model.parameter of "
                    f"{', '.join(targets.models)})",
                    file=targets.file,
                    key=f"targets.{name}.measure.parameter",
                )
            if not parameters[chosen] > 0.0:
                raise InputError(
                    f"parameter {chosen} is {parameters[chosen]!r}: a half-life needs a "
                    "positive rate",
                    file=targets.file,
                    key=f"targets.{name}.measure.parameter",
                )
        for item in target.measure.quantity.species:
            if item not in species:
                raise InputError(
                    f"unknown species {brief(item)}; species: {', '.join(sorted(species))}",
                    file=targets.file,
                    key=f"targets.{name}.measure.quantity",
                )
