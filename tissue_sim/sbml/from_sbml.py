"""Turn an SBML (or Antimony) model into a tissue_sim model file.

The mapping (``docs/sbml.md`` has the full table and the reasons):

* a species that reactions or a rate rule change → a model-file species; its rate is the
  rate rule, or Σ stoichiometry · reaction rate (divided by the compartment size when the
  species is a concentration, times its conversion factor); each reaction's kinetic law
  becomes a helper expression named after the reaction, its local parameters parameters
  named ``<reaction>_<parameter>``;
* a constant or boundary species, a constant parameter, a used compartment (constant
  size) → a parameter (value as in the SBML file);
* an assignment rule → a helper expression; an initial assignment of a constant → a helper
  expression (when it uses constants only) or its value at t = 0;
* a parameter named after a stimulus feature, annotated ``tissue_sim:input`` or mapped with
  ``inputs=`` → a stimulus input; annotated ``tissue_sim:external`` → an external species;
* function definitions → ``hill``/``hill_rep`` when their body is that function, else
  inlined.

What has no model-file form is collected, one line per construct, and raised together as
:class:`SBMLImportError`: events, constraints, algebraic rules, delays, ``time``,
``rateOf``, ``piecewise`` and comparisons, functions outside the expression whitelist,
compartments that change size, variable stoichiometry, fast reactions, reactions without
a kinetic law, required SBML packages (``comp`` is flattened first).

Numbers are kept as the SBML file states them (SBML simulators ignore units); the model's
time unit (``timeUnits`` or ``time_unit=``) rescales every rate to per second.
"""

from __future__ import annotations

import math
import re
import tempfile
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import sympy
import yaml

from tissue_sim.biology import KNOWN_STIMULUS_FEATURES, load_model
from tissue_sim.biology._expressions import parse_expression
from tissue_sim.biology._model_file import read_model_file, to_si
from tissue_sim.config.units import check_unit_text, unit_registry
from tissue_sim.errors import InputError, brief, one_line
from tissue_sim.sbml._annotations import Annotation, notes_text, read_annotation
from tissue_sim.sbml._libs import antimony_module, libsbml_module
from tissue_sim.sbml._math import MathReader, Unsupported
from tissue_sim.sbml._names import model_file_name
from tissue_sim.sbml._units import SBMLUnit, divide_units, read_unit
from tissue_sim.sbml._write import write_text_file
from tissue_sim.stimulus._levels import parse_level_feature

__all__ = [
    "MAX_SBML_BYTES",
    "TIME_UNIT_PARAMETER",
    "ImportedModel",
    "SBMLImportError",
    "import_sbml",
    "read_sbml_text",
    "write_model_file",
]

#: Largest SBML or Antimony file read.
MAX_SBML_BYTES: Final[int] = 20_000_000
#: Name of the parameter that holds the SBML model's time unit (when it is not seconds).
TIME_UNIT_PARAMETER: Final[str] = "sbml_time_unit"
#: Most problems listed in one error (the rest are counted).
MAX_PROBLEMS: Final[int] = 50
_MODEL_NAME: Final = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_ANTIMONY_SUFFIXES: Final = (".ant", ".antimony", ".txt")


class SBMLImportError(InputError):
    """An SBML model with constructs a model file cannot hold.

    Attributes
    ----------
    problems
        One line per construct, each naming the element and what it uses.
    """

    def __init__(self, file: str, problems: list[str]) -> None:
        self.problems = tuple(problems)
        shown = "; ".join(problems[:MAX_PROBLEMS])
        more = f"; and {len(problems) - MAX_PROBLEMS} more" if len(problems) > MAX_PROBLEMS else ""
        super().__init__(
            f"{len(problems)} SBML construct(s) cannot be mapped to a model file: {shown}{more}",
            file=file,
        )


@dataclass(frozen=True)
class ImportedModel:
    """A model file made from an SBML model.

    Attributes
    ----------
    name
        The model name (the file must be called ``<name>.yaml``).
    text
        The model file (YAML), already read back and compiled by tissue_sim.
    renamed
        SBML id → model-file name, for ids that are not valid model-file names.
    inputs
        SBML id → stimulus feature of the parameters that became inputs.
    notes
        How the model was mapped (also in the file's description).
    """

    name: str
    text: str
    renamed: dict[str, str]
    inputs: dict[str, str]
    notes: tuple[str, ...]


def read_sbml_text(path: Path) -> str:
    """The SBML text of an SBML file, or of an Antimony file translated by antimony.

    Antimony is recognised by the suffix ``.ant``, ``.antimony`` or ``.txt`` (or by text
    that does not start with ``<``).
    """
    file = str(path)
    try:
        size = path.stat().st_size
    except OSError as error:
        raise InputError(f"cannot read the model: {error.strerror}", file=file) from None
    if size > MAX_SBML_BYTES:
        raise InputError(f"file of {size} bytes; at most {MAX_SBML_BYTES} are read", file=file)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"cannot read the model as UTF-8 text ({error})", file=file) from None
    if path.suffix.lower() in _ANTIMONY_SUFFIXES or not text.lstrip().startswith("<"):
        antimony = antimony_module()
        antimony.clearPreviousLoads()
        if antimony.loadAntimonyString(text) < 0:
            message = one_line(antimony.getLastError() or "unreadable", 300)
            raise InputError(f"not a valid Antimony model: {message}", file=file)
        module = antimony.getMainModuleName()
        sbml = antimony.getSBMLString(module)
        if not sbml:
            raise InputError(f"antimony gave no SBML for module {module!r}", file=file)
        return str(sbml)
    return text


