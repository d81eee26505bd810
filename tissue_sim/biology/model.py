"""Cell-response models: load model files, compose them, evaluate rates and Jacobians.

Model files live in ``models/cells/`` (see :mod:`tissue_sim.biology._model_file` for the
format). Several files compose into one system by shared species names: a file reads a
species owned by another file through its ``external`` section; when the owner is not
loaded, the external species is held at its declared healthy value.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pint
import sympy

from tissue_sim.biology._model_file import (
    KNOWN_STIMULUS_FEATURES,
    ModelFile,
    ParameterInfo,
    read_model_file,
)
from tissue_sim.biology._system import CompiledSystem
from tissue_sim.config.units import unit_registry
from tissue_sim.errors import InputError, ModelFileError
from tissue_sim.resources import cell_models_directory

__all__ = [
    "KNOWN_STIMULUS_FEATURES",
    "STANDARD_SPECIES",
    "CellModel",
    "ParameterInfo",
    "Species",
    "describe_model",
    "evaluate_expression",
    "list_models",
    "list_presets",
    "load_model",
    "model_inputs",
]

FloatArray = npt.NDArray[np.float64]

#: Species the shipped models provide under these names, so that scenarios, sweep output
#: paths and reports can rely on them (the fibroblast, TGF-β1 and macrophage models).
STANDARD_SPECIES: Final[tuple[str, ...]] = (
    "il6",
    "il1b",
    "il10",
    "tnfa",
    "tgfb1_latent",
    "tgfb1_active",
    "myofibroblast",
    "collagen",
    "m0",
    "m1",
    "m2",
    "fak",
)

#: Name of the preset made of every species' ``initial`` value.
HEALTHY: Final[str] = "healthy"


@dataclass(frozen=True)
class Species:
    """One species of a composed model.

    Attributes
    ----------
    name
        Species name (shared across models).
    unit
        SI unit text (``"1"`` for dimensionless, normalised quantities).
    description
        What the species is.
    healthy
        Healthy initial value (in ``unit``).
    model
        The model file that owns it.
    """

    name: str
    unit: str
    description: str
    healthy: float
    model: str


def list_models(directory: Path | None = None) -> list[str]:
    """Names of the model files in ``models/cells`` (sorted).

    Parameters
    ----------
    directory
        Folder to list instead of :func:`tissue_sim.resources.cell_models_directory`.
    """
    folder = directory or cell_models_directory()
    return sorted(path.stem for path in folder.glob("*.yaml"))


def model_inputs(names_or_paths: Sequence[str]) -> tuple[str, ...]:
    """Stimulus features the named models read, in load order (read only, not compiled).

    Parameters
    ----------
    names_or_paths
        Model names from ``models/cells`` or paths of ``.yaml`` files.
    """
    inputs: list[str] = []
    for file in _read_files(names_or_paths):
        inputs.extend(name for name in file.inputs if name not in inputs)
    return tuple(inputs)


def list_presets(names_or_paths: Sequence[str] | None = None) -> list[str]:
    """Names of the initial-state presets (``healthy`` first, then the others sorted).

    Parameters
    ----------
    names_or_paths
        Models to look at; every shipped model when ``None``.
    """
    files = _read_files(names_or_paths if names_or_paths is not None else list_models())
    names = {preset for file in files for preset in file.presets}
    return [HEALTHY, *sorted(names)]


def load_model(
    names_or_paths: Sequence[str] | str,
    parameter_overrides: Mapping[str, Any] | None = None,
) -> CellModel:
    """Load model files, compose them into one system and compile it.

    Parameters
    ----------
    names_or_paths
        Model names from ``models/cells`` (e.g. ``"tgfb1_fibrosis"``) or paths of
        ``.yaml`` files. A single string is accepted for one model.
    parameter_overrides
        ``{"model.parameter": value}``; a value is a number in SI units or a string with
        a unit (``"0.2 1/h"``).

    Returns
    -------
    CellModel
        The composed, validated and compiled model.

    Raises
    ------
    ModelFileError
        For any problem in a model file (naming the file and the line).
    InputError
        For unknown model names or bad overrides.
    """
    if isinstance(names_or_paths, str):
        names_or_paths = [names_or_paths]
    if not names_or_paths:
        raise InputError("no cell model given; available: " + ", ".join(list_models()))
    files = _read_files(names_or_paths)
    return CellModel(files, dict(parameter_overrides or {}))


def describe_model(name: str) -> str:
    """Text describing one model: species, parameters (units, sources), inputs, equations.

    Parameters
    ----------
    name
        Model name or path.
    """
    return load_model([name]).describe()


def _read_files(names_or_paths: Sequence[str]) -> list[ModelFile]:
    files: list[ModelFile] = []
    seen: dict[str, str] = {}
    for item in names_or_paths:
        path = _resolve_path(item)
        file = read_model_file(path)
        if file.name in seen:
            raise InputError(f"model {file.name!r} is loaded twice ({seen[file.name]}, {item})")
        seen[file.name] = item
        files.append(file)
    return files


def _resolve_path(item: str) -> Path:
    if item.endswith((".yaml", ".yml")) or "/" in item or "\\" in item:
        path = Path(item)
        if not path.is_file():
            raise InputError(f"model file not found: {item}")
        return path
    path = cell_models_directory() / f"{item}.yaml"
    if not path.is_file():
        raise InputError(
            f"unknown cell model {item!r}; available: {', '.join(list_models()) or 'none'}"
        )
    return path


class CellModel:
    """Composed cell-response model with vectorised rates and analytic Jacobian.

    Build it with :func:`load_model`. All times are in seconds.

    Attributes
    ----------
    model_names
        The composed model files, in load order.
    species
        :class:`Species` of the state vector, in state order.
    species_names
        Their names.
    parameters
        ``{"model.name": ParameterInfo}`` (values in SI units, overrides applied).
    inputs
        Stimulus feature names the composed model reads.
    rate_equations
        ``{species: "model: expression as written"}`` for display.
    report_species
        What reports show first, in order: the ``report`` entries of the files in load
        order (species, and derived quantities whose species are all in the composition).
    species_labels
        Name → plain-language label of every ``report`` entry (shown or not).
    report_scales
        Name → what 1 is (``relative_to``) for the entries that say so.
    report_derived
        Derived quantity → ``(expression, unit)``; evaluate with :func:`evaluate_expression`.
    """

    def __init__(self, files: Sequence[ModelFile], overrides: Mapping[str, Any]) -> None:
        self._files = tuple(files)
        self._overrides = dict(overrides)
        self.model_names = tuple(file.name for file in files)
        parameters = {
            f"{file.name}.{name}": info for file in files for name, info in file.parameters.items()
        }
        self.parameters: dict[str, ParameterInfo] = _apply_overrides(parameters, overrides)
        owners: dict[str, tuple[ModelFile, Species]] = {}
        for file in files:
            for definition in file.species.values():
                if definition.name in owners:
                    first = owners[definition.name][0]
                    raise ModelFileError(
                        f"duplicate definition: species {definition.name!r} is already "
                        f"defined in {first.path}:{first.species[definition.name].line}",
                        file=file.path,
                        line=definition.line,
                    )
                owners[definition.name] = (
                    file,
                    Species(
                        definition.name,
                        definition.unit,
                        definition.description,
                        definition.initial,
                        file.name,
                    ),
                )
        self.species: tuple[Species, ...] = tuple(species for _, species in owners.values())
        self.species_names: tuple[str, ...] = tuple(s.name for s in self.species)
        self._index = {name: index for index, name in enumerate(self.species_names)}
        inputs: list[str] = []
        for file in files:
            inputs.extend(name for name in file.inputs if name not in inputs)
        self.inputs: tuple[str, ...] = tuple(inputs)
        rates: dict[str, sympy.Expr] = {}
        self.rate_equations: dict[str, str] = {}
        for file in files:
            self._check_externals(file, owners)
            resolved = _resolve_rates(file, self.parameters, set(owners))
            for name, expression in resolved.items():
                rates[name] = expression
                self.rate_equations[name] = f"{file.name}: {file.rates[name][0]}"
        self.rates: tuple[sympy.Expr, ...] = tuple(rates[name] for name in self.species_names)
        self._presets = self._build_presets()
        self.system = CompiledSystem(self.rates, self.species_names, self.inputs)
        self._read_report()

    def _read_report(self) -> None:
        """:attr:`report_species`, :attr:`species_labels`, :attr:`report_scales` and
        :attr:`report_derived` from the files' ``report`` sections."""
        shown: list[str] = []
        self.species_labels: dict[str, str] = {}
        self.report_scales: dict[str, str] = {}
        self.report_derived: dict[str, tuple[str, str]] = {}
        for file in self._files:
            for entry in file.report:
                if entry.expression:
                    if not set(entry.reads) <= set(self.species_names):
                        continue  # it reads a species no loaded model owns
                    self.report_derived[entry.name] = (entry.expression, entry.unit)
                if entry.shown and entry.name not in shown:
                    shown.append(entry.name)
                self.species_labels[entry.name] = entry.label
                if entry.relative_to:
                    self.report_scales[entry.name] = entry.relative_to
        self.report_species: tuple[str, ...] = tuple(shown)

    # -- composition checks -------------------------------------------------------------
    def _check_externals(
        self, file: ModelFile, owners: Mapping[str, tuple[ModelFile, Species]]
    ) -> None:
        for external in file.external.values():
            if external.name not in owners:
                continue
            owner_file, owner = owners[external.name]
            if external.unit != owner.unit:
                raise ModelFileError(
                    f"external species {external.name!r} has unit {external.unit}, but "
                    f"{owner_file.name} defines it in {owner.unit}",
                    file=file.path,
                    line=external.line,
                )
            if not math.isclose(external.healthy, owner.healthy, rel_tol=1e-9, abs_tol=1e-300):
                raise ModelFileError(
                    f"external species {external.name!r} has healthy value "
                    f"{external.healthy:g}, but {owner_file.name} starts it at "
                    f"{owner.healthy:g}; they must agree so the healthy state stays a "
                    "steady state of the composed model",
                    file=file.path,
                    line=external.line,
                )

    def _build_presets(self) -> dict[str, FloatArray]:
        healthy = np.array([s.healthy for s in self.species], dtype=np.float64)
        presets = {HEALTHY: healthy}
        for file in self._files:
            for preset in file.presets:
                presets.setdefault(preset, healthy.copy())
        for file in self._files:
            for preset, values in file.presets.items():
                for name, value in values.items():
                    presets[preset][self._index[name]] = value
        return presets

    # -- public API ---------------------------------------------------------------------
    @property
    def n_species(self) -> int:
        """Number of species ``S``."""
        return len(self.species_names)

    @property
    def presets(self) -> list[str]:
        """Preset names available for this model (``healthy`` first)."""
        return [HEALTHY, *sorted(name for name in self._presets if name != HEALTHY)]

    def species_index(self, name: str) -> int:
        """Column of species ``name`` in state arrays."""
        try:
            return self._index[name]
        except KeyError:
            raise InputError(
                f"unknown species {name!r}; species: {', '.join(self.species_names)}"
            ) from None

    def initial_state(self, preset: str = HEALTHY) -> FloatArray:
        """Initial state of a named preset, shape ``(S,)``.

        Parameters
        ----------
        preset
            ``"healthy"`` (every species' initial value) or a preset defined in a loaded
            model file; species that a preset does not set keep their healthy value.
        """
        if preset not in self._presets:
            raise InputError(
                f"unknown initial-state preset {preset!r}; available: {', '.join(self.presets)}"
            )
        return self._presets[preset].copy()

    def with_parameters(self, overrides: Mapping[str, Any]) -> CellModel:
        """A new model with parameters replaced (``{"model.name": value}``)."""
        merged = {**self._overrides, **overrides}
        return CellModel(self._files, merged)

    def _inputs(self, inputs: Mapping[str, Any], n_points: int) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name in self.inputs:
            if name not in inputs:
                raise InputError(
                    f"stimulus feature {name!r} is needed by the cell model but was not given"
                )
            value = np.asarray(inputs[name], dtype=np.float64)
            values[name] = (
                np.broadcast_to(value, (n_points,)).copy() if value.ndim else float(value)
            )
        return values

    def rhs(self, t: float, y: npt.ArrayLike, inputs: Mapping[str, Any]) -> FloatArray:
        """Rates ``dy/dt`` [unit/s] at every point.

        Parameters
        ----------
        t
            Time [s] (the models are autonomous; kept for the usual ODE signature).
        y
            States, shape ``(P, S)``.
        inputs
            Stimulus feature values: arrays ``(P,)`` or scalars, for every name in
            :attr:`inputs` (0 outside sessions).

        Returns
        -------
        numpy.ndarray
            Shape ``(P, S)``.
        """
        state = _as_points(y, self.n_species)
        prepared, _ = self.system.prepare(self._inputs(inputs, state.shape[0]))
        species_major = np.ascontiguousarray(state.T)
        out = np.empty_like(species_major)
        self.system.rhs_into(prepared, species_major, out)
        return np.ascontiguousarray(out.T)

    def jacobian(self, t: float, y: npt.ArrayLike, inputs: Mapping[str, Any]) -> FloatArray:
        """Jacobian ``∂(dy/dt)/∂y`` [1/s] at every point, shape ``(P, S, S)``.

        Parameters are as for :meth:`rhs`.
        """
        state = _as_points(y, self.n_species)
        _, prepared = self.system.prepare(self._inputs(inputs, state.shape[0]))
        species_major = np.ascontiguousarray(state.T)
        entries = np.empty((self.system.n_jacobian_entries, state.shape[0]))
        self.system.jacobian_into(prepared, species_major, entries)
        result = np.zeros((state.shape[0], self.n_species, self.n_species))
        result[:, self.system.jacobian_rows, self.system.jacobian_cols] = entries.T
        return result

    def describe(self) -> str:
        """Human-readable description: species, parameters with units and sources, inputs,
        rate equations and presets."""
        lines: list[str] = []
        for file in self._files:
            lines.append(f"{file.name} — {file.title}")
            lines.append(f"file: {file.path}")
            lines.append("")
            lines.append(textwrap.indent(file.description.rstrip(), "  "))
            lines.append("")
            lines.append("Inputs (stimulus features, 0 outside sessions):")
            lines.extend(f"  {name}" for name in file.inputs) if file.inputs else lines.append(
                "  none"
            )
            lines.append("Species:")
            for species in file.species.values():
                lines.append(
                    f"  {species.name} [{species.unit}] healthy {species.initial:g} — "
                    f"{species.description}"
                )
            if file.external:
                lines.append(
                    "External species (owned by other models; held at the healthy value when "
                    "their model is not loaded):"
                )
                for external in file.external.values():
                    lines.append(
                        f"  {external.name} [{external.unit}] healthy {external.healthy:g} — "
                        f"{external.description}"
                    )
            lines.append("Parameters:")
            for name in file.parameters:
                info = self.parameters[f"{file.name}.{name}"]
                lines.append(f"  {name} = {info.value:.6g} {info.unit} (given: {info.given})")
                lines.append(f"      source: {info.source}")
                if info.note:
                    lines.append(f"      chosen: {info.note}")
            if file.expressions:
                lines.append("Expressions:")
                for name, (text, _, _) in file.expressions.items():
                    lines.append(f"  {name} = {text}")
            lines.append("Rates:")
            for name, (text, _, _) in file.rates.items():
                lines.append(f"  d{name}/dt = {text}")
            if file.presets:
                lines.append("Presets (other species keep their healthy value):")
                for preset, values in file.presets.items():
                    settings = ", ".join(f"{key}={value:g}" for key, value in values.items())
                    lines.append(f"  {preset}: {settings}")
            lines.append("")
        return "\n".join(lines).rstrip() + "\n"


