"""Write a cell model (one model file or a composition) as SBML Level 3 Version 2.

What the model file holds and how it is written (``docs/sbml.md`` gives the reasons):

========================  ============================================================
model file                SBML
========================  ============================================================
species                   ``species`` in one compartment ``material_point`` (size 1,
                          constant), ``hasOnlySubstanceUnits="true"``: its value is the
                          model-file value; ``initialAmount`` = the healthy value
rates                     one ``rateRule`` per species (the file states net rates
                          d(species)/dt, not reactions; splitting them into reactions
                          would invent a stoichiometry the file does not have)
parameters                constant ``parameter``, value in SI, ``units`` from the SI
                          unit; source, given value and note in a ``tissue_sim``
                          annotation and in the notes
expressions (helpers)     non-constant ``parameter`` with an ``assignmentRule``
inputs (stimulus          non-constant ``parameter`` named after the feature, value 0
features)                 (outside sessions), annotated ``<tissue_sim:input
                          feature=…/>``: a simulator sets it during sessions (by hand,
                          with events of its own or an assignment rule it adds)
external species not      constant ``parameter`` = the healthy value, annotated
loaded                    ``<tissue_sim:external/>``
presets, title,           model annotation and model notes
description
``hill``, ``hill_rep``    ``functionDefinition`` (MathML has no Hill function)
========================  ============================================================

Time is in seconds (``timeUnits="second"``), like the model files.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from tissue_sim.biology import list_models, load_model
from tissue_sim.biology._model_file import ExternalDefinition, ModelFile, read_model_file
from tissue_sim.errors import InputError
from tissue_sim.resources import cell_models_directory
from tissue_sim.sbml._annotations import set_annotation, set_notes
from tissue_sim.sbml._libs import libsbml_module
from tissue_sim.sbml._math import Unsupported, expression_to_math, function_definition_math
from tissue_sim.sbml._names import unique_name
from tissue_sim.sbml._units import write_unit
from tissue_sim.stimulus import feature_description, feature_unit

__all__ = ["COMPARTMENT", "ExportedModel", "export_sbml", "model_file_paths"]

#: Id of the one compartment (a material point) that holds every species.
COMPARTMENT: Final[str] = "material_point"


@dataclass(frozen=True)
class ExportedModel:
    """An exported model.

    Attributes
    ----------
    sbml
        The SBML document (Level 3 Version 2) as text.
    model_id
        Id of the SBML model.
    species
        Model-file species name → SBML species id (they are equal).
    inputs
        Stimulus feature → SBML parameter id (they are equal).
    ids
        ``(model file, name)`` → SBML id of every parameter, helper expression and
        constant external species (``<model>__<name>`` where a composition shares a name).
    """

    sbml: str
    model_id: str
    species: dict[str, str]
    inputs: dict[str, str]
    ids: dict[tuple[str, str], str]


def model_file_paths(names_or_paths: Sequence[str]) -> list[Path]:
    """Paths of model files given by name (``models/cells``) or as ``.yaml`` paths."""
    paths: list[Path] = []
    for item in names_or_paths:
        if item.endswith((".yaml", ".yml")) or "/" in item or "\\" in item:
            path = Path(item)
            if path.suffix not in (".yaml", ".yml"):
                raise InputError(f"expected a cell-model name or a .yaml model file, got {item!r}")
            if not path.is_file():
                raise InputError(f"model file not found: {item}")
        else:
            path = cell_models_directory() / f"{item}.yaml"
            if not path.is_file():
                raise InputError(
                    f"unknown cell model {item!r}; available: {', '.join(list_models())}"
                )
        paths.append(path)
    return paths


def export_sbml(names_or_paths: Sequence[str] | str) -> ExportedModel:
    """SBML (Level 3 Version 2) of one model file or of a composition of several.

    Parameters
    ----------
    names_or_paths
        Model names from ``models/cells`` or paths of ``.yaml`` model files; several
        compose as in :func:`tissue_sim.biology.load_model`.

    Returns
    -------
    ExportedModel
        The SBML text and the ids it gave.

    Raises
    ------
    InputError
        For an unknown model, a model file that does not load, or an expression the
        exporter cannot write (a function of the expression language without SBML form).
    """
    items = [names_or_paths] if isinstance(names_or_paths, str) else list(names_or_paths)
    if not items:
        raise InputError("no cell model given to export")
    paths = model_file_paths(items)
    files = [read_model_file(path) for path in paths]
    load_model([str(path) for path in paths])  # composition checks: units, healthy values
    return _Writer(files).write()


class _Writer:
    def __init__(self, files: Sequence[ModelFile]) -> None:
        self.files = list(files)
        self.libsbml = libsbml_module()
        self.owner = {name: file.name for file in files for name in file.species}
        self.inputs: list[str] = []
        for file in files:
            self.inputs.extend(name for name in file.inputs if name not in self.inputs)
        self.ids = self._local_ids()
        self.taken = set(self.owner) | set(self.inputs) | set(self.ids.values())
        self.compartment = unique_name(COMPARTMENT, self.taken)
        self.taken.add(self.compartment)

    def _constant_externals(self) -> dict[str, list[tuple[ModelFile, ExternalDefinition]]]:
        found: dict[str, list[tuple[ModelFile, ExternalDefinition]]] = defaultdict(list)
        for file in self.files:
            for external in file.external.values():
                if external.name not in self.owner:
                    found[external.name].append((file, external))
        return found

    def _local_ids(self) -> dict[tuple[str, str], str]:
        """SBML ids of the file-local names: parameters, helpers, constant externals."""
        uses: Counter[str] = Counter()
        for file in self.files:
            uses.update(list(file.parameters))
            uses.update(list(file.expressions))
        externals = self._constant_externals()
        shared: set[str] = set()
        for name, entries in externals.items():
            same = {(e.unit, e.healthy) for _, e in entries}
            if len(same) == 1:
                shared.add(name)
                uses[name] += 1
            else:
                uses[name] += len(entries)
        global_names = set(self.owner) | set(self.inputs)
        ids: dict[tuple[str, str], str] = {}
        for file in self.files:
            local = [*file.parameters, *file.expressions]
            local += [e for e in file.external if e in externals]
            for name in local:
                if uses[name] == 1 and name not in global_names:
                    ids[(file.name, name)] = name
        taken = set(ids.values()) | global_names
        for file in self.files:
            local = [*file.parameters, *file.expressions]
            local += [e for e in file.external if e in externals]
            for name in local:
                if (file.name, name) in ids:
                    continue
                if name in shared:
                    identifier = name if name not in taken else f"shared__{name}"
                    for other in self.files:
                        if name in other.external:
                            ids[(other.name, name)] = identifier
                else:
                    identifier = unique_name(f"{file.name}__{name}", taken)
                    ids[(file.name, name)] = identifier
                taken.add(identifier)
        return ids

    def names_of(self, file: ModelFile) -> dict[str, str]:
        names = {name: name for name in self.owner}
        names.update({name: name for name in file.inputs})
        for name in [*file.parameters, *file.expressions, *file.external]:
            if (file.name, name) in self.ids:
                names[name] = self.ids[(file.name, name)]
        return names

    def math(self, text: str, file: ModelFile, where: str, functions: set[str]) -> Any:
        try:
            return expression_to_math(text, self.names_of(file), functions)
        except Unsupported as problem:
            raise InputError(f"cannot export {where}: {problem}", file=file.path) from None

    def write(self) -> ExportedModel:
        libsbml = self.libsbml
        document = libsbml.SBMLDocument(3, 2)
        model = document.createModel()
        model_id = "__".join(file.name for file in self.files)
        model.setId(model_id)
        model.setName(" + ".join(file.title for file in self.files))
        model.setTimeUnits("second")
        set_notes(model, self._description())
        set_annotation(
            model,
            "model",
            {"models": " ".join(f.name for f in self.files), "title": model.getName()},
            self._presets(),
        )
        compartment = model.createCompartment()
        compartment.setId(self.compartment)
        compartment.setName("one material point of the tissue")
        compartment.setSize(1.0)
        compartment.setConstant(True)
        compartment.setUnits("dimensionless")
        functions: set[str] = set()
        for file in self.files:
            self._species(model, file)
        for feature in self.inputs:
            self._input(model, feature)
        written: set[str] = set()
        for file in self.files:
            for external in file.external.values():
                identifier = self.ids.get((file.name, external.name))
                if identifier is not None and identifier not in written:
                    written.add(identifier)
                    self._external(model, file, external, identifier)
            self._parameters(model, file)
            for name, (text, _, _) in file.expressions.items():
                identifier = self.ids[(file.name, name)]
                parameter = model.createParameter()
                parameter.setId(identifier)
                parameter.setConstant(False)
                parameter.setName(text)
                set_annotation(parameter, "expression", {"name": name, "model": file.name})
                rule = model.createAssignmentRule()
                rule.setVariable(identifier)
                rule.setMath(self.math(text, file, f"expressions.{name}", functions))
            for name, (text, _, _) in file.rates.items():
                rule = model.createRateRule()
                rule.setVariable(name)
                rule.setMath(self.math(text, file, f"rates.{name}", functions))
        for name in sorted(functions):
            definition = model.createFunctionDefinition()
            definition.setId(name)
            definition.setMath(function_definition_math(name))
        problems = [
            document.getError(index).getMessage()
            for index in range(document.checkInternalConsistency())
            if document.getError(index).getSeverity() >= libsbml.LIBSBML_SEV_ERROR
        ]
        if problems:
            raise RuntimeError("the exported SBML is not valid: " + "; ".join(problems))
        return ExportedModel(
            sbml=libsbml.writeSBMLToString(document),
            model_id=model_id,
            species={name: name for name in self.owner},
            inputs={name: name for name in self.inputs},
            ids=dict(self.ids),
        )

    def _description(self) -> str:
        if len(self.files) == 1:
            return self.files[0].description.rstrip()
        return "\n\n".join(
            f"{file.name} — {file.title}\n\n{file.description.rstrip()}" for file in self.files
        )

    def _presets(self) -> list[tuple[str, dict[str, str], list[tuple[str, dict[str, str]]]]]:
        presets: list[tuple[str, dict[str, str], list[tuple[str, dict[str, str]]]]] = []
        for file in self.files:
            for preset, values in file.presets.items():
                presets.append(
                    (
                        "preset",
                        {"name": preset, "model": file.name},
                        [("value", {"species": s, "value": repr(v)}) for s, v in values.items()],
                    )
                )
        return presets

    def _species(self, model: Any, file: ModelFile) -> None:
        for definition in file.species.values():
            species = model.createSpecies()
            species.setId(definition.name)
            species.setName(definition.description)
            species.setCompartment(self.compartment)
            species.setInitialAmount(definition.initial)
            species.setHasOnlySubstanceUnits(True)
            species.setBoundaryCondition(False)
            species.setConstant(False)
            units = write_unit(model, definition.unit, substance=True)
            if units is not None:
                species.setSubstanceUnits(units)
            set_annotation(
                species,
                "species",
                {
                    "model": file.name,
                    "description": definition.description,
                    "unit": definition.unit,
                    "initial": repr(definition.initial),
                },
            )

    def _input(self, model: Any, feature: str) -> None:
        parameter = _parameter(model, feature, 0.0, _feature_unit(feature), constant=False)
        parameter.setName(f"stimulus input {feature}")
        set_annotation(parameter, "input", {"feature": feature})
        set_notes(
            parameter,
            f"Stimulus input {feature}: {_feature_description(feature)}. tissue_sim sets it to "
            "the point's feature value during a session and to 0 outside sessions; here it "
            "is 0 (set it during sessions).",
        )

    def _external(
        self, model: Any, file: ModelFile, external: ExternalDefinition, identifier: str
    ) -> None:
        parameter = _parameter(model, identifier, external.healthy, external.unit, constant=True)
        parameter.setName(external.description)
        set_annotation(
            parameter,
            "external",
            {
                "name": external.name,
                "model": file.name,
                "description": external.description,
                "unit": external.unit,
                "healthy": repr(external.healthy),
            },
        )
        set_notes(
            parameter,
            f"External species {external.name} ({external.description}), owned by another "
            "model that is not part of this export: held at its healthy value.",
        )

    def _parameters(self, model: Any, file: ModelFile) -> None:
        for name, info in file.parameters.items():
            identifier = self.ids[(file.name, name)]
            parameter = _parameter(model, identifier, info.value, info.unit, constant=True)
            set_annotation(
                parameter,
                "parameter",
                {
                    "name": name,
                    "model": file.name,
                    "unit": info.unit,
                    "value": repr(info.value),
                    "given": info.given,
                    "source": info.source,
                    "note": info.note,
                },
            )
            lines = [f"source: {info.source}", f"given: {info.given}"]
            if info.note:
                lines.append(f"chosen: {info.note}")
            set_notes(parameter, "\n".join(lines))


def _parameter(model: Any, identifier: str, value: float, unit: str, *, constant: bool) -> Any:
    """A new SBML parameter of ``model`` with its id, value, units (when known) and constancy."""
    parameter = model.createParameter()
    parameter.setId(identifier)
    parameter.setValue(value)
    parameter.setConstant(constant)
    units = write_unit(model, unit)
    if units is not None:
        parameter.setUnits(units)
    return parameter


def _feature_unit(feature: str) -> str:
    try:
        return feature_unit(feature)
    except ValueError:
        return ""


def _feature_description(feature: str) -> str:
    try:
        return feature_description(feature)
    except ValueError:
        return "a stimulus feature"