def import_sbml(
    path: str | Path,
    *,
    name: str | None = None,
    inputs: Mapping[str, str] | None = None,
    time_unit: str | None = None,
) -> ImportedModel:
    """Translate an SBML or Antimony model into a tissue_sim model file.

    Parameters
    ----------
    path
        ``.xml``/``.sbml`` (SBML, any level) or ``.ant``/``.txt`` (Antimony).
    name
        Model name (default: the SBML model id, else the file name).
    inputs
        SBML parameter id → stimulus feature: parameters that the session schedule drives
        (parameters named after a feature, or annotated ``tissue_sim:input``, need none).
    time_unit
        The SBML model's time unit (``"min"``, ``"h"``, ``"s"``); default its
        ``timeUnits``, else seconds.

    Returns
    -------
    ImportedModel
        The model-file text (read back and compiled before it is returned).

    Raises
    ------
    SBMLImportError
        Listing every construct that cannot be mapped.
    InputError
        For an unreadable file or invalid SBML.
    """
    source = Path(path)
    sbml = read_sbml_text(source)
    return _Importer(source, sbml, name, dict(inputs or {}), time_unit).run()


def write_model_file(imported: ImportedModel, output: str | Path, *, force: bool = False) -> Path:
    """Write an imported model file (atomically: a complete file or none).

    Parameters
    ----------
    imported
        From :func:`import_sbml`.
    output
        The file; its name must be ``<imported.name>.yaml``.
    force
        Replace an existing file.
    """
    target = Path(output)
    if target.suffix not in (".yaml", ".yml") or target.stem != imported.name:
        raise InputError(
            f"the model file for model {imported.name!r} must be called {imported.name}.yaml "
            "(a model's name equals its file name)",
            file=str(target),
        )
    write_text_file(target, imported.text, force=force)
    return target


@dataclass
class _Out:
    """The model file being built."""

    inputs: list[str] = field(default_factory=list)
    species: dict[str, dict[str, Any]] = field(default_factory=dict)
    external: dict[str, dict[str, Any]] = field(default_factory=dict)
    parameters: dict[str, dict[str, Any]] = field(default_factory=dict)
    expressions: dict[str, str] = field(default_factory=dict)
    rates: dict[str, str] = field(default_factory=dict)
    presets: dict[str, dict[str, float]] = field(default_factory=dict)


def _is_input_name(name: str) -> bool:
    return name in KNOWN_STIMULUS_FEATURES or parse_level_feature(name) is not None