def evaluate_expression(text: str, values: Mapping[str, npt.ArrayLike]) -> npt.NDArray[np.float64]:
    """Evaluate a derived report quantity (``report.NAME.expression``) on arrays.

    The text goes through the same safe parser as the rates (never ``eval``) and is
    evaluated by the same numpy evaluator; where it is undefined (e.g. ``m2 / (m1 + m2)``
    with no macrophages) the result is NaN.

    Parameters
    ----------
    text
        The expression, over species names.
    values
        Species name → array (all of one shape) [species unit].

    Returns
    -------
    numpy.ndarray
        The quantity, in the shape of the arrays [unit of the derived quantity].

    Raises
    ------
    ModelFileError
        If the text is not a valid expression.
    ValueError
        If it reads a name that ``values`` does not give.
    """
    from tissue_sim.biology._expressions import parse_expression
    from tissue_sim.biology._program import Program

    arrays = {name: np.asarray(value, dtype=np.float64) for name, value in values.items()}
    shape = np.broadcast_shapes(*(array.shape for array in arrays.values())) if arrays else ()
    program = Program([parse_expression(text, key="report expression")], tuple(arrays), ())
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        (result,) = program.evaluate(program.prepare({}), arrays)
    out = np.array(np.broadcast_to(np.asarray(result, dtype=np.float64), shape))
    out[~np.isfinite(out)] = np.nan
    return out