class _Importer:
    def __init__(
        self,
        path: Path,
        sbml: str,
        name: str | None,
        inputs: dict[str, str],
        time_unit: str | None,
    ) -> None:
        self.path = path
        self.file = str(path)
        self.sbml = sbml
        self.requested_name = name
        self.requested_inputs = inputs
        self.time_unit = time_unit
        self.libsbml = libsbml_module()
        self.problems: list[str] = []
        self.notes: list[str] = []
        self.out = _Out()
        self.start_values: dict[str, float | None] = {}

    def problem(self, text: str) -> None:
        self.problems.append(one_line(text, 400))

    # -- reading ----------------------------------------------------------------------
    def document(self) -> Any:
        libsbml = self.libsbml
        document = libsbml.readSBMLFromString(self.sbml)
        errors = [
            document.getError(index)
            for index in range(document.getNumErrors())
            if document.getError(index).getSeverity() >= libsbml.LIBSBML_SEV_ERROR
        ]
        if errors:
            raise SBMLImportError(
                self.file,
                [
                    f"invalid SBML (line {error.getLine()}): {one_line(error.getMessage(), 200)}"
                    for error in errors
                ],
            )
        if document.getModel() is None:
            raise InputError("the SBML document holds no model", file=self.file)
        namespaces = document.getNamespaces()
        declared = {namespaces.getURI(i) for i in range(namespaces.getNumNamespaces())}
        for index in range(document.getNumPlugins() if document.getLevel() >= 3 else 0):
            plugin = document.getPlugin(index)
            package = plugin.getPackageName()
            if package == "l3v2extendedmath" or plugin.getURI() not in declared:
                continue  # a plugin libsbml adds itself, not a package the file uses
            if package == "comp" and document.getPackageRequired("comp"):
                properties = libsbml.ConversionProperties()
                properties.addOption("flatten comp", True)
                if document.convert(properties) != libsbml.LIBSBML_OPERATION_SUCCESS:
                    self.problem("the comp package's submodels could not be flattened")
                else:
                    self.notes.append("hierarchical (comp) submodels were flattened by libsbml")
            elif document.getPackageRequired(package):
                self.problem(
                    f"the SBML package {package!r} is required by the file and is not "
                    "supported (only SBML core maps to a model file)"
                )
        return document

    def run(self) -> ImportedModel:
        document = self.document()
        model = document.getModel()
        self.model = model
        self.level = f"SBML Level {document.getLevel()} Version {document.getVersion()}"
        self.origin = read_annotation(model, "model")
        self.check_unsupported(model)
        self.name = self.model_name(model)
        self.time_scale = self.read_time_unit(model)
        self.build_names(model)
        self.reader = MathReader(self.names, self.function_definitions(model))
        self.collect_rules(model)
        self.map_reactions(model)
        self.map_species(model)
        self.map_parameters(model)
        self.map_used_constants(model)
        self.read_presets()
        if self.problems:
            raise SBMLImportError(self.file, self.problems)
        text = self.model_file_text(model)
        self.check_loads(text)
        return ImportedModel(
            name=self.name,
            text=text,
            renamed={k: v for k, v in self.names.items() if k != v and k not in self.input_of},
            inputs=dict(self.input_of),
            notes=tuple(self.notes),
        )

    def check_unsupported(self, model: Any) -> None:
        for index, event in enumerate(model.getListOfEvents()):
            label = event.getId() or event.getName() or f"number {index + 1}"
            self.problem(
                f"event {label}: events (discontinuous changes at a trigger) are not supported: "
                "model-file rates are smooth and only the session schedule switches inputs"
            )
        for index, constraint in enumerate(model.getListOfConstraints()):
            formula = self.libsbml.formulaToL3String(constraint.getMath()) or "?"
            self.problem(
                f"constraint {index + 1} ({brief(formula)}): constraints are not supported"
            )
        for rule in model.getListOfRules():
            if rule.isAlgebraic():
                formula = self.libsbml.formulaToL3String(rule.getMath()) or "?"
                self.problem(
                    f"algebraic rule 0 = {brief(formula)}: algebraic rules (DAEs) are not "
                    "supported; model files are ordinary differential equations"
                )
        for compartment in model.getListOfCompartments():
            identifier = compartment.getId()
            rule = model.getRule(identifier)
            if rule is not None and not rule.isAlgebraic():
                self.problem(
                    f"compartment {identifier}: a compartment whose size changes "
                    f"({'rate' if rule.isRate() else 'assignment'} rule) is not supported "
                    "(volume changes of compartments)"
                )

    def model_name(self, model: Any) -> str:
        candidates = [self.requested_name] if self.requested_name else []
        candidates += [model.getId(), self.path.stem]
        for candidate in candidates:
            if candidate and _MODEL_NAME.match(candidate):
                return candidate
        if self.requested_name:
            raise InputError(
                f"model name {self.requested_name!r} must start with a letter and use "
                "letters, digits and _",
                file=self.file,
            )
        return model_file_name(self.path.stem if self.path.stem else "imported", ())

    def read_time_unit(self, model: Any) -> float:
        registry = unit_registry()
        if self.time_unit:
            text = self.time_unit.strip()
            if check_unit_text(text) is not None:
                raise InputError(f"--time-unit {brief(text)} is not a unit of time")
            try:
                quantity: Any = registry.Quantity(text if text[0].isdigit() else f"1 {text}")
                seconds = float(quantity.to("s").magnitude)
            except Exception:  # pint raises several unrelated types on bad text
                raise InputError(f"--time-unit {brief(text)} is not a unit of time") from None
            if not math.isfinite(seconds) or seconds <= 0.0:
                raise InputError(f"--time-unit {brief(text)} must be a positive time")
            self.notes.append(
                f"time unit {text} (given on import): rates are divided by {seconds:g} s"
            )
            return seconds
        if model.isSetTimeUnits():
            unit = read_unit(model, model.getTimeUnits())
            if unit is None or unit.si_text != "s":
                self.problem(
                    f"model timeUnits {model.getTimeUnits()!r} is not a unit of time tissue_sim "
                    "can read; pass --time-unit"
                )
                return 1.0
            if not unit.is_si:
                self.notes.append(
                    f"time unit {unit.label} (the model's timeUnits): rates are divided by "
                    f"{unit.factor:g} s"
                )
            return unit.factor
        self.notes.append(
            "the SBML model states no time unit: its time is read as seconds (pass "
            "--time-unit min or h if its rates are per minute or per hour)"
        )
        return 1.0

    def build_names(self, model: Any) -> None:
        """SBML id → model-file name, inputs first (their name is the feature)."""
        self.input_of: dict[str, str] = {}
        for identifier, feature in self.requested_inputs.items():
            if not _is_input_name(feature):
                self.problem(
                    f"--input {identifier}={feature}: {feature!r} is not a stimulus feature "
                    f"({', '.join(KNOWN_STIMULUS_FEATURES)} or a level feature)"
                )
            elif model.getParameter(identifier) is None:
                self.problem(
                    f"--input {identifier}={feature}: the model has no parameter {identifier!r}"
                )
            else:
                self.input_of[identifier] = feature
        for parameter in model.getListOfParameters():
            identifier = parameter.getId()
            if identifier in self.input_of:
                continue
            note = read_annotation(parameter, "input")
            if note is not None and _is_input_name(note.get("feature")):
                self.input_of[identifier] = note.get("feature")
            elif _is_input_name(identifier):
                self.input_of[identifier] = identifier
        taken: set[str] = set(self.input_of.values())
        if self.time_scale != 1.0:
            taken.add(TIME_UNIT_PARAMETER)
        self.names: dict[str, str] = dict(self.input_of)
        listed = [
            *model.getListOfSpecies(),
            *model.getListOfCompartments(),
            *model.getListOfParameters(),
            *model.getListOfReactions(),
        ]
        for reaction in model.getListOfReactions():
            listed += [*reaction.getListOfReactants(), *reaction.getListOfProducts()]
        for element in listed:
            identifier = element.getId()
            if not identifier or identifier in self.names:
                continue
            self.names[identifier] = model_file_name(identifier, taken)
            taken.add(self.names[identifier])
        self.taken = taken
        renamed = [f"{k} → {v}" for k, v in self.names.items() if k != v and k not in self.input_of]
        if renamed:
            self.notes.append("SBML ids renamed for the model file: " + ", ".join(renamed))
        for identifier, feature in self.input_of.items():
            self.notes.append(
                f"SBML parameter {identifier} is the stimulus input {feature} (the session "
                "schedule sets it: the feature's value in sessions, 0 outside)"
            )

    def function_definitions(self, model: Any) -> dict[str, tuple[tuple[str, ...], Any]]:
        functions: dict[str, tuple[tuple[str, ...], Any]] = {}
        for definition in model.getListOfFunctionDefinitions():
            body = definition.getBody()
            if body is None:
                self.problem(f"function definition {definition.getId()} has no body")
                continue
            arguments = tuple(
                definition.getArgument(index).getName()
                for index in range(definition.getNumArguments())
            )
            functions[definition.getId()] = (arguments, body)
        return functions

    # -- math -------------------------------------------------------------------------
    def parsed(
        self,
        reader: MathReader,
        node: Any,
        where: str,
        local: Mapping[str, str] | None = None,
    ) -> tuple[str, sympy.Expr] | None:
        """The expression text of a math node and its parse; ``None`` (noted) if unsupported."""
        try:
            text = reader.text(node, local)
            return text, parse_expression(text)
        except Unsupported as problem:
            self.problem(f"{where}: {problem}")
        except InputError as error:
            self.problem(f"{where}: {error.message}")
        return None

    def text(self, node: Any, where: str, local: Mapping[str, str] | None = None) -> str | None:
        parsed = self.parsed(self.reader, node, where, local)
        return None if parsed is None else parsed[0]

    def collect_rules(self, model: Any) -> None:
        self.assignment: dict[str, Any] = {}
        self.rate_rule: dict[str, Any] = {}
        for rule in model.getListOfRules():
            if rule.isAssignment():
                self.assignment[rule.getVariable()] = rule
            elif rule.isRate():
                self.rate_rule[rule.getVariable()] = rule
        self.initial: dict[str, Any] = {
            assignment.getSymbol(): assignment for assignment in model.getListOfInitialAssignments()
        }

    def map_reactions(self, model: Any) -> None:
        """Kinetic laws → helper expressions; stoichiometry → per-species terms."""
        self.terms: dict[str, list[tuple[float, str]]] = defaultdict(list)
        libsbml = self.libsbml
        for reaction in model.getListOfReactions():
            identifier = reaction.getId()
            where = f"reaction {identifier}"
            if reaction.isSetFast() and reaction.getFast():
                self.problem(f"{where}: fast reactions (quasi-steady state) are not supported")
            law = reaction.getKineticLaw() if reaction.isSetKineticLaw() else None
            if law is None or law.getMath() is None:
                self.problem(f"{where} has no kinetic law (its rate is not given)")
                continue
            local: dict[str, str] = {}
            locals_ = (
                law.getListOfLocalParameters()
                if model.getLevel() >= 3
                else law.getListOfParameters()
            )
            for parameter in locals_:
                name = model_file_name(f"{identifier}_{parameter.getId()}", self.taken)
                self.taken.add(name)
                local[parameter.getId()] = name
                label = f"local parameter {parameter.getId()} of {where}"
                if not parameter.isSetValue() or not math.isfinite(parameter.getValue()):
                    self.problem(f"{label} has no finite value")
                    continue
                unit = read_unit(model, parameter.getUnits()) if parameter.isSetUnits() else None
                self.add_parameter(
                    name, parameter, label, value=float(parameter.getValue()), unit=unit
                )
            text = self.text(law.getMath(), f"{where} kinetic law", local)
            if text is not None:
                self.out.expressions[self.names[identifier]] = text
            for sign, references in (
                (-1.0, reaction.getListOfReactants()),
                (1.0, reaction.getListOfProducts()),
            ):
                for reference in references:
                    stoichiometry = self.stoichiometry(reference, where, libsbml)
                    if stoichiometry is not None and stoichiometry != 0.0:
                        self.terms[reference.getSpecies()].append(
                            (sign * stoichiometry, self.names[identifier])
                        )

    def stoichiometry(self, reference: Any, where: str, libsbml: Any) -> float | None:
        label = f"{where}: stoichiometry of {reference.getSpecies()}"
        if reference.getLevel() < 3 and reference.isSetStoichiometryMath():
            self.problem(
                f"{label} is computed (stoichiometryMath): variable stoichiometry is not supported"
            )
            return None
        identifier = reference.getId() if reference.isSetId() else ""
        if identifier and (
            identifier in self.assignment
            or identifier in self.rate_rule
            or identifier in self.initial
        ):
            self.problem(
                f"{label} is set by a rule or an initial assignment: variable stoichiometry "
                "is not supported"
            )
            return None
        if reference.getLevel() >= 3 and not reference.isSetStoichiometry():
            self.problem(f"{label} is not set")
            return None
        value = float(reference.getStoichiometry())
        if not math.isfinite(value):
            self.problem(f"{label} is not finite")
            return None
        return value

    # -- species ------------------------------------------------------------------------
    def compartment_size(self, identifier: str) -> float | None:
        compartment = self.model.getCompartment(identifier)
        if compartment is None:
            return None
        if identifier in self.initial:
            return self.value_at_start(identifier)
        return float(compartment.getSize()) if compartment.isSetSize() else None

    def species_unit(self, species: Any) -> SBMLUnit | None:
        model = self.model
        substance = species.getSubstanceUnits() or model.getSubstanceUnits()
        amount = read_unit(model, substance) if substance else None
        if amount is None or species.getHasOnlySubstanceUnits():
            return amount
        compartment = model.getCompartment(species.getCompartment())
        if compartment is None:
            return None
        size_units = compartment.getUnits() or {
            3: model.getVolumeUnits(),
            2: model.getAreaUnits(),
            1: model.getLengthUnits(),
        }.get(int(compartment.getSpatialDimensionsAsDouble()), "")
        size = read_unit(model, size_units) if size_units else None
        return divide_units(amount, size) if size is not None else None

    def map_species(self, model: Any) -> None:
        for species in model.getListOfSpecies():
            identifier = species.getId()
            name = self.names[identifier]
            where = f"species {identifier}"
            unit = self.species_unit(species)
            if identifier in self.assignment:
                text = self.text(
                    self.assignment[identifier].getMath(), f"assignment rule of {where}"
                )
                if text is not None:
                    self.out.expressions[name] = text
                continue
            fixed = species.getConstant() or species.getBoundaryCondition()
            if fixed and identifier not in self.rate_rule:
                self.constant(identifier, name, species, f"constant species {identifier}", unit)
                continue
            initial = self.value_at_start(identifier)
            if initial is None:
                continue
            note = read_annotation(species, "species")
            if note is not None:
                initial = note.exact("initial", initial)
            self.out.species[name] = {
                "unit": _unit_text(unit, note),
                "initial": initial,
                "description": self.species_description(species, unit),
            }
            if identifier in self.rate_rule:
                rate = self.text(self.rate_rule[identifier].getMath(), f"rate rule of {where}")
            else:
                rate = self.reaction_rate(species)
            if rate is not None:
                self.out.rates[name] = self.per_second(rate)

    def reaction_rate(self, species: Any) -> str | None:
        terms = self.terms.get(species.getId(), [])
        if not terms:
            return "0"
        parts: list[str] = []
        for coefficient, reaction in terms:
            size = abs(coefficient)
            body = reaction if size == 1.0 else f"{_number(size)} * {reaction}"
            sign = "-" if coefficient < 0 else "+"
            parts.append(f"{sign} {body}" if parts else (f"-{body}" if sign == "-" else body))
        text = " ".join(parts)
        if not species.getHasOnlySubstanceUnits():
            compartment = species.getCompartment()
            self.reader.used.add(compartment)
            text = (
                f"({text}) / {self.names[compartment]}"
                if len(parts) > 1
                else (f"{text} / {self.names[compartment]}")
            )
        factor = species.getConversionFactor() or self.model.getConversionFactor()
        if factor:
            if factor not in self.names:
                self.problem(
                    f"species {species.getId()}: conversion factor {factor!r} is not a parameter"
                )
                return None
            self.reader.used.add(factor)
            text = f"{self.names[factor]} * ({text})"
        return text

    def per_second(self, text: str) -> str:
        return text if self.time_scale == 1.0 else f"({text}) / {TIME_UNIT_PARAMETER}"

    def species_description(self, species: Any, unit: SBMLUnit | None) -> str:
        note = read_annotation(species, "species")
        if note is not None and note.get("description"):
            return note.get("description")
        label = species.getName() or species.getId()
        kind = "amount" if species.getHasOnlySubstanceUnits() else "concentration"
        compartment = species.getCompartment()
        text = f"{label} (SBML species {species.getId()}, {kind} in compartment {compartment}"
        if unit is not None and not unit.is_si:
            text += f"; SBML unit {unit.label}, values as in the SBML file"
        return text + ")"

    # -- parameters ---------------------------------------------------------------------
    def map_parameters(self, model: Any) -> None:
        for parameter in model.getListOfParameters():
            identifier = parameter.getId()
            name = self.names[identifier]
            where = f"parameter {identifier}"
            if identifier in self.input_of:
                if identifier in self.assignment or identifier in self.rate_rule:
                    self.problem(f"{where} is a stimulus input but a rule sets it")
                else:
                    self.out.inputs.append(self.input_of[identifier])
                continue
            external = read_annotation(parameter, "external")
            if external is not None and identifier not in self.assignment:
                unit = read_unit(model, parameter.getUnits()) if parameter.isSetUnits() else None
                self.out.external[name] = {
                    "unit": _unit_text(unit, external),
                    "healthy": external.exact("healthy", float(parameter.getValue())),
                    "description": external.get("description") or name,
                }
                continue
            if identifier in self.assignment:
                text = self.text(
                    self.assignment[identifier].getMath(), f"assignment rule of {where}"
                )
                if text is not None:
                    self.out.expressions[name] = text
            elif identifier in self.rate_rule:
                unit = read_unit(model, parameter.getUnits()) if parameter.isSetUnits() else None
                initial = self.value_at_start(identifier)
                rate = self.text(self.rate_rule[identifier].getMath(), f"rate rule of {where}")
                if initial is not None and rate is not None:
                    self.out.species[name] = {
                        "unit": unit.si_text if unit is not None and unit.is_si else "1",
                        "initial": initial,
                        "description": f"{parameter.getName() or identifier} (SBML parameter "
                        f"{identifier} with a rate rule)",
                    }
                    self.out.rates[name] = self.per_second(rate)
            else:
                unit = read_unit(model, parameter.getUnits()) if parameter.isSetUnits() else None
                self.constant(identifier, name, parameter, where, unit)

    def constant(
        self, identifier: str, name: str, element: Any, where: str, unit: SBMLUnit | None
    ) -> None:
        """A constant: a parameter, or a helper expression when an initial assignment sets it."""
        if identifier in self.initial:
            math_node = self.initial[identifier].getMath()
            reader = MathReader(self.names, self.reader.functions)
            try:
                reader.text(math_node)
                constant_only = all(self.is_constant(used) for used in reader.used)
            except Unsupported:
                constant_only = True  # the next line reports the problem
            if constant_only:
                text = self.text(math_node, f"initial assignment of {where}")
                if text is not None:
                    self.out.expressions[name] = text
                return
            value = self.value_at_start(identifier)
            if value is not None:
                self.add_parameter(
                    name,
                    element,
                    where,
                    value=value,
                    unit=unit,
                    extra="its initial assignment evaluated at t = 0",
                )
            return
        self.add_parameter(name, element, where, unit=unit)

    def is_constant(self, identifier: str, stack: tuple[str, ...] = ()) -> bool:
        if identifier in stack or identifier in self.input_of:
            return False
        if identifier in self.assignment or identifier in self.rate_rule:
            return False
        species = self.model.getSpecies(identifier)
        if species is not None and not (species.getConstant() or species.getBoundaryCondition()):
            return False
        if identifier in self.initial:
            reader = MathReader(self.names, self.reader.functions)
            try:
                reader.text(self.initial[identifier].getMath())
            except Unsupported:
                return False
            return all(self.is_constant(used, (*stack, identifier)) for used in reader.used)
        return True

    def add_parameter(
        self,
        name: str,
        element: Any,
        where: str,
        *,
        value: float | None = None,
        unit: SBMLUnit | None = None,
        extra: str = "",
    ) -> None:
        if value is None:
            value = self.value_at_start(element.getId(), element=element, where=where)
            if value is None:
                return
        note = read_annotation(element, "parameter")
        if note is not None and note.get("source"):
            entry = _restored_entry(note.exact("value", value), note)
            entry["source"] = note.get("source")
            if note.get("note"):
                entry["note"] = note.get("note")
            self.out.parameters[name] = entry
            return
        entry = {"value": value, "unit": unit.si_text if unit is not None and unit.is_si else "1"}
        entry["source"] = self.source_text(element, where)
        details = [extra] if extra else []
        if unit is not None and not unit.is_si:
            details.append(
                f"SBML unit {unit.label} (1 {unit.label} = {unit.factor:.6g} {unit.si_text}); "
                "the value is the SBML file's, in that unit (docs/sbml.md, units)"
            )
        if element.isSetName() and element.getName() != element.getId():
            details.append(f"SBML name {element.getName()!r}")
        if details:
            entry["note"] = "; ".join(details)
        if entry["unit"] == "1":
            del entry["unit"]
        self.out.parameters[name] = entry

    def source_text(self, element: Any, where: str) -> str:
        text = f"SBML {where} of {self.path.name} (model {self.model.getId() or '?'})"
        described = self.described_by()
        if described:
            text += f", described by {described}"
        notes = notes_text(element) if hasattr(element, "isSetNotes") else ""
        if notes:
            text += f": {one_line(notes, 300)}"
        return text

    def described_by(self) -> str:
        libsbml = self.libsbml
        found: list[str] = []
        for index in range(self.model.getNumCVTerms()):
            term = self.model.getCVTerm(index)
            qualifier = (
                term.getBiologicalQualifierType()
                if term.getQualifierType() == libsbml.BIOLOGICAL_QUALIFIER
                else term.getModelQualifierType()
            )
            if qualifier in (libsbml.BQB_IS_DESCRIBED_BY, libsbml.BQM_IS_DESCRIBED_BY):
                resources = term.getResources()
                found += [resources.getValue(i) for i in range(resources.getLength())]
        return ", ".join(found[:4])

    def map_used_constants(self, model: Any) -> None:
        """Compartments and species-reference ids that the math refers to."""
        for compartment in model.getListOfCompartments():
            identifier = compartment.getId()
            if identifier not in self.reader.used or identifier in self.assignment:
                continue
            unit = read_unit(model, compartment.getUnits()) if compartment.isSetUnits() else None
            name = self.names[identifier]
            if identifier in self.initial:
                self.constant(identifier, name, compartment, f"compartment {identifier}", unit)
            elif compartment.isSetSize():
                self.add_parameter(
                    name,
                    compartment,
                    f"compartment {identifier} (its size)",
                    value=compartment.getSize(),
                    unit=unit,
                )
            else:
                self.problem(f"compartment {identifier} is used but has no size")
        for reaction in model.getListOfReactions():
            for reference in [*reaction.getListOfReactants(), *reaction.getListOfProducts()]:
                identifier = reference.getId() if reference.isSetId() else ""
                if (
                    identifier
                    and identifier in self.reader.used
                    and identifier not in self.out.parameters
                ):
                    self.add_parameter(
                        self.names[identifier],
                        reference,
                        f"stoichiometry {identifier} of reaction {reaction.getId()}",
                        value=float(reference.getStoichiometry()),
                    )

    # -- values at t = 0 ----------------------------------------------------------------
    def value_at_start(
        self, identifier: str, *, element: Any = None, where: str = "", _stack: tuple[str, ...] = ()
    ) -> float | None:
        """The value of an SBML symbol at t = 0 (initial assignments and rules evaluated)."""
        memo = self.start_values
        if identifier in memo:
            return memo[identifier]
        if identifier in _stack:
            self.problem(f"the initial values of {' → '.join((*_stack, identifier))} form a cycle")
            return None
        stack = (*_stack, identifier)
        value: float | None
        if identifier in self.input_of:
            value = 0.0
        elif identifier in self.initial or identifier in self.assignment:
            node = (
                self.initial[identifier].getMath()
                if identifier in self.initial
                else self.assignment[identifier].getMath()
            )
            value = self.evaluate(node, f"initial value of {identifier}", stack)
        else:
            value = self.declared_value(identifier, element, where, stack)
        memo[identifier] = value
        return value

    def declared_value(
        self, identifier: str, element: Any, where: str, stack: tuple[str, ...]
    ) -> float | None:
        model = self.model
        species = model.getSpecies(identifier)
        if species is not None:
            size = self.compartment_size(species.getCompartment())
            amount_set = species.isSetInitialAmount()
            concentration_set = species.isSetInitialConcentration()
            if not (amount_set or concentration_set):
                self.problem(f"species {identifier} has no initial value")
                return None
            if species.getHasOnlySubstanceUnits():
                if amount_set:
                    return float(species.getInitialAmount())
                value = float(species.getInitialConcentration())
                return value * size if size is not None else self.no_size(identifier)
            if concentration_set:
                return float(species.getInitialConcentration())
            amount = float(species.getInitialAmount())
            return amount / size if size else self.no_size(identifier)
        compartment = model.getCompartment(identifier)
        if compartment is not None:
            if compartment.isSetSize():
                return float(compartment.getSize())
            self.problem(f"compartment {identifier} has no size")
            return None
        parameter = model.getParameter(identifier)
        target = parameter if parameter is not None else element
        if target is None:
            for reaction in model.getListOfReactions():
                reference = reaction.getReactant(identifier) or reaction.getProduct(identifier)
                if (
                    reference is not None
                    and reference.isSetId()
                    and reference.getId() == identifier
                ):
                    return float(reference.getStoichiometry())
            self.problem(f"{where or identifier}: no value")
            return None
        if target.isSetValue():
            value = float(target.getValue())
            if math.isfinite(value):
                return value
            self.problem(
                f"{where or f'parameter {identifier}'} has the value {value!r}, not finite"
            )
            return None
        self.problem(f"{where or f'parameter {identifier}'} has no value")
        return None

    def no_size(self, identifier: str) -> float | None:
        self.problem(
            f"species {identifier}: its compartment has no size, so its initial value is unknown"
        )
        return None

    def evaluate(self, node: Any, where: str, stack: tuple[str, ...]) -> float | None:
        parsed = self.parsed(MathReader(self.names, self.reader.functions), node, where)
        if parsed is None:
            return None
        expression = parsed[1]
        back = {name: identifier for identifier, name in self.names.items()}
        values: dict[sympy.Symbol, sympy.Expr] = {}
        for symbol in expression.free_symbols:
            identifier = back.get(str(symbol), str(symbol))
            value = self.value_at_start(identifier, _stack=stack)
            if value is None:
                return None
            values[sympy.Symbol(str(symbol), real=True)] = sympy.Float(value)
        try:
            result = complex(expression.xreplace(values).evalf())
        except (TypeError, ValueError):
            result = complex(math.nan)
        if result.imag != 0.0 or not math.isfinite(result.real):
            self.problem(f"{where} is not a finite real number")
            return None
        return float(result.real)

    # -- presets and output -----------------------------------------------------------
    def read_presets(self) -> None:
        if self.origin is None:
            return
        for preset in self.origin.children("preset"):
            name = preset.get("name")
            if not name or not _MODEL_NAME.match(name) or name == "healthy":
                continue
            values = self.out.presets.setdefault(name, {})
            for item in preset.children("value"):
                species = self.names.get(item.get("species"), "")
                try:
                    number = float(item.get("value"))
                except ValueError:
                    continue
                if species in self.out.species and math.isfinite(number):
                    values[species] = number

    def title(self, model: Any) -> str:
        if self.origin is not None and self.origin.get("title"):
            return self.origin.get("title")
        return model.getName() or model.getId() or self.path.stem

    def description(self, model: Any) -> str:
        notes = notes_text(model)
        if self.origin is not None and notes:
            return notes
        lines = [
            f"Imported from {self.path.name} ({self.level}, model {model.getId() or '?'}) by "
            "tissue-sim models import; docs/sbml.md describes the mapping.",
        ]
        described = self.described_by()
        if described:
            lines.append(f"The SBML model is described by {described}.")
        lines += [f"- {note}" for note in self.notes]
        if notes:
            lines += ["", "Notes of the SBML model:", "", notes]
        return "\n".join(lines)

    def model_file_text(self, model: Any) -> str:
        out = self.out
        parameters = dict(out.parameters)
        if self.time_scale != 1.0:
            parameters[TIME_UNIT_PARAMETER] = {
                "value": self.time_scale,
                "unit": "s",
                "source": f"the time unit of the SBML model ({self.path.name}): one SBML time "
                "unit in seconds; every rate is divided by it",
            }
        data: dict[str, Any] = {
            "name": self.name,
            "title": one_line(self.title(model), 300),
            "description": self.description(model) + "\n",
        }
        if out.inputs:
            data["inputs"] = list(out.inputs)
        data["species"] = out.species
        if out.external:
            data["external"] = out.external
        if parameters:
            data["parameters"] = parameters
        if out.expressions:
            data["expressions"] = out.expressions
        data["rates"] = out.rates
        presets = {name: values for name, values in out.presets.items() if values}
        if presets:
            data["presets"] = presets
        if not out.species:
            raise SBMLImportError(
                self.file, ["the model has no species that changes in time (nothing to integrate)"]
            )
        return _dump_yaml(data)

    def check_loads(self, text: str) -> None:
        """Read the model file back and compile it, as tissue_sim will."""
        with tempfile.TemporaryDirectory(prefix="tissue-sim-import-") as folder:
            path = Path(folder) / f"{self.name}.yaml"
            path.write_text(text, encoding="utf-8")
            try:
                read_model_file(path)
                load_model([str(path)])
            except InputError as error:
                raise SBMLImportError(
                    self.file, [f"the translated model does not load: {error.message}"]
                ) from None


def _unit_text(unit: SBMLUnit | None, note: Annotation | None) -> str:
    """The model-file unit: the SI unit the tissue_sim annotation names (an SI text that the
    SBML element may not be able to carry, such as seconds for a species), else the SBML
    unit when it is its SI form, else ``"1"``."""
    if note is not None and note.get("unit"):
        text = note.get("unit")
        try:
            factor, si_text = to_si(1.0, text, file="", line=0, what="")
        except InputError:
            factor, si_text = 0.0, ""
        if factor == 1.0 and si_text == text:
            return text
    return unit.si_text if unit is not None and unit.is_si else "1"


def _number(value: float) -> str:
    return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)


def _restored_entry(value: float, note: Annotation) -> dict[str, Any]:
    """The parameter as its model file gave it (``half_life: 2.5 min``, ``0.6 1/day``) when
    that reproduces the SI value exactly, else the SI value and unit."""
    given, unit = note.get("given"), note.get("unit") or "1"
    candidate: dict[str, Any] | None = None
    try:
        if given.startswith("half-life "):
            text = given[len("half-life ") :]
            if check_unit_text(text, leading_number=True) is None:
                seconds = float(unit_registry().Quantity(text).to("s").magnitude)
                if math.log(2.0) / seconds == value:
                    candidate = {"half_life": text}
        else:
            number_text, _, unit_text = given.partition(" ")
            number = float(number_text)
            si, _ = to_si(number, unit_text or "1", file="", line=0, what="")
            if si == value:
                candidate = {"value": _plain(number)}
                if unit_text:
                    candidate["unit"] = unit_text
    except (ValueError, ZeroDivisionError, InputError):
        candidate = None
    if candidate is None:
        candidate = {"value": value}
        if unit != "1":
            candidate["unit"] = unit
    return candidate


def _plain(number: float) -> float | int:
    return int(number) if number.is_integer() and abs(number) < 2**53 else number


class _Dumper(yaml.SafeDumper):
    """Block style for nested mappings, literal blocks for multi-line text."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def _dump_yaml(data: Mapping[str, Any]) -> str:
    header = "# Made by `tissue-sim models import` (docs/sbml.md).\n"
    return header + yaml.dump(
        dict(data), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=10_000
    )