def _as_points(y: npt.ArrayLike, n_species: int) -> FloatArray:
    state = np.asarray(y, dtype=np.float64)
    if state.ndim == 1:
        state = state[None, :]
    if state.ndim != 2 or state.shape[1] != n_species:
        raise InputError(f"expected states of shape (P, {n_species}), got {state.shape}")
    return state


def _apply_overrides(
    parameters: Mapping[str, ParameterInfo], overrides: Mapping[str, Any]
) -> dict[str, ParameterInfo]:
    result = dict(parameters)
    registry = unit_registry()
    for key, raw in overrides.items():
        if key not in result:
            models = sorted({name.split(".")[0] for name in result})
            raise InputError(
                f"unknown cell-model parameter {key!r}; write 'model.parameter' with model one "
                f"of {', '.join(models)}",
                key=f"biology.parameters.{key}",
            )
        info = result[key]
        value = _override_value(raw, info, registry, key)
        result[key] = replace(info, value=value, given=f"{raw} (override)")
    return result


def _override_value(raw: Any, info: ParameterInfo, registry: pint.UnitRegistry, key: str) -> float:
    where = f"biology.parameters.{key}"
    if isinstance(raw, bool):
        raise InputError(f"expected a number, got {raw!r}", key=where)
    if isinstance(raw, int | float):
        value = float(raw)
    elif isinstance(raw, str):
        try:
            quantity: Any = registry.Quantity(raw).to_base_units()
            target = registry.Quantity(1.0, info.unit if info.unit != "1" else "").to_base_units()
        except (pint.PintError, ValueError, TypeError, AttributeError, SyntaxError):
            raise InputError(
                f"cannot read {raw!r} as a quantity in {info.unit}", key=where
            ) from None
        if quantity.dimensionality != target.dimensionality:
            raise InputError(f"expected a value in {info.unit}, got {raw!r}", key=where)
        value = float(quantity.magnitude)
    else:
        raise InputError(f"expected a number or a quantity string, got {raw!r}", key=where)
    if not math.isfinite(value):
        raise InputError(f"expected a finite value, got {raw!r}", key=where)
    return value


def _resolve_rates(
    file: ModelFile, parameters: Mapping[str, ParameterInfo], loaded_species: set[str]
) -> dict[str, sympy.Expr]:
    """Substitute parameters, helper expressions and absent externals into the rates."""
    substitutions: dict[sympy.Symbol, sympy.Expr] = {}
    for name in file.parameters:
        value = parameters[f"{file.name}.{name}"].value
        substitutions[sympy.Symbol(name, real=True)] = sympy.Float(value)
    for external in file.external.values():
        if external.name not in loaded_species:
            substitutions[sympy.Symbol(external.name, real=True)] = sympy.Float(external.healthy)
    known = (
        set(file.species)
        | set(file.external)
        | set(file.inputs)
        | set(file.parameters)
        | set(file.expressions)
    )
    resolved: dict[str, sympy.Expr] = {}

    def resolve(expression: sympy.Expr, line: int, stack: tuple[str, ...]) -> sympy.Expr:
        local: dict[sympy.Symbol, sympy.Expr] = {}
        for symbol in expression.free_symbols:
            name = str(symbol)
            if name not in known:
                raise ModelFileError(
                    f"name {name!r} is not defined in model {file.name} (not a species, "
                    "external species, input, parameter or expression)",
                    file=file.path,
                    line=line,
                )
            if name in file.expressions:
                if name in stack:
                    raise ModelFileError(
                        f"expression {name!r} refers to itself ({' → '.join((*stack, name))})",
                        file=file.path,
                        line=line,
                    )
                if name not in resolved:
                    _, helper, helper_line = file.expressions[name]
                    resolved[name] = resolve(helper, helper_line, (*stack, name))
                local[symbol] = resolved[name]
        return expression.xreplace(local).xreplace(substitutions)

    for name, (_, expression, line) in file.expressions.items():
        if name not in resolved:
            resolved[name] = resolve(expression, line, (name,))
    rates: dict[str, sympy.Expr] = {}
    for name, (_, expression, line) in file.rates.items():
        rate = resolve(expression, line, ())
        for symbol in rate.free_symbols:
            if str(symbol) not in loaded_species and str(symbol) not in file.inputs:
                raise ModelFileError(
                    f"rate of {name!r} still depends on {symbol} after substitution",
                    file=file.path,
                    line=line,
                )
        if rate.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
            raise ModelFileError(
                f"rate of {name!r} is infinite or undefined for these parameter values",
                file=file.path,
                line=line,
            )
        rates[name] = rate
    return rates
